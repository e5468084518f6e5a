"""E-invoice XML export (``EInvoice`` root, settlement-rules.md §4.3) and validation against
``resources/schemas/einvoice.xsd``.

``to_xml(inv) -> bytes`` writes UTF-8 XML with an XML declaration; element order follows
:data:`client.domain.invoice.MAIN_ORDER` / ``MAINEXT_ORDER``; empty optional values are omitted.
``validate_xml(data)`` checks a document against the schema with ``xmlschema`` and raises
:class:`EInvoiceXmlError` (Chinese message) when it does not conform.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET

from client.domain.invoice import MAIN_ORDER, MAINEXT_ORDER, to_json
from client.resources import resource

__all__ = ["EInvoiceXmlError", "SCHEMA_FILE", "schema", "to_json", "to_xml", "validate_xml"]

SCHEMA_FILE = ("schemas", "einvoice.xsd")

_DETAIL_ORDER = ("ItemCode", "ItemName", "ItemAmount")
_AUX_ORDER = ("ListDetailNo", "ListItemCode", "ListItemName", "ListItemSpec", "ListItemUnit",
              "ListItemQuantity", "ListItemPrice", "ListItemAmount", "ListItemCategory", "ListItemLevel")
_PARTY_ORDER = {
    "InvoicingParty": ("InvoicingPartyCode", "InvoicingPartyName"),
    "PayerParty": ("PayerPartyType", "PayerPartyCode", "PayerPartyName"),
}


class EInvoiceXmlError(ValueError):
    pass


def _leaf(parent: ET.Element, tag: str, value: object) -> None:
    if value is None or value == "":
        return
    ET.SubElement(parent, tag).text = str(value)


def _fields(parent: ET.Element, data: dict, order: tuple[str, ...]) -> None:
    for key in order:
        _leaf(parent, key, data.get(key))


def to_xml(inv: dict) -> bytes:
    """Serialize an invoice record built by ``client.domain.invoice.build_invoice``."""
    root = ET.Element("EInvoice")
    _leaf(root, "EInvoiceTag", inv.get("EInvoiceTag"))
    _leaf(root, "Version", inv.get("Version"))
    main_el = ET.SubElement(root, "Main")
    main = inv["Main"]
    for key in MAIN_ORDER:
        value = main.get(key)
        if key in _PARTY_ORDER:
            party = ET.SubElement(main_el, key)
            _fields(party, value or {}, _PARTY_ORDER[key])
        elif key == "MainExt":
            ext = ET.SubElement(main_el, "MainExt")
            _fields(ext, value or {}, MAINEXT_ORDER)
        else:
            _leaf(main_el, key, value)
    details = ET.SubElement(root, "Details")
    for d in inv.get("Details", []):
        _fields(ET.SubElement(details, "Item"), d, _DETAIL_ORDER)
    aux = ET.SubElement(root, "AuxDetails")
    for a in inv.get("AuxDetails", []):
        _fields(ET.SubElement(aux, "AuxItem"), a, _AUX_ORDER)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


@functools.cache
def schema():
    import xmlschema

    return xmlschema.XMLSchema(str(resource(*SCHEMA_FILE)))


def validate_xml(data: bytes) -> None:
    """Raise EInvoiceXmlError unless *data* conforms to resources/schemas/einvoice.xsd."""
    try:
        schema().validate(data.decode("utf-8") if isinstance(data, bytes) else data)
    except Exception as exc:  # xmlschema raises several error classes; report them the same way
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        path = getattr(exc, "path", None)
        raise EInvoiceXmlError(f"电子票据 XML 不符合格式规范（{path or '文档'}：{reason}）。"
                               "请勿手工修改票据文件；如需更正，请冲红后重新开具。") from None
