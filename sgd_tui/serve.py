"""``sgd-tui serve``: the app in a browser, one app process per visitor (textual-serve).

A visitor opens ``http://HOST:PORT/`` (``/?scenario=why-momentum`` opens that scenario) and gets their own
``sgd-tui`` process, driven over a websocket; closing the tab ends it. Safe by default:

* it listens on 127.0.0.1 unless ``--host`` says otherwise; with ``--host`` every request must carry the
  random token printed with the URL (``?token=...``), else HTTP 403 and no app is started;
* at most ``--max-sessions`` apps run at once (default: what this machine's memory and cores hold with
  every session running a 2-D race, see :func:`max_sessions_for`); a visitor over the cap gets a page
  saying the room is full and the limit, and no app is started for them;
* every app process ends with its websocket (a closed tab) and with the server (Ctrl+C): a process that
  does not quit within :data:`QUIT_GRACE_S` of being asked is killed.

Only scenario names from the scenario folder are accepted (the command is built from them, quoted).
Needs the ``serve`` extra: ``pip install -e '.[serve]'``.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import secrets
import shlex
import signal
import sys
from typing import Any, Sequence

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from sgd_tui.core.scenario.files import find_scenarios

__all__ = ["SgdServer", "default_max_sessions", "main", "max_sessions_for", "SESSION_MB", "SESSIONS_PER_CORE"]

QUIT_GRACE_S = 5.0
# Resident memory of one session's app process with torch imported and a 2-D race running, measured on
# the project's 2-core machine (benchmarks/bench_serve.py, bench_room.py, docs/serve.md): 470-720 MB. The
# default cap keeps half the memory free for the rest.
SESSION_MB = 700
# Sessions per core, each running a 2-D race (benchmarks/bench_room.py: optimizer-race at the default
# 50 steps/s, a session holds while its median key latency stays under 1 s and its race under 1.5x the
# single one's): the 2-core machine held 8 with nothing else running and 6 beside other work; one racing
# session's app uses 0.2 of a core. 3 per core keeps a margin; the CPU binds long before the memory there
# (6 against 17 on 24 GB): docs/serve.md, "How many sessions".
SESSIONS_PER_CORE = 3


def total_memory_mb() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return None


def usable_cores() -> int | None:
    """The cores this process may run on (its CPU affinity; all of the machine's where that is unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def max_sessions_for(total_mb: int | None, cores: int | None, *, session_mb: int = SESSION_MB,
                     per_core: int = SESSIONS_PER_CORE) -> int:
    """The default cap for a machine with total_mb of memory and cores cores: the smaller of half the memory
    divided by one session's (session_mb) and per_core sessions per core, at least 1. A figure that cannot
    be read does not limit (both unknown: 8)."""
    limits = [total_mb // 2 // session_mb] if total_mb is not None else []
    limits += [cores * per_core] if cores else []
    return max(1, min(limits)) if limits else 8


def default_max_sessions() -> int:
    """:func:`max_sessions_for` this machine's memory and cores."""
    return max_sessions_for(total_memory_mb(), usable_cores())


class _Session(AppService):
    """textual-serve's app service that keeps its process, so the server can kill one that will not quit."""

    process: asyncio.subprocess.Process | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24):
        self.process = await super()._open_app_process(width, height)
        return self.process


