"""`medsettle checkout` — one settlement at the window, headless (scripts, drills, IT checks).

Identify with ``--identify ecvoucher|face|card|certno`` through an identification device
(client.devices.identify; training: ``--training-person`` in front of the training scan box,
``--training-fault busy|timeout|cancelled``), or ``--ecqr PAYLOAD`` (keyboard wedge / SE01) |
``--card CARDDATA`` | ``--certno ID``; charges from ``--fees FILE``
(JSON/CSV) or ``--his``; ``--med-type 21`` runs the inpatient discharge flow (2401, 2301 in batches
of ≤ 50, 2402, 2303, 2304); ``--pay cash:200 wechat:35.5`` (cash may exceed → change; without
``--pay`` the patient's share is taken in cash, exactly); ``--acct 1`` uses the personal account.
``--reverse SETL_ID --supervisor CODE --supervisor-password-env VAR | --supervisor-password-stdin``
reverses a same-day settlement: the supervisor's password is verified against the local operators
(``OperatorService.authorize``, audited) and must be another person's than the operator's.

Prints the settlement record as JSON. Exit 0 settled (or reversed), 2 refused / invalid input
(Chinese message on stderr, ``{"error": ...}`` on stdout), 3 outcome unknown (left for recovery).
"""

from __future__ import annotations

import os
import sys
from decimal import Decimal


def register(subparsers, common) -> None:
    p = subparsers.add_parser("checkout", parents=[common], help="医保结算一位患者（门诊或出院结算）/ 撤销当日结算",
                              description="识别患者 → 上传费用 → 预结算（与本地预算核对）→ 结算 → 收款记录。")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--ecqr", metavar="PAYLOAD", help="医保电子凭证二维码内容")
    who.add_argument("--card", metavar="CARDDATA", help="社保卡读卡数据（11段竖线分隔）")
    who.add_argument("--certno", metavar="ID", help="身份证号")
    p.add_argument("--identify", choices=("ecvoucher", "card", "certno", "face"),
                   help="通过识别设备识别患者：ecvoucher 医保电子凭证（扫码盒）、face 刷脸、card 社保卡（读卡器）、"
                        "certno 身份证号。培训模式下使用培训扫码盒/培训读卡器（用 --training-person 选择培训人员）")
    p.add_argument("--training-person", metavar="CERTNO|CODE",
                   help="培训：站在扫码盒/读卡器前的培训人员（身份证号或28位电子凭证码；默认取 --certno）")
    p.add_argument("--training-fault", choices=("busy", "timeout", "cancelled"),
                   help="培训：让培训扫码盒出现一次故障（busy 正忙、timeout 超时、cancelled 患者取消）")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--fees", metavar="FILE", help="费用文件（JSON 明细数组或 CSV：code,cnt,pric,name）")
    src.add_argument("--his", action="store_true", help="从 HIS 取该患者待缴费单据（只有一张时；多张时用 --his-bill 指定）")
    p.add_argument("--his-bill", action="append", metavar="NO", default=None,
                   help="与 --his 一起：要结算的 HIS 单据号（可多次，合并为一次结算）")
    p.add_argument("--med-type", metavar="CODE", help="医疗类别：11 普通门诊、13 急诊、14 门诊慢特病、21 普通住院…（默认 11 或 HIS 的类别）")
    p.add_argument("--pay", nargs="+", action="extend", metavar="METHOD:AMOUNT[:REF]",
                   help="收款：cash:200；bank_card:50.5:POS参考号；wechat/alipay/ecny:金额:交易单号（在聚合支付以外收的款，"
                        "须填参考号）；付款码 code:付款码[:金额]（经聚合支付扣款）；"
                        "acct 使用个人账户（可多个；只有现金可多收找零）")
    p.add_argument("--acct", choices=("0", "1"), default=None,
                   help="是否使用个人账户（默认按参保地规则：站点配置 [counter] account_outpatient / account_inpatient）")
    p.add_argument("--self-pay", metavar="REASON", choices=("uninsured", "suspended", "refused", "declined", "other"),
                   help="转自费：全额自费收费，不发送医保交易（原因：uninsured 未参保、suspended 暂停参保、"
                        "refused 医保拒绝、declined 患者不用医保、other 其他）")
    p.add_argument("--self-pay-note", default="", help="转自费的补充说明")
    p.add_argument("--name", metavar="NAME", help="转自费且患者无法医保识别时：患者姓名（与 --certno 一起）")
    p.add_argument("--mdtrt-id", metavar="ID", help="住院：对已在医保办理入院的就诊ID结算（不再 2401）")
    p.add_argument("--disease", metavar="CODE",
                   help="门诊慢特病（--med-type 14）：备案病种编码 opsp_dise_code（只有一个有效备案或 HIS 诊断即病种时可省略）")
    p.add_argument("--diag", metavar="CODE:NAME", help="诊断（默认取 HIS，或 Z00.000 一般性医学检查）")
    p.add_argument("--ack-warnings", action="store_true",
                   help="确认事前提醒（经办人已核对提醒内容）；没有此项时有提醒就停止，不发送任何交易")
    p.add_argument("--reverse", metavar="SETL_ID", help="撤销当日结算（2208/2305），需要另一位组长授权（--supervisor + 密码）")
    p.add_argument("--supervisor", metavar="CODE", help="授权的收费组长工号（不能是经办人本人）")
    pw = p.add_mutually_exclusive_group()
    pw.add_argument("--supervisor-password-env", metavar="VAR", help="存放组长密码的环境变量名（在本机核验）")
    pw.add_argument("--supervisor-password-stdin", action="store_true", help="从标准输入第一行读组长密码（在本机核验）")
    p.add_argument("--patient-password-stdin", action="store_true",
                   help="验密地区：从标准输入第一行读患者的6位密码（密码键盘/脚本；不回显、不记录）；"
                        "不指定且在终端上运行时会提示输入")
    p.add_argument("--reason", default="", help="撤销原因")
    p.add_argument("--operator", metavar="CODE", default="T001", help="经办人工号（默认培训收费员 T001）")
    p.add_argument("--operator-name", metavar="NAME", default="培训收费员", help="经办人姓名")
    p.add_argument("--receipt", metavar="OUT.pdf", help="结算成功并保存后，生成结算票据 PDF（含电子票据查验二维码）")
    p.add_argument("--receipt-kind", choices=("form", "slip"), default="form",
                   help="form 医疗收费票据（默认，241×140 mm）或 slip 80 mm 结算凭条")
    p.add_argument("--reprint", metavar="SETL_ID", help="补打该结算的票据（--receipt 输出），需要另一位组长授权")
    p.set_defaults(func=run)


