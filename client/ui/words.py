"""What the window shows for codes and data words, in the UI language (English source, zh_CN
translations through Qt's translation system, context ``Words``).

The services give Chinese labels (the receipts are Chinese); the window translates the common ones so
that an English window is English: sex, insurance types, person types, the cross-region status and its
meaning, the catalogue classes (甲/乙/丙) and the usual units of the charge lines. A code without an
entry here is shown as the service gave it (its Chinese label, or the code itself) — never a wrong one.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def sex(label: str) -> str:
    return {"男": QCoreApplication.translate("Words", "male"), "女": QCoreApplication.translate("Words", "female"), "未知": QCoreApplication.translate("Words", "unknown")}.get(label, label)


def insutype(code: str, fallback: str) -> str:
    names = {"310": QCoreApplication.translate("Words", "employee basic medical insurance"), "320": QCoreApplication.translate("Words", "civil-servant medical subsidy"),
             "330": QCoreApplication.translate("Words", "large medical expense subsidy"), "340": QCoreApplication.translate("Words", "retired cadres' medical care"),
             "390": QCoreApplication.translate("Words", "urban and rural resident basic medical insurance"),
             "392": QCoreApplication.translate("Words", "resident critical-illness insurance"), "510": QCoreApplication.translate("Words", "maternity insurance")}
    return names.get(str(code or ""), fallback or str(code or ""))


def psn_type(code: str, fallback: str) -> str:
    names = {"1101": QCoreApplication.translate("Words", "employee, in service"), "1102": QCoreApplication.translate("Words", "civil servant, in service"),
             "1103": QCoreApplication.translate("Words", "flexible employment, in service"), "1201": QCoreApplication.translate("Words", "employee, retired"),
             "1202": QCoreApplication.translate("Words", "civil servant, retired"), "1203": QCoreApplication.translate("Words", "flexible employment, retired"),
             "1300": QCoreApplication.translate("Words", "retired cadre"), "1401": QCoreApplication.translate("Words", "newborn"), "1402": QCoreApplication.translate("Words", "pre-school child"),
             "1403": QCoreApplication.translate("Words", "pupil"), "1404": QCoreApplication.translate("Words", "university student"), "1501": QCoreApplication.translate("Words", "adult resident")}
    return names.get(str(code or ""), fallback or str(code or ""))


def status(code: str | None, fallback: str) -> str:
    names = {"local": QCoreApplication.translate("Words", "local"), "zone_exempt": QCoreApplication.translate("Words", "demo zone: no filing needed"),
             "filed": QCoreApplication.translate("Words", "filed (long-term)"), "referral": QCoreApplication.translate("Words", "referral filed"),
             "emergency": QCoreApplication.translate("Words", "emergency away from home"), "unfiled": QCoreApplication.translate("Words", "not filed")}
    return names.get(str(code or ""), fallback)


def status_meaning(code: str | None, fallback: str) -> str:
    names = {
        "local": QCoreApplication.translate("Words", "Insured place and treatment place are in the same pool: local benefits."),
        "zone_exempt": QCoreApplication.translate("Words", "Yangtze River Delta demo zone: outpatient and emergency visits are settled directly "
                          "without filing, at full benefits."),
        "filed": QCoreApplication.translate("Words", "Long-term residence filing: settled directly at the filed benefits."),
        "referral": QCoreApplication.translate("Words", "Referral filing: settled directly at the referral benefits."),
        "emergency": QCoreApplication.translate("Words", "Settled at the benefits for emergency care away from home."),
        "unfiled": QCoreApplication.translate("Words", "No cross-region filing: the insured place lowers the reimbursement or requires filing "
                      "first."),
    }
    return names.get(str(code or ""), fallback)


def level_short(code: str) -> str:
    """The catalogue class (chrgitm_lv) in one character: 甲/乙/丙 — A/B/C in English."""
    return {"01": QCoreApplication.translate("Words", "A (甲)"), "02": QCoreApplication.translate("Words", "B (乙)"), "03": QCoreApplication.translate("Words", "C (丙)")}.get(str(code or ""), str(code or ""))


def unit(u: str) -> str:
    """The usual units of charge lines; any other is shown as it is."""
    names = {"粒": QCoreApplication.translate("Words", "caps."), "片": QCoreApplication.translate("Words", "tab."), "盒": QCoreApplication.translate("Words", "box"), "支": QCoreApplication.translate("Words", "amp."), "瓶": QCoreApplication.translate("Words", "bottle"),
             "袋": QCoreApplication.translate("Words", "bag"), "次": QCoreApplication.translate("Words", "time"), "日": QCoreApplication.translate("Words", "day"), "项": QCoreApplication.translate("Words", "item"), "个": QCoreApplication.translate("Words", "pc."),
             "张": QCoreApplication.translate("Words", "sheet"), "丸": QCoreApplication.translate("Words", "pill"), "贴": QCoreApplication.translate("Words", "patch"), "人次": QCoreApplication.translate("Words", "visit"), "小时": QCoreApplication.translate("Words", "h"),
             "床日": QCoreApplication.translate("Words", "bed-day"), "剂": QCoreApplication.translate("Words", "dose"), "套": QCoreApplication.translate("Words", "set"), "根": QCoreApplication.translate("Words", "stick"), "包": QCoreApplication.translate("Words", "pack")}
    return names.get(u, u)
