"""What one browser session of ``sgd-tui serve`` costs: start time (connect -> the app's first full frame)
and resident memory per app process, with every session running a 2-D race (optimizer-race, started with
space), for N sessions at once. How many sessions the machine holds: ``bench_room.py``, which uses the
server and memory helpers below.

    python benchmarks/bench_serve.py --sessions 1 2 4 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the state on (the name may hold spaces)


def tree_pids(pid: int) -> list[int]:
    """pid and every live descendant (children found through /proc/*/stat's parent field)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """(resident, proportional) memory of pid and its descendants in MB: RSS counts the shared libraries
    (torch's) in full in every process, PSS splits them between the processes that map them."""
    rss = pss = 0.0
    for p in tree_pids(pid):
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += int(re.search(r"^Rss:\s+(\d+) kB", text, re.M).group(1)) / 1024
        pss += int(re.search(r"^Pss:\s+(\d+) kB", text, re.M).group(1)) / 1024
    return rss, pss


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, with waited-for children) of pid and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree_pids(pid):
        if (fields := _stat(p)) is not None:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / tick


def own_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of pid itself."""
    fields = _stat(pid)
    return 0.0 if fields is None else sum(int(f) for f in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def meminfo_mb() -> dict[str, float]:
    """MemTotal, MemAvailable and used = total - available, in MB, from /proc/meminfo."""
    info = {k: int(v.split()[0]) / 1024 for k, v in
            (line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())}
    return {"total": info["MemTotal"], "available": info["MemAvailable"],
            "used": info["MemTotal"] - info["MemAvailable"]}


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def identity(pid: int) -> tuple[int, str] | None:
    """(pid, start time): a process, told apart from a later one given the same pid."""
    fields = _stat(pid)
    return None if fields is None else (pid, fields[19])


def still_running(ident: tuple[int, str]) -> bool:
    return alive(ident[0]) and identity(ident[0]) == ident


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(max_sessions: int) -> Iterator[tuple[str, subprocess.Popen]]:
    """``sgd-tui serve`` (this tree's code) on a free loopback port; on exit Ctrl+C (SIGINT) ends it and
    every session, then anything left is killed (by its own process id)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "sgd_tui", "serve", "--port", str(port),
                               "--max-sessions", str(max_sessions)], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        server.stdout.readline()  # "sgd-tui serve: open http://127.0.0.1:PORT/"
        yield f"http://127.0.0.1:{port}", server
    finally:
        left = [p for p in tree_pids(server.pid) if p != server.pid]
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        for p in left:
            if alive(p):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGKILL)


async def session(http, url: str, started: list, seconds: float) -> None:
    t0 = time.monotonic()
    ws = await http.ws_connect(url)
    got = 0
    while got < 4000:
        msg = await ws.receive(timeout=120)
        if msg.type == aiohttp.WSMsgType.BINARY:
            got += len(msg.data)
    started.append(time.monotonic() - t0)
    await asyncio.sleep(2)
    await ws.send_str(json.dumps(["stdin", " "]))  # space: run the race
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            await ws.receive(timeout=1)
        except asyncio.TimeoutError:
            pass
    await ws.close()


async def measure(base: str, n: int, seconds: float) -> dict:
    async with aiohttp.ClientSession() as http:
        started: list[float] = []
        tasks = [asyncio.create_task(session(http, f"{base.replace('http', 'ws')}/ws/-/optimizer-race"
                                                   "?width=120&height=40", started, seconds)) for _ in range(n)]
        await asyncio.sleep(min(seconds, 10) + 10)
        async with http.get(f"{base}/status") as r:
            pids = (await r.json())["pids"]
        mem = [rss_mb(p) for p in pids]
        load = os.getloadavg()[0]
        await asyncio.gather(*tasks)
        return {"sessions": n, "start_s": sorted(round(s, 2) for s in started),
                "rss_mb": sorted(round(m) for m in mem), "load1": round(load, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    with served(64) as (base, _):
        for n in args.sessions:
            print(asyncio.run(measure(base, n, args.seconds)), flush=True)


if __name__ == "__main__":
    main()