def _patient_password(args, counter) -> str | None:
    """验密: the patient's password, only when the region checks it for this patient; never echoed."""
    from client.services.errors import ServiceError

    if not counter.password_required():
        return None
    if args.patient_password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass("请患者输入6位医保密码（不显示）：")
    else:
        raise ServiceError("invalid_input", "本地区结算需要验证患者密码：请用 --patient-password-stdin 从密码键盘或标准输入提供。")
    if not password:
        raise ServiceError("invalid_input", "没有收到患者密码，未结算。请患者输入密码后重试。")
    return password


def _supervisor_password(args) -> str:
    from client.services.errors import ServiceError

    if args.supervisor_password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ServiceError("invalid_input", "标准输入中没有组长密码：请把组长密码作为第一行输入。")
        return password
    if args.supervisor_password_env:
        password = os.environ.get(args.supervisor_password_env) or ""
        if not password:
            raise ServiceError("invalid_input", f"环境变量 {args.supervisor_password_env} 中没有组长密码，"
                                                "请设置后重试。")
        return password
    raise ServiceError("invalid_input", "组长授权需要当场核验组长密码：请用 --supervisor-password-env 变量名 "
                                        "或 --supervisor-password-stdin 提供组长密码。")


def _authorization(args, ctx, action: str, subject: str):
    """A VERIFIED authorization by another supervisor (password checked against the local operators,
    granted or refused recorded in the audit log)."""
    from client.security.operators import AuthFailure
    from client.services.errors import ServiceError
    from client.services.operators import OperatorService

    label = {"reverse": "撤销结算", "reprint": "补打票据", "force_shift_close": "强制交班"}.get(action, action)
    if not args.supervisor:
        raise ServiceError("invalid_input", f"{label}需要另一位收费组长授权：请用 --supervisor 指定组长工号，"
                                            "并用 --supervisor-password-env 或 --supervisor-password-stdin 提供组长密码。")
    password = _supervisor_password(args)
    try:
        return OperatorService.from_settings(ctx.store, ctx.settings).authorize(
            ctx.operator.opter, args.supervisor, password, action=action, reason=args.reason, subject=subject)
    except AuthFailure as exc:
        raise ServiceError("refused", f"授权失败：{exc}。未{label}。") from None


