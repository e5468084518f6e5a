"""Transaction catalogue: names, state-changing vs read-only, default per-service paths.

Rule: an infno that is not listed as read-only is treated as state-changing (never retried
automatically, a lost answer means "outcome unknown"). Unknown / regional infnos are therefore
handled conservatively.
"""

from __future__ import annotations

NAMES: dict[str, str] = {
    "9001": "签到", "9002": "签退", "9101": "文件上传", "9102": "文件下载",
    "1101": "人员信息获取", "1201": "医药机构信息获取", "1901": "字典表查询",
    "2001": "人员待遇享受检查",
    "1301": "西药中成药目录下载", "1302": "中药饮片目录下载", "1303": "医疗机构制剂目录下载",
    "1305": "医疗服务项目目录下载", "1306": "医用耗材目录下载", "1307": "疾病与诊断目录下载",
    "1308": "手术操作目录下载", "1309": "门诊慢特病种目录下载", "1312": "医保目录信息查询", "1318": "医保目录限价信息查询",
    "1319": "医保目录先自付比例信息查询", "1316": "医疗目录与医保目录匹配信息查询", "1317": "医药机构目录匹配信息查询",
    "1314": "中医疾病目录下载", "1315": "中医证候目录下载", "1321": "医疗服务项目（新）目录下载",
    "2201": "门诊挂号", "2202": "门诊挂号撤销", "2203": "门诊就诊信息上传",
    "2203A": "门诊就诊信息上传（A）", "2206A": "门诊预结算（A）", "2207A": "门诊结算（A）",
    "2204": "门诊费用明细信息上传", "2205": "门诊费用明细信息撤销", "2206": "门诊预结算",
    "2207": "门诊结算", "2208": "门诊结算撤销",
    "2301": "住院费用明细上传", "2302": "住院费用明细撤销", "2303": "住院预结算",
    "2304": "住院结算", "2305": "住院结算撤销",
    "2401": "入院办理", "2402": "出院办理", "2403": "住院信息变更", "2404": "入院办理撤销",
    "2405": "出院办理撤销", "2601": "冲正交易",
    "3201": "医药机构费用结算对总账", "3202": "医药机构费用结算对明细账",
    "3301": "目录对照上传", "3302": "目录对照撤销",
    "5203": "结算信息查询", "5204": "费用明细查询", "5206": "人员累计信息查询",
    "5301": "人员慢特病备案查询",
    "9901": "政策包下载（MedSettle 扩展）",
}

# Read-only: safe to repeat, retried automatically with bounded backoff.
# 2206 / 2303 (预结算) are trial calculations: nothing is recorded that a repeat could
# duplicate, and cashiers repeat them routinely; so they are read-only here.
# 3201 / 3202 (对账) compare totals for a period; asking twice returns the same verdict.
READ_ONLY: frozenset[str] = frozenset({
    "1101", "1201", "1901", "2001",
    *(f"13{n:02d}" for n in range(1, 22)),
    "2206", "2206A", "2303",
    "3201", "3202",
    "5101", "5102", "5201", "5202", "5203", "5204", "5205", "5206",
    "5301", "5302", "5303", "5304",
    "9102", "9901",
})

# Listed explicitly for documentation and tests; anything not READ_ONLY behaves like these.
STATE_CHANGING: frozenset[str] = frozenset({
    "9001", "9002", "9101",
    "2201", "2202", "2203", "2203A", "2204", "2205", "2207", "2207A", "2208",
    "2301", "2302", "2304", "2305",
    "2401", "2402", "2403", "2404", "2405",
    "2601",
    "3301", "3302",
})


def is_read_only(infno: str) -> bool:
    return infno in READ_ONLY


def is_state_changing(infno: str) -> bool:
    return infno not in READ_ONLY


def name_of(infno: str) -> str:
    return NAMES.get(infno, "")


