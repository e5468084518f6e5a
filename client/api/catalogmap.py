"""目录对照: 3301 目录对照上传, 3302 目录对照撤销, 1316 / 1317 matching queries (typed requests).

A hospital charges its own items (its HIS codes, 定点医药机构目录编号); 3301 tells the platform which
national code (医疗目录编码 ``med_list_codg``) each of them is; fee upload (2204 / 2301) then sends
``medins_list_codg`` = the hospital's code and ``med_list_codg`` = the national one.

Field lists (public sources, read-only references; reference §3.1 names the infnos):

* **3301** input ``{"data": {...}}``, ONE item per call (the model's ``data`` is an object, not a
  list): ``fixmedins_hilist_id`` (定点医药机构目录编号, 30, Y), ``fixmedins_hilist_name`` (名称, 200, Y),
  ``list_type`` (目录类别, 30, Y), ``med_list_codg`` (医疗目录编码, 30), ``begndate`` (Y), ``enddate`` (Y),
  ``aprvno`` (批准文号), ``dosform`` (剂型), ``exct_cont`` (除外内容), ``item_cont`` (项目内涵),
  ``prcunt`` (计价单位), ``spec`` (规格), ``pacspec`` (包装规格), ``memo`` — newtouch-cloud/openhis
  ``WinServiceAPI/NeiMengGuYiBaoApp/Models/Input/YiBao/Input_3301.cs`` (the spec rows 1–14 in its
  comments). Output: none documented in that model set (no ``Output_3301.cs``) — UNVERIFIED; we read
  infcode 0 as accepted and keep whatever output node comes back (``Ack``).
* **3302** input ``{"data": {fixmedins_code, fixmedins_hilist_id, list_type, med_list_codg}}``, all Y —
  openhis ``.../Input/YiBao/Input_3302.cs`` (class ``catalogcompin3302``). Output UNVERIFIED (``Ack``).
* **1316** 医疗目录与医保目录匹配信息查询, paged like 1312: input ``query_date``, ``medins_list_codg``,
  ``hilist_code``, ``list_type``, ``insu_admdvs`` (Y), ``begndate``, ``vali_flag`` (Y), ``updt_time`` (Y),
  ``page_num`` (Y), ``page_size`` (Y) — openhis ``.../Input/YiBao/Input_1316.cs``; output wrapper
  ``firstPage, lastPage, size, startRow, pageSize, pageNum, recordCounts, pages, data[]`` with rows
  ``med_list_codg, hilist_code, list_type, insu_admdvs, begndate, enddate, memo, vali_flag, rid,
  updt_time, crter_id, …, poolarea_no`` — openhis ``.../Output/YiBao/Output_1316.cs`` (which also
  quotes a real Chongqing row: ``"list_type": "201"``, ``"insu_admdvs": "500000"``).
* **1317** 医药机构目录匹配信息查询, paged: input ``query_date``, ``fixmedins_code``,
  ``medins_list_codg``, ``medins_list_name``, ``insu_admdvs`` (Y), ``list_type``, ``med_list_codg``,
  ``begndate``, ``vali_flag`` (Y), ``updt_time`` (Y), ``page_num`` (Y), ``page_size`` (Y) — openhis
  ``.../Input/YiBao/Input_1317.cs``; output rows ``fixmedins_code, medins_list_codg, medins_list_name,
  insu_admdvs, list_type, med_list_codg, begndate, enddate, aprvno, dosform, exct_cont, item_cont,
  prcunt, spec, pacspec, memo, vali_flag, rid, updt_time, …`` — openhis ``.../Output/YiBao/Output_1317.cs``.

``list_type`` values seen in public material: 101 西药中成药, 102 中药饮片, 103 医疗机构制剂, 201 医疗
服务项目, 301 医用耗材 (the 1316 real row above; the training platform's catalogue uses the same).
Whether a region accepts a 3301 batch (a list in ``data``) is UNVERIFIED; we send one item per call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .transactions import Ack, HilistPage, _DataNode, _Node

LIST_TYPES: dict[str, str] = {
    "101": "西药中成药", "102": "中药饮片", "103": "医疗机构制剂", "201": "医疗服务项目", "301": "医用耗材",
}


@dataclass
class UploadMapping(_DataNode):
    """3301 目录对照上传 — one hospital item ↔ one national code."""

    INFNO: ClassVar[str] = "3301"
    RESPONSE: ClassVar[type] = Ack
    fixmedins_hilist_id: str
    fixmedins_hilist_name: str
    list_type: str
    med_list_codg: str
    begndate: str
    enddate: str
    aprvno: str | None = None
    dosform: str | None = None
    exct_cont: str | None = None
    item_cont: str | None = None
    prcunt: str | None = None
    spec: str | None = None
    pacspec: str | None = None
    memo: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RevokeMapping(_DataNode):
    """3302 目录对照撤销."""

    INFNO: ClassVar[str] = "3302"
    RESPONSE: ClassVar[type] = Ack
    fixmedins_code: str
    fixmedins_hilist_id: str
    list_type: str
    med_list_codg: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class QueryMedListMatch(_Node):
    """1316 医疗目录与医保目录匹配信息查询 (paged; answer parsed like 1312)."""

    INFNO: ClassVar[str] = "1316"
    RESPONSE: ClassVar[type] = HilistPage
    insu_admdvs: str
    updt_time: str
    vali_flag: str = "1"
    page_num: int = 1
    page_size: int = 100
    medins_list_codg: str | None = None
    hilist_code: str | None = None
    list_type: str | None = None
    query_date: str | None = None
    begndate: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_input(self) -> dict[str, Any]:
        return {"data": self.to_node()}


@dataclass
class QueryMedinsMatch(_Node):
    """1317 医药机构目录匹配信息查询 (paged; answer parsed like 1312)."""

    INFNO: ClassVar[str] = "1317"
    RESPONSE: ClassVar[type] = HilistPage
    insu_admdvs: str
    updt_time: str
    fixmedins_code: str | None = None
    vali_flag: str = "1"
    page_num: int = 1
    page_size: int = 100
    medins_list_codg: str | None = None
    medins_list_name: str | None = None
    list_type: str | None = None
    med_list_codg: str | None = None
    query_date: str | None = None
    begndate: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_input(self) -> dict[str, Any]:
        return {"data": self.to_node()}