def _operator(args, settings, store):
    """The CLI's operator: a real, active local operator (non-training); in training mode the training
    accounts are seeded if missing and the training operator is allowed."""
    from client.api import Operator
    from client.security.operators import AuthFailure
    from client.services.errors import ServiceError
    from client.services.operators import StoreOperatorRepository, seed_training_operators

    if settings.training.enabled:
        try:
            seed_training_operators(store, settings)
        except AuthFailure as exc:  # pragma: no cover - training is enabled here
            raise ServiceError("config", str(exc)) from None
        local = StoreOperatorRepository(store).get_operator(args.operator)
        name = local.name if local is not None and args.operator_name == "培训收费员" else args.operator_name
        return Operator(args.operator, name, "A03", "内科")
    local = StoreOperatorRepository(store).get_operator(args.operator)
    if local is None or not local.active:
        raise ServiceError("config", f"工号 {args.operator} 不是本机的有效操作员。请用 --operator 指定本机已建立的操作员工号"
                                     "（由系统管理员创建）。")
    return Operator(local.code, local.name, "A03", "内科")


def _prechecks(counter, args, ctx) -> None:
    """事前提醒 before anything is sent: print them; without --ack-warnings stop (exit 2), with it record the
    operator's acknowledgement in the audit log."""
    from client.domain.prechecks import SEVERITY_LABELS
    from client.services.errors import ServiceError

    checks = counter.precheck()
    for i, w in enumerate(checks, 1):
        sys.stderr.write(f"事前提醒 {i}【{SEVERITY_LABELS.get(w.severity, w.severity)}】{w.message}\n")
    if not checks:
        return
    if not args.ack_warnings:
        raise ServiceError("invalid_input", f"有 {len(checks)} 条事前提醒需要核对（见上）。请核对费用明细和患者信息，"
                                            "确认无误后加 --ack-warnings 重新运行；本次没有向医保中心发送任何交易。")
    counter.acknowledge_prechecks("all", ctx.operator.opter)
    sys.stderr.write(f"经办人 {ctx.operator.opter} 已确认 {len(checks)} 条事前提醒。\n")


def _identify_device(args, settings, ctx):
    """The identification device of ``--identify``: in training mode the training scan box / card reader
    with ``--training-person`` in front of it; otherwise the NHSA e-voucher SDK (Windows) or the typed
    ID number."""
    from client.devices.cardreader import CardReaderError, SimulatedCardReader, training_card_deck
    from client.devices.identify import CardIdentifier, TypedCertno, is_ec_code
    from client.domain.masking import mask_certno
    from client.services.errors import ServiceError
    from client.services.identify import ec_sdk, training_scan_box

    training = bool(settings.training.enabled)
    person = (args.training_person or args.certno or "").strip()
    if args.identify == "certno":
        if not person:
            raise ServiceError("invalid_input", "请用 --certno 给出患者的身份证号。")
        return TypedCertno(person)
    if args.identify == "card":
        if args.card:
            return CardIdentifier(SimulatedCardReader([args.card]))
        if not training:
            raise ServiceError("invalid_input", "非培训模式下命令行没有读卡器：请用 --card 给出读卡数据，或在收费窗口读卡。")
        if not person:
            raise ServiceError("invalid_input", "培训模式下请用 --training-person 指定插卡的培训人员（身份证号）。")
        try:
            deck = training_card_deck(settings.platform.url)
        except CardReaderError as exc:
            raise ServiceError("device", exc.message, system="device") from None
        cards = [c["card_data"] for c in deck if c.get("certno_masked") == mask_certno(person)
                 and c["card_data"].split("|")[1:2] == [person]]
        if not cards:
            raise ServiceError("invalid_input", f"培训卡组中没有该培训人员（{mask_certno(person)}）的社保卡。")
        return CardIdentifier(SimulatedCardReader(cards[:1]))
    if not training:
        return ec_sdk(ctx)
    if not person:
        raise ServiceError("invalid_input", "培训模式下请用 --training-person 指定站在扫码盒前的培训人员"
                                            "（身份证号或28位电子凭证码）。")
    box = training_scan_box(ctx)
    if is_ec_code(person):
        box.present(ec_code=person)
    else:
        box.present(certno=person)
    if args.training_fault:
        box.arm(args.training_fault)
    return box


