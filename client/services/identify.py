"""Identify a patient: e-voucher QR / card data / ID number → 1101 (+ 5206, 5301) → PersonView.

Certificates (reference §3.3, §6):

* e-voucher: ``ec.query`` decodes the QR into an ecToken → 1101 with ``mdtrt_cert_type`` 01 and
  ``mdtrt_cert_no`` = ecToken (later 2201/2206/2207 use the same 01 + ecToken);
* card: the 11-field pipe string (``identity.parse_card_data``) → 1101 with 03, 卡号 + ``card_sn``;
* ID number (validated with ``identity.parse_resident_id``) → 1101 with 02.

Person cache rule (``persons`` table): every successful online identification upserts the person
(1101 + 5206 accumulations + 5301 chronic filings + the filing status) with ``fetched_at``. Online,
1101 is ALWAYS called (the cache never replaces the platform's answer for a settlement); the cache
serves display and offline work: when the platform cannot be reached, identification by ID number
or card falls back to the cached person (``PersonView.from_cache`` True, with a Chinese warning
giving ``fetched_at``). An e-voucher cannot be identified offline (its token comes from ec.query).

The cross-region status is computed by the settlement engine itself on a probe case (same
``casebuild.build_case`` → ``engine.settle`` path as the preview), so the rules are never duplicated.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from client.api import ApiError, BusinessError, TransportError
from client.api.evoucher import query_person_by_card, query_person_by_certno, query_person_by_ecvoucher
from client.api.transactions import QueryCumulative, QueryPerson, QuerySpecialDiseaseFiling
from client.domain import casebuild, codes, engine, identity, masking, regions
from offline_cache.jsonutil import jsonable

from .context import ServiceContext
from .errors import ServiceError, translate_store_errors

log = logging.getLogger("client.services.identify")

STATUS_WORDS = {
    "local": ("本地", "参保地与就医地同属一个统筹区，按本地待遇结算。"),
    "zone_exempt": ("示范区免备案", "长三角示范区内门急诊免备案直接结算，不降低待遇。"),
    "filed": ("已备案(长期)", "已办理异地长期居住/常驻备案，按备案地待遇直接结算。"),
    "referral": ("转诊备案", "已办理转诊备案，按转诊待遇直接结算。"),
    "emergency": ("异地急诊抢救", "按异地急诊抢救待遇结算。"),
    "unfiled": ("未备案", "未办理异地就医备案，按参保地规定降低报销比例或需先备案。"),
}


@contextmanager
def _evoucher_errors(what: str):
    """The e-voucher platform's failures in the cashier's words (refused / unreachable / malformed)."""
    try:
        yield
    except BusinessError as exc:
        raise ServiceError("refused", f"{what}：{exc.err_msg or '电子凭证无效'}。请患者刷新医保码后重新出示。",
                           detail=exc.err_msg) from None
    except TransportError as exc:
        raise ServiceError("offline", f"无法连接电子凭证平台（{exc.cause}），请改用社保卡或身份证号识别。") from None
    except ApiError as exc:
        raise ServiceError("invalid_input", str(exc)) from None


@dataclass
class PersonView:
    """What the window shows after identification (no full ID number)."""

    psn_no: str
    name: str
    masked_certno: str
    sex: str
    age: int | None
    insuplc_admdvs: str
    insuplc_name: str
    insutype: str
    insutype_label: str
    psn_type: str
    psn_type_label: str
    balance: str
    status_code: str | None
    status: str
    status_meaning: str
    suspended: bool
    warnings: list[str] = field(default_factory=list)
    chronic: list[dict] = field(default_factory=list)
    fetched_at: str = ""
    from_cache: bool = False
    id_method: str = ""          # ecvoucher | face | card | certno | wedge (client.devices.identify.METHODS)
    id_method_label: str = ""    # 医保电子凭证 / 刷脸 / 社保卡 / 身份证号 / 扫码枪

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class IdentifiedPerson:
    """Everything checkout needs about the identified person."""

    view: PersonView
    psn_no: str
    certno: str
    psn_cert_type: str
    psn_name: str
    insutype: str
    insuplc_admdvs: str
    mdtrt_cert_type: str
    mdtrt_cert_no: str
    card_sn: str
    info: dict            # {"baseinfo", "insuinfo" (the selected row first), "idetinfo"}
    filing: dict
    ytd: dict             # {"<year>": ytd}
    chronic: list[dict]
    method: str = ""      # which method identified the patient (client.devices.identify.METHODS)

    def case_person(self, acct_used_flag: str = "0") -> dict:
        """The person argument of ``casebuild.build_case``."""
        ins = self.info["insuinfo"][0]
        return {"baseinfo": self.info["baseinfo"], "insuinfo": [ins], "idetinfo": self.info.get("idetinfo") or [],
                "insutype": ins.get("insutype"), "acct_used_flag": acct_used_flag, "ytd": self.ytd}


def _select_insuinfo(rows: list[dict]) -> dict:
    for r in rows:
        if str(r.get("psn_insu_stas") or "1") == "1":
            return r
    return rows[0]


def _filing_from_baseinfo(base: dict) -> dict:
    raw = base.get("expContent")
    try:
        exp = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw if isinstance(raw, dict) else {})
    except ValueError:
        exp = {}
    return {"type": exp.get("filing") or "none", "admdvs": exp.get("filing_admdvs"),
            "begndate": exp.get("filing_begndate"), "enddate": exp.get("filing_enddate")}


def cross_region_status(ctx: ServiceContext, person: dict, filing: dict, bundle: dict | None,
                        med_type: str = "11", on: date | None = None) -> tuple[str | None, str, str]:
    """(category code, words, meaning) of a visit of ``person`` at this institution, by the engine."""
    on = on or date.today()
    ins = person["insuinfo"][0]
    if bundle is None:
        try:
            loc = regions.classify_locality(ins.get("insuplc_admdvs") or "", ctx.admdvs).label
        except ValueError:
            loc = "参保地未知"
        from .policies import no_bundle_message

        return None, f"{loc}（无政策参数）", no_bundle_message(ins.get("insuplc_admdvs") or "")
    visit = {"mdtrtarea_admvs": ctx.admdvs, "hosp_lv": ctx.hosp_lv, "med_type": med_type,
             "begndate": on.isoformat(),
             "filing": casebuild.filing_for_visit(filing, ctx.admdvs, on.isoformat())}
    probe = [{"feedetl_sn": "1", "med_list_codg": "PROBE", "cnt": "1", "pric": "1.00"}]
    try:
        result = engine.settle(casebuild.build_case(visit, person, [], probe, bundle))
    except engine.CaseError as exc:
        if exc.code == "filing_required":
            return "unfiled", "未备案", "未办理异地就医备案，参保地不允许未备案直接结算：" + exc.message
        return None, "无适用政策", exc.message
    except casebuild.CaseBuildError as exc:
        return None, "无适用政策", exc.message
    cat = result.get("category")
    words, meaning = STATUS_WORDS.get(cat, (engine.CATEGORY_NAMES.get(cat, str(cat)), ""))
    return cat, words, meaning


def training_scan_box(ctx: ServiceContext):
    """The TRAINING scan box on this context's e-voucher client (training mode only)."""
    from client.devices.identify import TrainingScanBox

    return TrainingScanBox(ctx.evoucher, ctx.operator)


