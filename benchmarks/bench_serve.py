"""What one browser session of ``sgd-tui serve`` costs: start time (connect -> the app's first full frame)
and resident memory per app process, with every session running a 2-D race (optimizer-race, started with
space), for N sessions at once.

    python benchmarks/bench_serve.py --sessions 1 2 4 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "sgd_tui", "serve", "--port", str(port), "--max-sessions", "64"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    server.stdout.readline()
    try:
        for n in args.sessions:
            print(asyncio.run(measure(f"http://127.0.0.1:{port}", n, args.seconds)), flush=True)
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
