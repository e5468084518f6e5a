"""Catalogue once per hospital: the central download is made once, into the hospital store; the
windows refresh from there over the LAN.

* ``medsettle hospital sync`` (IT; the owner's connection) runs the ordinary catalogue sync
  (``SyncService``) with a ``RecordingCentral``: every 13xx file the central platform delivers is
  applied to that machine's store as usual AND kept, as the exact text received, in
  ``medsettle.catalog_files`` keyed by (infno, admdvs, from_ver) with the ver it advances to.
* A window's ``medsettle sync`` in hospital mode runs the same ``SyncService`` with a
  ``HospitalCentral``: 13xx file downloads are answered from that chain (the file for the window's
  own ``ver``), everything else (sign-in, the paged 1312/1318/1319 queries, 9001) still goes to the
  central platform. The files are read by the same real-layout reader, so a window gets exactly the
  rows a direct download would have given it.
* A window whose ``ver`` is not on the hospital's chain (it synced directly before), or a hospital
  store that cannot be reached, falls back to the central platform for that stream — the window's
  sync never fails because of the hospital store; the summary says which source served it.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field

from sqlalchemy import text as sql

from hospital_store import SCHEMA
from hospital_store.db import HospitalError, explain

log = logging.getLogger("client.services.hospital_catalog")


def _file_ver(infno: str, body: str, layouts=None) -> str | None:
    """The ver a file advances to: the ver column of its last usable row (its real layout, or the
    site's ``catalog.layouts`` override — the same as the sync's)."""
    from client.domain.catalog_layouts import layout_for
    from offline_cache.catalog import last_line_ver

    return last_line_ver(body, layout_for(infno, layouts))


class RecordingCentral:
    """The real central client, with every 13xx file it downloads also kept in the hospital store."""

    def __init__(self, central, engine, admdvs: str, *, layouts=None):
        self._central, self._engine, self._admdvs, self._layouts = central, engine, admdvs, layouts
        self.recorded = 0

    def __getattr__(self, name):
        return getattr(self._central, name)

    def download_catalogue(self, infno: str, ver: str, *, operator, text: bool = False):
        from client.api.transactions import split_tsv

        info, body = self._central.download_catalogue(infno, ver, operator=operator, text=True)
        if body.strip():
            new_ver = _file_ver(infno, body, self._layouts)
            if new_ver:
                with self._engine.begin() as c:
                    c.execute(_sql_insert(), {"i": infno, "a": self._admdvs, "f": ver, "v": new_ver,
                                              "n": info.filename or "", "c": int(info.data_cnt or 0),
                                              "b": zlib.compress(body.encode("utf-8"), 6)})
                self.recorded += 1
        return info, body if text else split_tsv(body)


def _sql_insert():
    return sql(f"INSERT INTO {SCHEMA}.catalog_files (infno, admdvs, from_ver, ver, filename, data_cnt, content) "
                "VALUES (:i, :a, :f, :v, :n, :c, :b) ON CONFLICT (infno, admdvs, from_ver) DO NOTHING")


@dataclass
class ServedBy:
    hospital: dict[str, int] = field(default_factory=dict)    # infno -> files served by the hospital store
    central: dict[str, str] = field(default_factory=dict)     # infno -> why it went to the central platform


class HospitalCentral:
    """The central client for everything, except 13xx files: those come from the hospital chain."""

    def __init__(self, central, engine, admdvs: str):
        self._central, self._engine, self._admdvs = central, engine, admdvs
        self.served = ServedBy()
        self._direct: set[str] = set()

    def __getattr__(self, name):
        return getattr(self._central, name)

    def _chain(self, infno: str, ver: str) -> str:
        """"on" (the window's ver is on the hospital's chain), "none" (no file of this catalogue in
        the hospital store) or "off" (files, but not from this ver)."""
        with self._engine.connect() as c:
            row = c.execute(sql(
                f"SELECT count(*), count(*) FILTER (WHERE from_ver = :v OR ver = :v) FROM {SCHEMA}.catalog_files "
                "WHERE infno = :i AND admdvs = :a"), {"i": infno, "a": self._admdvs, "v": ver}).one()
        return "none" if not row[0] else ("on" if row[1] else "off")

    def download_catalogue(self, infno: str, ver: str, *, operator, text: bool = False):
        from client.api.transactions import CatalogFileInfo, split_tsv

        if infno not in self._direct:
            try:
                chain = "on" if infno in self.served.hospital else self._chain(infno, ver)
                if chain != "on":
                    self._direct.add(infno)
                    self.served.central[infno] = ("医院库没有该目录的文件" if chain == "none"
                                                  else f"本窗口版本 {ver} 不在医院库的目录链上")
                else:
                    with self._engine.connect() as c:
                        row = c.execute(sql(
                            f"SELECT filename, data_cnt, content FROM {SCHEMA}.catalog_files "
                            "WHERE infno = :i AND admdvs = :a AND from_ver = :v"),
                            {"i": infno, "a": self._admdvs, "v": ver}).first()
                    if row is None:
                        info = CatalogFileInfo(file_qury_no="", filename="", dld_end_time="", data_cnt=0)
                        return info, "" if text else []
                    body = zlib.decompress(row[2]).decode("utf-8")
                    self.served.hospital[infno] = self.served.hospital.get(infno, 0) + 1
                    info = CatalogFileInfo(file_qury_no=f"hospital:{infno}:{ver}", filename=row[0], dld_end_time="",
                                           data_cnt=int(row[1]))
                    return info, body if text else split_tsv(body)
            except Exception as exc:  # noqa: BLE001 - the hospital store away: the central platform serves
                err = exc if isinstance(exc, HospitalError) else explain(exc)
                log.warning("hospital catalogue for %s unavailable: %s", infno, err.message)
                self._direct.add(infno)
                self.served.central[infno] = err.message
        return self._central.download_catalogue(infno, ver, operator=operator, text=text)


class hospital_source:  # noqa: N801 - a context manager used like a function
    """``with hospital_source(ctx) as served:`` — while the block runs, ``ctx.central`` answers 13xx
    file downloads from the hospital store (hospital mode); ``served`` is None when hospital mode is
    off or the store cannot be reached (then ``note`` says why and everything goes to the central
    platform). The window's own sync and ``medsettle sync`` use it alike."""

    def __init__(self, ctx, *, direct: bool = False):
        self.ctx, self.direct = ctx, direct
        self.note = ""
        self._engine = self._saved = None

    def __enter__(self) -> ServedBy | None:
        from client.services import hospital

        settings = self.ctx.settings
        if self.direct or not hospital.enabled(settings):
            return None
        try:
            self._engine = hospital.engine_for(settings)
        except HospitalError as exc:
            self.note = f"医院库不可用，本次直接从医保中心下载目录：{exc.message}"
            return None
        self._saved = self.ctx.central
        central = HospitalCentral(self._saved, self._engine, self.ctx.admdvs)
        self.ctx.central = central
        return central.served

    def pull_policies(self) -> dict | None:
        """The policy bundles IT published in the hospital store that this window lacks, imported
        (client.services.hospital_policies); None outside hospital mode. Never raises: a failure is
        returned as {"error": …}."""
        if self._engine is None:
            return None
        from .errors import ServiceError
        from .hospital_policies import pull

        try:
            return pull(self.ctx.store, self._engine)
        except ServiceError as exc:
            return {"error": exc.message}

    def __exit__(self, *exc) -> None:
        if self._saved is not None:
            self.ctx.central = self._saved
        if self._engine is not None:
            self._engine.dispose()
