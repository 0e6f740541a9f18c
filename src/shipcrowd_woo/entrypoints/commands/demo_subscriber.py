"""The demo's subscriber: a small local receiver of pushed feed events, as Shipcrowd's
shipping side would run one. It checks every delivery's Standard Webhooks signature with the
secret its subscription was given, and keeps each order's last event."""

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug import Request, Response
from werkzeug.serving import WSGIRequestHandler, make_server

from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.standard_webhooks import verified


class _Quiet(WSGIRequestHandler):
    def log_request(self, *_: object) -> None:
        """The demo reports what was received; a line per delivery would drown it."""


class DemoSubscriber:
    """Listens on 127.0.0.1; `secret` is set once the subscription is made."""

    def __init__(self) -> None:
        self.secret: Secret | None = None
        self.deliveries = 0
        self.badly_signed = 0
        self.last: dict[int, dict[str, Any]] = {}
        self.types: set[tuple[int, str]] = set()
        self._changed = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}/shipcrowd/events"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="demo-subscriber", daemon=True
        )

    def __enter__(self) -> "DemoSubscriber":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        with self._changed:
            self.deliveries += 1
            if self.secret is None or not verified(
                self.secret, dict(request.headers), body, int(time.time())
            ):
                self.badly_signed += 1
                return Response("bad signature", 401)(environ, start_response)
            event = json.loads(body)
            order_id = int(event["order_id"])
            # Keyed by order, kept if newer: a redelivery of an older event changes nothing.
            if event["seq"] > self.last.get(order_id, {"seq": 0})["seq"]:
                self.last[order_id] = event
            self.types.add((order_id, event["type"]))
            self._changed.notify_all()
        return Response(status=204)(environ, start_response)

    def wait_until(self, holds: Callable[["DemoSubscriber"], bool], timeout: float) -> bool:
        """Until `holds` is true of what was received (True), or the time is up (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: holds(self), timeout)
