"""The sandbox on a real loopback socket: uvicorn in a background thread.

``start(port)`` binds 127.0.0.1 only (never other interfaces), with SO_REUSEADDR so that a
stopped sandbox can be started again on the SAME port at once, even with connections still
in TIME_WAIT. ``stop()`` asks uvicorn to exit, gives in-flight requests one second, and
joins the thread. ``serve_main`` is the ``python -m infusion_tui.sandbox`` /
``infusion-tui sandbox`` entry point.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn

HOST = "127.0.0.1"


class ServerThread:
    def __init__(self, app) -> None:
        self.app = app
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, port: int = 0) -> int:
        import uvicorn  # only here: in-process (demo) use never pays for it

        if self.running:
            raise RuntimeError(f"sandbox already serving on port {self.port}")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(128)
        self._sock, self.port = sock, sock.getsockname()[1]
        config = uvicorn.Config(self.app, lifespan="off", log_level="warning", access_log=False,
                                http="h11", timeout_graceful_shutdown=1)
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                                        name=f"keap-sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sandbox server did not start on {HOST}:{self.port}")
            time.sleep(0.005)
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="infusion-tui sandbox",
                                     description="Run the embedded Keap REST v1 sandbox on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--api-key", default="sandbox-key", help="the personal access token to accept")
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo data")
    parser.add_argument("--order-every", type=float, default=20.0,
                        help="seconds between newly arriving orders (0: none)")
    parser.add_argument("--task-every", type=float, default=0.0,
                        help="seconds between tasks created elsewhere (0: none)")
    parser.add_argument("--calls-per-minute", type=int, default=100)
    return parser


def serve_main(argv: list[str] | None = None) -> int:
    from .sandbox import Sandbox

    args = build_parser().parse_args(argv)
    sb = Sandbox(seed=args.seed, api_key=args.api_key, order_every=args.order_every or None,
                 task_every=args.task_every or None, calls_per_minute=args.calls_per_minute)
    try:
        url = sb.start(args.port)
    except OSError as exc:
        print(f"Could not listen on {HOST}:{args.port}: {exc.strerror or exc}. Try another --port.")
        return 1
    origin = url.removesuffix("/crm/rest/v1")
    print(f"Keap sandbox running. Press Ctrl+C to stop.\n"
          f"  base URL       {url}\n"
          f"  API key        {sb.api_key}   (header X-Keap-API-Key)\n"
          f"  client id      {sb.client_id}\n"
          f"  client secret  {sb.client_secret}\n"
          f"  authorize URL  {sb.authorize_url_for(origin)}\n"
          f"  token URL      {sb.token_url_for(origin)}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopping the sandbox.")
    finally:
        sb.stop()
    return 0
