"""The sandbox on a real loopback socket: serve(), drops, restart on the same port, the CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
import pytest

from infusion_tui.clock import FakeClock
from infusion_tui.sandbox import Fault, Sandbox
from infusion_tui.sandbox.server import build_parser


@pytest.fixture
def sb() -> Sandbox:
    box = Sandbox(seed=7, clock=FakeClock(), n_tasks=5, n_orders=5)
    yield box
    box.stop()


async def test_serve_over_a_real_socket(sb):
    with sb.serve() as base_url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/crm/rest/v1", base_url)
        async with httpx.AsyncClient(headers={"X-Keap-API-Key": sb.api_key}, timeout=5) as c:
            r = await c.get(f"{base_url}/tasks/")
            assert r.status_code == 200 and r.json()["count"] == 5
            assert r.json()["next"].startswith(base_url + "/tasks/?")
            assert r.headers["x-keap-product-throttle-used"] == "1"
            assert (await c.get(f"{base_url}/tasks", headers={"X-Keap-API-Key": "no"})).status_code == 401
    assert not sb.serving


async def test_drop_closes_the_connection_without_a_response(sb):
    sb.faults.add(Fault("drop", path="/crm/rest/v1/tasks"))
    with sb.serve() as base_url:
        async with httpx.AsyncClient(headers={"X-Keap-API-Key": sb.api_key}, timeout=5) as c:
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                await c.get(f"{base_url}/tasks")
            assert (await c.get(f"{base_url}/tasks")).status_code == 200
    assert [r.status for r in sb.requests] == [None, 200]


async def test_timeout_fault_over_the_socket_uses_the_client_timeout(sb):
    sb.faults.add(Fault("timeout", path="/crm/rest/v1/orders", delay=0.5))
    with sb.serve() as base_url:
        async with httpx.AsyncClient(headers={"X-Keap-API-Key": sb.api_key}, timeout=0.1) as c:
            with pytest.raises(httpx.ReadTimeout):
                await c.get(f"{base_url}/orders")


async def test_restart_on_the_same_port_while_a_client_keeps_going(sb):
    url = sb.start(0)
    port = int(url.split(":")[2].split("/")[0])
    async with httpx.AsyncClient(headers={"X-Keap-API-Key": sb.api_key}, timeout=5) as c:
        assert (await c.get(f"{url}/orders")).status_code == 200
        sb.stop()
        with pytest.raises(httpx.TransportError):
            await c.get(f"{url}/orders")
        again = sb.start(port)
        assert again == url
        assert (await c.get(f"{url}/orders")).status_code == 200
        sb.stop()
        assert sb.start() == url  # no port: the last one again
        assert (await c.get(f"{url}/orders")).status_code == 200


def test_two_servers_cannot_share_a_port(sb):
    url = sb.start(0)
    port = int(url.split(":")[2].split("/")[0])
    other = Sandbox(seed=7, n_tasks=1, n_orders=1)
    with pytest.raises(OSError):
        other.start(port)
    with pytest.raises(RuntimeError):
        sb.start(port)


def test_cli_arguments():
    args = build_parser().parse_args(["--port", "8765", "--api-key", "k", "--seed", "3",
                                      "--order-every", "5"])
    assert (args.port, args.api_key, args.seed, args.order_every) == (8765, "k", 3, 5.0)


def test_python_dash_m_prints_what_a_client_needs_and_stops_on_ctrl_c():
    proc = subprocess.Popen([sys.executable, "-m", "infusion_tui.sandbox", "--port", "0",
                             "--api-key", "cli-key", "--seed", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = [proc.stdout.readline() for _ in range(7)]
        text = "".join(lines)
        base_url = re.search(r"base URL\s+(\S+)", text).group(1)
        assert "cli-key" in text and "sandbox-client" in text and "sandbox-secret" in text
        r = httpx.get(f"{base_url}/tasks", headers={"X-Keap-API-Key": "cli-key"}, timeout=5)
        assert r.status_code == 200 and r.json()["count"] == 60
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
