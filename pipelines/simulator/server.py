"""A small keep-alive HTTP/1.1 server for the simulator (one thread per connection).

The stdlib `http.server` parses headers with the email package and is several times slower
per request; this reads the request line, headers and a Content-Length body directly and
writes the reply in one `sendall`.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

from .config import SimulatorConfig
from .core import Simulator
from .dispatch import REASONS, Reply, handle

MAX_LINE = 65_536


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], owner: SimulatorServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        owner = self.server.owner
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        owner._track(sock, add=True)
        try:
            rfile = sock.makefile("rb", buffering=MAX_LINE)
            while not owner.stopping.is_set():
                if not self._one(owner, sock, rfile):
                    break
        except (OSError, ValueError):
            pass  # client went away, or the server is stopping
        finally:
            owner._track(sock, add=False)

    def _one(self, owner: SimulatorServer, sock: socket.socket, rfile: Any) -> bool:
        line = rfile.readline(MAX_LINE)
        if not line.strip():
            return False
        method, target, version = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            raw = rfile.readline(MAX_LINE)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = rfile.read(length) if length else b""
        reply = handle(owner.simulator, method, target.split("?", 1)[0], headers, body)
        return self._send(owner, sock, reply, version, headers)

    def _send(self, owner: SimulatorServer, sock: socket.socket, reply: Reply, version: str,
              headers: dict[str, str]) -> bool:
        # the wait (latency, slow, hang) holds only this connection's thread, no lock
        if reply.delay and owner.stopping.wait(reply.delay):
            return False
        if reply.entry is not None:
            # stamped before the first byte goes out, so a client that has the reply also
            # sees the stamp in the request log
            reply.entry["finished"] = time.monotonic()
        if reply.mode != "send":
            return False  # drop, or a hang that has waited: close without a response
        keep = (version.strip() == "HTTP/1.1"
                and headers.get("connection", "").lower() != "close")
        # scatter-gather: a 300 kB page is never copied into one buffer
        pending = [memoryview(b) for b in (_head(reply, keep), *reply.chunks()) if b]
        while pending:
            sent = sock.sendmsg(pending)
            while pending and sent >= len(pending[0]):
                sent -= len(pending.pop(0))
            if pending and sent:
                pending[0] = pending[0][sent:]
        return keep


def _head(reply: Reply, keep: bool) -> bytes:
    head = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'OK')}",
            f"content-type: {reply.content_type}", f"content-length: {reply.size}",
            "server: sippet-simulator", f"connection: {'keep-alive' if keep else 'close'}"]
    head += [f"{k}: {v}" for k, v in reply.headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")


class SimulatorServer:
    """The simulator over HTTP on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(self, config: SimulatorConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, simulator: Simulator | None = None) -> None:
        self.simulator = simulator or Simulator(config or SimulatorConfig())
        self.host, self._port = host, port
        self.stopping = threading.Event()
        self._tcp: _TCPServer | None = None
        self._thread: threading.Thread | None = None
        self._socks: set[socket.socket] = set()
        self._socks_lock = threading.Lock()

    @property
    def api_key(self) -> str:
        return self.simulator.config.api_key

    @property
    def port(self) -> int:
        return self._tcp.server_address[1] if self._tcp else self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _track(self, sock: socket.socket, *, add: bool) -> None:
        with self._socks_lock:
            (self._socks.add if add else self._socks.discard)(sock)

    def start(self) -> SimulatorServer:
        if self._tcp is None:
            self.stopping.clear()
            self._tcp = _TCPServer((self.host, self._port), self)
            self._thread = threading.Thread(target=self._tcp.serve_forever,
                                            kwargs={"poll_interval": 0.1},
                                            name="sippet-simulator", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._tcp is None:
            return
        self.stopping.set()
        self._tcp.shutdown()
        self._tcp.server_close()
        with self._socks_lock:
            for sock in list(self._socks):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if self._thread:
            self._thread.join(timeout=5)
        self._tcp = self._thread = None

    def serve_forever(self) -> None:
        self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def serve(config: SimulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0,
          **overrides: Any) -> Iterator[SimulatorServer]:
    """`with serve(SimulatorConfig(scale="tiny")) as server: ...server.url, server.api_key`."""
    if overrides:
        config = (config or SimulatorConfig()).model_copy(update=overrides)
    with SimulatorServer(config, host=host, port=port) as server:
        yield server
