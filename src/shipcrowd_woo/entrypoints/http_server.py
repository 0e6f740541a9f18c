"""The HTTP server: gunicorn manages the processes, waitress serves inside each of them.

gunicorn's own thread worker hands a connection to an app thread once the request's first bytes
are in; a client that then trickles its body holds that thread, and ten such clients starved
every thread (issue 14). waitress reads each request in full on its event loop — headers and
body, spooled to a file beyond a size — and only then gives it to a thread, so a slow client
costs a socket, never a thread. On top of that, a request must arrive in full within the app's
REQUEST_TIMEOUT (else 408 and the connection closes), idle connections close after it, and a
body longer than the app's MAX_CONTENT_LENGTH is refused before it is read (413, connection
closed: the unread body makes the connection unusable). Errors the server answers itself are
problem+json like the app's.

`shipcrowd-woo serve` uses this worker; under gunicorn directly:
`gunicorn -k shipcrowd_woo.entrypoints.http_server.BufferingWorker …`.
"""

import json
import logging
import os
import socket
import time
from typing import Any

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer, UnixWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import Error

from shipcrowd_woo.entrypoints.api.problems import HTTP_KINDS, MEDIA_TYPE, ApiProblem, problem_body

REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_BODY = 1024**3  # waitress's own default, for an app that states no limit
LOOP_SECONDS = 1.0  # how often the loop tells gunicorn it is alive and checks for a stop

SERVER_KINDS = {
    408: ("request-timeout", "The request did not arrive in time"),
    431: ("request-header-fields-too-large", "The request headers are too large"),
    501: ("not-implemented", "Not implemented"),
}


class RequestTimeout(Error):  # type: ignore[misc]
    code = 408
    reason = "Request Timeout"


class ProblemErrorTask(ErrorTask):  # type: ignore[misc]
    """The server's own errors (malformed request, headers or body too large, too slow) as
    problem+json, the connection closed after them."""

    def execute(self) -> None:
        error = self.request.error
        kind, title = {**HTTP_KINDS, **SERVER_KINDS}.get(error.code, ("http-error", error.reason))
        body = json.dumps(problem_body(ApiProblem(error.code, kind, title, str(error.body))))
        payload = body.encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", MEDIA_TYPE))
        self.set_close_on_finish()
        self.content_length = len(payload)
        self.write(payload)


class TimedRequestParser(HTTPRequestParser):  # type: ignore[misc]
    """A request being received, with the time its first byte came."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.monotonic()


class DeadlineChannel(HTTPChannel):  # type: ignore[misc]
    parser_class = TimedRequestParser
    error_task_class = ProblemErrorTask

    def expire_request(self, started_before: float) -> None:
        """Answer 408 to a request still arriving that began before `started_before`."""
        with self.requests_lock:
            late: TimedRequestParser | None = self.request  # type: ignore[has-type]
            if late is None or late.started >= started_before or self.will_close:
                return
            late.error = RequestTimeout("the request did not arrive in full in time")
            late.completed = True
            self.request = None
            self.requests.append(late)
            if len(self.requests) == 1:
                self.server.add_task(self)


class DeadlineServerMixin:
    """waitress closes idle connections; this also answers a request that is still
    arriving when its time is up, however steadily its bytes trickle in."""

    channel_class = DeadlineChannel
    request_timeout = DEFAULT_REQUEST_TIMEOUT

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # type: ignore[misc]
        started_before = time.monotonic() - self.request_timeout
        for channel in list(self.active_channels.values()):  # type: ignore[attr-defined]
            channel.expire_request(started_before)


class DeadlineTcpServer(DeadlineServerMixin, TcpWSGIServer):  # type: ignore[misc]
    pass


class DeadlineUnixServer(DeadlineServerMixin, UnixWSGIServer):  # type: ignore[misc]
    pass


class BufferingWorker(Worker):  # type: ignore[misc]
    """A gunicorn worker that serves its listeners with waitress (see the module's doc).
    gunicorn's `threads` are waitress's threads, `worker_connections` its connection limit,
    `graceful_timeout` how long requests in hand may take to finish on SIGTERM."""

    def run(self) -> None:
        config = getattr(self.wsgi, "config", {})
        timeout = float(config.get(REQUEST_TIMEOUT) or DEFAULT_REQUEST_TIMEOUT)
        adjustments = Adjustments(
            threads=self.cfg.threads,
            connection_limit=self.cfg.worker_connections,
            channel_timeout=max(1, round(timeout)),
            cleanup_interval=1,
            max_request_body_size=config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BODY,
            ident="shipcrowd-woo",
        )
        # waitress warns "Task queue depth is N" whenever a request waits for a thread: under
        # load that is every request, and a JSON log line each cost as much as keeping a
        # delivery (py-spy under wrk). Waiting requests show in the latency metrics.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        connections: dict[int, Any] = {}
        threads = ThreadedTaskDispatcher()
        threads.set_thread_count(adjustments.threads)
        servers = [
            self._server(listener.sock, connections, threads, adjustments, timeout)
            for listener in self.sockets
        ]
        while self.alive and self.ppid == os.getppid():
            self.notify()
            wasyncore.loop(timeout=LOOP_SECONDS, map=connections, use_poll=True, count=1)
        self._finish(servers, connections, threads)

    def _server(
        self,
        listener: socket.socket,
        connections: dict[int, Any],
        threads: ThreadedTaskDispatcher,
        adjustments: Adjustments,
        timeout: float,
    ) -> DeadlineServerMixin:
        kind = DeadlineUnixServer if listener.family == socket.AF_UNIX else DeadlineTcpServer
        server = kind(
            self.wsgi,
            connections,
            _sock=listener,
            dispatcher=threads,
            adj=adjustments,
            bind_socket=False,
            sockinfo=(listener.family, listener.type, listener.proto, listener.getsockname()),
        )
        server.request_timeout = timeout
        return server

    def _finish(
        self,
        servers: list[DeadlineServerMixin],
        connections: dict[int, Any],
        threads: ThreadedTaskDispatcher,
    ) -> None:
        """Stop accepting, let the requests in hand finish within the graceful timeout,
        then close every connection."""
        for server in servers:
            server.del_channel()  # type: ignore[attr-defined]
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline and any(
            isinstance(channel, HTTPChannel) and (channel.requests or channel.total_outbufs_len)
            for channel in list(connections.values())
        ):
            self.notify()
            wasyncore.loop(timeout=0.1, map=connections, use_poll=True, count=1)
        threads.shutdown(cancel_pending=True, timeout=max(0.0, deadline - time.monotonic()))
        wasyncore.close_all(connections)