# Per-service paths (url_mode "paths"), from the Hebei "rio_fsi" gateway map quoted in the
# reference §1.3 (openhis YiBaoHelper.cs#GetPubWay). Override any of them in ApiSettings.paths.
# An infno without a path falls back to the single endpoint (ApiSettings.single_path).
DEFAULT_PATHS: dict[str, str] = {
    "9001": "/fsi/api/signInSignOutService/signIn",
    "9002": "/fsi/api/signInSignOutService/signOut",
    "9101": "/fsi/api/fileupload/upload",
    "9102": "/fsi/api/fileupload/download",
    "1101": "/fsi/api/fsiPsnInfoService/queryPsnInfo",
    "1201": "/fsi/api/fsiFixMedInsService/queryFixMedIns",
    "1901": "/fsi/api/catalogqueryservice/queryDataDic",
    "2001": "/fsi/api/fsiPsnPriorityInfoService/queryPsnPriorityInfo",
    **{f"13{n:02d}": f"/fsi/api/catalogdownservice/downCatalog13{n:02d}"
       for n in (1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15)},
    "1312": "/fsi/api/catalogqueryservice/queryHilist",
    # 1318 / 1319: no public source gives their paths (UNVERIFIED, our own, by analogy with 1312);
    # a region's own paths go into ApiSettings.paths (docs/central-interface.md, conventions)
    "1318": "/fsi/api/catalogqueryservice/queryHilistLmtpric",
    "1319": "/fsi/api/catalogqueryservice/queryHilistSelfpay",
    "2201": "/fsi/api/outpatientDocInfoService/outpatientRregistration",
    "2202": "/fsi/api/outpatientDocInfoService/outpatientRegistrationCancel",
    "2203": "/fsi/api/outpatientDocInfoService/outpatientMdtrtinfoUp",
    "2203A": "/fsi/api/outpatientDocInfoService/outpatientMdtrtinfoUpA",
    "2204": "/fsi/api/outpatientDocInfoService/outpatientFeeListUp",
    "2205": "/fsi/api/outpatientDocInfoService/outpatientFeeListUpCancel",
    "2206": "/fsi/api/outpatientSettleService/preSettletment",
    "2207": "/fsi/api/outpatientSettleService/saveSettletment",
    "2208": "/fsi/api/outpatientSettleService/cancleSettletment",
    # Zhejiang variants (reference §2: the Zhejiang test-environment harness posts these paths).
    "2206A": "/fsi/api/outpatientSettleService/preSettletmentA",
    "2207A": "/fsi/api/outpatientSettleService/saveSettletmentA",
    "2301": "/fsi/api/hospFeeDtlService/feeDtlUp",
    "2302": "/fsi/api/hospFeeDtlService/feeDtlCl",
    "2303": "/fsi/api/hospSettService/preSett",
    "2304": "/fsi/api/hospSettService/settV2",
    "2305": "/fsi/api/hospSettService/settCl",
    "2401": "/fsi/api/hospitalRegisterService/hospitalRegisterSave",
    "2402": "/fsi/api/dscgService/dischargeProcess",
    "2403": "/fsi/api/hospitalRegisterService/hospitalRegisterEdit",
    "2404": "/fsi/api/hospitalRegisterService/hospitalRegisterCancel",
    "2405": "/fsi/api/dscgService/dischargeUndo",
    "2601": "/fsi/api/reverseService/revsMethod",
    "3201": "/fsi/api/ybSettlementStmtService/stmtTotal",
    "3202": "/fsi/api/ybSettlementStmtService/stmtDetail",
    "5203": "/fsi/api/fsiIntegratedQueryService/querySetlInfo",
    "5204": "/fsi/api/fsiIntegratedQueryService/queryFeeList",
    "5206": "/fsi/api/fsiIntegratedQueryService/queryFixmedinsPracPsnSum",
    "5301": "/fsi/api/fsiIntegratedQueryService/queryPsnOpspReg",
    # MedSettle extension (not part of the national interface).
    "9901": "/fsi/api/medsettle/policyBundle",
}
