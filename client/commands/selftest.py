"""`medsettle selftest`: prove that an installation works, without a display and without a site file.

    medsettle selftest [--data DIR] [--keep]

Checks, one line each (``✓`` passed / ``✗`` failed, in Chinese), exit 0 only when all pass:

1. **资源文件** — the bundled resources (font, policies, e-invoice schema) are where
   :func:`client.resources.resource` says (``sys._MEIPASS`` in the frozen build).
2. **本机数据库** — :func:`offline_cache.store.open_store` creates a store in a temporary directory
   (Alembic migrations loaded from disk), writes and reads back a row, ``quick_check``.
   With ``--data DIR`` the store of that data directory is opened instead (migrated to the current
   schema if needed, with the automatic pre-upgrade backup) and only read.
3. **二维码识别** — a QR code encoded with ReportLab's ``qrencoder`` is drawn into a PIL image and
   decoded with :func:`client.devices.qr.decode_image` (pyzbar → libzbar, bundled).
4. **培训平台结算** — an embedded training platform (``EmbeddedPlatform``) on a free loopback port:
   9001 sign-in, 1101 for 沈明 (330421198503150016, insured in Jiashan, treated in Qingpu),
   2201 → 2204 → 2206 → 2207 through :class:`client.api.CentralClient`, then the setlinfo
   identities (fund parts add up, ``psn_part_amt = acct_pay + psn_cash_pay``, 2207 = 2206 …).
5. **票据打印** — :func:`client.printing.documents.render_form` renders the settlement form of that
   settlement (or of a built-in record when step 4 failed) to a temporary PDF; the file must be a
   PDF whose only font is the embedded WenQuanYi subset (``/FontFile2``), never a standard font.

Nothing here touches Qt. The temporary directory is removed unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1

TEST_CERTNO = "330421198503150016"   # 沈明, insured in 嘉善 330421 (training demo person)
TEST_NAME = "沈明"
TRAINING_CODE = "H31011800001"       # 上海市青浦区培训医院 (Qingpu 310118)
QR_PAYLOAD = "4243754826492874240001130000"  # the 28-digit e-voucher code of reference §6
FEE = Decimal("800.00")          # 32 × 25.00: above the 600.00 deductible, so the fund pays a part


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "selftest", parents=[common], help="安装自检：数据库、二维码、培训平台结算、票据打印（无需显示器）",
        description="安装自检（无需显示器、无需站点配置）。全部通过时退出码为 0，否则为 1。")
    p.add_argument("--keep", action="store_true", help="保留自检用的临时目录（排查问题时使用）")
    p.set_defaults(func=run)


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0


@dataclass
class _State:
    work: Path
    data_dir: Path | None
    settlement: dict | None = None
    notes: list[str] = field(default_factory=list)


class CheckFailed(Exception):
    """A check did not pass; the message is Chinese and says what was wrong."""


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------

def check_resources(st: _State) -> str:
    from client.resources import resource, resources_dir

    needed = [("fonts", "wqy-microhei.ttc"), ("schemas", "einvoice.xsd"), ("policies", "330421.json"),
              ("policies", "310118.json"), ("config", "site.example.toml")]
    missing = [str(resource(*p)) for p in needed if not resource(*p).is_file()]
    if missing:
        raise CheckFailed("缺少资源文件：" + "、".join(missing) + "。请重新安装 MedSettle。")
    from offline_cache.store import MIGRATIONS_DIR

    versions = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    if not versions:
        raise CheckFailed(f"缺少数据库升级脚本（{MIGRATIONS_DIR}）。请重新安装 MedSettle。")
    return f"{resources_dir()}（数据库升级脚本 {len(versions)} 个）"


def check_store(st: _State) -> str:
    from sqlalchemy import text

    from offline_cache.errors import StoreError
    from offline_cache.store import head_revision, open_store

    if st.data_dir is not None:
        path = st.data_dir / "medsettle.sqlite3"
        try:
            store = open_store(path, create=False)
        except StoreError as exc:
            raise CheckFailed(exc.message) from None
        try:
            with store.read_connection() as c:
                problems = [r[0] for r in c.exec_driver_sql("PRAGMA quick_check").fetchall()]
                n = c.execute(text("SELECT count(*) FROM settlements")).scalar_one()
        finally:
            store.close()
        if problems != ["ok"]:
            raise CheckFailed(f"数据库完整性检查未通过：{'; '.join(problems[:3])}")
        extra = f"，升级前已自动备份到 {store.auto_backup}" if store.auto_backup else ""
        return f"{path}（版本 {store.revision}，结算记录 {n} 条{extra}）"

    path = st.work / "store" / "medsettle.sqlite3"
    try:
        store = open_store(path)
    except StoreError as exc:
        raise CheckFailed(exc.message) from None
    try:
        if store.revision != head_revision():
            raise CheckFailed(f"数据库版本 {store.revision} 不是最新版本 {head_revision()}")
        with store.connection() as c:
            c.execute(text("INSERT INTO persons(psn_no, certno, psn_name, insuinfo_json, idetinfo_json, fetched_at) "
                           "VALUES (:p, :c, :n, '[]', '[]', CURRENT_TIMESTAMP)"),
                      {"p": "SELFTEST0001", "c": TEST_CERTNO, "n": TEST_NAME})
        with store.read_connection() as c:
            name = c.execute(text("SELECT psn_name FROM persons WHERE psn_no = 'SELFTEST0001'")).scalar_one()
            problems = [r[0] for r in c.exec_driver_sql("PRAGMA quick_check").fetchall()]
            mode = c.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    finally:
        store.close()
    if name != TEST_NAME:
        raise CheckFailed(f"写入后读回的数据不一致（{name!r}）")
    if problems != ["ok"]:
        raise CheckFailed(f"数据库完整性检查未通过：{'; '.join(problems[:3])}")
    return f"新建、升级到版本 {store.revision}、写入并读回成功（{mode}）"


def qr_image(payload: str, scale: int = 6, border: int = 4):
    """A PIL image of ``payload`` encoded with ReportLab's pure-Python QR encoder."""
    from PIL import Image
    from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel

    qr = QRCode(None, QRErrorCorrectLevel.M)
    qr.addData(payload)
    qr.make()
    n = qr.getModuleCount()
    size = (n + 2 * border) * scale
    img = Image.new("L", (size, size), 255)
    px = img.load()
    for r in range(n):
        for c in range(n):
            if qr.isDark(r, c):
                for dy in range(scale):
                    for dx in range(scale):
                        px[(c + border) * scale + dx, (r + border) * scale + dy] = 0
    return img


