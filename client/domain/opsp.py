"""门诊慢特病 (chronic and special-disease outpatient, med_type 14): the person's filed diseases valid
on a visit date (5301 rows), and the disease drug lists the pre-check reads.

The 5301 rows are ``opsp_dise_code``, ``opsp_dise_name``, ``begndate``, ``enddate``
(shared/reference/nhsa-interface.md §3.12). A visit under med_type 14 carries the chosen disease's
``opsp_dise_code`` / ``opsp_dise_name`` in 2203 ``dise_codg`` / ``dise_name`` (§3.5), not the ICD code.

Drug lists per disease: no public interface specification gives one (5205 is the patient's drug
*records*, not a list), so the list is site data in the JSON format ``opsp-drug-list/1``
(UNVERIFIED, our own convention, docs/central-interface.md)::

    {"format": "opsp-drug-list/1", "admdvs": "330421",
     "diseases": {"M03900": {"name": "高血压", "codes": ["XC08CAA…", …]}}}

A disease absent from the file has no list: nothing is checked for it.
"""

from __future__ import annotations

import json
from pathlib import Path

OPSP_MED_TYPE = "14"
DRUG_LIST_FORMAT = "opsp-drug-list/1"


class DrugListError(ValueError):
    """A drug-list file that cannot be read; the message is Chinese."""


def filings_valid_on(chronic: list[dict], day: str) -> list[dict]:
    """The 5301 rows valid on ``day`` (YYYY-MM-DD): begndate ≤ day ≤ enddate (missing end = open),
    one per disease code, in the platform's order."""
    out, seen = [], set()
    for r in chronic or []:
        code = str(r.get("opsp_dise_code") or "")
        if not code or code in seen:
            continue
        b = str(r.get("begndate") or "")[:10]
        e = str(r.get("enddate") or "")[:10]
        if (b and day < b) or (e and day > e):
            continue
        seen.add(code)
        out.append({"opsp_dise_code": code, "opsp_dise_name": str(r.get("opsp_dise_name") or ""),
                    "begndate": b, "enddate": e})
    return out


def load_drug_list(path: str | Path) -> dict[str, frozenset[str]]:
    """disease code → the national codes (med_list_codg) of its drug list."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DrugListError(f"慢特病用药目录文件无法读取（{path}）：{exc.strerror or exc}") from None
    except ValueError as exc:
        raise DrugListError(f"慢特病用药目录文件不是有效的 JSON（{path}）：{exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != DRUG_LIST_FORMAT:
        raise DrugListError(f"慢特病用药目录文件格式应为 {DRUG_LIST_FORMAT}（{path}）")
    dis = doc.get("diseases")
    if not isinstance(dis, dict):
        raise DrugListError(f"慢特病用药目录文件缺少 diseases 对象（{path}）")
    out = {}
    for code, e in dis.items():
        codes = e.get("codes") if isinstance(e, dict) else None
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise DrugListError(f"慢特病用药目录文件中病种 {code} 的 codes 必须是编码列表（{path}）")
        out[str(code)] = frozenset(codes)
    return out


def is_drug(code: str, med_chrgitm_type: str | None = None) -> bool:
    """A drug line (the list restricts drugs only): 西药费 09, 中药饮片费 10, 中成药费 11, or a national
    drug code (X… western, Z… Chinese patent medicine, T… herbal pieces) when the type is unknown."""
    if med_chrgitm_type:
        return med_chrgitm_type in ("09", "10", "11")
    return code[:1] in ("X", "Z", "T")


def outside_list(lines: list[dict], codes: frozenset[str]) -> list[dict]:
    """The drug lines whose code is not in the disease's list (``lines``: code, name, med_chrgitm_type)."""
    return [ln for ln in lines if is_drug(ln["code"], ln.get("med_chrgitm_type")) and ln["code"] not in codes]
