"""Running the screens' web app inside a process: uvicorn on its own thread.

Used by the edge service (the agent's process) and by `frontdesk kiosk serve`. A port that
cannot be bound (another program holds it) is retried every few seconds rather than taking the
agent down: the rest of the edge keeps working and journaling without its screen.
"""
from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)

RETRY_BIND_S = 5.0


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[_Server], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started(self)


class ScreenServer:
    """The screens' app served by uvicorn on its own thread, retrying a port it cannot bind."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.app, self.host, self.port = app, host, port
        self.bound_port: int | None = None
        self.error: str | None = None
        self._server: _Server | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the screens are served (the bound port once listening)."""
        return f"http://{self.host}:{self.bound_port or self.port}"

    def start(self) -> None:
        """Serve on a thread of its own; returns at once (wait_ready waits for the port)."""
        self._thread = threading.Thread(target=self._run, name="kiosk-http", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """True once the server listens (bound_port says where)."""
        return self._ready.wait(timeout)

    def _started(self, server: _Server) -> None:
        sockets = [s for srv in getattr(server, "servers", []) for s in srv.sockets]
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        self.error = None
        self._ready.set()
        log.info("kiosk: screens at %s", self.url)

    def _run(self) -> None:
        while not self._stop.is_set():
            # lifespan off: the app has no startup work; the service owns the feed's life.
            config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning",
                                    access_log=False, lifespan="off", timeout_graceful_shutdown=2)
            server = _Server(config, self._started)
            self._server = server
            if self._stop.is_set():
                break
            try:
                server.run()
            except SystemExit:  # uvicorn's way of saying it could not bind
                pass
            except Exception as err:
                log.exception("kiosk: web server stopped")
                self.error = f"{type(err).__name__}: {err}"
            if self._stop.is_set():
                break
            if not server.started:
                self.error = f"cannot listen on {self.host}:{self.port} (in use?); retrying every {RETRY_BIND_S:g} s"
                log.error("kiosk: %s", self.error)
            self._stop.wait(RETRY_BIND_S)

    def stop(self) -> None:
        """Stop serving and stop retrying; returns when the thread has ended (10 s at most)."""
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._ready.clear()


__all__ = ["ScreenServer"]
