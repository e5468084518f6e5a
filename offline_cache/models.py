"""SQLAlchemy 2 typed declarative models of the local store (schema = Alembic head).

Conventions (docs/store.md):
* amounts (元) are ``Money`` → INTEGER fen, Decimal in Python; unit prices / ratios / quantities
  (NHSA 16,6 / 5,4 / 16,4) are ``DecimalText`` → exact TEXT;
* datetimes are naive local wall-clock time of the till (Asia/Shanghai), as the NHSA interface uses;
* ``*_json`` columns hold JSON text exactly as received or produced (canonical where hashed);
* enumerated states are TEXT with CHECK constraints.

The migrations in ``offline_cache/migrations/versions`` are hand-written; a unit test compares the
migrated schema with this metadata so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import DecimalText, Money

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

VISIT_KINDS = ("outpatient", "inpatient")
VISIT_STATES = ("open", "registered", "uploaded", "settled", "reversed", "cancelled")
SETTLEMENT_STATES = ("prepared", "sent", "unknown", "confirmed", "reversed", "failed", "provisional")
PAYMENT_METHODS = ("cash", "bank_card", "wechat", "alipay", "ecny", "account")
INVOICE_KINDS = ("normal", "red")
INVOICE_STATES = ("allocated", "issued", "failed", "cancelled")
OUTBOX_STATES = ("pending", "sending", "acked", "failed", "needs_review")
ADJUSTMENT_DIRECTIONS = ("refund", "charge")
ADJUSTMENT_STATES = ("pending", "done", "cancelled")
BACKSETTLE_STATES = ("queued", "identified", "registered", "uploaded", "settling", "refund_owed", "done", "declined",
                     "refused")
OPERATOR_ROLES = ("cashier", "supervisor", "admin", "finance")


def _in(col: str, values: tuple[str, ...]) -> str:
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CatalogName(Base):
    """One DISTINCT catalogue name with its derived search columns (pypinyin, grams).

    Names repeat across specifications, manufacturers, regions and versions, so pinyin and the FTS5
    search indexes (``catalog_fts``, ``catalog_pyfts``, ``catalog_grams``: external content over
    this table, kept in sync by triggers) cost once per name. A name written by a catalogue
    download is *pending* (search columns NULL, not in the FTS5 indexes) until
    ``catalog.index_pending_names`` fills them in (migration 0004). Names never change and are never
    deleted: a renamed item points to another name; the old name then finds no items (like another
    region's).
    """

    __tablename__ = "catalog_names"
    __table_args__ = (
        UniqueConstraint("name"),
        Index("ix_catalog_names_pinyin_initials", "pinyin_initials"),
        Index("ix_catalog_names_pinyin_full", "pinyin_full"),
        Index("ix_catalog_names_pending", "id", sqlite_where=text("pinyin_initials IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    pinyin_initials: Mapped[str | None] = mapped_column(String(200))
    pinyin_full: Mapped[str | None] = mapped_column(String(800))
    # space-separated 1- and 2-character grams of the name / initials (for 1-2 character queries)
    name_grams: Mapped[str | None] = mapped_column(Text)
    initials_grams: Mapped[str | None] = mapped_column(Text)


class CatalogItem(Base):
    """Treatment-place catalogue row (1301-1321 / 1312), one per (admdvs, med_list_codg).

    ``name_id`` → ``catalog_names`` (the row's ``name``; set by the writer in the same statement).
    """

    __tablename__ = "catalog_items"
    __table_args__ = (
        UniqueConstraint("admdvs", "med_list_codg"),
        Index("ix_catalog_items_admdvs_barcode", "admdvs", "barcode"),
        Index("ix_catalog_items_name_id_admdvs", "name_id", "admdvs"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    med_list_codg: Mapped[str] = mapped_column(String(50))
    list_type: Mapped[str | None] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(20))
    chrgitm_lv: Mapped[str | None] = mapped_column(String(3))
    med_chrgitm_type: Mapped[str | None] = mapped_column(String(6))
    selfpay_prop: Mapped[Decimal | None] = mapped_column(DecimalText)
    pric_uplmt_amt: Mapped[Decimal | None] = mapped_column(DecimalText)
    pric: Mapped[Decimal | None] = mapped_column(DecimalText)
    barcode: Mapped[str | None] = mapped_column(String(32))
    begndate: Mapped[date | None] = mapped_column(Date)
    enddate: Mapped[date | None] = mapped_column(Date)
    vali_flag: Mapped[str] = mapped_column(String(1), default="1")
    ver: Mapped[str | None] = mapped_column(String(20))
    rid: Mapped[str | None] = mapped_column(String(40))
    name_id: Mapped[int] = mapped_column(Integer)
    # migration 0006c: national fields of the real 1301/1302/1303/1305/1306 files
    dosform: Mapped[str | None] = mapped_column(String(100))
    prodentp_name: Mapped[str | None] = mapped_column(String(200))
    wubi: Mapped[str | None] = mapped_column(String(100))
    pinyin: Mapped[str | None] = mapped_column(String(100))
    lmt_used_flag: Mapped[str | None] = mapped_column(String(1))
    extra_json: Mapped[str | None] = mapped_column(Text)


class _HilistTerms:
    """Common columns of the 1318 / 1319 rows (one per platform ``rid``, per window region)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    rid: Mapped[str] = mapped_column(String(40))
    hilist_code: Mapped[str] = mapped_column(String(50))
    insu_admdvs: Mapped[str | None] = mapped_column(String(6))
    begndate: Mapped[date | None] = mapped_column(Date)
    enddate: Mapped[date | None] = mapped_column(Date)
    vali_flag: Mapped[str | None] = mapped_column(String(3))
    updt_time: Mapped[str | None] = mapped_column(String(19))
    poolarea_no: Mapped[str | None] = mapped_column(String(6))


class HilistLmtpric(_HilistTerms, Base):
    """1318 医保目录限价信息 (migration 0006c): the limit price of a national code."""

    __tablename__ = "hilist_lmtpric"
    __table_args__ = (UniqueConstraint("admdvs", "rid"), Index("ix_hilist_lmtpric_admdvs_hilist_code", "admdvs",
                                                                 "hilist_code"))
    hilist_lmtpric_type: Mapped[str | None] = mapped_column(String(6))
    overlmt_dspo_way: Mapped[str | None] = mapped_column(String(6))
    hilist_pric_uplmt_amt: Mapped[Decimal | None] = mapped_column(DecimalText)


class HilistSelfpay(_HilistTerms, Base):
    """1319 医保目录先自付比例信息 (migration 0006c): the self-pay ratio of a national code."""

    __tablename__ = "hilist_selfpay"
    __table_args__ = (UniqueConstraint("admdvs", "rid"), Index("ix_hilist_selfpay_admdvs_hilist_code", "admdvs",
                                                                 "hilist_code"))
    selfpay_prop_psn_type: Mapped[str | None] = mapped_column(String(6))
    selfpay_prop_type: Mapped[str | None] = mapped_column(String(6))
    selfpay_prop: Mapped[Decimal | None] = mapped_column(DecimalText)


class CatalogDise(Base):
    """1307 疾病与诊断 / 1309 门诊慢特病种 rows (migration 0006c), one per (infno, code)."""

    __tablename__ = "catalog_dise"
    __table_args__ = (UniqueConstraint("infno", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    infno: Mapped[str] = mapped_column(String(4))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(300))
    vali_flag: Mapped[str | None] = mapped_column(String(3))
    rid: Mapped[str | None] = mapped_column(String(40))
    ver: Mapped[str | None] = mapped_column(String(20))
    extra_json: Mapped[str | None] = mapped_column(Text)


@event.listens_for(CatalogItem, "before_insert")
@event.listens_for(CatalogItem, "before_update")
def _catalog_item_name_id(mapper, connection, target: CatalogItem) -> None:
    """ORM writes get the same ``name_id`` (and a ``catalog_names`` row) as ``catalog.upsert_catalog_rows``."""
    from .catalog import name_id_for

    target.name_id = name_id_for(connection, target.name)


class PolicyBundle(Base):
    """A ``policy-bundle/1`` per insured region and version: site data imported by IT
    (``source`` 'import', ``client.services.policies``) or, where a platform serves it, fetched with the
    MedSettle extension 9901 (``source`` '9901', MAC-verified). ``fetched_at`` is when it arrived here."""

    __tablename__ = "policy_bundles"
    __table_args__ = (UniqueConstraint("insuplc_admdvs", "ver"),
                      Index("ix_policy_bundles_place_valid", "insuplc_admdvs", "valid_from"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    ver: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[str | None] = mapped_column(String(32))
    body_json: Mapped[str] = mapped_column(Text)
    mac: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    # migration 0006p: issuer (发布机构), validity (NULL = open), origin, file name, SHA-256 of the file
    issuer: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10), server_default="9901")
    source_file: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    imported_by: Mapped[str | None] = mapped_column(String(30))


class Person(Base):
    """1101 person info cache (for offline identification). certno is stored in full; mask it for display."""

    __tablename__ = "persons"

    psn_no: Mapped[str] = mapped_column(String(30), primary_key=True)
    psn_cert_type: Mapped[str | None] = mapped_column(String(3))
    certno: Mapped[str] = mapped_column(String(50), index=True)
    psn_name: Mapped[str] = mapped_column(String(50))
    gend: Mapped[str | None] = mapped_column(String(6))
    brdy: Mapped[date | None] = mapped_column(Date)
    insuinfo_json: Mapped[str] = mapped_column(Text, default="[]")
    idetinfo_json: Mapped[str] = mapped_column(Text, default="[]")
    filing_json: Mapped[str | None] = mapped_column(Text)
    card_no: Mapped[str | None] = mapped_column(String(20), index=True)
    card_sn: Mapped[str | None] = mapped_column(String(40))
    ytd_json: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    phone: Mapped[str | None] = mapped_column(String(20))  # added by migration 0002


class Operator(Base):
    """Local till accounts. The security policy (hashing, lockout) belongs to client.services."""

    __tablename__ = "operators"
    __table_args__ = (CheckConstraint(_in("role", OPERATOR_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opter: Mapped[str] = mapped_column(String(20), unique=True)
    opter_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20), default="cashier")
    password_hash: Mapped[str] = mapped_column(Text)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Signin(Base):
    """9001 sign-in results (sign_no per operator per day) and 9002 sign-out."""

    __tablename__ = "signins"
    __table_args__ = (Index("ix_signins_opter_sign_date", "opter", "sign_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opter: Mapped[str] = mapped_column(String(20))
    sign_no: Mapped[str] = mapped_column(String(30))
    sign_date: Mapped[date] = mapped_column(Date)
    sign_time: Mapped[datetime] = mapped_column(DateTime)
    signed_out_at: Mapped[datetime | None] = mapped_column(DateTime)


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(_in("kind", VISIT_KINDS), name="kind"),
        CheckConstraint(_in("state", VISIT_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    psn_no: Mapped[str] = mapped_column(String(30), index=True)
    insutype: Mapped[str | None] = mapped_column(String(6))
    insuplc_admdvs: Mapped[str | None] = mapped_column(String(6))
    mdtrt_cert_type: Mapped[str | None] = mapped_column(String(3))
    mdtrt_id: Mapped[str | None] = mapped_column(String(30), index=True)
    ipt_otp_no: Mapped[str | None] = mapped_column(String(30))
    med_type: Mapped[str | None] = mapped_column(String(6))
    begntime: Mapped[datetime] = mapped_column(DateTime)
    endtime: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(20), default="open")
    reg_msgid: Mapped[str | None] = mapped_column(String(30))  # 2201 / 2401
    mdtrt_msgid: Mapped[str | None] = mapped_column(String(30))  # 2203
    upload_msgid: Mapped[str | None] = mapped_column(String(30))  # 2204 / 2301
    cancel_msgid: Mapped[str | None] = mapped_column(String(30))  # 2202 / 2404
    opter: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # 门诊慢特病 (med_type 14): the filed disease (5301) sent in 2203 dise_codg / dise_name (0007z)
    opsp_dise_code: Mapped[str | None] = mapped_column(String(30))
    opsp_dise_name: Mapped[str | None] = mapped_column(String(100))


class FeeLine(Base):
    """2204 feedetail line and its uploaded split (2204 output)."""

    __tablename__ = "fee_lines"
    __table_args__ = (UniqueConstraint("visit_id", "feedetl_sn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="RESTRICT"))
    feedetl_sn: Mapped[str] = mapped_column(String(30))
    med_list_codg: Mapped[str] = mapped_column(String(50))
    medins_list_codg: Mapped[str | None] = mapped_column(String(150))
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str | None] = mapped_column(String(200))
    cnt: Mapped[Decimal] = mapped_column(DecimalText)
    pric: Mapped[Decimal] = mapped_column(DecimalText)
    det_item_fee_sumamt: Mapped[Decimal] = mapped_column(Money)
    chrg_bchno: Mapped[str | None] = mapped_column(String(30))
    fee_ocur_time: Mapped[datetime | None] = mapped_column(DateTime)
    bilg_dept_codg: Mapped[str | None] = mapped_column(String(30))
    bilg_dept_name: Mapped[str | None] = mapped_column(String(100))
    bilg_dr_codg: Mapped[str | None] = mapped_column(String(30))
    bilg_dr_name: Mapped[str | None] = mapped_column(String(50))
    uploaded: Mapped[bool] = mapped_column(Boolean, default=False)
    # split returned by 2204
    pric_uplmt_amt: Mapped[Decimal | None] = mapped_column(DecimalText)
    selfpay_prop: Mapped[Decimal | None] = mapped_column(DecimalText)
    fulamt_ownpay_amt: Mapped[Decimal | None] = mapped_column(Money)
    overlmt_amt: Mapped[Decimal | None] = mapped_column(Money)
    preselfpay_amt: Mapped[Decimal | None] = mapped_column(Money)
    inscp_scp_amt: Mapped[Decimal | None] = mapped_column(Money)
    chrgitm_lv: Mapped[str | None] = mapped_column(String(3))
    med_chrgitm_type: Mapped[str | None] = mapped_column(String(6))
    memo: Mapped[str | None] = mapped_column(Text)


class Settlement(Base):
    """One settlement attempt (2207 / 2304). msgid is the request msgid = setlinfo.medins_setl_id."""

    __tablename__ = "settlements"
    __table_args__ = (CheckConstraint(_in("state", SETTLEMENT_STATES), name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="RESTRICT"), index=True)
    msgid: Mapped[str] = mapped_column(String(30), unique=True)
    infno: Mapped[str] = mapped_column(String(4))
    state: Mapped[str] = mapped_column(String(20), default="prepared", index=True)  # index: 0002
    setl_id: Mapped[str | None] = mapped_column(String(30), index=True)
    mdtrt_id: Mapped[str | None] = mapped_column(String(30))
    medfee_sumamt: Mapped[Decimal | None] = mapped_column(Money)
    fund_pay_sumamt: Mapped[Decimal | None] = mapped_column(Money)
    acct_pay: Mapped[Decimal | None] = mapped_column(Money)
    psn_cash_pay: Mapped[Decimal | None] = mapped_column(Money)
    setlinfo_json: Mapped[str | None] = mapped_column(Text)
    setldetail_json: Mapped[str | None] = mapped_column(Text)
    preview_json: Mapped[str | None] = mapped_column(Text)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    revoke_msgid: Mapped[str | None] = mapped_column(String(30))  # 2208 / 2305
    opter: Mapped[str | None] = mapped_column(String(20))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="RESTRICT"))
    print_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    method: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Money)
    tendered: Mapped[Decimal | None] = mapped_column(Money)
    change: Mapped[Decimal | None] = mapped_column(Money)
    ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # the shift the money moved in (a refund: the shift that paid it out); NULL before migration 0005
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", name="fk_payments_shift_id",
                                                            ondelete="RESTRICT"), index=True)


class Invoice(Base):
    """E-invoice record: einvoice_code/einvoice_number/random_number = EInvoiceCode/EInvoiceNumber/RandomNumber."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("einvoice_code", "einvoice_number"),
        CheckConstraint(_in("kind", INVOICE_KINDS), name="kind"),
        CheckConstraint(_in("state", INVOICE_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    einvoice_code: Mapped[str] = mapped_column(String(20))
    einvoice_number: Mapped[str] = mapped_column(String(20))
    random_number: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10), default="normal")
    related_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(12), default="allocated")
    body_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)


class InvoiceRange(Base):
    """A block of e-invoice numbers allocated to this window (device-prefixed, never collides)."""

    __tablename__ = "invoice_ranges"
    __table_args__ = (UniqueConstraint("einvoice_code", "start_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    einvoice_code: Mapped[str] = mapped_column(String(20))
    start_no: Mapped[str] = mapped_column(String(20))
    end_no: Mapped[str] = mapped_column(String(20))
    next_no: Mapped[str] = mapped_column(String(20))
    window_id: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Outbox(Base):
    """Transactional outbox (desktop-anchors §D). ``id`` (AUTOINCREMENT) is the send order."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("state", OUTBOX_STATES), name="state"),
        Index("ix_outbox_state_id", "state", "id"),
        Index("ix_outbox_chain_id", "chain", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    chain: Mapped[str | None] = mapped_column(String(64))
    payload_json: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    server_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEvent(Base):
    """Append-only hash-chained audit log (UPDATE/DELETE forbidden by triggers)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(50))
    detail_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class SyncState(Base):
    """Resumable download state per stream (e.g. ``catalog:1301:310118``)."""

    __tablename__ = "sync_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    ver: Mapped[str | None] = mapped_column(String(40))
    page: Mapped[int | None] = mapped_column(Integer)
    in_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    target_ver: Mapped[str | None] = mapped_column(String(40))
    detail_json: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Adjustment(Base):
    """退补差额: difference refunded to / charged from the patient after a re-settlement."""

    __tablename__ = "adjustments"
    __table_args__ = (
        CheckConstraint(_in("direction", ADJUSTMENT_DIRECTIONS), name="direction"),
        CheckConstraint(_in("state", ADJUSTMENT_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    direction: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    opter: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)


class Backsettlement(Base):
    """补结算 (事后结算) of an offline full self-pay visit: one row per self-pay settlement (migration 0006o).

    ``step_msgid``/``step_infno`` = the last request, committed before it left; ``settlement_id`` =
    the 2207 attempt (an ordinary settlements row, resolved by recovery when its answer is lost);
    ``adjustment_id`` = the refund of what the platform paid (fund + account) to the patient."""

    __tablename__ = "backsettlements"
    __table_args__ = (
        CheckConstraint(_in("state", BACKSETTLE_STATES), name="state"),
        UniqueConstraint("selfpay_settlement_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    selfpay_settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    psn_no: Mapped[str] = mapped_column(String(30))
    insutype: Mapped[str | None] = mapped_column(String(6))
    insuplc_admdvs: Mapped[str | None] = mapped_column(String(6))
    mdtrt_cert_type: Mapped[str | None] = mapped_column(String(3))
    mdtrt_cert_no: Mapped[str | None] = mapped_column(String(50))
    card_sn: Mapped[str | None] = mapped_column(String(40))
    mdtrt_id: Mapped[str | None] = mapped_column(String(30))
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"))
    step_infno: Mapped[str | None] = mapped_column(String(5))
    step_msgid: Mapped[str | None] = mapped_column(String(30))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    refund_amount: Mapped[Decimal | None] = mapped_column(Money)
    refund_method: Mapped[str | None] = mapped_column(String(12))
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("adjustments.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Shift(Base):
    """Cashier shift with cash control (opening float, counted cash per method)."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opter: Mapped[str] = mapped_column(String(20), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    float_amt: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    counted_json: Mapped[str | None] = mapped_column(Text)
    forced_by: Mapped[str | None] = mapped_column(String(20))


class ReplicationJournal(Base):
    """One change of the books for the hospital store, written by triggers (offline_cache.replication)."""

    __tablename__ = "replication_journal"
    __table_args__ = (CheckConstraint("op IN ('insert', 'update')", name="op"), {"sqlite_autoincrement": True})

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    local_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(6))
    at: Mapped[str] = mapped_column(String(26))


class ReplicationState(Base):
    """How far the hospital store has acknowledged the journal (name ``hospital``)."""

    __tablename__ = "replication_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    pushed_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_ok_at: Mapped[str | None] = mapped_column(String(26))
    last_attempt_at: Mapped[str | None] = mapped_column(String(26))
    last_error: Mapped[str | None] = mapped_column(Text)
MAPPING_STATES = ("pending", "uploaded", "refused", "revoked")


class MedinsMapping(Base):
    """目录对照: one hospital item (its HIS code, 定点医药机构目录编号 ``fixmedins_hilist_id``) and the
    national code it maps to (``med_list_codg``), with its 3301 upload state (client.services.mapping).

    ``state``: pending (imported, not yet accepted), uploaded (3301 accepted), refused (3301 refused:
    ``err_msg`` verbatim), revoked (3302 accepted). ``answer_json`` is the platform's last answer node.
    ``prev_*``: the accepted mapping a re-import replaced, revoked by the next upload before its 3301."""

    __tablename__ = "medins_mappings"
    __table_args__ = (CheckConstraint(_in("state", MAPPING_STATES), name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fixmedins_hilist_id: Mapped[str] = mapped_column(String(30), unique=True)
    fixmedins_hilist_name: Mapped[str] = mapped_column(String(200))
    med_list_codg: Mapped[str] = mapped_column(String(50))
    list_type: Mapped[str] = mapped_column(String(30))
    begndate: Mapped[date] = mapped_column(Date)
    enddate: Mapped[date] = mapped_column(Date)
    spec: Mapped[str | None] = mapped_column(String(200))
    prcunt: Mapped[str | None] = mapped_column(String(100))
    pric: Mapped[Decimal | None] = mapped_column(DecimalText)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    err_msg: Mapped[str | None] = mapped_column(Text)
    msgid: Mapped[str | None] = mapped_column(String(30))
    answer_json: Mapped[str | None] = mapped_column(Text)
    # an accepted mapping of this hospital code to another national code, to be revoked (3302) before
    # the new one is uploaded (3301)
    prev_med_list_codg: Mapped[str | None] = mapped_column(String(50))
    prev_list_type: Mapped[str | None] = mapped_column(String(30))
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    uploaded_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


PAY_TRADE_STATES = ("prepared", "sent", "paying", "unknown", "paid", "failed", "reversed", "refunded")


class PayTrade(Base):
    """A payment-code charge through the aggregate-payment gateway (client.services.codepay).

    Committed in state ``prepared`` with its ``out_trade_no`` BEFORE the gateway is called; the code
    itself is kept only masked plus its SHA-256 (``code_hash``: a code is never charged twice)."""

    __tablename__ = "pay_trades"
    __table_args__ = (CheckConstraint(_in("state", PAY_TRADE_STATES), name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    # NULL for a deposit's trade (0008b): then deposit_id names the stay_deposits row
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    channel: Mapped[str] = mapped_column(String(12))
    code_masked: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    state: Mapped[str] = mapped_column(String(10))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    err_code: Mapped[str | None] = mapped_column(String(32))
    err_msg: Mapped[str | None] = mapped_column(String(256))
    refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    refund_json: Mapped[str | None] = mapped_column(Text)        # [{out_refund_no, refund_id, amount, at}]
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("stay_deposits.id", name="fk_pay_trades_deposit_id",
                                                              ondelete="RESTRICT"), index=True)


class PaymentOwed(Base):
    """A settlement whose patient share was not (fully) collected: for a supervisor to resolve."""

    __tablename__ = "payments_owed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(256))
    out_trade_no: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(20))


STAY_STATES = ("admitting", "admitted", "discharged", "settled", "cancelled")
DEPOSIT_KINDS = ("deposit", "refund", "applied", "restored")
DEPOSIT_STATES = ("pending", "done", "failed", "unknown")


class Stay(Base):
    """An inpatient stay (client.services.inpatient): admission 2401 … discharge 2402 over the local
    ``visits`` row that holds its fee lines (2301) and settlements (2304, mid-stay and final). 0008b."""

    __tablename__ = "stays"
    __table_args__ = (CheckConstraint(_in("state", STAY_STATES), name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="RESTRICT"), unique=True)
    ipt_no: Mapped[str] = mapped_column(String(30), index=True)
    psn_no: Mapped[str] = mapped_column(String(30), index=True)
    psn_name: Mapped[str] = mapped_column(String(50))
    certno_masked: Mapped[str] = mapped_column(String(50))
    insutype: Mapped[str] = mapped_column(String(6))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    mdtrt_cert_type: Mapped[str] = mapped_column(String(3))
    mdtrt_cert_no: Mapped[str] = mapped_column(String(100))
    med_type: Mapped[str] = mapped_column(String(6))
    dept_code: Mapped[str] = mapped_column(String(30))
    dept_name: Mapped[str] = mapped_column(String(100))
    bed: Mapped[str] = mapped_column(String(30))
    dr_code: Mapped[str] = mapped_column(String(30))
    dr_name: Mapped[str] = mapped_column(String(50))
    diag_code: Mapped[str] = mapped_column(String(30))
    diag_name: Mapped[str] = mapped_column(String(100))
    begntime: Mapped[datetime] = mapped_column(DateTime)
    endtime: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(12))
    person_json: Mapped[str | None] = mapped_column(Text)       # the identification view (masked)
    changes_json: Mapped[str | None] = mapped_column(Text)      # 2403 changes and 2404 attempts (with msgids)
    opter: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class StayDeposit(Base):
    """One movement of a stay's deposit ledger (预交金): ``deposit`` taken, ``refund`` paid back,
    ``applied`` to a settlement's psn_cash_pay, ``restored`` by a 2305 reversal. Amounts positive;
    balance = done deposits − done refunds − done applied + done restored. A deposit / refund row is
    committed (``pending``, with its receipt number and out_trade_no) BEFORE the drawer or gateway."""

    __tablename__ = "stay_deposits"
    __table_args__ = (
        CheckConstraint(_in("kind", DEPOSIT_KINDS), name="kind"),
        CheckConstraint(_in("state", DEPOSIT_STATES), name="state"),
        CheckConstraint("amount > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Money)
    state: Mapped[str] = mapped_column(String(10))
    receipt_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    out_trade_no: Mapped[str | None] = mapped_column(String(32))
    out_refund_no: Mapped[str | None] = mapped_column(String(32))
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    related_id: Mapped[int | None] = mapped_column(Integer)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="RESTRICT"), index=True)
    opter: Mapped[str | None] = mapped_column(String(20))
    authorized_by: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(256))
    err_msg: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


PREFUND_STATES = ("prepared", "reversed", "fees_cancelled", "kept_uploaded", "presettled", "settled", "refunded",
                  "invoiced", "cancelled")


class PartialRefund(Base):
    """部分退费: the patient returns some lines of a same-day outpatient settlement (migration 0008a).

    One supervised operation (client.services.partial_refund): 2208 of the old settlement → 2205 '0000' →
    2204 of the kept lines (new ``chrg_bchno``) → 2206 → 2207 (``new_settlement_id``) → the difference of
    the patient's share back to the original channels → red letter + new e-invoice. ``step_msgid`` /
    ``step_infno`` = the last request, committed before it left."""

    __tablename__ = "partial_refunds"
    __table_args__ = (CheckConstraint(_in("state", PREFUND_STATES), name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    old_settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    new_settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    step_infno: Mapped[str | None] = mapped_column(String(5))
    step_msgid: Mapped[str | None] = mapped_column(String(30))
    chrg_bchno: Mapped[str | None] = mapped_column(String(30))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    returns_json: Mapped[str] = mapped_column(Text)
    kept_json: Mapped[str] = mapped_column(Text)
    presettle_json: Mapped[str | None] = mapped_column(Text)
    old_psn_cash_pay: Mapped[Decimal] = mapped_column(Money)
    new_psn_cash_pay: Mapped[Decimal | None] = mapped_column(Money)
    refund_amount: Mapped[Decimal | None] = mapped_column(Money)
    plan_json: Mapped[str | None] = mapped_column(Text)
    authorization_json: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    opter: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
