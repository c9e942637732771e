"""``sgd-tui serve`` for real: a server on a loopback port, an HTTP and websocket client. The token is
refused when missing, the cap turns a visitor away with a page that says so, a closed websocket ends its
app process, and Ctrl+C on the server leaves no app process behind."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def wait_until(predicate, timeout: float = 60.0) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if await predicate():
            return True
        await asyncio.sleep(0.2)
    return False


@pytest.fixture
def server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sgd_tui", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--max-sessions", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    line = proc.stdout.readline()  # "sgd-tui serve: open http://127.0.0.1:PORT/?token=..."
    token = re.search(r"token=([\w-]+)", line).group(1)
    deadline = time.monotonic() + 60  # the line comes before the port listens: under load, seconds before
    while not listening(port) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", token, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


async def status(http, base, token):
    async with http.get(f"{base}/status", params={"token": token}) as r:
        return await r.json()


def test_token_cap_and_cleanup(server):
    base, token, proc = server

    async def go():
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/") as r:
                assert r.status == 403  # no token: refused
            async with http.get(f"{base}/", params={"token": "wrong"}) as r:
                assert r.status == 403
            async with http.get(f"{base}/ws/-/why-momentum") as r:
                assert r.status == 403
            assert (await status(http, base, token))["sessions"] == 0  # nothing was started for them
            async with http.get(f"{base}/", params={"token": token, "scenario": "why-momentum"}) as r:
                assert r.status == 200
                page = await r.text()
                assert f"/ws/{token}/why-momentum" in page
            async with http.get(f"{base}/", params={"token": token, "scenario": "../etc"}) as r:
                assert r.status == 404  # only the scenario folder's names

            ws = await http.ws_connect(f"{base.replace('http', 'ws')}/ws/{token}/why-momentum?width=80&height=24")
            got = b""

            async def app_drew():
                nonlocal got
                try:
                    msg = await ws.receive(timeout=0.5)
                except asyncio.TimeoutError:
                    return False
                if msg.type == aiohttp.WSMsgType.BINARY:
                    got += msg.data
                return len(got) > 1000

            assert await wait_until(app_drew, 90), "the app never drew"
            st = await status(http, base, token)
            assert st["sessions"] == 1 and len(st["pids"]) == 1
            pid = st["pids"][0]
            assert alive(pid)

            async with http.get(f"{base}/", params={"token": token}) as r:  # over the cap of 1
                assert r.status == 503
                text = await r.text()
                assert "room is full" in text and "--max-sessions 1" in text
            async with http.get(f"{base.replace('http', 'ws')}/ws/{token}/-") as r:
                assert r.status == 503
            assert (await status(http, base, token))["sessions"] == 1

            await ws.close()  # the tab is closed

            async def gone():
                return not alive(pid) and (await status(http, base, token))["sessions"] == 0

            assert await wait_until(gone, 30), "the app process outlived its tab"

            ws = await http.ws_connect(f"{base.replace('http', 'ws')}/ws/{token}/-?width=80&height=24")
            assert await wait_until(lambda: _has_session(http, base, token), 60)
            pid2 = (await status(http, base, token))["pids"][0]
            proc.send_signal(signal.SIGINT)  # Ctrl+C on the server
            await ws.close()
            return pid2

    pid2 = asyncio.run(go())
    proc.wait(30)
    t0 = time.monotonic()
    while alive(pid2) and time.monotonic() - t0 < 15:
        time.sleep(0.2)
    assert not alive(pid2), "an app process outlived the server"


async def _has_session(http, base, token) -> bool:
    st = await status(http, base, token)
    return st["sessions"] == 1 and bool(st["pids"])


def test_serve_without_the_extra_says_how_to_get_it(monkeypatch, capsys):
    import builtins

    from sgd_tui.cli import main

    real = builtins.__import__

    def no_serve(name, *args, **kwargs):
        if name.startswith("textual_serve") or name == "sgd_tui.serve":
            raise ImportError(f"No module named {name!r}", name="textual_serve")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_serve)
    assert main(["serve"]) == 2
    assert "pip install -e '.[serve]'" in capsys.readouterr().err


def test_default_cap_is_the_smaller_of_memory_and_cores():
    from sgd_tui.serve import SESSION_MB, SESSIONS_PER_CORE, max_sessions_for

    gb = 1024
    figures = {"session_mb": 700, "per_core": 3}
    assert max_sessions_for(24 * gb, 2, **figures) == 6  # 2 cores x 3; the memory would allow 24576 // 2 // 700 = 17
    assert max_sessions_for(24 * gb, 64, **figures) == 17  # many cores: the memory binds
    assert max_sessions_for(24 * gb, None, **figures) == 17  # cores unknown: the memory alone
    assert max_sessions_for(None, 2, **figures) == 6  # memory unknown: the cores alone
    assert max_sessions_for(None, None, **figures) == 8
    assert max_sessions_for(1 * gb, 8, **figures) == 1  # too little memory for one session: still one
    assert max_sessions_for(256 * gb, 1, session_mb=500, per_core=4) == 4
    assert max_sessions_for(10 * gb, 16, session_mb=500, per_core=4) == 10
    # the module's measured figures are the defaults
    assert max_sessions_for(24 * gb, 2) == min(24 * gb // 2 // SESSION_MB, 2 * SESSIONS_PER_CORE)
