"""A policy bundle changed in transit is refused end to end.

A man-in-the-middle HTTP proxy on 127.0.0.1 sits between the window and the training platform and,
when switched on, rewrites the 9901 answer (a better reimbursement ratio, a wider zone) while
keeping the platform's MAC. The sync service must refuse the bundle, keep the previous one in
use, and store nothing of the forged one.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.sync import fetch_bundle, stored_bundle


class TamperingProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream
        self.tamper = None          # callable(bundle) -> None, or None = pass through
        self.seen_9901 = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                r = requests.post(proxy.upstream + self.path, data=body, headers=headers, timeout=30)
                content = r.content
                try:
                    infno = json.loads(body).get("infno")
                except ValueError:
                    infno = None
                if infno == "9901":
                    proxy.seen_9901 += 1
                    if proxy.tamper is not None:
                        doc = json.loads(content)
                        proxy.tamper(doc["output"]["bundle"])
                        content = json.dumps(doc, ensure_ascii=False).encode("utf-8")
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _raise_ratio(bundle: dict) -> None:
    for p in bundle["policies"]:
        if "ratio" in p:
            p["ratio"] = {"by_hosp_lv": {"1": "0.99", "2": "0.99", "3": "0.99"}}


def _widen_zone(bundle: dict) -> None:
    for z in bundle.get("zones", []):
        z["members"] = sorted(set(z["members"]) | {"110105"})


@pytest.mark.parametrize("tamper", [_raise_ratio, _widen_zone], ids=["ratio", "zone"])
def test_tampered_bundle_refused_previous_kept(platform, tmp_path, tamper):
    with TamperingProxy(platform.url) as proxy:
        ctx = open_context(training_settings_for(proxy.url, tmp_path / "w"))
        try:
            assert ctx.mac_key and ctx.require_mac
            ver, changed = fetch_bundle(ctx, "330421")            # honest answer: accepted
            assert changed and proxy.seen_9901 == 1
            good = stored_bundle(ctx.store, "330421")
            proxy.tamper = tamper
            with pytest.raises(ServiceError) as ei:
                fetch_bundle(ctx, "330421")
            assert ei.value.code == "refused" and "校验失败" in str(ei.value) and "原政策包" in str(ei.value)
            assert proxy.seen_9901 == 2
            assert stored_bundle(ctx.store, "330421") == good      # the previous bundle stays in use
            with pytest.raises(ServiceError):                       # a region never fetched: nothing stored
                fetch_bundle(ctx, "320509")
            assert stored_bundle(ctx.store, "320509") is None
            with ctx.store.read_connection() as c:
                n = c.exec_driver_sql("SELECT count(*) FROM policy_bundles").scalar_one()
            assert n == 1
        finally:
            ctx.close()