def check_qr(st: _State) -> str:
    from client.devices.qr import QrDecodeError, decode_image

    img = qr_image(QR_PAYLOAD)
    try:
        found = decode_image(img, ["QRCODE"])
    except QrDecodeError as exc:
        raise CheckFailed(exc.message) from None
    if found != [QR_PAYLOAD]:
        raise CheckFailed(f"识别结果不正确：{found!r}")
    import pyzbar.zbar_library as zl

    lib = getattr(zl, "_medsettle_loaded_from", "") or "系统 libzbar"
    return f"生成并识别电子凭证格式二维码成功（{lib}）"


def _sum(info: Any, *names: str) -> Decimal:
    total = Decimal("0.00")
    for n in names:
        v = getattr(info, n)
        total += v if v is not None else Decimal("0.00")
    return total


def check_identities(pre: Any, done: Any) -> list[str]:
    """Problems with the settlement identities of a 2207 setlinfo (and its agreement with 2206)."""
    s = done.setlinfo
    problems = []
    funds = _sum(s, "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
    if funds != s.fund_pay_sumamt:
        problems.append(f"基金分项合计 {funds} ≠ fund_pay_sumamt {s.fund_pay_sumamt}")
    if _sum(s, "fund_pay_sumamt", "psn_part_amt", "hosp_part_amt") != s.medfee_sumamt:
        problems.append(f"基金 + 个人负担 + 医院负担 ≠ 总费用 {s.medfee_sumamt}")
    if _sum(s, "acct_pay", "psn_cash_pay") != s.psn_part_amt:
        problems.append(f"个人账户 + 现金 ≠ 个人负担 {s.psn_part_amt}")
    parts = _sum(s, "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
    if parts != s.medfee_sumamt:
        problems.append(f"全自费 + 超限价 + 先行自付 + 范围内 = {parts} ≠ 总费用 {s.medfee_sumamt}")
    for f in ("medfee_sumamt", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay"):
        if getattr(pre.setlinfo, f) != getattr(s, f):
            problems.append(f"{f}：预结算 {getattr(pre.setlinfo, f)} ≠ 结算 {getattr(s, f)}")
    return problems


def check_settlement(st: _State) -> str:
    from datetime import datetime

    from client.api import ApiError, ApiSettings, CentralClient, Operator, query_person_by_certno
    from client.api.transactions import FeeDetail, PreSettle, QueryHilist, Register, Settle, UploadFees
    from training_platform.server import EmbeddedPlatform

    op = Operator("T001", "培训收费员", "A03", "内科")
    platform = EmbeddedPlatform(st.work / "platform").start()
    client = None
    try:
        api = ApiSettings(base_url=platform.url, fixmedins_code=TRAINING_CODE, fixmedins_name="上海市青浦区培训医院",
                          mdtrtarea_admvs="310118", state_dir=st.work / "api", read_timeout=20.0)
        client = CentralClient(api)
        try:
            client.sign_in(op)
            person = client.send(query_person_by_certno(TEST_CERTNO), operator=op)
            if person.baseinfo.psn_name != TEST_NAME or not person.insuinfo:
                raise CheckFailed(f"1101 返回的人员信息不正确：{person.baseinfo.psn_name}")
            ins = person.insuinfo[0]
            adm = ins.insuplc_admdvs
            psn_no = person.baseinfo.psn_no
            page = client.send(QueryHilist(updt_time="2000-01-01 00:00:00", page_num=1, page_size=50), operator=op)
            items = [r for r in page.rows if r.get("chrgitm_lv") == "01"] or list(page.rows)
            if not items:
                raise CheckFailed("培训平台目录为空（1312 未返回任何项目）")
            item = items[0]
            now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            no = "SELFTEST" + datetime.now().strftime("%H%M%S")
            reg = client.send(Register(psn_no=psn_no, insutype=ins.insutype, begntime=now, mdtrt_cert_type="02",
                                       mdtrt_cert_no=TEST_CERTNO, ipt_otp_no=no, atddr_no="D001", dr_name="自检医生",
                                       dept_code="A03", dept_name="内科", caty="A03", insuplc_admdvs=adm),
                              operator=op)
            fee = FeeDetail(feedetl_sn=no + "01", mdtrt_id=reg.mdtrt_id, psn_no=psn_no, fee_ocur_time=now,
                            med_list_codg=item["hilist_code"], medins_list_codg="HIS-" + item["hilist_code"],
                            det_item_fee_sumamt=FEE, cnt=Decimal("32"), pric=Decimal("25.00"),
                            bilg_dept_codg="A03", bilg_dept_name="内科", bilg_dr_codg="D001", bilg_dr_name="自检医生",
                            chrg_bchno=no)
            up = client.send(UploadFees([fee], insuplc_admdvs=adm), operator=op)
            pre_req = PreSettle(psn_no=psn_no, mdtrt_cert_type="02", mdtrt_cert_no=TEST_CERTNO, med_type="11",
                                medfee_sumamt=FEE, psn_setlway="01", mdtrt_id=reg.mdtrt_id, chrg_bchno=no,
                                insutype=ins.insutype, insuplc_admdvs=adm)
            pre = client.send(pre_req, operator=op)
            msgid = client.new_msgid()
            done = client.send(Settle.from_presettle(pre_req, pre), operator=op, msgid=msgid)
        except ApiError as exc:
            raise CheckFailed(f"培训平台交易失败：{exc}") from None
        s = done.setlinfo
        problems = check_identities(pre, done)
        if s.medfee_sumamt != FEE:
            problems.append(f"总费用 {s.medfee_sumamt} ≠ {FEE}")
        if s.medins_setl_id != msgid:
            problems.append(f"medins_setl_id {s.medins_setl_id} ≠ 报文ID {msgid}")
        if not s.setl_id:
            problems.append("没有返回结算ID（setl_id）")
        if s.certno and s.certno != TEST_CERTNO:
            problems.append("结算结果的证件号码与参保人不一致")
        if problems:
            raise CheckFailed("结算结果不自洽：" + "；".join(problems))
        st.settlement = _record(person, reg, up, done, now)
        return (f"{TEST_NAME}（参保地 {adm}）门诊 {FEE} 元：基金 {s.fund_pay_sumamt}，个人账户 {s.acct_pay}，"
                f"现金 {s.psn_cash_pay}")
    finally:
        if client is not None:
            client.close()
        platform.stop()


def _m(d: Decimal | None) -> str:
    return f"{(d if d is not None else Decimal('0.00')):.2f}"


_SETL_FIELDS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                "act_pay_dedc", "hifp_pay", "pool_prop_selfpay", "cvlserv_pay", "hifes_pay", "hifmi_pay",
                "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
                "hosp_part_amt", "balc", "acct_mulaid_pay")


def _record(person: Any, reg: Any, up: Any, done: Any, when: str) -> dict:
    """The settlement record (docs/documents.md) of the self-test settlement."""
    s = done.setlinfo
    setl = {f: _m(getattr(s, f)) for f in _SETL_FIELDS}
    psn_part = s.psn_part_amt or Decimal("0.00")
    cap = (s.fulamt_ownpay_amt or Decimal("0.00")) + (s.overlmt_selfpay or Decimal("0.00"))
    self_cost = psn_part if psn_part < cap else cap
    lines = [{"feedetl_sn": r.feedetl_sn, "code": r.raw.get("med_list_codg", ""), "name": "自检项目", "spec": "",
              "unit": "次", "cnt": _m(r.cnt), "pric": _m(r.pric), "det_item_fee_sumamt": _m(r.det_item_fee_sumamt),
              "med_chrgitm_type": r.med_chrgitm_type or "14", "chrgitm_lv": r.chrgitm_lv,
              "fulamt_ownpay_amt": _m(r.fulamt_ownpay_amt), "overlmt_amt": _m(r.overlmt_amt),
              "preselfpay_amt": _m(r.preselfpay_amt), "inscp_scp_amt": _m(r.inscp_scp_amt)} for r in up.result]
    b = person.baseinfo
    ins = person.insuinfo[0]
    return {
        "institution": {"fixmedins_code": TRAINING_CODE, "fixmedins_name": "上海市青浦区培训医院", "admdvs": "310118",
                        "hosp_lv": "2"},
        "window": "selftest",
        "cashier": {"opter": "T001", "opter_name": "培训收费员"},
        "person": {"psn_name": b.psn_name, "certno": b.certno, "gend": b.gend, "insutype": ins.insutype,
                   "psn_type": ins.psn_type, "insuplc_admdvs": ins.insuplc_admdvs},
        "visit": {"med_type": "11", "ipt_otp_no": "SELFTEST", "mdtrt_id": reg.mdtrt_id, "begndate": when[:10],
                  "dept_name": "内科"},
        "setl_id": s.setl_id, "medins_setl_id": s.medins_setl_id, "setl_time": s.setl_time or when,
        "setlinfo": setl,
        "setldetail": [dict(d.raw) for d in done.setldetail],
        "invoice_split": {"self_cost": _m(self_cost), "self_pay": _m(psn_part - self_cost)},
        "lines": lines,
        "payments": [{"method": "cash", "amount": _m(s.psn_cash_pay)}],
        "einvoice": None,
        "flags": {"training": True, "offline": False, "reprint": False, "print_count": 1},
    }


def _fallback_record() -> dict:
    """A self-consistent built-in record, used when the settlement check did not produce one."""
    setl = {f: "0.00" for f in _SETL_FIELDS}
    setl.update({"medfee_sumamt": "25.00", "inscp_scp_amt": "25.00", "hifp_pay": "17.50", "fund_pay_sumamt": "17.50",
                 "psn_part_amt": "7.50", "psn_cash_pay": "7.50"})
    return {
        "institution": {"fixmedins_code": TRAINING_CODE, "fixmedins_name": "上海市青浦区培训医院", "admdvs": "310118",
                        "hosp_lv": "2"},
        "window": "selftest", "cashier": {"opter": "T001", "opter_name": "培训收费员"},
        "person": {"psn_name": TEST_NAME, "certno": TEST_CERTNO, "gend": "1", "insutype": "310",
                   "insuplc_admdvs": "330421"},
        "visit": {"med_type": "11", "ipt_otp_no": "SELFTEST", "mdtrt_id": "SELFTEST", "begndate": "2026-01-01"},
        "setl_id": "SELFTEST", "medins_setl_id": "SELFTEST", "setl_time": "2026-01-01 00:00:00",
        "setlinfo": setl, "setldetail": [], "invoice_split": {"self_cost": "0.00", "self_pay": "7.50"},
        "lines": [{"feedetl_sn": "1", "code": "SELFTEST", "name": "自检项目", "spec": "", "unit": "次", "cnt": "1",
                   "pric": "25.00", "det_item_fee_sumamt": "25.00", "med_chrgitm_type": "04", "chrgitm_lv": "01",
                   "fulamt_ownpay_amt": "0.00", "overlmt_amt": "0.00", "preselfpay_amt": "0.00",
                   "inscp_scp_amt": "25.00"}],
        "payments": [{"method": "cash", "amount": "7.50"}], "einvoice": None,
        "flags": {"training": True, "offline": False, "reprint": False, "print_count": 1},
    }


_BASEFONT_RE = re.compile(rb"/BaseFont\s*/([A-Za-z0-9+_.-]+)")


def pdf_font_problems(data: bytes) -> list[str]:
    """Problems with a PDF's fonts: every font must be an embedded TrueType subset (WenQuanYi)."""
    problems = []
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        problems.append("不是完整的 PDF 文件")
    names = sorted({m.decode("ascii") for m in _BASEFONT_RE.findall(data)})
    if not names:
        problems.append("PDF 中没有字体")
    foreign = [n for n in names if "WenQuanYi" not in n and "WQY" not in n]
    if foreign:
        problems.append("使用了未嵌入或非打印字体：" + "、".join(foreign))
    if names and b"/FontFile2" not in data:
        problems.append("字体没有嵌入（缺少 /FontFile2）")
    return problems


def check_receipt(st: _State) -> str:
    from client.printing.common import DocumentError
    from client.printing.documents import render_form

    record = st.settlement or _fallback_record()
    out = st.work / "selftest-form.pdf"
    try:
        render_form(record, out)
    except (DocumentError, FileNotFoundError) as exc:
        raise CheckFailed(str(exc)) from None
    data = out.read_bytes()
    problems = pdf_font_problems(data)
    if problems:
        raise CheckFailed("；".join(problems))
    what = "本次自检结算" if st.settlement else "内置样例（结算检查未通过）"
    if st.settlement is None:
        raise CheckFailed(f"票据可以生成，但{what}：请先解决上面的结算问题")
    names = sorted({m.decode() for m in _BASEFONT_RE.findall(data)})
    return f"{what}的结算单 {len(data) // 1024} KB，字体已嵌入（{'、'.join(names)}）"


def check_hospital_driver(st: _State) -> str:
    """Hospital mode can run from this build: the PostgreSQL driver loads (libpq) and the hospital
    store's migrations are present (no server is needed for this check)."""
    try:
        import psycopg
        from psycopg import pq

        from hospital_store.db import head_revision
    except ImportError as exc:
        raise CheckFailed(f"医院库驱动无法加载（{exc}）：本机不能使用医院库模式") from None
    return f"psycopg {psycopg.__version__}（libpq {pq.version()}），医院库结构版本 {head_revision()}"


CHECKS: list[tuple[str, Callable[[_State], str]]] = [
    ("资源文件", check_resources),
    ("本机数据库", check_store),
    ("医院库驱动", check_hospital_driver),
    ("二维码识别", check_qr),
    ("培训平台结算", check_settlement),
    ("票据打印", check_receipt),
]


def run_checks(work: Path, data_dir: Path | None = None,
               report: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run every check in ``work`` (a writable empty directory); returns the results in order."""
    st = _State(work=work, data_dir=data_dir)
    results = []
    for name, fn in CHECKS:
        t0 = time.perf_counter()
        try:
            detail = fn(st)
            ok = True
        except CheckFailed as exc:
            ok, detail = False, str(exc)
        except Exception as exc:  # noqa: BLE001 - a self-test reports every failure and goes on
            import logging

            logging.getLogger("medsettle.selftest").error("selftest %s failed:\n%s", name, traceback.format_exc())
            ok, detail = False, f"意外错误 {type(exc).__name__}: {exc}"
        r = CheckResult(name, ok, detail, time.perf_counter() - t0)
        results.append(r)
        if report is not None:
            report(r)
    return results


def _emit(text: str) -> None:
    """UTF-8 regardless of the console code page (✓/✗ and Chinese on a GBK console)."""
    out = sys.stdout
    buf = getattr(out, "buffer", None)
    out.flush()
    if buf is not None:
        buf.write(text.encode("utf-8"))
        buf.flush()
    else:
        out.write(text)
        out.flush()


def run(args: argparse.Namespace) -> int:
    from client import __version__

    data_dir = Path(args.data) if getattr(args, "data", None) else None
    frozen = "（安装版）" if getattr(sys, "frozen", False) else "（源码运行）"
    _emit(f"MedSettle {__version__} 安装自检{frozen}\n")
    work = Path(tempfile.mkdtemp(prefix="medsettle-selftest-"))
    try:
        def report(r: CheckResult) -> None:
            mark = "✓" if r.ok else "✗"
            _emit(f"{mark} {r.name}：{r.detail}（{r.seconds:.1f} 秒）\n")

        results = run_checks(work, data_dir, report)
    finally:
        if getattr(args, "keep", False):
            _emit(f"临时目录已保留：{work}\n")
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = [r for r in results if not r.ok]
    if failed:
        _emit(f"自检未通过：{len(failed)} 项失败（{'、'.join(r.name for r in failed)}）。"
              "请把以上输出和 `medsettle diag` 生成的诊断包发给信息科。\n")
        return EXIT_FAILED
    _emit(f"自检通过：全部 {len(results)} 项正常。\n")
    return EXIT_OK