class SgdServer(Server):
    """textual-serve's server with a token, a session cap, scenario URLs and no orphan processes."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
                 max_sessions: int | None = None, public_url: str | None = None, present: bool = False):
        super().__init__(command="sgd-tui", host=host, port=port, title="sgd-tui", public_url=public_url)
        self.token = token
        self.present = present  # every served app in presenter mode (sgd-tui serve --present)
        self.max_sessions = max_sessions or default_max_sessions()
        self.sessions: dict[int, _Session] = {}
        self.scenarios = {name for name, _, _ in find_scenarios()}

    # ------------------------------------------------------------------ rules
    def command_for(self, scenario: str | None) -> str:
        """The shell command of one session: this Python running sgd-tui (on a known scenario only)."""
        args = [sys.executable, "-m", "sgd_tui"]
        if scenario:
            args += ["--scenario", scenario]
        if self.present:
            args.append("--present")
        return "exec " + shlex.join(args)

    def _refuse(self, request: web.Request) -> web.Response | None:
        if self.token is not None and not secrets.compare_digest(request.match_info.get("token")
                                                                 or request.query.get("token", ""), self.token):
            return web.Response(status=403, text="403: this sgd-tui server needs the token printed with its URL\n")
        return None

    def _full(self) -> web.Response | None:
        if len(self.sessions) < self.max_sessions:
            return None
        page = (f"<!doctype html><title>sgd-tui: the room is full</title><h1>The room is full</h1>"
                f"<p>{len(self.sessions)} of {self.max_sessions} sessions are in use (the server's "
                f"<code>--max-sessions {self.max_sessions}</code>). Try again when someone closes a tab.</p>")
        return web.Response(status=503, text=page, content_type="text/html")

    def _scenario(self, name: str | None) -> str | None | web.Response:
        if not name or name == "-":
            return None
        if name not in self.scenarios:
            known = ", ".join(sorted(self.scenarios))
            return web.Response(status=404, text=f"404: no scenario {html.escape(name)!r}; known: {known}\n")
        return name

    # ------------------------------------------------------------------ routes
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/ws/{token}/{scenario}", self.handle_websocket, name="session")
        app.router.add_get("/status", self.handle_status, name="status")
        return app

    async def handle_index(self, request: web.Request):
        refused = self._refuse(request) or self._full()
        if refused is not None:
            return refused
        scenario = self._scenario(request.query.get("scenario"))
        if isinstance(scenario, web.Response):
            return scenario
        context = await Server.handle_index.__wrapped__(self, request)  # the template data, before rendering
        path = request.app.router["session"].url_for(token=self.token or "-", scenario=scenario or "-")
        scheme = "wss" if self.public_url.startswith("https") else "ws"
        context["app_websocket_url"] = f"{scheme}:{self.public_url.split(':', 1)[1]}{path}"
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def handle_status(self, request: web.Request) -> web.Response:
        """The running sessions' process ids (for the tests and a lecturer's curiosity; token-protected)."""
        refused = self._refuse(request)
        if refused is not None:
            return refused
        pids = [s.process.pid for s in self.sessions.values() if s.process is not None]
        return web.json_response({"sessions": len(self.sessions), "max_sessions": self.max_sessions, "pids": pids})

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        refused = self._refuse(request) or self._full()
        if refused is not None:
            return refused
        scenario = self._scenario(request.match_info.get("scenario"))
        if isinstance(scenario, web.Response):
            return scenario
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        session = _Session(self.command_for(scenario), write_bytes=websocket.send_bytes,
                           write_str=websocket.send_str, close=websocket.close,
                           download_manager=self.download_manager, debug=self.debug)
        key = id(session)
        self.sessions[key] = session
        try:
            await websocket.prepare(request)
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            await websocket.close()
        finally:
            await self._end(session)
            self.sessions.pop(key, None)
        return websocket

    async def _end(self, session: _Session) -> None:
        """Ask the app to quit; kill it if it has not within QUIT_GRACE_S (a torch import can hold it)."""
        try:
            await asyncio.wait_for(asyncio.shield(session.stop()), QUIT_GRACE_S)
        except (asyncio.TimeoutError, Exception):
            pass
        process = session.process
        if process is not None and process.returncode is None:
            process.kill()
            try:
                await asyncio.wait_for(process.wait(), QUIT_GRACE_S)
            except asyncio.TimeoutError:
                pass

    async def on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(self._end(s) for s in list(self.sessions.values())), return_exceptions=True)

    async def on_startup(self, app: web.Application) -> None:
        pass  # the URL is printed once the socket listens (announce): on_startup runs before the bind

    def announce(self, *_: Any) -> None:
        url = self.public_url + "/" + (f"?token={self.token}" if self.token else "")
        print(f"sgd-tui serve: open {url}  (a scenario: add {'&' if self.token else '?'}scenario=NAME)",
              flush=True)
        print(f"at most {self.max_sessions} sessions at once; Ctrl+C stops the server and every session",
              flush=True)

    def serve(self, debug: bool = False) -> None:
        """textual-serve's serve, with the URL printed when the server listens (not before: a script or a
        test that connects on reading it would find the port closed on a busy machine)."""
        self.debug = debug
        self.initialize_logging()
        try:
            loop = asyncio.get_event_loop()
        except Exception:
            loop = asyncio.new_event_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, self.request_exit)
            loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        except NotImplementedError:
            pass
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                    print=self.announce)


def _int(text: Any, default: int) -> int:
    try:
        return max(10, min(500, int(text)))
    except (TypeError, ValueError):
        return default


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="sgd-tui serve", description="Serve the app to browsers: one app "
                                "process per visitor (/?scenario=NAME opens a scenario).")
    p.add_argument("--host", default=None, help="listen on HOST (default 127.0.0.1, this machine only); "
                   "any other host needs the printed token in every URL")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-sessions", type=int, default=None, metavar="N",
                   help=f"at most N apps at once (default: the smaller of half the memory / {SESSION_MB} MB and "
                        f"{SESSIONS_PER_CORE} per core = {default_max_sessions()} here)")
    p.add_argument("--public-url", default=None, help="the URL browsers use, if not http://HOST:PORT")
    p.add_argument("--present", action="store_true", help="every served app in presenter mode (a projector's "
                   "blocks, bright colours and large figures)")
    args = p.parse_args(list(argv))
    if args.max_sessions is not None and args.max_sessions < 1:
        p.error("--max-sessions must be at least 1")
    host = args.host or "127.0.0.1"
    token = secrets.token_urlsafe(16) if args.host is not None else None
    SgdServer(host=host, port=args.port, token=token, max_sessions=args.max_sessions,
              public_url=args.public_url, present=args.present).serve()
    return 0