def run(args) -> int:
    from client.services.clitools import EXIT_OK, emit_json, guarded

    ctx_box: list = []

    def body() -> int:
        from client.api import Operator
        from client.services.checkout import Counter, settlement_record
        from client.services.context import open_context, settings_from_args
        from client.services.errors import ServiceError
        from client.services.fees import HttpHisAdapter
        from client.services.payments import Tender, parse_tender

        settings = settings_from_args(args)
        specs = [s for s in (args.pay or []) if s.strip().lower() not in ("acct", "account", "个人账户")]
        if len(specs) != len(args.pay or []):          # --pay acct: use the personal account
            args.acct = "1"
        tenders = [parse_tender(s) for s in specs]
        diag = (None, None)
        if args.diag:
            code, _, name = args.diag.partition(":")
            diag = (code.strip() or None, name.strip() or code.strip())
        with open_context(settings, operator=Operator(args.operator, args.operator_name, "A03", "内科")) as ctx:
            ctx_box.append(ctx)
            ctx.operator = _operator(args, settings, ctx.store)
            counter = Counter(ctx, his=HttpHisAdapter(settings.platform.url, ctx.fixmedins_code))
            if args.reprint:
                emit_json(_reprint(args, ctx))
                return EXIT_OK
            if args.reverse:
                auth = _authorization(args, ctx, "reverse", args.reverse)
                record = counter.reverse(args.reverse, auth, reason=args.reason)
                _invoice_housekeeping(ctx)
                record = settlement_record(ctx, record["settlement_id"])
                emit_json(_masked(record))
                sys.stderr.write(f"已撤销结算 {args.reverse}（撤销报文 {record.get('revoke_msgid')}）。\n")
                return EXIT_OK
            if args.self_pay:
                return _self_pay(args, ctx, counter, tenders)
            if args.identify:
                view = counter.identify_device(_identify_device(args, settings, ctx), args.identify)
                sys.stderr.write(f"识别方式：{view.id_method_label}\n")
            elif args.ecqr:
                view = counter.identify_ecqr(args.ecqr)
            elif args.card:
                view = counter.identify_card(args.card)
            elif args.certno:
                view = counter.identify_certno(args.certno)
            else:
                raise ServiceError("invalid_input", "请用 --ecqr、--card 或 --certno 指定患者。")
            for w in view.warnings:
                sys.stderr.write(f"提示：{w}\n")
            if args.his:
                counter.load_his(args.his_bill or None)
                if args.med_type and args.med_type != counter.med_type:
                    raise ServiceError("invalid_input", f"HIS 就诊的医疗类别是 {counter.med_type}，与 --med-type {args.med_type} 不一致。")
                if args.disease:
                    counter.choose_disease(args.disease)
            elif args.fees:
                med = args.med_type or "11"
                from client.services.checkout import is_inpatient_med_type

                if is_inpatient_med_type(med):
                    counter.start_inpatient(med_type=med, mdtrt_id=args.mdtrt_id, diag_code=diag[0], diag_name=diag[1])
                else:
                    counter.start_outpatient(med, diag_code=diag[0], diag_name=diag[1], disease=args.disease)
                counter.load_fees(args.fees)
            else:
                raise ServiceError("invalid_input", "请用 --fees 指定费用文件，或用 --his 从 HIS 取费用。")
            if args.disease and counter.med_type != "14":
                raise ServiceError("invalid_input", "--disease 只用于门诊慢特病（--med-type 14）。")
            _prechecks(counter, args, ctx)
            from client.services.cashdesk import account_flag

            acct = args.acct if args.acct is not None else account_flag(
                settings.counter, counter.person.insuplc_admdvs, counter.kind, counter.person.view.balance)
            trial = counter.presettle(acct)
            if trial.pending_prechecks and args.ack_warnings:
                counter.acknowledge_prechecks("all", ctx.operator.opter)
            for w in trial.warnings:
                sys.stderr.write(f"提示：{w}\n")
            if not tenders and trial.psn_cash_pay > 0:
                tenders = [Tender("cash", trial.psn_cash_pay)]
            record = counter.settle(tenders, password=_patient_password(args, counter))
            if args.receipt:
                _receipt(ctx, record, args.receipt, args.receipt_kind)
            _invoice_housekeeping(ctx)
            record = settlement_record(ctx, record["settlement_id"])
            emit_json(_masked(record))
            for w in record.get("warnings") or []:
                if "电子票据" in w:
                    sys.stderr.write(f"提示：{w}\n")
            for tr in record.get("pay_trades") or []:
                if tr["state"] == "paid":
                    sys.stderr.write(f"付款码收款：{tr['channel_name']} {tr['amount']} 元，交易号 {tr['transaction_id']}"
                                     f"（订单 {tr['out_trade_no']}）。\n")
                else:
                    sys.stderr.write(f"付款码未扣款：{tr['channel_name']} {tr['amount']} 元（{tr['err_msg'] or tr['state']}）。\n")
            for ow in record.get("owed") or []:
                sys.stderr.write(f"欠费：{ow['amount']} 元（{ow['reason']}），请改用其他方式收款并由组长核销。\n")
            if record.get("warn_msg"):
                sys.stderr.write(f"医保中心提示：{record['warn_msg']}\n")
            review = record.get("review")
            if review:
                sys.stderr.write(f"需复核：医保中心返回成功但附带信息：{review['err_msg']}（报文ID {review['msgid']}），"
                                 "本笔结算已记录并标记为待复核。\n")
            inv = record.get("invoice")
            if inv:
                sys.stderr.write(f"电子票据：代码 {inv['EInvoiceCode']} 号码 {inv['EInvoiceNumber']} "
                                 f"校验码 {inv['RandomNumber']}。\n")
            si = record["setlinfo"]
            sys.stderr.write(f"{'结算已记录（待复核）' if review else '结算成功'}：{view.name}，医疗费 {si['medfee_sumamt']} 元，基金支付 {si['fund_pay_sumamt']} 元，"
                             f"个人账户 {si['acct_pay']} 元，个人现金 {si['psn_cash_pay']} 元"
                             + "".join(f"，找零 {p['change']} 元" for p in record["payments"]
                                       if p.get("change") not in (None, "0.00")) + "。\n")
            return EXIT_OK

    return guarded(body, lambda: ctx_box[0].store if ctx_box else None)


