"""A webhook receiver on 127.0.0.1 that records what it is sent and answers as told."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug import Request, Response
from werkzeug.serving import make_server


class Receiver:
    """Records every request; answers `status` (settable)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        # The request numbered `hold_at` (1 for the first) waits for `release` before it is
        # answered; `arrived` is set when it came.
        self.hold_at: int | None = None
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.received.append(
                {"path": request.path, "headers": dict(request.headers), "body": request.get_data()}
            )
            status = self.status
            held = len(self.received) == self.hold_at
            self._lock.notify_all()
        if held:
            self.arrived.set()
            self.release.wait(60)
        return Response("ok", status)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Until `count` requests came (or the time is up); what came."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()