def ec_sdk(ctx: ServiceContext, lib_path: str = "NationECCode.dll"):
    """The NHSA e-voucher SDK adapter for this institution (Windows; elsewhere a Chinese message)."""
    from client.devices.identify import NationEcSdk

    return NationEcSdk(lib_path, ctx.evoucher.settings.ec_url, org_id=ctx.evoucher.settings.fixmedins_code,
                       operator=ctx.operator, device_type=ctx.evoucher.device_type)


class IdentifyService:
    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    # -- entry points ---------------------------------------------------------------------------
    @translate_store_errors
    def by_ecqr(self, payload: str) -> IdentifiedPerson:
        """The keyboard-wedge QR sent in ``ecQrCode`` — only where the region takes it (``ec_wedge_qr``)."""
        if not getattr(self.ctx.evoucher.settings, "ec_wedge_qr", False):
            raise ServiceError("invalid_input", "本地区的电子凭证不接受扫码枪读取的二维码内容（国家接口由电子凭证SDK驱动扫码盒读码）："
                                                "请让患者在扫码盒上出示医保电子凭证（Ctrl+E），或读社保卡（F2）、输入身份证号（F3）。",
                               system="device")
        with _evoucher_errors("电子凭证解码失败"):
            ident = self.ctx.evoucher.decode(payload, "01301", operator=self.ctx.operator)
        req = query_person_by_ecvoucher(ident)
        return self._mark(self._identify(req, "01", ident.ecToken, "", offline_key=None, method="ecqr"), "wedge")

    @translate_store_errors
    def by_card(self, card_data: str) -> IdentifiedPerson:
        try:
            card = identity.parse_card_data(card_data)
        except identity.IdentityError as exc:
            raise ServiceError("invalid_input", exc.message) from None
        req = query_person_by_card(card.card_no, card.card_sn, certno=card.certno, psn_name=card.psn_name)
        return self._mark(self._identify(req, "03", card.card_no, card.card_sn,
                                         offline_key=("card_no", card.card_no), method="card"), "card")

    @translate_store_errors
    def by_certno(self, certno: str) -> IdentifiedPerson:
        try:
            rid = identity.parse_resident_id(certno)
        except identity.IdentityError as exc:
            raise ServiceError("invalid_input", exc.message) from None
        req = query_person_by_certno(rid.certno)
        return self._mark(self._identify(req, "02", rid.certno, "", offline_key=("certno", rid.certno),
                                         method="certno"), "certno")

    @translate_store_errors
    def by_device(self, device, method: str) -> IdentifiedPerson:
        """Identify through a device (``client.devices.identify.PatientIdentifier``); the person records
        the method. A device fault (busy / timeout / cancelled …) is a ServiceError with the device's
        Chinese message, raised before anything is sent to the national platform or written."""
        from client.devices.identify import IdentifyDeviceError

        try:
            with _evoucher_errors("电子凭证识别失败"):
                result = device.identify(method)
        except IdentifyDeviceError as exc:
            raise ServiceError("device" if exc.kind in ("busy", "timeout", "cancelled", "unavailable") else
                               "invalid_input", exc.message, detail=exc.kind, system="device") from None
        return self.by_result(result)

    @translate_store_errors
    def by_result(self, result) -> IdentifiedPerson:
        """An :class:`client.devices.identify.IdentifyResult` → 1101 with its certificate."""
        if result.method == "wedge":
            return self._mark(self.by_ecqr(result.ec_qr_code), "wedge")
        if result.method == "card":
            req = query_person_by_card(result.mdtrt_cert_no, result.card_sn, certno=result.certno,
                                       psn_name=result.psn_name)
            return self._mark(self._identify(req, "03", result.mdtrt_cert_no, result.card_sn,
                                             offline_key=("card_no", result.mdtrt_cert_no), method="card"), "card")
        if result.method == "certno":
            return self._mark(self.by_certno(result.mdtrt_cert_no), "certno")
        if result.method in ("ecvoucher", "face"):
            req = QueryPerson(mdtrt_cert_type="01", mdtrt_cert_no=result.mdtrt_cert_no,
                              psn_cert_type=result.psn_cert_type or "01", certno=result.certno,
                              psn_name=result.psn_name)
            return self._mark(self._identify(req, "01", result.mdtrt_cert_no, "", offline_key=None,
                                             method=result.method), result.method)
        raise ServiceError("invalid_input", f"未知的识别方式：{result.method}")

    @staticmethod
    def _mark(person: IdentifiedPerson, method: str) -> IdentifiedPerson:
        from client.devices.identify import METHOD_LABELS

        person.method = method
        person.view.id_method = method
        person.view.id_method_label = METHOD_LABELS.get(method, method)
        return person

    @translate_store_errors
    def by_scan(self, text: str) -> IdentifiedPerson:
        scan = identity.classify_scan(text)
        if scan.kind == "ecqr" or (scan.kind == "unknown" and scan.detail.get("opaque")):
            return self.by_ecqr(scan.value if scan.kind == "ecqr" else text.strip())
        if scan.kind == "card_data":
            return self.by_card(text)
        if scan.kind == "certno":
            return self.by_certno(scan.value)
        raise ServiceError("invalid_input", scan.reason or "无法识别的扫描内容，请扫描医保电子凭证、读社保卡或输入身份证号。")

    # -- internals ------------------------------------------------------------------------------
    def _identify(self, req, cert_type: str, cert_no: str, card_sn: str, offline_key, method: str = "") -> IdentifiedPerson:
        try:
            info = self.ctx.call(req)
        except BusinessError as exc:
            raise ServiceError("refused", f"医保中心未查到参保信息：{exc.err_msg}", detail=exc.err_msg,
                               infno="1101") from None
        except TransportError as exc:
            cached = self.identify_from_cache(offline_key, cert_type, cert_no, card_sn) if offline_key else None
            if cached is not None:
                self._audit(self.ctx.store, method, cached, offline=True)
                return cached
            raise ServiceError("offline", f"无法连接医保中心（{exc.cause}），本机也没有该患者的缓存信息，暂时无法识别。") from None
        # real answers carry numbers (balc 41509.00, age 50.2): parsed as Decimal, kept as exact text
        base = jsonable(dict(info.baseinfo.raw))
        insuinfo = [jsonable(dict(r.raw)) for r in info.insuinfo]
        if not insuinfo:
            raise ServiceError("refused", "医保中心返回的参保信息中没有险种（insuinfo 为空），无法结算。", infno="1101")
        sel = _select_insuinfo(insuinfo)
        insuinfo = [sel] + [r for r in insuinfo if r is not sel]
        idetinfo = [jsonable(dict(r.raw)) for r in info.idetinfo]
        filing = _filing_from_baseinfo(base)
        psn_no = base.get("psn_no") or ""
        adm = sel.get("insuplc_admdvs") or ""
        year = str(date.today().year)
        ytd: dict = {}
        chronic: list[dict] = []
        try:
            cum = self.ctx.call(QueryCumulative(psn_no=psn_no, cum_ym=date.today().strftime("%Y%m"), insuplc_admdvs=adm))
            ytd = jsonable({year: casebuild.ytd_from_cumuinfo([r.raw for r in cum.cumuinfo], year)})
        except (BusinessError, TransportError) as exc:
            log.warning("5206 failed for a person (%s); accumulations unknown", exc)
        try:
            sp = self.ctx.call(QuerySpecialDiseaseFiling(psn_no=psn_no, insuplc_admdvs=adm))
            chronic = [jsonable(dict(r.raw)) for r in sp.rows]
        except (BusinessError, TransportError) as exc:
            log.warning("5301 failed for a person (%s)", exc)
        self._ensure_bundle(adm)
        fetched = datetime.now()
        person = self._build(base, insuinfo, idetinfo, filing, chronic, ytd, cert_type, cert_no, card_sn,
                             fetched, from_cache=False)
        # what the platform said beside the data, verbatim (docs/central-interface.md §6a)
        if getattr(info, "warn_msg", ""):
            person.view.warnings.append(f"医保中心提示（1101）：{info.warn_msg}")
        if getattr(info, "review_msg", ""):
            person.view.warnings.append(f"需复核：医保中心对 1101 返回成功，但附带信息：{info.review_msg}。请核实参保信息。")
        self._cache(base, insuinfo, idetinfo, filing, chronic, ytd, cert_type, cert_no, card_sn, fetched,
                    audit_event=(method, person))
        return person

    def _audit(self, target, method: str, person: IdentifiedPerson, *, offline: bool = False) -> None:
        """The identification in the audit log (masked by client.services.audit)."""
        from . import audit

        audit.record_identification(target, self.ctx.operator.opter, method=method or "unknown", certno=person.certno,
                                    psn_no=person.psn_no, psn_name=person.psn_name,
                                    insuplc_admdvs=person.insuplc_admdvs, offline=offline)

    def _ensure_bundle(self, adm: str) -> None:
        """Only where bundles come from 9901 (``platform.policy_bundles_9901``); else they are imported site data."""
        from .policies import bundles_via_9901
        from .sync import fetch_bundle, stored_bundle

        if not adm or not bundles_via_9901(self.ctx.settings) or stored_bundle(self.ctx.store, adm) is not None:
            return
        try:
            fetch_bundle(self.ctx, adm)
        except ServiceError as exc:
            log.warning("could not fetch the policy bundle of %s: %s", adm, exc.message)

    def _cache(self, base, insuinfo, idetinfo, filing, chronic, ytd, cert_type, cert_no, card_sn, fetched,
               audit_event=None) -> None:
        """Upsert the person (1101 answer) and, in the SAME transaction, the audit event of the identification."""
        brdy = None
        try:
            brdy = date.fromisoformat(str(base.get("brdy") or "")[:10])
        except ValueError:
            pass
        card_no = cert_no if cert_type == "03" else None
        with self.ctx.store.connection() as conn:
            conn.exec_driver_sql(
                "INSERT INTO persons (psn_no, psn_cert_type, certno, psn_name, gend, brdy, insuinfo_json, idetinfo_json, "
                "filing_json, card_no, card_sn, ytd_json, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(psn_no) DO UPDATE SET psn_cert_type = excluded.psn_cert_type, certno = excluded.certno, "
                "psn_name = excluded.psn_name, gend = excluded.gend, brdy = excluded.brdy, "
                "insuinfo_json = excluded.insuinfo_json, idetinfo_json = excluded.idetinfo_json, "
                "filing_json = excluded.filing_json, card_no = coalesce(excluded.card_no, persons.card_no), "
                "card_sn = coalesce(excluded.card_sn, persons.card_sn), ytd_json = excluded.ytd_json, "
                "fetched_at = excluded.fetched_at",
                (base.get("psn_no"), base.get("psn_cert_type"), base.get("certno"), base.get("psn_name"),
                 base.get("gend"), brdy.isoformat() if brdy else None,
                 json.dumps(insuinfo, ensure_ascii=False), json.dumps(idetinfo, ensure_ascii=False),
                 json.dumps(dict(filing, chronic=chronic, baseinfo=base), ensure_ascii=False), card_no,
                 card_sn or None, json.dumps(ytd, ensure_ascii=False), fetched.strftime("%Y-%m-%d %H:%M:%S.%f")))
            if audit_event is not None:
                self._audit(conn, *audit_event)

    def identify_from_cache(self, key: tuple[str, str], cert_type: str, cert_no: str,
                            card_sn: str | None = None) -> IdentifiedPerson | None:
        """The newest cached 1101 answer for ``key`` = (``"certno"`` | ``"card_no"``, value), or None.

        No network: the offline checkout uses it directly, identification when the platform does not
        answer (``view.from_cache`` is set)."""
        col, value = key
        if col not in ("certno", "card_no"):
            raise ValueError(f"unknown person cache key {col!r}")
        with self.ctx.store.read_connection() as conn:
            r = conn.exec_driver_sql(
                f"SELECT insuinfo_json, idetinfo_json, filing_json, ytd_json, fetched_at FROM persons WHERE {col} = ? "
                "ORDER BY fetched_at DESC LIMIT 1", (value,)).fetchone()
        if r is None:
            return None
        fil = json.loads(r[2] or "{}")
        base = fil.pop("baseinfo", {})
        chronic = fil.pop("chronic", [])
        fetched = r[4] if isinstance(r[4], datetime) else datetime.fromisoformat(str(r[4]))
        return self._build(base, json.loads(r[0]), json.loads(r[1]), fil, chronic, json.loads(r[3] or "{}"),
                           cert_type, cert_no, card_sn, fetched, from_cache=True)

    def _build(self, base, insuinfo, idetinfo, filing, chronic, ytd, cert_type, cert_no, card_sn, fetched,
               *, from_cache: bool) -> IdentifiedPerson:
        from .sync import stored_bundle

        sel = insuinfo[0]
        adm = sel.get("insuplc_admdvs") or ""
        person = {"baseinfo": base, "insuinfo": [sel], "idetinfo": idetinfo, "insutype": sel.get("insutype"),
                  "ytd": ytd}
        cat, words, meaning = cross_region_status(self.ctx, person, filing, stored_bundle(self.ctx.store, adm))
        warnings: list[str] = []
        suspended = str(sel.get("psn_insu_stas") or "1") != "1"
        if suspended:
            when = f"（暂停日期 {sel.get('paus_insu_date')}）" if sel.get("paus_insu_date") else ""
            warnings.append(f"该参保人参保状态为“{codes.label('psn_insu_stas', sel.get('psn_insu_stas'), '非正常参保')}”"
                            f"{when}，不能享受医保待遇，请按自费处理或请患者到参保地经办机构核实。")
        if from_cache:
            warnings.append(f"医保中心暂时无法连接，显示的是 {fetched:%Y-%m-%d %H:%M} 缓存的参保信息，仅供参考。")
        age = None
        try:
            b = date.fromisoformat(str(base.get("brdy") or "")[:10])
            t = date.today()
            age = t.year - b.year - ((t.month, t.day) < (b.month, b.day))
        except ValueError:
            pass
        view = PersonView(
            psn_no=str(base.get("psn_no") or ""), name=str(base.get("psn_name") or ""),
            masked_certno=masking.mask_certno(base.get("certno")),
            sex=codes.label("gend", base.get("gend"), "未知") or "未知", age=age,
            insuplc_admdvs=adm, insuplc_name=regions.region_name(adm) if adm else "",
            insutype=str(sel.get("insutype") or ""),
            insutype_label=codes.display_label("insutype", sel.get("insutype")),
            psn_type=str(sel.get("psn_type") or ""),
            psn_type_label=codes.display_label("psn_type", sel.get("psn_type")),
            balance=str(sel.get("balc") or "0.00"), status_code=cat, status=words, status_meaning=meaning,
            suspended=suspended, warnings=warnings,
            chronic=[{"opsp_dise_code": c.get("opsp_dise_code"), "opsp_dise_name": c.get("opsp_dise_name")}
                     for c in chronic],
            fetched_at=fetched.strftime("%Y-%m-%d %H:%M:%S"), from_cache=from_cache)
        return IdentifiedPerson(view=view, psn_no=view.psn_no, certno=str(base.get("certno") or ""),
                                psn_cert_type=str(base.get("psn_cert_type") or "01"), psn_name=view.name,
                                insutype=view.insutype, insuplc_admdvs=adm, mdtrt_cert_type=cert_type,
                                mdtrt_cert_no=cert_no, card_sn=card_sn,
                                info={"baseinfo": base, "insuinfo": insuinfo, "idetinfo": idetinfo},
                                filing=filing, ytd=ytd, chronic=chronic)


def fetched_at_of(store, psn_no: str) -> Any:
    with store.read_connection() as conn:
        r = conn.exec_driver_sql("SELECT fetched_at FROM persons WHERE psn_no = ?", (psn_no,)).fetchone()
    return r[0] if r else None
