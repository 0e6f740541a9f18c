"""Running the sandbox: in-process on 127.0.0.1 (an ephemeral port, a thread) for tests and
the demo, or in the foreground for a person. HTTPS uses a throw-away self-signed certificate
so that HTTP Basic authentication can be exercised, as WooCommerce only accepts it over TLS."""

import datetime
import ipaddress
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

from shipcrowd_woo.sandbox.app import SandboxApp, redirect_home
from shipcrowd_woo.sandbox.delivery import Deliverer
from shipcrowd_woo.sandbox.faults import FaultPlan
from shipcrowd_woo.sandbox.latency import LatencyModel
from shipcrowd_woo.sandbox.store import SandboxStore

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger("shipcrowd_woo.sandbox")


class QuietRequestHandler(WSGIRequestHandler):
    """Logs method, path and status at DEBUG, never the query string: OAuth and query-string
    authentication put the consumer key (and secret) there."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        log.debug("sandbox %s %s -> %s", self.command, path, code)


def self_signed_certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate and key for `host` and localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shipcrowd-woo sandbox")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(host))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "sandbox.crt", directory / "sandbox.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class SandboxServer:
    """A sandbox store served over real HTTP(S) on 127.0.0.1, in a background thread."""

    def __init__(
        self,
        store: SandboxStore,
        *,
        tls: bool = False,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        home_host: str | None = None,
        http_redirect: bool = False,
        webhook_runners: int = 1,
        latency: LatencyModel | None = None,
    ) -> None:
        """`home_host` makes the store call itself by another name for the same address
        (`localhost` for 127.0.0.1): reached as `address`, it answers under `url`.
        `http_redirect` (with `tls`) also listens for plain HTTP at `http_address` and
        sends every request there to the same path at the https home, as a web server
        moving a site to https does. `webhook_runners` sends deliveries from that many
        queues at once (see Deliverer). `latency` makes it as slow as a real store (see
        latency.py)."""
        self.store = store
        self.faults = faults or FaultPlan()
        self.deliverer = Deliverer(store, runners=webhook_runners)
        self.app = SandboxApp(store, self.deliverer, self.faults, latency)
        self._directory = tempfile.TemporaryDirectory(prefix="shipcrowd-sandbox-")
        self.certificate: Path | None = None
        ssl_context = None
        if tls:
            self.certificate, key = self_signed_certificate(Path(self._directory.name), host)
            ssl_context = (str(self.certificate), str(key))
        self._server: BaseWSGIServer = make_server(
            host,
            port,
            self.app,
            threaded=True,
            ssl_context=ssl_context,
            request_handler=QuietRequestHandler,
        )
        scheme = "https" if tls else "http"
        self.address = f"{scheme}://{host}:{self._server.server_port}"
        store.base_url = f"{scheme}://{home_host or host}:{self._server.server_port}"
        self._servers = [self._server]
        if http_redirect:
            redirector = make_server(
                host, 0, self._to_home, threaded=True, request_handler=QuietRequestHandler
            )
            self.http_address = f"http://{host}:{redirector.server_port}"
            self._servers.append(redirector)
        self._threads = [
            threading.Thread(
                target=server.serve_forever, args=(0.05,), name="sandbox-http", daemon=True
            )
            for server in self._servers
        ]

    def _to_home(self, environ: dict[str, Any], start_response: Any) -> Any:
        return redirect_home(self.store, Request(environ))(environ, start_response)

    @property
    def url(self) -> str:
        """The store URL (WordPress's home URL)."""
        return self.store.base_url

    def wrap(self, middleware: Callable[["WSGIApplication"], "WSGIApplication"]) -> None:
        """Put a WSGI middleware in front of the store (tests hold requests with it)."""
        self._server.app = middleware(self._server.app)

    def start(self) -> Self:
        """Serve in the background."""
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and delivering."""
        for server, thread in zip(self._servers, self._threads, strict=True):
            server.shutdown()
            thread.join()
            server.server_close()
        self.deliverer.close()
        self._directory.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted."""
        try:
            self._server.serve_forever()
        finally:
            self.deliverer.close()
            self._directory.cleanup()


def run_in_background(store: SandboxStore, **options: object) -> SandboxServer:
    """Start a sandbox server and return it (stop it when done)."""
    return SandboxServer(store, **options).start()  # type: ignore[arg-type]