def _self_pay(args, ctx, counter, tenders) -> int:
    """``--self-pay REASON``: the patient pays the whole total (转自费); nothing is sent to the platform.
    The patient is the one identified (even suspended), or — when identification is refused or not
    possible — ``--name`` with ``--certno``."""
    from client.domain import identity
    from client.services.cashdesk import settle_self_pay
    from client.services.checkout import settlement_record
    from client.services.clitools import EXIT_OK, emit_json
    from client.services.errors import ServiceError
    from client.services.fees import load_fee_file
    from client.services.offline import SelfPayPatient
    from client.services.payments import Tender

    person = None
    if args.name:
        if not args.certno:
            raise ServiceError("invalid_input", "转自费时 --name 须与 --certno（身份证号）一起使用。")
        try:
            rid = identity.parse_resident_id(args.certno)
        except identity.IdentityError as exc:
            raise ServiceError("invalid_input", exc.message) from None
        person = SelfPayPatient(args.name.strip(), rid.certno)
    elif args.ecqr or args.card or args.certno:
        if args.ecqr:
            counter.identify_ecqr(args.ecqr)
        elif args.card:
            counter.identify_card(args.card)
        else:
            counter.identify_certno(args.certno)
        person = counter.person
    else:
        raise ServiceError("invalid_input", "转自费需要患者：--ecqr / --card / --certno，或 --name 加 --certno。")
    bills: list[str] = []
    if args.his:
        if isinstance(person, SelfPayPatient):
            visits = counter.his.pending(person.certno, "")
        else:
            visits = counter.pending_bills()
        wanted = args.his_bill or ([visits[0].ipt_otp_no] if len(visits) == 1 else [])
        if not wanted:
            raise ServiceError("invalid_input", f"HIS 中有 {len(visits)} 张待缴费单据，请用 --his-bill 指定。"
                               if visits else "HIS 中没有该患者待缴费的单据。", system="his")
        chosen = [v for v in visits if v.ipt_otp_no in wanted]
        fees = [fi for v in chosen for fi in v.lines]
        bills = [v.ipt_otp_no for v in chosen]
    elif args.fees:
        fees = load_fee_file(args.fees)
    else:
        raise ServiceError("invalid_input", "请用 --fees 指定费用文件，或用 --his 从 HIS 取费用。")
    if not tenders:
        total = sum((fi.cnt * fi.pric for fi in fees if fi.pric is not None), Decimal("0.00"))
        tenders = [Tender("cash", total.quantize(Decimal("0.01")))]
    res = settle_self_pay(ctx, person, fees, tenders, reason_code=args.self_pay, note=args.self_pay_note,
                          his=counter.his, bills=tuple(bills), window=ctx.settings.window_id)
    if args.receipt:
        _receipt(ctx, {"settlement_id": res.settlement_id}, args.receipt, args.receipt_kind)
    _invoice_housekeeping(ctx)
    record = settlement_record(ctx, res.settlement_id)
    emit_json(_masked(record))
    sys.stderr.write(f"转自费收费完成：医疗费 {res.setlinfo['medfee_sumamt']} 元全部由患者支付（{res.setlinfo['reason']}），"
                     "未发送医保交易。\n")
    return EXIT_OK


