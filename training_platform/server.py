"""Run the training central platform: ``EmbeddedPlatform`` (a thread in this process) and ``serve``.

    with EmbeddedPlatform(data_dir) as p:      # or p = EmbeddedPlatform(data_dir).start(); p.stop()
        requests.post(p.url + "/fsi/api/callService", json=envelope)

An empty data directory is initialised with ``training_platform.demo.generate(seed)`` (or the
``data`` dict given). The state lives in ``<data_dir>/platform.sqlite3``.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from training_platform import dialects
from training_platform.app import SandboxApp
from training_platform.faults import FaultPlan
from training_platform.store import Store
from training_platform.transactions import Platform

DEFAULT_SEED = 20200824
log = logging.getLogger("medsettle.sandbox")


class TrackingHandler(WSGIRequestHandler):
    """Keeps the server's set of open connections, so stop() can close kept-alive ones."""

    def make_environ(self):
        # werkzeug drops request headers whose names contain "_" (anti-spoofing, like nginx's
        # underscores_in_headers off); Jiangsu's CSB gateway headers are all "_api_*", so the
        # training gateway keeps them (request.headers.get("_api_name") finds HTTP__API_NAME).
        environ = super().make_environ()
        for key, value in self.headers.items():
            if "_" in key:
                environ["HTTP_" + key.upper().replace("-", "_")] = value
        return environ

    def setup(self):
        super().setup()
        conns = getattr(self.server, "open_connections", None)
        if conns is not None:
            with self.server.open_lock:
                conns.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            conns = getattr(self.server, "open_connections", None)
            if conns is not None:
                with self.server.open_lock:
                    conns.discard(self.connection)


class QuietHandler(TrackingHandler):
    """No per-request access log lines (tests and the embedded training mode stay quiet)."""

    def log_request(self, code="-", size="-"):
        pass

    def log(self, type, message, *args):  # noqa: A002 - werkzeug's signature
        if type == "error":
            log.error(message, *args)


def init_data_dir(data_dir: str | Path, seed: int = DEFAULT_SEED, data: dict | None = None,
                  catalog_size: int | None = None) -> Store:
    """Open the platform store in data_dir, loading demo data the first time."""
    store = Store(data_dir)
    if not store.initialised:
        if data is None:
            from training_platform import demo

            data = demo.generate(seed, catalog_size=catalog_size) if catalog_size else demo.generate(seed)
        store.load(data, seed)
    return store


class EmbeddedPlatform:
    def __init__(self, data_dir: str | Path, host: str = "127.0.0.1", port: int = 0, *, seed: int = DEFAULT_SEED,
                 data: dict | None = None, catalog_page_rows: int = 20000, quiet: bool = True,
                 gateway=None, dialect: str | None = None, password_check: bool = False,
                 accept_ec_qr: bool = True):
        self.data_dir = Path(data_dir)
        self.gateway = gateway            # e.g. training_platform.gateway.XCaGateway (None = no gateway)
        # a regional dialect (training_platform.dialects: national | jiangsu | zhejiang): its URL
        # layout, infno variants and gateway (unless ``gateway`` is given); None = all layouts
        self.dialect = dialects.dialect(dialect) if dialect else None
        self.password_check = password_check    # 验密 for 2207/2304 (training_platform.password)
        # ec.query: also take the raw QR in data.ecQrCode (the Shanghai SE01 / keyboard-wedge variant)
        self.accept_ec_qr = accept_ec_qr
        self.host = host
        self.port = port
        self.seed = seed
        self._data = data
        self.catalog_page_rows = catalog_page_rows
        self.quiet = quiet
        self.faults = FaultPlan(seed)
        self.pay_userpaying_s = 2.0        # training payment gateway: USERPAYING resolves after this delay
        self.paygate = None
        self.store: Store | None = None
        self.platform: Platform | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("training platform not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> EmbeddedPlatform:
        if self._server is not None:
            return self
        self.store = init_data_dir(self.data_dir, self.seed, self._data)
        self._data = None
        verifier = None
        if self.password_check:
            from training_platform.password import PasswordVerifier

            verifier = PasswordVerifier(self.data_dir)
        self.platform = Platform(self.store, self.catalog_page_rows, dialect=self.dialect, password=verifier)
        self.platform.accept_ec_qr = self.accept_ec_qr
        from training_platform.paygate import PayGate

        self.paygate = PayGate(self.data_dir, userpaying_s=self.pay_userpaying_s)
        app = SandboxApp(self.platform, self.faults, gateway=self.gateway, dialect=self.dialect, paygate=self.paygate)
        self._server = make_server(self.host, self.port, app, threaded=True,
                                   request_handler=QuietHandler if self.quiet else TrackingHandler)
        # Handler threads are joined by server_close(); stop() first closes kept-alive connections.
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self._server.open_connections = set()
        self._server.open_lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"sandbox-{self._server.server_port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._thread.join(timeout=10)
        with self._server.open_lock:
            conns = list(self._server.open_connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._server = None
        self._thread = None
        if self.store is not None:
            self.store.close()
        if self.paygate is not None:
            self.paygate.close()
            self.paygate = None

    def serve_forever(self) -> None:
        """Blocking variant used by `medsettle sandbox serve`."""
        self.start()
        try:
            self._thread.join()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> EmbeddedPlatform:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
