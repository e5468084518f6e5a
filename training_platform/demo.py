"""Deterministic demo data for the training central platform (TRAINING DATA, all fictional).

``generate(seed=20200824, catalog_size=None) -> dict`` returns the training data set described in
docs/demo-data.md (keys ``institutions``, ``people``, ``catalog``, ``his_charges``,
``policy_bundles``, ``einvoice``).  The result is JSON-serialisable and depends only on the seed:
every random choice comes from ``random.Random`` objects seeded with the seed (string seeds are
hashed with SHA-512 by ``random``, so neither hash randomisation nor dict order matters).

The six fixed people and three fixed institutions are always present with the same values, so
trainers can print their e-voucher QR codes and card strings once (docs/demo-data.md).

``iter_catalog(seed, size)`` yields catalogue rows lazily (for big benchmark catalogues: 300,000
rows take a few seconds and no list is kept).
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from client.domain.codes import TRAINING_PSN_IDET_TYPES
from training_platform import demo_catalog as cat
from training_platform.resources import resource

__all__ = [
    "DEFAULT_SEED", "REF_DATE", "YEAR", "ZONE_REGIONS", "FIXED_INSTITUTIONS", "FIXED_CERTNOS",
    "OFF_CATALOG_CODES", "generate", "iter_catalog", "base_catalog_size", "load_policy_bundles",
    "gb11643_check_digit", "make_certno", "ean13_check_digit",
]

DEFAULT_SEED = 20200824
REF_DATE = date(2026, 11, 1)  # the training data's "now": cards, ages and year-to-date values refer to it
YEAR = "2026"
ZONE_REGIONS = ("310118", "320509", "330421")
CENT = Decimal("0.01")

REGION_SHORT = {
    "310118": "青浦", "320509": "吴江", "330421": "嘉善", "310101": "黄浦", "320506": "吴中",
    "110105": "朝阳", "340102": "瑶海", "420106": "武昌",
}

FIXED_INSTITUTIONS = [
    {"fixmedins_code": "H31011800001", "fixmedins_name": "上海市青浦区培训医院", "hosp_lv": "2",
     "admdvs": "310118", "sign_secret": "TRAINING-ONLY-310118-5f0c2a9e7b41d8c3"},
    {"fixmedins_code": "H32050900001", "fixmedins_name": "苏州市吴江区培训医院", "hosp_lv": "3",
     "admdvs": "320509", "sign_secret": "TRAINING-ONLY-320509-a83e6d1f20c94b57"},
    {"fixmedins_code": "H33042100001", "fixmedins_name": "嘉善县培训医院", "hosp_lv": "2",
     "admdvs": "330421", "sign_secret": "TRAINING-ONLY-330421-3c7b9e05d2f1a864"},
]
INSTITUTION_BY_REGION = {i["admdvs"]: i for i in FIXED_INSTITUTIONS}

EINVOICE = {
    # 8-digit bill code: supervising region (2) + bill class (2) + bill kind (2) + year (2).
    # Class/kind values for medical bills are UNVERIFIED (settlement-rules §4.2): training values.
    "H31011800001": {"EInvoiceCode": "31060126", "EInvoiceSpecimenCode": "3101182601",
                     "SupervisorAreaCode": "310118", "EInvoiceName": "上海市医疗门诊收费票据（电子）"},
    "H32050900001": {"EInvoiceCode": "32060126", "EInvoiceSpecimenCode": "3205092601",
                     "SupervisorAreaCode": "320509", "EInvoiceName": "江苏省医疗门诊收费票据（电子）"},
    "H33042100001": {"EInvoiceCode": "33060126", "EInvoiceSpecimenCode": "3304212601",
                     "SupervisorAreaCode": "330421", "EInvoiceName": "浙江省医疗门诊收费票据（电子）"},
}

# Person-identity categories (人员身份类别).  The national code list was not available: the codes
# are training codes; the engine matches the labels.
IDET_TYPES = {  # label → (training code, name), from the single table in client.domain.codes
    str(label): (code, label.label) for code, label in TRAINING_PSN_IDET_TYPES.items()
}

# 门诊慢特病 (outpatient chronic/special diseases): real-style codes, training data.
CHRONIC_DISEASES = [
    ("M03900", "高血压"), ("M01600", "糖尿病"), ("M07801", "慢性肾衰竭透析"),
    ("M04300", "冠心病"), ("M05300", "慢性阻塞性肺疾病"), ("M00500", "恶性肿瘤门诊治疗"),
]
CHRONIC_DRUGS = {
    "M03900": ["苯磺酸氨氯地平片", "缬沙坦胶囊", "厄贝沙坦片", "琥珀酸美托洛尔缓释片", "氢氯噻嗪片", "硝苯地平控释片"],
    "M01600": ["盐酸二甲双胍片", "格列美脲片", "阿卡波糖片", "磷酸西格列汀片", "甘精胰岛素注射液"],
    "M07801": ["骨化三醇软胶囊", "叶酸片", "呋塞米片"],
    "M04300": ["阿司匹林肠溶片", "阿托伐他汀钙片", "单硝酸异山梨酯缓释片", "复方丹参滴丸", "麝香保心丸"],
    "M05300": ["布地奈德福莫特罗吸入粉雾剂", "盐酸氨溴索片", "孟鲁司特钠片"],
    "M00500": ["来曲唑片", "甲钴胺片"],
}

# Outpatient visit templates: (kind "O" outpatient / "E" emergency, fit for children, diagnosis,
# drugs (some are picked), tests (0–2 picked), extra lines (name, count)).
_INFUSION = [("静脉输液", 1), ("0.9%氯化钠注射液", 1), ("一次性使用输液器", 1), ("一次性使用无菌注射器", 2)]
VISIT_TEMPLATES = [
    ("O", True, ("J06.900", "急性上呼吸道感染"),
     ["阿莫西林胶囊", "头孢克洛胶囊", "连花清瘟胶囊", "板蓝根颗粒", "感冒清热颗粒", "对乙酰氨基酚片", "蓝芩口服液"],
     ["血常规(全血细胞计数+五分类)", "C反应蛋白测定"], []),
    ("O", True, ("J20.900", "急性支气管炎"),
     ["盐酸氨溴索片", "阿奇霉素片", "头孢呋辛酯片", "急支糖浆", "孟鲁司特钠片", "复方甘草片"],
     ["血常规(全血细胞计数+五分类)", "胸部X线摄影(DR)"], [("雾化吸入", 1), ("一次性使用雾化器", 1)]),
    ("O", True, ("J30.400", "变应性鼻炎"), ["氯雷他定片", "盐酸西替利嗪片", "孟鲁司特钠片"], [], []),
    ("O", True, ("K59.100", "功能性腹泻"), ["蒙脱石散", "双歧杆菌三联活菌胶囊", "藿香正气水"], ["粪便常规"], []),
    ("O", False, ("K29.700", "慢性胃炎"),
     ["奥美拉唑肠溶胶囊", "泮托拉唑钠肠溶片", "雷贝拉唑钠肠溶片", "铝碳酸镁咀嚼片", "多潘立酮片", "枸橼酸莫沙必利片",
      "香砂养胃丸"], ["血常规(全血细胞计数+五分类)"], []),
    ("O", False, ("I10.x00", "原发性高血压"),
     ["苯磺酸氨氯地平片", "硝苯地平控释片", "缬沙坦胶囊", "厄贝沙坦片", "氯沙坦钾片", "琥珀酸美托洛尔缓释片"],
     ["常规心电图检查", "血脂四项", "肾功能(组合)"], []),
    ("O", False, ("E11.900", "2型糖尿病"),
     ["盐酸二甲双胍片", "盐酸二甲双胍缓释片", "格列美脲片", "阿卡波糖片", "格列齐德缓释片", "消渴丸"],
     ["空腹血糖测定", "糖化血红蛋白测定"], []),
    ("O", False, ("E78.500", "高脂血症"), ["阿托伐他汀钙片", "瑞舒伐他汀钙片", "辛伐他汀片"], ["血脂四项", "肝功能(组合)"], []),
    ("O", False, ("I25.100", "冠状动脉粥样硬化性心脏病"),
     ["阿司匹林肠溶片", "硫酸氢氯吡格雷片", "单硝酸异山梨酯缓释片", "复方丹参滴丸", "麝香保心丸", "通心络胶囊",
      "速效救心丸"], ["常规心电图检查", "心脏彩色多普勒超声"], []),
    ("O", False, ("M54.500", "腰痛"), ["双氯芬酸钠缓释片", "塞来昔布胶囊", "布洛芬缓释胶囊", "仙灵骨葆胶囊"], [],
     [("推拿治疗", 1), ("普通针刺", 1)]),
    ("O", False, ("M81.900", "骨质疏松"), ["骨化三醇软胶囊", "碳酸钙D3片", "仙灵骨葆胶囊"], ["血清维生素D测定"], []),
    ("O", False, ("G47.000", "失眠"), ["艾司唑仑片", "阿普唑仑片", "参松养心胶囊"], [], []),
    ("O", False, ("F41.900", "焦虑状态"), ["草酸艾司西酞普兰片", "盐酸舍曲林片"], [], []),
    ("O", False, ("N40.x00", "前列腺增生"), ["盐酸坦索罗辛缓释胶囊", "非那雄胺片"], ["尿常规"], [("腹部B超", 1)]),
    ("O", False, ("E03.900", "甲状腺功能减退症"), ["左甲状腺素钠片"], ["甲状腺功能(T3+T4+TSH)"], []),
    ("O", False, ("D50.900", "缺铁性贫血"), ["硫酸亚铁片", "叶酸片"], ["血常规(全血细胞计数+五分类)"], []),
    ("O", True, ("L08.900", "皮肤软组织感染"), ["莫匹罗星软膏", "头孢克洛胶囊"], [],
     [("换药(小)", 1), ("一次性使用无菌换药包", 1), ("医用纱布块", 2)]),
    ("O", True, ("H10.900", "结膜炎"), ["左氧氟沙星滴眼液"], [], []),
    ("O", False, ("R53.x00", "气虚乏力(中医)"), ["黄芪", "党参", "白术(麸炒)", "茯苓", "甘草", "当归", "陈皮"], [], []),
    ("E", True, ("R50.900", "发热"), ["对乙酰氨基酚片", "注射用头孢曲松钠", "布洛芬缓释胶囊"],
     ["血常规(全血细胞计数+五分类)", "C反应蛋白测定", "降钙素原测定"], _INFUSION),
    ("E", False, ("R10.400", "腹痛"), ["注射用奥美拉唑钠", "盐酸昂丹司琼注射液"],
     ["血常规(全血细胞计数+五分类)", "电解质(钾钠氯)测定"], [("腹部B超", 1)] + _INFUSION),
    ("E", True, ("S61.000", "手指开放性伤口"), ["头孢克洛胶囊"], [],
     [("清创缝合术(小)", 1), ("局部浸润麻醉", 1), ("盐酸利多卡因注射液", 1), ("医用纱布块", 4)]),
    ("E", False, ("I20.000", "不稳定型心绞痛"), ["阿司匹林肠溶片", "硫酸氢氯吡格雷片", "速效救心丸"],
     ["常规心电图检查"], [("吸氧", 2), ("一次性使用吸氧管", 1)]),
]

TEMPLATE_DEPTS = {"R53.x00": ("A50", "中医科"), "M54.500": ("A50", "中医科"), "H10.900": ("A10", "眼科"),
                  "L08.900": ("A04", "外科"), "J30.400": ("A11", "耳鼻咽喉科"), "N40.x00": ("A04", "外科")}

# Deliberately uncatalogued HIS codes (目录外 / not mapped to the national code), per training.
OFF_CATALOG = [
    ("LOCAL-NOT-IN-CATALOG", "院内协定处方(目录外)", "12.00"),
    ("HZJ20260001", "院内制剂 止咳合剂(未对照)", "18.00"),
    ("HXM20260002", "健康咨询服务费(未对照)", "20.00"),
]
OFF_CATALOG_CODES = frozenset(c for c, _, _ in OFF_CATALOG)

DEPARTMENTS = [("A02", "全科医疗科"), ("A03", "内科")]
EMERGENCY_DEPT = ("A20", "急诊医学科")

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
                "姜崔钟谭陆汪范金石廖贾夏韦方邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵钱严戴莫孔汤")
MALE_GIVEN = ["伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "斌", "浩", "鹏", "辉", "俊", "建国", "志强",
              "文博", "子轩", "宇航", "家豪", "晨阳", "国平", "海涛", "立新", "永康", "德华", "振华", "建华",
              "嘉诚", "浩然", "一鸣", "伟民", "志刚", "金根", "根宝", "卫东"]
FEMALE_GIVEN = ["芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂英", "玉兰", "凤英", "婷", "雪", "慧",
                "颖", "佳怡", "雨桐", "欣怡", "梓涵", "思琪", "晓燕", "丽华", "美玲", "淑珍", "春梅", "秋菊",
                "海燕", "雅琴", "诗涵", "雪芬", "月娥"]
COMPANY_WORDS = ["培训机械", "培训纺织", "培训物流", "培训电子", "培训食品", "培训建材", "培训科技", "培训商贸",
                 "培训丝绸", "培训精密"]
NATIONS_MINOR = ["02", "03", "06", "08", "11"]

# Extra people per insured region (≥ 60 in total) and the person-type cycle used in each region.
EXTRA_PLAN = [("310118", 13), ("320509", 13), ("330421", 13), ("310101", 5), ("320506", 5),
              ("110105", 7), ("340102", 7), ("420106", 6)]
TYPE_CYCLE = ["1101", "1201", "1501", "1403", "1101", "1201", "1501", "1103", "1101", "1102", "1202",
              "1501", "1101"]

# ------------------------------------------------------------------------------------------------
# small helpers


def q2(d: Decimal) -> Decimal:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt2(d: Decimal) -> str:
    return str(q2(d))


_GB_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def gb11643_check_digit(first17: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits of a resident ID."""
    total = sum(int(c) * w for c, w in zip(first17, _GB_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def make_certno(admdvs: str, birth: date, seq: int) -> str:
    """Resident ID: region(6) + birth date(8) + sequence(3, odd = male) + check character."""
    first17 = f"{admdvs}{birth:%Y%m%d}{seq:03d}"
    return first17 + gb11643_check_digit(first17)


def ean13_check_digit(first12: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return str((10 - total % 10) % 10)


def age_at(birth: date, at: date = REF_DATE) -> int:
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


_ALNUM = "0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
_ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _card(rng: random.Random, admdvs: str, certno: str, name: str, issue: date, expiry: date) -> dict:
    card_no = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + "".join(rng.choice(_ALNUM) for _ in range(8))
    card_sn = admdvs + "D156" + "".join(rng.choice("0123456789ABCDEF") for _ in range(22))
    reset = "3B6D000000" + "".join(rng.choice("0123456789ABCDEF") for _ in range(16))
    terminal = admdvs + f"{rng.randrange(10**6):06d}"
    device = f"{rng.randrange(10**10):010d}"
    fields = [admdvs, certno, card_no, card_sn, name, reset, "3.00", f"{issue:%Y%m%d}", f"{expiry:%Y%m%d}",
              terminal, device]
    return {"card_no": card_no, "card_sn": card_sn, "card_data": "|".join(fields) + "|"}


def _ecqr(rng: random.Random, admdvs: str) -> str:
    """The training e-voucher code: 28 digits like the real 4243754826492874240001130000
    (reference §6) — 18 random digits, "0001", the insured admdvs (our training layout; the real
    layout is not published). The rng is drawn as before (26 draws) so the other demo data stay."""
    draws = [rng.choice(_ALNUM36) for _ in range(26)]
    return "".join(str(_ALNUM36.index(ch) % 10) for ch in draws[:18]) + "0001" + admdvs


def _years_later(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year + years, day=28)


# ------------------------------------------------------------------------------------------------
# fixed training people

FIXED_CERTNOS = ("330421198503150016", "320509195207080020", "310118199001010036",
                 "110105197804120046", "330421201706010050", "310118196804120067")


def _fixed_person(certno: str, name: str, gend: str, *, insutype: str, psn_type: str, admdvs: str,
                  insu_date: str, emp_name: str, balc: str, idet=(), filing=None, chronic=(),
                  ytd=None, card_issue: date) -> dict:
    # Card/QR values of the fixed people come from their own string-seeded generator, so they do not
    # depend on the seed and stay the same in every training data set (printed QR codes keep working).
    rng = random.Random(f"medsettle-fixed-person:{certno}")
    brdy = f"{certno[6:10]}-{certno[10:12]}-{certno[12:14]}"
    person = {
        "psn_no": certno + "01", "certno": certno, "psn_cert_type": "01", "psn_name": name, "gend": gend,
        "naty": "01", "brdy": brdy,
        "insuinfo": [{"insutype": insutype, "psn_type": psn_type, "psn_insu_stas": "1", "psn_insu_date": insu_date,
                      "paus_insu_date": None, "cvlserv_flag": "0", "insuplc_admdvs": admdvs,
                      "emp_name": emp_name, "balc": balc}],
        "idetinfo": [_idet_row(label, "2020-01-01") for label in idet],
        "idet": list(idet),
        "filing": filing or {"type": "none", "admdvs": None, "begndate": None, "enddate": None},
        "chronic": [{"opsp_dise_code": c, "opsp_dise_name": n, "begndate": b, "enddate": e} for c, n, b, e in chronic],
        "card": _card(rng, admdvs, certno, name, card_issue, _years_later(card_issue, 10)),
        "ecqr": _ecqr(rng, admdvs),
        "ytd": ytd or {},
    }
    return person


def _idet_row(label: str, begin: str) -> dict:
    code, cname = IDET_TYPES[label]
    return {"psn_idet_type": code, "psn_type_lv": "3" if label == "disabled" else "", "memo": f"{cname}（培训代码）",
            "begntime": f"{begin} 00:00:00", "endtime": None}


def _fixed_people() -> list[dict]:
    return [
        _fixed_person("330421198503150016", "沈明", "1", insutype="310", psn_type="1101", admdvs="330421",
                      insu_date="2008-07-01", emp_name="嘉善培训机械有限公司", balc="1280.00",
                      ytd={YEAR: {"dedc_paid": "550.00"}}, card_issue=date(2019, 3, 20)),
        _fixed_person("320509195207080020", "陆秀英", "2", insutype="310", psn_type="1201", admdvs="320509",
                      insu_date="1996-01-01", emp_name="吴江培训纺织有限公司", balc="3500.00",
                      chronic=[("M03900", "高血压", "2021-03-01", "2027-02-28"),
                               ("M01600", "糖尿病", "2022-06-01", "2028-05-31")],
                      ytd={YEAR: {"dedc_paid": "400.00", "admissions": 1, "inscp_amt": "12600.00",
                                  "hifp_pay": "10480.00", "layers": {"hifob": {"base_amt": "1520.00", "paid": "0.00"}}}},
                      card_issue=date(2018, 9, 12)),
        _fixed_person("310118199001010036", "张伟", "1", insutype="310", psn_type="1101", admdvs="310118",
                      insu_date="2012-08-01", emp_name="青浦培训物流有限公司", balc="860.00",
                      card_issue=date(2020, 5, 8)),
        _fixed_person("110105197804120046", "王芳", "2", insutype="310", psn_type="1101", admdvs="110105",
                      insu_date="2001-09-01", emp_name="朝阳培训科技有限公司", balc="2150.00",
                      card_issue=date(2021, 1, 15)),
        _fixed_person("330421201706010050", "顾子涵", "1", insutype="390", psn_type="1403", admdvs="330421",
                      insu_date="2017-07-01", emp_name="嘉善县培训实验小学", balc="0.00",
                      card_issue=date(2018, 2, 1)),
        _fixed_person("310118196804120067", "周丽", "2", insutype="390", psn_type="1501", admdvs="310118",
                      insu_date="2009-01-01", emp_name="青浦区培训社区居民", balc="0.00",
                      ytd={YEAR: {"dedc_paid": "500.00"}}, card_issue=date(2022, 4, 18)),
    ]


# ------------------------------------------------------------------------------------------------
# catalogue


def _item_code(idx: int, item: tuple) -> str:
    kind, key, name = item[0], item[1], item[2]
    if name in cat.FIXED_CODES:
        return cat.FIXED_CODES[name]
    crc = zlib.crc32(name.encode("utf-8"))
    if kind == cat.W:
        return f"X{key}A{idx * 37 % 1000:03d}A{idx:03d}0101{crc % 100000:05d}"
    if kind == cat.Z:
        return f"Z{key}X{idx:04d}{crc % 10**9:09d}"
    return key


LIST_TYPE = {cat.W: "101", cat.Z: "101", cat.T: "102", cat.S: "201", cat.C: "301"}
_B_GROUP = {cat.W: "drug", cat.Z: "drug", cat.T: "drug", cat.S: "service", cat.C: "consumable"}
REGION_B_SELFPAY = {
    "310118": {"drug": "0.10", "service": "0.10", "consumable": "0.20"},
    "320509": {"drug": "0.05", "service": "0.08", "consumable": "0.15"},
    "330421": {"drug": "0.10", "service": "0.15", "consumable": "0.20"},
}
REGION_PRICE_FACTOR = {"310118": Decimal("1.00"), "320509": Decimal("0.97"), "330421": Decimal("0.95")}
VERSIONS = ["20200101000001", "20230101000001", "20260101000001", "20261001000001"]
WITHDRAW_VER = "20260701000001"


def _item_barcode(idx: int, code: str) -> str:
    first12 = f"69{zlib.crc32(code.encode()) % 100000:05d}{idx:05d}"
    return first12 + ean13_check_digit(first12)


def _base_rows(seed: int) -> list[dict]:
    """The realistic catalogue (every item in each zone region), sorted by (ver, admdvs, code)."""
    rng = random.Random(f"{seed}:catalog")
    rows = []
    for idx, item in enumerate(cat.ITEMS):
        kind, _key, name, spec, unit, lv, chrg_type, price, limit = item
        code = _item_code(idx, item)
        barcode = _item_barcode(idx, code) if kind in (cat.W, cat.Z) else None
        for adm in ZONE_REGIONS:
            lv_r = cat.REGION_CLASS_OVERRIDES.get((adm, name), lv)
            if lv_r == "02":
                selfpay = REGION_B_SELFPAY[adm][_B_GROUP[kind]]
                if rng.random() < 0.3:
                    selfpay = rng.choice(["0.05", "0.08", "0.10", "0.15", "0.20"])
            else:
                selfpay = "0.00" if lv_r == "01" else "1.00"
                rng.random()  # keep the stream aligned whatever the class
            factor = REGION_PRICE_FACTOR[adm] * Decimal(rng.randint(97, 103)) / 100
            pric = max(q2(Decimal(price) * factor), CENT)
            lim = q2(Decimal(limit) * REGION_PRICE_FACTOR[adm]) if limit else None
            if lim is not None and rng.random() < 0.45:  # this hospital prices within the limit
                pric = q2(lim * Decimal(rng.randint(90, 99)) / 100)
            roll = rng.random()
            ver = VERSIONS[0 if roll < 0.70 else 1 if roll < 0.85 else 2 if roll < 0.95 else 3]
            vali, enddate = "1", None
            if (adm, name) in cat.WITHDRAWN:
                ver, vali, enddate = WITHDRAW_VER, "0", "2026-06-30"
            if adm == "310118" and code in cat.EXAMPLE_CODES:
                ex = cat.EXAMPLE_CODES[code]
                lv_r, selfpay, pric = ex["chrgitm_lv"], ex["selfpay_prop"], Decimal(ex["pric"])
                lim = Decimal(ex["pric_uplmt_amt"]) if ex["pric_uplmt_amt"] else None
                ver = VERSIONS[0]
            begndate = "2020-01-01" if ver == VERSIONS[0] else f"{ver[:4]}-{ver[4:6]}-{ver[6:8]}"
            rows.append({
                "admdvs": adm, "med_list_codg": code, "list_type": LIST_TYPE[kind], "name": name, "spec": spec,
                "unit": unit, "chrgitm_lv": lv_r, "med_chrgitm_type": chrg_type, "selfpay_prop": selfpay,
                "pric_uplmt_amt": fmt2(lim) if lim is not None else None, "pric": fmt2(pric), "barcode": barcode,
                "begndate": begndate, "enddate": enddate, "vali_flag": vali, "ver": ver, "rid": "",
                "_kind": kind, "_idx": idx,
            })
    rows.sort(key=lambda r: (r["ver"], r["admdvs"], r["med_list_codg"]))
    for n, r in enumerate(rows, 1):
        r["rid"] = f"{r['admdvs']}{r['ver']}{n:08d}"
    return rows


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def base_catalog_size() -> int:
    """Number of rows of the realistic catalogue (every item × the three zone regions)."""
    return len(cat.ITEMS) * len(ZONE_REGIONS)


def _expansion_code(kind: str, key: str, idx: int, k: int) -> str:
    if kind == cat.W:
        return f"X{key}E{idx:03d}A{k:012d}"
    if kind == cat.Z:
        return f"Z{key}E{k:013d}"
    if kind == cat.T:
        return f"T9{k:09d}"
    if kind == cat.S:
        return f"99{k:013d}"
    return f"C99{k:018d}"


def iter_catalog(seed: int = DEFAULT_SEED, size: int | None = None) -> Iterator[dict]:
    """Yield catalogue rows in ascending ``ver`` order: the realistic rows first, then (when ``size``
    asks for more) rows expanded from the item templates with unique codes and later versions
    (``2026110100000N``, one version per 20,000 rows).  Exactly ``size`` rows when given."""
    base = _base_rows(seed)
    if size is not None and size < len(base):
        raise ValueError(f"catalog_size 不能小于基础目录条数 {len(base)}")
    for r in base:
        yield _public(r)
    if size is None:
        return
    templates = [r for r in base if r["vali_flag"] == "1"]
    templates.sort(key=lambda r: (r["_idx"], r["admdvs"]))
    ntpl = len(templates)
    rid_base = len(base)
    for k in range(size - len(base)):
        t = templates[k % ntpl]
        kind = t["_kind"]
        ver = f"20261101{k // 20000 + 1:06d}"
        code = _expansion_code(kind, t["med_list_codg"][1:6], t["_idx"], k)
        row = _public(t)
        row["med_list_codg"] = code
        row["name"] = f"{t['name']}(培训扩展{k // ntpl + 1})"
        row["ver"] = ver
        row["begndate"] = "2026-11-01"
        row["rid"] = f"{t['admdvs']}{ver}{rid_base + k + 1:08d}"
        if t["barcode"] is not None:
            first12 = f"69{k:010d}"
            row["barcode"] = first12 + ean13_check_digit(first12)
        yield row


# ------------------------------------------------------------------------------------------------
# generated people


def _name(rng: random.Random, gend: str) -> str:
    return rng.choice(SURNAMES) + rng.choice(MALE_GIVEN if gend == "1" else FEMALE_GIVEN)


def _age_range(psn_type: str, gend: str) -> tuple[int, int]:
    if psn_type == "1403":
        return 6, 15
    if psn_type in ("1201", "1202", "1203"):
        return (60 if gend == "1" else 55), 88
    if psn_type == "1501":
        return 18, 85
    return 22, 59


def _birth(rng: random.Random, lo: int, hi: int) -> date:
    while True:
        age = rng.randint(lo, hi)
        b = date(REF_DATE.year - age, rng.randint(1, 12), rng.randint(1, 28))
        if lo <= age_at(b) <= hi:
            return b


def _money(rng: random.Random, lo: int, hi: int) -> str:
    return fmt2(Decimal(rng.randint(lo * 100, hi * 100)) / 100)


def _generated_people(seed: int, used_certnos: set, used_ecqr: set, used_cards: set) -> list[dict]:
    rng = random.Random(f"{seed}:people")
    people = []
    for adm, count in EXTRA_PLAN:
        short = REGION_SHORT[adm]
        for i in range(count):
            psn_type = TYPE_CYCLE[i % len(TYPE_CYCLE)]
            gend = rng.choice("12")
            lo, hi = _age_range(psn_type, gend)
            birth = _birth(rng, lo, hi)
            while True:
                seq = rng.randrange(0, 500) * 2 + (1 if gend == "1" else 0)
                certno = make_certno(adm, birth, seq)
                if certno not in used_certnos:
                    used_certnos.add(certno)
                    break
            name = _name(rng, gend)
            insutype = "390" if psn_type in ("1403", "1501") else "310"
            if insutype == "310":
                insu_date = date(max(birth.year + rng.randint(19, 24), 1993), rng.randint(1, 12), 1)
                if psn_type.startswith("12"):
                    emp = f"{short}{rng.choice(COMPANY_WORDS)}有限公司(退休)"
                elif psn_type == "1102":
                    emp = f"{short}培训事务管理中心"
                elif psn_type == "1103":
                    emp = f"{short}灵活就业人员"
                else:
                    emp = f"{short}{rng.choice(COMPANY_WORDS)}{rng.choice(['有限公司', '股份有限公司'])}"
                balc = _money(rng, 300, 12000) if psn_type.startswith("12") else _money(rng, 0, 6000)
            else:
                insu_date = max(date(birth.year, birth.month, 1) + timedelta(days=40), date(2010, 1, 1))
                insu_date = date(insu_date.year, insu_date.month, 1)
                emp = f"{short}培训实验小学" if psn_type == "1403" else f"{short}城乡居民"
                balc = "0.00"
            card_issue = date(rng.randint(max(2017, birth.year + 1), 2024), rng.randint(1, 12), rng.randint(1, 28))
            person = {
                "psn_no": certno + "01", "certno": certno, "psn_cert_type": "01", "psn_name": name, "gend": gend,
                "naty": "01" if rng.random() < 0.92 else rng.choice(NATIONS_MINOR), "brdy": birth.isoformat(),
                "insuinfo": [{"insutype": insutype, "psn_type": psn_type, "psn_insu_stas": "1",
                              "psn_insu_date": insu_date.isoformat(), "paus_insu_date": None,
                              "cvlserv_flag": "1" if psn_type in ("1102", "1202") else "0",
                              "insuplc_admdvs": adm, "emp_name": emp, "balc": balc}],
                "idetinfo": [], "idet": [],
                "filing": {"type": "none", "admdvs": None, "begndate": None, "enddate": None},
                "chronic": [], "card": None, "ecqr": None, "ytd": {},
                "_card_issue": card_issue,
            }
            people.append(person)
    _assign_categories(rng, people)
    for p in people:
        adm = p["insuinfo"][0]["insuplc_admdvs"]
        issue = p.pop("_card_issue")
        expiry = _years_later(issue, 10)
        if p.get("_expired_card"):
            issue = date(2015, 5, 18)
            expiry = date(2025, 5, 18)
            del p["_expired_card"]
        while True:
            card = _card(rng, adm, p["certno"], p["psn_name"], issue, expiry)
            if card["card_no"] not in used_cards:
                used_cards.add(card["card_no"])
                break
        p["card"] = card
        while True:
            ecqr = _ecqr(rng, adm)
            if ecqr not in used_ecqr:
                used_ecqr.add(ecqr)
                break
        p["ecqr"] = ecqr
    return people


def _assign_categories(rng: random.Random, people: list[dict]) -> None:
    by_region: dict[str, list[dict]] = {}
    for p in people:
        by_region.setdefault(p["insuinfo"][0]["insuplc_admdvs"], []).append(p)

    def filing(p, kind, to_adm):
        if kind == "long_term":  # 异地长期居住/常驻: open-ended or several years
            begin = date(rng.randint(2021, 2025), rng.randint(1, 12), 1)
            end = None if rng.random() < 0.5 else date(rng.randint(2027, 2029), rng.choice([6, 12]), 30)
        else:  # 转诊: a few months around now
            begin = date(2026, rng.randint(9, 10), rng.randint(1, 28))
            end = begin + timedelta(days=rng.choice([120, 180]))
        p["filing"] = {"type": kind, "admdvs": to_adm, "begndate": begin.isoformat(),
                       "enddate": end.isoformat() if end else None}

    # Out-of-zone insured places: long-term residents in the zone (e.g. retirees living with children),
    # one referral each; zone insured places: a long-term filing to another zone region and a referral.
    for adm in ("110105", "340102", "420106"):
        group = by_region[adm]
        for p in group[:3]:
            filing(p, "long_term", rng.choice(ZONE_REGIONS))
        filing(group[3], "referral", rng.choice(ZONE_REGIONS))
    for adm in ZONE_REGIONS:
        group = by_region[adm]
        others = [z for z in ZONE_REGIONS if z != adm]
        filing(group[1], "long_term", rng.choice(others))   # a retiree (TYPE_CYCLE[1])
        filing(group[4], "long_term", rng.choice(others))
        filing(group[8], "referral", rng.choice(others))

    # Chronic-disease filings: the first retiree of each zone region, then about half of the adults ≥ 45.
    for adm in ZONE_REGIONS:
        _add_chronic(rng, by_region[adm][1], 2)
    for p in people:
        if not p["chronic"] and p["insuinfo"][0]["psn_type"] != "1403" and age_at(date.fromisoformat(p["brdy"])) >= 45:
            if rng.random() < 0.45:
                _add_chronic(rng, p, 1 if rng.random() < 0.7 else 2)

    # Suspended insurance (暂停参保): four adults, not the category anchors above.
    anchors = {id(by_region[a][i]) for a in ZONE_REGIONS for i in (1, 4, 8)}
    candidates = [p for p in people if p["insuinfo"][0]["psn_type"] != "1403" and id(p) not in anchors]
    for p in rng.sample(candidates, 4):
        info = p["insuinfo"][0]
        info["psn_insu_stas"] = "2"
        info["paus_insu_date"] = date(2026, rng.randint(1, 9), 1).isoformat()

    # Identity labels (medical assistance): residents only.
    residents = [p for p in people if p["insuinfo"][0]["insutype"] == "390" and p["insuinfo"][0]["psn_insu_stas"] == "1"]
    labels = ["low_income", "extreme_poverty", "disabled", "low_income", "special_care"]
    for p, label in zip(rng.sample(residents, len(labels)), labels, strict=True):
        begin = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-01"
        p["idetinfo"].append(_idet_row(label, begin))
        p["idet"].append(label)

    # One expired card for training (卡已过期).
    adults = [p for p in people if p["insuinfo"][0]["psn_insu_stas"] == "1" and p["brdy"] < "1990-01-01"]
    rng.choice(adults)["_expired_card"] = True

    # Year-to-date accumulations for about 40 % of the people.
    for p in people:
        if rng.random() < 0.4:
            p["ytd"] = {YEAR: _ytd(rng, p)}


def _add_chronic(rng: random.Random, p: dict, n: int) -> None:
    for code, name in rng.sample(CHRONIC_DISEASES, n):
        begin = date(rng.randint(2019, 2025), rng.randint(1, 12), 1)
        end = _years_later(begin, 5) - timedelta(days=1)
        if end < REF_DATE:
            end = date(2027, 12, 31)
        p["chronic"].append({"opsp_dise_code": code, "opsp_dise_name": name, "begndate": begin.isoformat(),
                             "enddate": end.isoformat()})


def _ytd(rng: random.Random, p: dict) -> dict:
    info = p["insuinfo"][0]
    y: dict = {"dedc_paid": fmt2(Decimal(rng.choice([0, 80, 150, 300, 400, 600])))}
    if rng.random() < 0.4:
        inscp = Decimal(rng.randint(3000, 60000))
        y["admissions"] = rng.randint(1, 2)
        y["inscp_amt"] = fmt2(inscp)
        y["hifp_pay"] = fmt2(inscp * Decimal("0.78"))
        layer = "hifob" if info["insutype"] == "310" else "hifmi"
        y["layers"] = {layer: {"base_amt": fmt2(inscp * Decimal("0.18")), "paid": "0.00"}}
        if info["insutype"] == "390":
            y["seg_amt"] = fmt2(inscp * Decimal("0.95"))
    return y


# ------------------------------------------------------------------------------------------------
# pending HIS charges


class _HisBuilder:
    def __init__(self, seed: int, base_rows: list[dict]):
        self.rng = random.Random(f"{seed}:his")
        self.serial = 0
        self.by_region: dict[str, dict[str, dict]] = {}
        for r in base_rows:
            if r["vali_flag"] == "1":
                self.by_region.setdefault(r["admdvs"], {})[r["name"]] = r
        self.pool: dict[str, dict[str, list[dict]]] = {}
        for adm, items in self.by_region.items():
            groups: dict[str, list[dict]] = {}
            for r in items.values():
                groups.setdefault(self._group(r), []).append(r)
            for g in groups.values():
                g.sort(key=lambda r: r["med_list_codg"])
            self.pool[adm] = groups

    @staticmethod
    def _group(r: dict) -> str:
        t = r["med_chrgitm_type"]
        if t in ("09", "11"):
            return "inj" if r["unit"] in ("支", "袋", "瓶") and ("注射" in r["name"]) else "oral"
        return {"04": "lab", "03": "exam", "08": "consumable", "10": "herb"}.get(t, "other:" + t)

    def doctor(self, adm: str, dept: tuple[str, str]) -> dict:
        rng = self.rng
        gend = rng.choice("12")
        return {"bilg_dept_codg": dept[0], "bilg_dept_name": dept[1],
                "bilg_dr_codg": f"D{adm}{rng.randrange(10**6):06d}", "bilg_dr_name": _name(rng, gend)}

    def line(self, lines: list, row: dict | None, cnt: int | str, doc: dict, when: str, *, pric: str | None = None,
             code: str | None = None, name: str | None = None) -> None:
        price = Decimal(pric if pric is not None else row["pric"])
        amount = q2(price * Decimal(str(cnt)))
        hosp = {} if code is not None or row is None else {"medins_list_codg": his_code(row)}
        lines.append({"feedetl_sn": str(len(lines) + 1), "code": code or row["med_list_codg"], **hosp,
                      "name": name or row["name"], "cnt": str(cnt), "pric": fmt2(price),
                      "det_item_fee_sumamt": fmt2(amount), "fee_ocur_time": when, **doc})

    def visit_no(self, ipt: bool, inst: dict, day: date) -> str:
        self.serial += 1
        return f"{'ZY' if ipt else 'MZ'}{inst['fixmedins_code'][1:7]}{day:%Y%m%d}{self.serial:04d}"

    def outpatient(self, person: dict, inst: dict, med_type: str, day: date, *, off_catalog: bool) -> dict:
        rng = self.rng
        adm = inst["admdvs"]
        items = self.by_region[adm]
        when = f"{day.isoformat()} {rng.randint(8, 16):02d}:{rng.randint(0, 59):02d}:00"
        pupil = person["insuinfo"][0]["psn_type"] == "1403"
        chronic_visit = med_type == "14" and bool(person["chronic"])
        templates = [t for t in VISIT_TEMPLATES if (t[0] == "E") == (med_type == "13") and (not pupil or t[1])]
        template = None if chronic_visit else rng.choice(templates)
        if med_type == "13":
            dept = EMERGENCY_DEPT
        elif pupil:
            dept = ("A07", "儿科")
        elif template is not None and template[2][0] in TEMPLATE_DEPTS:
            dept = TEMPLATE_DEPTS[template[2][0]]
        else:
            dept = rng.choice(DEPARTMENTS[:2])
        doc = self.doctor(adm, dept)
        lines: list[dict] = []
        dise = ("J06.900", "急性上呼吸道感染")
        if med_type == "13":
            self.line(lines, items["急诊诊查费"], 1, doc, when)
        else:
            self.line(lines, items[rng.choice(["普通门诊诊查费", "普通门诊诊查费", "副主任医师门诊诊查费", "主任医师门诊诊查费"])], 1, doc, when)
        if rng.random() < 0.3:
            self.line(lines, items["挂号费"], 1, doc, when)
        if template is None:
            chronic = person["chronic"][0]
            dise = (chronic["opsp_dise_code"], chronic["opsp_dise_name"])
            names = [n for n in CHRONIC_DRUGS[chronic["opsp_dise_code"]] if n in items]
            for n in rng.sample(names, min(len(names), rng.randint(2, 3))):
                self.line(lines, items[n], rng.randint(2, 4) if items[n]["unit"] != "粒" else 28, doc, when)
            self.line(lines, items[rng.choice(["空腹血糖测定", "糖化血红蛋白测定", "肾功能(组合)", "血脂四项"])], 1, doc, when)
            if chronic["opsp_dise_code"] == "M07801":
                for n, c in [("血液透析", 1), ("肝素钠注射液", 1), ("一次性使用无菌注射器", 2)]:
                    self.line(lines, items[n], c, doc, when)
        else:
            _, _, dise, drugs, tests, extras = template
            present = [n for n in drugs if n in items]
            for n in rng.sample(present, min(len(present), rng.randint(1, 3))):
                r = items[n]
                if r["list_type"] == "102":  # 中药饮片: grams per dose × 7 doses
                    cnt = rng.choice([10, 12, 15, 20]) * 7
                elif r["unit"] == "粒":
                    cnt = rng.choice([12, 18, 24])
                else:
                    cnt = 1 if pupil else rng.randint(1, 3)
                self.line(lines, r, cnt, doc, when)
            for n in rng.sample(tests, min(len(tests), rng.randint(0, 2))):
                if n in items:
                    self.line(lines, items[n], 1, doc, when)
            for n, c in extras:
                if n in items and (med_type == "13" or rng.random() < 0.5):
                    self.line(lines, items[n], c, doc, when)
        if len(lines) < 3:
            have = {ln["name"] for ln in lines}
            self.line(lines, items["挂号费" if "挂号费" not in have else "一般诊疗费"], 1, doc, when)
        del lines[11:]
        if off_catalog:
            code, name, pric = rng.choice(OFF_CATALOG)
            self.line(lines, None, 1, doc, when, pric=pric, code=code, name=name)
        return {"ipt_otp_no": self.visit_no(False, inst, day), "med_type": med_type, "begntime": when,
                "fixmedins_code": inst["fixmedins_code"], "mdtrtarea_admvs": adm,
                "dise_codg": dise[0], "dise_name": dise[1], "lines": lines}

    def inpatient(self, person: dict, inst: dict, day: date, *, min_lines: int = 60, max_lines: int = 200) -> dict:
        rng = self.rng
        adm = inst["admdvs"]
        items, groups = self.by_region[adm], self.pool[adm]
        surgical = rng.random() < 0.5
        dept = ("A04", "外科") if surgical else ("A03", "内科")
        doc = self.doctor(adm, dept)
        days = rng.randint(7, 16)
        lines: list[dict] = []
        t0 = f"{day.isoformat()} 10:00:00"
        for n in ["血常规(全血细胞计数+五分类)", "尿常规", "肝功能(组合)", "肾功能(组合)", "电解质(钾钠氯)测定",
                  "凝血四项", "C反应蛋白测定", "胸部X线摄影(DR)", "常规心电图检查"]:
            self.line(lines, items[n], 1, doc, t0)
        if surgical:
            op = rng.choice(["阑尾切除术", "腹腔镜下胆囊切除术", "腹股沟疝修补术"])
            dise = {"阑尾切除术": ("K35.800", "急性阑尾炎"), "腹腔镜下胆囊切除术": ("K80.100", "胆囊结石伴慢性胆囊炎"),
                    "腹股沟疝修补术": ("K40.900", "腹股沟疝")}[op]
            t_op = f"{(day + timedelta(days=1)).isoformat()} 09:00:00"
            for n, c in [(op, 1), ("全身麻醉", 2), ("可吸收缝合线", 2), ("医用纱布块", 10), ("一次性使用导尿包", 1)]:
                self.line(lines, items[n], c, doc, t_op)
            if op == "腹腔镜下胆囊切除术":
                self.line(lines, items["一次性使用腹腔镜穿刺器"], 3, doc, t_op)
        else:
            dise = rng.choice([("J18.900", "肺炎"), ("I50.900", "心力衰竭"), ("J44.100", "慢性阻塞性肺病伴急性加重")])
        inj = [r for r in groups["inj"] if r["chrgitm_lv"] != "03"]
        drugs = rng.sample(inj, 3)
        oral = rng.sample(groups["oral"], 3)
        for d in range(days):
            when = f"{(day + timedelta(days=d)).isoformat()} 08:00:00"
            daily = [(items["普通病房床位费(三人间)"] if rng.random() < 0.8 else items["普通病房床位费(双人间)"], 1),
                     (items["二级护理"] if d else items["一级护理"], 1), (items["住院诊查费"], 1)]
            if d < days - 2:
                daily += [(items["静脉输液"], 1), (items["0.9%氯化钠注射液"], rng.randint(1, 2)),
                          (drugs[d % 3], rng.randint(1, 2)), (items["一次性使用输液器"], 1),
                          (items["一次性使用无菌注射器"], 2)]
            else:
                daily.append((oral[d % 3], 1))
            if d % 3 == 1:
                daily.append((items["换药(小)"] if surgical else items["雾化吸入"], 1))
            for r, c in daily:
                self.line(lines, r, c, doc, when)
        for n in ["血常规(全血细胞计数+五分类)", "C反应蛋白测定"]:
            self.line(lines, items[n], 1, doc, f"{(day + timedelta(days=days - 1)).isoformat()} 07:30:00")
        while len(lines) < min_lines:
            when = f"{(day + timedelta(days=rng.randrange(days))).isoformat()} 14:00:00"
            self.line(lines, rng.choice(groups["consumable"][:15]), 1, doc, when)
        del lines[max_lines:]
        end = day + timedelta(days=days)
        return {"ipt_otp_no": self.visit_no(True, inst, day), "med_type": "21", "begntime": t0,
                "endtime": f"{end.isoformat()} 10:00:00", "fixmedins_code": inst["fixmedins_code"],
                "mdtrtarea_admvs": adm, "dise_codg": dise[0], "dise_name": dise[1], "lines": lines}


def _fixed_visits(h: _HisBuilder) -> dict[str, list[dict]]:
    """Hand-made pending charges of the fixed people (do not depend on the seed's choices of lines)."""
    qp, wj, js = (INSTITUTION_BY_REGION[a] for a in ZONE_REGIONS)
    out: dict[str, list[dict]] = {}

    def visit(inst, med_type, day, when, dept, dr, dise, spec):
        items = h.by_region[inst["admdvs"]]
        doc = {"bilg_dept_codg": dept[0], "bilg_dept_name": dept[1], "bilg_dr_codg": dr[0], "bilg_dr_name": dr[1]}
        lines: list[dict] = []
        for name_or_code, cnt, pric in spec:
            if name_or_code in OFF_CATALOG_CODES:
                name = next(n for c, n, _ in OFF_CATALOG if c == name_or_code)
                h.line(lines, None, cnt, doc, when, pric=pric, code=name_or_code, name=name)
            else:
                h.line(lines, items[name_or_code], cnt, doc, when, pric=pric)
        h.serial += 1
        return {"ipt_otp_no": f"{'ZY' if med_type == '21' else 'MZ'}{inst['fixmedins_code'][1:7]}{day:%Y%m%d}9{h.serial:03d}",
                "med_type": med_type, "begntime": when, "fixmedins_code": inst["fixmedins_code"],
                "mdtrtarea_admvs": inst["admdvs"], "dise_codg": dise[0], "dise_name": dise[1], "lines": lines}

    d = date(2026, 11, 20)
    # 沈明 (Jiashan employee) at the Qingpu hospital: the bill of spec example 01 (zone-exempt outpatient).
    out["330421198503150016"] = [
        visit(qp, "11", d, "2026-11-20 09:12:00", ("A03", "内科"), ("D310118000101", "周建华"),
              ("J06.900", "急性上呼吸道感染"),
              [("头孢克洛胶囊", 24, "3.10"), ("复方丹参滴丸", 2, "26.50"), ("普通门诊诊查费", 1, "25.00"),
               ("血清维生素D测定", 1, "88.00"), ("一次性使用无菌注射器", 6, "0.65"),
               ("LOCAL-NOT-IN-CATALOG", 1, "12.00")]),
    ]
    # 陆秀英 (Wujiang retiree) with chronic filings: chronic outpatient in Jiashan (zone) and an admission at home.
    lu = [visit(js, "14", d, "2026-11-20 10:05:00", ("A03", "内科"), ("D330421000204", "钱丽华"),
                ("M03900", "高血压"),
                [("普通门诊诊查费", 1, None), ("苯磺酸氨氯地平片", 3, None), ("缬沙坦胶囊", 2, None),
                 ("盐酸二甲双胍片", 4, None), ("糖化血红蛋白测定", 1, None)])]
    lu_person = {"insuinfo": [{"psn_type": "1201"}], "chronic": []}
    rng_state = h.rng.getstate()
    h.rng = random.Random("medsettle-fixed-visit:320509195207080020")
    lu.append(h.inpatient(lu_person, wj, date(2026, 11, 9), min_lines=80, max_lines=120))
    h.rng.setstate(rng_state)
    out["320509195207080020"] = lu
    # 张伟 (Qingpu employee): emergency in Wujiang.
    out["310118199001010036"] = [
        visit(wj, "13", d, "2026-11-20 22:40:00", EMERGENCY_DEPT, ("D320509000318", "吴志刚"),
              ("R10.400", "腹痛"),
              [("急诊诊查费", 1, None), ("血常规(全血细胞计数+五分类)", 1, None), ("腹部B超", 1, None),
               ("静脉输液", 1, None), ("0.9%氯化钠注射液", 2, None), ("注射用奥美拉唑钠", 1, None),
               ("一次性使用输液器", 1, None), ("一次性使用无菌注射器", 2, None)]),
    ]
    # 王芳 (Beijing employee, no filing): outpatient in Qingpu — cross-province unfiled, reduced ratio.
    out["110105197804120046"] = [
        visit(qp, "11", d, "2026-11-20 14:20:00", ("A02", "全科医疗科"), ("D310118000122", "陈晓燕"),
              ("K29.700", "胃炎"),
              [("普通门诊诊查费", 1, None), ("奥美拉唑肠溶胶囊", 2, None), ("铝碳酸镁咀嚼片", 1, None),
               ("C反应蛋白测定", 1, None)]),
    ]
    # 顾子涵 (Jiashan pupil, resident scheme): at home in Jiashan and in Wujiang (zone).
    out["330421201706010050"] = [
        visit(js, "11", d, "2026-11-20 08:45:00", ("A07", "儿科"), ("D330421000157", "孙思琪"),
              ("J06.900", "急性上呼吸道感染"),
              [("普通门诊诊查费", 1, None), ("血常规(全血细胞计数+五分类)", 1, None), ("板蓝根颗粒", 1, None),
               ("盐酸氨溴索片", 1, None)]),
        visit(wj, "11", date(2026, 11, 21), "2026-11-21 15:30:00", ("A07", "儿科"), ("D320509000233", "黄婷"),
              ("J20.900", "急性支气管炎"),
              [("普通门诊诊查费", 1, None), ("雾化吸入", 1, None), ("一次性使用雾化器", 1, None),
               ("HXM20260002", 1, "20.00")]),
    ]
    # 周丽 (Qingpu resident, no personal account) at home: the standard counter case of the cashier
    # guide — one clean outpatient bill (no 事前提醒) paid in cash with change. Numbered 9099 on its
    # own: the shared serial is left as it was, so the generated bills keep their numbers.
    serial, h.serial = h.serial, 98
    out["310118196804120067"] = [
        visit(qp, "11", d, "2026-11-20 09:40:00", ("A03", "内科"), ("D310118000101", "周建华"),
              ("J06.900", "急性上呼吸道感染"),
              [("普通门诊诊查费", 1, "25.00"), ("血常规(全血细胞计数+五分类)", 1, "24.75"), ("板蓝根颗粒", 1, "12.38"),
               ("盐酸氨溴索片", 1, "6.73")]),
    ]
    h.serial = serial
    return out


HIS_CODE_PREFIX = {"101": "YP", "102": "ZY", "103": "ZJ", "201": "ZL", "301": "HC"}
MAPPING_HEADER = ["院内编码", "院内名称", "医保编码", "目录类别", "规格", "计价单位", "单价"]


def his_code(row: dict) -> str:
    """The demo HIS's own code of a catalogue item (its 院内编码): a kind prefix (YP 药品, ZY 饮片, ZL 诊疗,
    HC 耗材) and six digits derived from the national code, the same in every training hospital."""
    return HIS_CODE_PREFIX.get(row.get("list_type") or "", "QT") + f"{zlib.crc32(row['med_list_codg'].encode()) % 10**6:06d}"


def mapping_rows(fixmedins_code: str, seed: int = DEFAULT_SEED) -> list[list[str]]:
    """The demo HIS's item list of one training hospital as IT would export it for 目录对照
    (``medsettle mapping import``): header + one row per valid catalogue item of its region."""
    inst = next(i for i in FIXED_INSTITUTIONS if i["fixmedins_code"] == fixmedins_code)
    rows = sorted((r for r in _base_rows(seed) if r["admdvs"] == inst["admdvs"] and r["vali_flag"] == "1"),
                  key=his_code)
    return [MAPPING_HEADER] + [[his_code(r), r["name"], r["med_list_codg"], r["list_type"], r.get("spec") or "",
                                r.get("unit") or "", r.get("pric") or ""] for r in rows]


def write_mapping_csv(path, fixmedins_code: str, seed: int = DEFAULT_SEED) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(mapping_rows(fixmedins_code, seed))


def _his_charges(seed: int, base_rows: list[dict], people: list[dict]) -> dict[str, list[dict]]:
    h = _HisBuilder(seed, base_rows)
    charges = _fixed_visits(h)
    rng = h.rng
    inpatient_budget = 5
    for p in people:
        if p["certno"] in charges:
            continue
        if rng.random() < 0.12:  # some people have nothing pending
            continue
        info = p["insuinfo"][0]
        adm = info["insuplc_admdvs"]
        fil = p["filing"]
        if fil["type"] in ("long_term", "referral") and fil["admdvs"] in ZONE_REGIONS:
            home = fil["admdvs"]
        elif adm in ZONE_REGIONS:
            home = adm if rng.random() < 0.5 else rng.choice([z for z in ZONE_REGIONS if z != adm])
        elif adm.startswith("31"):
            home = "310118"
        elif adm.startswith("32"):
            home = "320509"
        else:
            home = rng.choice(ZONE_REGIONS)
        inst = INSTITUTION_BY_REGION[home]
        visits = []
        for n in range(1 if rng.random() < 0.6 else 2):
            day = date(2026, 11, rng.randint(16, 21))
            if n == 0 and inpatient_budget and info["psn_type"] in ("1201", "1202", "1501") and fil["type"] != "none":
                inpatient_budget -= 1
                visits.append(h.inpatient(p, inst, date(2026, 11, rng.randint(3, 8))))
                continue
            med_type = "14" if p["chronic"] and rng.random() < 0.6 else ("13" if rng.random() < 0.15 else "11")
            visits.append(h.outpatient(p, inst, med_type, day, off_catalog=rng.random() < 0.15))
        charges[p["certno"]] = visits
    return charges


# ------------------------------------------------------------------------------------------------
# policy bundles and the whole data set


# In-stay patients of the demo HIS (``POST /his/api/stayFees``): fees that arise day by day during an
# admission, for the deposit / daily upload / mid-stay settlement flow (client.services.inpatient).
# Days are offsets from the admission day: the HIS serves day k at (today − (days − 1) + k), so the
# stay is always "in progress" whatever the date (training convention, docs/demo-data.md).
# 张伟 (Qingpu employee) at the Qingpu training hospital, 5 days, 外科 (腹腔镜下胆囊切除术 on day 2).
STAY_SPECS = {
    "310118199001010036": {
        "fixmedins_code": "H31011800001", "admdvs": "310118", "ipt_no": "ZY3101182026ST01", "med_type": "21",
        "dept": ("A04", "外科"), "bed": "07", "dr": ("D310118000207", "韩立新"), "dise": ("K80.100", "胆囊结石伴慢性胆囊炎"),
        "days": [
            ("10:00:00", [("血常规(全血细胞计数+五分类)", 1), ("胸部X线摄影(DR)", 1), ("普通病房床位费(三人间)", 1),
                          ("一级护理", 1), ("住院诊查费", 1), ("血清维生素D测定", 1)]),
            ("09:00:00", [("腹腔镜下胆囊切除术", 1), ("全身麻醉", 2), ("可吸收缝合线", 2),
                          ("普通病房床位费(双人间)", 1), ("二级护理", 1), ("住院诊查费", 1)]),
            ("08:00:00", [("普通病房床位费(三人间)", 1), ("二级护理", 1), ("住院诊查费", 1), ("换药(小)", 1),
                          ("静脉输液", 1), ("0.9%氯化钠注射液", 2), ("注射用头孢曲松钠", 2), ("一次性使用输液器", 1)]),
            ("08:00:00", [("普通病房床位费(三人间)", 1), ("二级护理", 1), ("住院诊查费", 1),
                          ("静脉输液", 1), ("0.9%氯化钠注射液", 2), ("注射用头孢曲松钠", 2), ("一次性使用输液器", 1)]),
            ("07:30:00", [("血常规(全血细胞计数+五分类)", 1), ("C反应蛋白测定", 1), ("普通病房床位费(三人间)", 1),
                          ("二级护理", 1), ("住院诊查费", 1)]),
        ],
    },
}


def _his_stays(base_rows: list[dict]) -> dict[str, list[dict]]:
    """The demo HIS's in-stay patients: per certno, stays with their fee lines per day offset (each line
    as a pending bill's line, ``fee_ocur_time`` = "D<k> HH:MM:SS", dated when served)."""
    out: dict[str, list[dict]] = {}
    for certno, spec in STAY_SPECS.items():
        items = {r["name"]: r for r in base_rows if r["admdvs"] == spec["admdvs"] and r["vali_flag"] == "1"}
        doc = {"bilg_dept_codg": spec["dept"][0], "bilg_dept_name": spec["dept"][1], "bilg_dr_codg": spec["dr"][0],
               "bilg_dr_name": spec["dr"][1]}
        days, sn = [], 0
        for k, (at, lines) in enumerate(spec["days"]):
            day = []
            for name, cnt in lines:
                r = items[name]
                sn += 1
                price = Decimal(r["pric"])
                day.append({"feedetl_sn": f"{spec['ipt_no']}-{sn:03d}", "code": r["med_list_codg"], "name": r["name"],
                            "cnt": str(cnt), "pric": fmt2(price), "det_item_fee_sumamt": fmt2(q2(price * cnt)),
                            "fee_ocur_time": f"D{k} {at}", **doc})
            days.append(day)
        out[certno] = [{"ipt_no": spec["ipt_no"], "med_type": spec["med_type"], "fixmedins_code": spec["fixmedins_code"],
                        "mdtrtarea_admvs": spec["admdvs"], "adm_time": "D0 09:30:00", "dept_code": spec["dept"][0],
                        "dept_name": spec["dept"][1], "bed": spec["bed"], "dr_code": spec["dr"][0],
                        "dr_name": spec["dr"][1], "dise_codg": spec["dise"][0], "dise_name": spec["dise"][1],
                        "days": days}]
    return out


def load_policy_bundles() -> dict[str, dict]:
    """policy-bundle/1 documents from resources/policies/*.json, keyed by insured region."""
    out = {}
    for path in sorted(resource("policies").glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        out[bundle["insuplc_admdvs"]] = bundle
    return out


def generate(seed: int = DEFAULT_SEED, catalog_size: int | None = None) -> dict:
    """The whole training data set for ``seed`` (see the module docstring and docs/demo-data.md)."""
    fixed = _fixed_people()
    used_certnos = {p["certno"] for p in fixed}
    used_ecqr = {p["ecqr"] for p in fixed}
    used_cards = {p["card"]["card_no"] for p in fixed}
    people = fixed + _generated_people(seed, used_certnos, used_ecqr, used_cards)
    base = _base_rows(seed)
    catalog = list(iter_catalog(seed, catalog_size))
    return {
        "institutions": [dict(i) for i in FIXED_INSTITUTIONS],
        "people": people,
        "catalog": catalog,
        "his_charges": _his_charges(seed, base, people),
        "his_stays": _his_stays(base),
        "policy_bundles": load_policy_bundles(),
        "einvoice": {k: dict(v) for k, v in EINVOICE.items()},
    }


# ------------------------------------------------------------------------------------------------
# command line: export the data set, render the fixed people's e-voucher QR codes


def write_json(path, seed: int = DEFAULT_SEED, catalog_size: int | None = None) -> None:
    """Write the data set as UTF-8 JSON (atomic: a temporary file renamed into place)."""
    import os
    from pathlib import Path

    path = Path(path)
    data = generate(seed, catalog_size)  # before touching the disk: bad arguments leave nothing behind
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def render_qr_images(out_dir, dpi: int = 150) -> list:
    """Render each fixed person's training e-voucher QR (with name and payload) to ``<certno>-ecqr.png``.

    Draws a PDF with reportlab's QR widget, then converts it with poppler's ``pdftoppm``."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if shutil.which("pdftoppm") is None:
        raise RuntimeError("未找到 pdftoppm（poppler-utils），无法生成二维码图片；请先安装 poppler-utils。")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    font = "WQY"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(resource("fonts", "wqy-microhei.ttc")), subfontIndex=0))
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for p in _fixed_people():
            pdf = Path(tmp) / f"{p['certno']}.pdf"
            w, h = 70 * mm, 88 * mm
            c = canvas.Canvas(str(pdf), pagesize=(w, h))
            c.setFont(font, 12)
            c.drawCentredString(w / 2, h - 9 * mm, f"医保电子凭证（培训） {p['psn_name']}")
            qr = QrCodeWidget(p["ecqr"], barLevel="M")
            x0, y0, x1, y1 = qr.getBounds()
            size = 56 * mm
            d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
            d.add(qr)
            renderPDF.draw(d, c, (w - size) / 2, 16 * mm)
            c.setFont(font, 6.5)
            c.drawCentredString(w / 2, 11 * mm, p["ecqr"])
            c.drawCentredString(w / 2, 6 * mm, "TRAINING DATA 培训数据 — 不能用于真实就医结算")
            c.showPage()
            c.save()
            stem = out_dir / f"{p['certno']}-ecqr"
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(pdf), str(stem)],
                           check=True, capture_output=True)
            written.append(stem.with_suffix(".png"))
    return written


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m training_platform.demo", description="培训演示数据（TRAINING DATA）")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--catalog-size", type=int, default=None, help="目录总条数（默认约 650 条真实样式目录）")
    ap.add_argument("--out", help="把整套数据写成 JSON 文件")
    ap.add_argument("--qr", metavar="DIR", help="把 5 名固定培训人员的电子凭证二维码生成 PNG 到该目录")
    args = ap.parse_args(argv)
    if not args.out and not args.qr:
        ap.error("请指定 --out 或 --qr")
    try:
        if args.out:
            write_json(args.out, args.seed, args.catalog_size)
            print(args.out)
        if args.qr:
            for path in render_qr_images(args.qr):
                print(path)
    except (ValueError, RuntimeError, OSError) as e:
        print(f"生成失败：{e}", flush=True)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def opsp_drug_list_doc() -> dict:
    """The training 门诊慢特病 drug lists (client.domain.opsp, format opsp-drug-list/1) from CHRONIC_DRUGS:
    each disease's drugs by their training national codes. Written to
    resources/opsp-drug-list.training.json (written by hand with ``opsp_drug_list_text()``;
    tests/unit/test_opsp.py checks that the file equals this)."""
    code_of = {item[2]: _item_code(idx, item) for idx, item in enumerate(cat.ITEMS)}
    names = dict(CHRONIC_DISEASES)
    return {"format": "opsp-drug-list/1", "admdvs": "*",
            "note": "TRAINING DATA — 培训数据：慢特病用药目录为培训示例，不是官方目录。",
            "diseases": {code: {"name": names[code], "codes": [code_of[n] for n in drugs]}
                         for code, drugs in CHRONIC_DRUGS.items()}}


def opsp_drug_list_text() -> str:
    return json.dumps(opsp_drug_list_doc(), ensure_ascii=False, indent=1) + "\n"