def _render(ctx, settlement_id: int, out: str, kind: str, *, reprint: bool = False) -> dict:
    """The receipt service (the window's, too): count the print (committed before the paper) and
    render the form or the slip to *out*. Returns the print flags."""
    from client.services.receipts import Receipts

    return Receipts(ctx).print(settlement_id, kind=kind, reprint=reprint, out=out)["flags"]


def _receipt(ctx, record: dict, out: str, kind: str) -> None:
    """Render AFTER the settlement was committed (a printing failure never undoes a settlement)."""
    name = "结算票据" if kind == "form" else "结算凭条"
    try:
        _render(ctx, record["settlement_id"], out, kind)
        sys.stderr.write(f"{name}已生成：{out}\n")
    except Exception as exc:  # noqa: BLE001 - the settlement is saved; the document can be reprinted
        sys.stderr.write(f"提示：结算已保存，但{name}生成失败（{exc}），可稍后补打（--reprint）。\n")


def _reprint(args, ctx) -> dict:
    """``--reprint SETL_ID --receipt OUT``: another supervisor authorizes, the copy is marked 补打（第N次）
    and the reprint is recorded in the audit log."""
    from client.security.operators import AuthFailure
    from client.services import audit
    from client.services.checkout import _requester
    from client.services.errors import ServiceError
    from client.services.operators import OperatorService

    if not args.receipt:
        raise ServiceError("invalid_input", "补打需要用 --receipt 指定输出的 PDF 文件。")
    with ctx.store.read_connection() as conn:
        sid = conn.exec_driver_sql("SELECT id FROM settlements WHERE setl_id = ?", (args.reprint,)).scalar()
    if sid is None:
        raise ServiceError("invalid_input", f"本机没有结算号为 {args.reprint} 的结算记录，请核对结算号。")
    auth = _authorization(args, ctx, "reprint", args.reprint)
    try:
        OperatorService(ctx.store).require(_requester(ctx), "reprint", authorization=auth)
    except AuthFailure as exc:
        raise ServiceError("refused", f"授权无效：{exc}") from None
    flags = _render(ctx, sid, args.receipt, args.receipt_kind, reprint=True)
    audit.record_reprint(ctx.store, ctx.operator.opter, setl_id=args.reprint, document=args.receipt_kind,
                         copy_no=int(flags["print_count"]) + 1, authorized_by=auth.authorized_by)
    sys.stderr.write(f"已补打（第{flags['print_count']}次）：{args.receipt}\n")
    return {"setl_id": args.reprint, "settlement_id": sid, "document": args.receipt_kind, "path": args.receipt,
            "flags": flags, "authorized_by": auth.authorized_by}


def _invoice_housekeeping(ctx, record: dict | None = None) -> None:
    """E-invoices after a checkout: the housekeeping e-invoice step with a short timeout — retry earlier
    ones that could not be issued, then upload the queue once (best effort; what fails stays queued for
    `medsettle recover`)."""
    if not ctx.settings.einvoice.enabled:
        return
    from client.services.housekeeping import drain_einvoices

    try:
        res = drain_einvoices(ctx, timeout=5.0)
        for m in res["messages"]:
            sys.stderr.write(f"提示：{m}\n")
    except Exception as exc:  # noqa: BLE001 - the settlement is saved; invoices are retried later
        sys.stderr.write(f"提示：电子票据上传暂未完成（{exc}），稍后自动重试。\n")


def _masked(record: dict) -> dict:
    """The record for stdout: the full ID number returned in setlinfo is masked (the store keeps it); the
    e-invoice is shown as its summary (``invoice``: EInvoiceCode/Number/RandomNumber, state)."""
    from client.domain.masking import mask_certno

    out = dict(record)
    out.pop("einvoice", None)
    for key in ("setlinfo",):
        if isinstance(out.get(key), dict) and out[key].get("certno"):
            out[key] = dict(out[key], certno=mask_certno(out[key]["certno"]))
    return out
