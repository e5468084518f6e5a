"""Qt models for the counter: the charges table (``ChargesModel``) and the catalogue popup list.

A charge line is a dict in the settlement-record ``lines`` form (docs/documents.md):
``code, name, spec, unit, cnt, pric, det_item_fee_sumamt, chrgitm_lv, selfpay_prop`` and, once the
lines are uploaded / pre-settled, the per-line split ``fulamt_ownpay_amt, overlmt_amt,
preselfpay_amt, inscp_scp_amt``. Amounts are decimal strings; they are displayed with two
decimals and thousands separators, right-aligned, never as floats.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from client.domain.money import fmt_display, q2
from client.ui import words

Index = QModelIndex | QPersistentModelIndex

LEVEL_COLORS = {"01": "#1b7a3a", "02": "#1f5fa8", "03": "#b3261e"}


def dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("amounts must not be floats")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money_text(value: Any) -> str:
    d = dec(value)
    return "" if d is None else fmt_display(q2(d))


def qty_text(value: Any) -> str:
    d = dec(value)
    if d is None:
        return ""
    text = format(d.normalize(), "f")
    return text


def ratio_text(value: Any) -> str:
    d = dec(value)
    if d is None:
        return ""
    pct = (d * 100).quantize(Decimal("0.1"))
    return f"{pct.normalize():f}%"


class ChargesModel(QAbstractTableModel):
    """The charge lines of the current visit."""

    # (key, header, kind) — kind decides formatting and alignment
    COLUMNS = (
        ("seq", "No.", "int"),
        ("code", "Code", "text"),
        ("name", "Item", "text"),
        ("spec", "Spec", "text"),
        ("cnt", "Qty", "qty"),
        ("pric", "Price", "money"),
        ("det_item_fee_sumamt", "Amount", "money"),
        ("chrgitm_lv", "Class", "level"),
        ("selfpay_prop", "Self-pay %", "ratio"),
        ("fulamt_ownpay_amt", "Self-paid", "money"),
        ("overlmt_amt", "Over limit", "money"),
        ("preselfpay_amt", "Co-pay first", "money"),
        ("inscp_scp_amt", "Covered", "money"),
    )

    def __init__(self, parent=None):
        super().__init__(parent)
        self._lines: list[dict] = []
        self._headers = [self._header(c[1]) for c in self.COLUMNS]

    def _header(self, text: str) -> str:
        return {
            "No.": self.tr("No."), "Code": self.tr("Code"), "Item": self.tr("Item"), "Spec": self.tr("Spec"),
            "Qty": self.tr("Qty"), "Price": self.tr("Price"), "Amount": self.tr("Amount"),
            "Class": self.tr("Class"), "Self-pay %": self.tr("Self-pay %"), "Self-paid": self.tr("Self-paid"),
            "Over limit": self.tr("Over limit"), "Co-pay first": self.tr("Co-pay first"),
            "Covered": self.tr("Covered"),
        }[text]

    # -- data access ------------------------------------------------------------------------
    def lines(self) -> list[dict]:
        return [dict(x) for x in self._lines]

    def set_lines(self, lines: list[dict]) -> None:
        self.beginResetModel()
        self._lines = [dict(x) for x in lines]
        self.endResetModel()

    def append_line(self, line: dict) -> None:
        n = len(self._lines)
        self.beginInsertRows(QModelIndex(), n, n)
        self._lines.append(dict(line))
        self.endInsertRows()

    def remove_row(self, row: int) -> dict | None:
        if not 0 <= row < len(self._lines):
            return None
        self.beginRemoveRows(QModelIndex(), row, row)
        line = self._lines.pop(row)
        self.endRemoveRows()
        return line

    def clear(self) -> None:
        self.set_lines([])

    def total(self) -> Decimal:
        t = Decimal("0.00")
        for ln in self._lines:
            t += dec(ln.get("det_item_fee_sumamt")) or Decimal("0")
        return q2(t)

    def has_split(self) -> bool:
        return any(ln.get("inscp_scp_amt") not in (None, "") for ln in self._lines)

    # -- Qt model -----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                kind = self.COLUMNS[section][2]
                if kind in ("money", "qty", "ratio"):
                    return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == Qt.ItemDataRole.DisplayRole:
            return None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        line = self._lines[index.row()]
        key, _header, kind = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "seq":
                return str(index.row() + 1)
            value = line.get(key)
            if kind == "money":
                return money_text(value)
            if kind == "qty":
                unit = words.unit(line.get("unit") or "")
                gap = " " if unit.isascii() else ""          # "24 caps." but "24粒"
                return f"{qty_text(value)}{gap}{unit}" if unit else qty_text(value)
            if kind == "ratio":
                return ratio_text(value)
            if kind == "level":
                return words.level_short(str(value or ""))
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if kind in ("money", "qty", "ratio", "int"):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if kind == "level":
                return int(Qt.AlignmentFlag.AlignCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if kind == "level":
                color = LEVEL_COLORS.get(str(line.get("chrgitm_lv") or ""))
                return QBrush(QColor(color)) if color else None
            if key in ("fulamt_ownpay_amt", "overlmt_amt") and (dec(line.get(key)) or 0) > 0:
                return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "name" and line.get("memo"):
                return str(line["memo"])
            if kind == "level":
                return {"01": self.tr("Class A: fully within the insurance scope"),
                        "02": self.tr("Class B: the patient pays the self-pay ratio first"),
                        "03": self.tr("Class C: not covered, paid by the patient in full")}.get(
                    str(line.get("chrgitm_lv") or ""))
        if role == Qt.ItemDataRole.UserRole:
            return line
        return None


class CatalogListModel(QAbstractListModel):
    """Results of a catalogue search: ``{"code", "name", "spec", "pric", "chrgitm_lv"}`` dicts."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[dict] = []

    def set_items(self, items: list[dict]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> dict | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        it = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            lv = words.level_short(str(it.get("chrgitm_lv") or "")) if it.get("chrgitm_lv") else ""
            spec = f"  {it['spec']}" if it.get("spec") else ""
            price = money_text(it.get("pric"))
            return f"[{lv}] {it.get('name', '')}{spec}  ¥{price}  {it.get('code', '')}"
        if role == Qt.ItemDataRole.UserRole:
            return it
        return None
