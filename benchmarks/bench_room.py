"""How many students can this machine serve, each running a 2-D race in their own ``sgd-tui serve`` session?

For each N of ``--sessions`` (default 1 2 4 6 8 10 12 16 24 32 48), N websocket clients connect to one server at
once, each on ``optimizer-race`` (13 optimizers x 2,000 steps on Rosenbrock, animated at the app's default
50 steps/s, so about 40 s) at 120x40. When every session has drawn its first full frame, all press space
together, and each client measures, from the terminal output stream the app sends it:

* start: connect -> the first full frame (the status line's "⏸ paused" and the key bar's "help" seen);
* race: space -> the status line's "■ done (r resets)" (every run finished);
* keys: every ``--key-every`` s during the race, ``m`` (the theory panel, beside the plots at 120 columns:
  it does not touch the runs) -> the frame that shows it ("λmax = " seen), and ``m`` again -> the frame
  that hides it (the status line redrawn: a layout change repaints the screen; the status line is
  otherwise drawn only when its text changes, which it does not during a race);

and the bench samples every 2 s each session's process tree: resident memory (RSS, and PSS, which splits
torch's shared libraries between the processes that map them) and CPU time, and the machine's used
memory (MemTotal - MemAvailable from /proc/meminfo).

N sessions *hold* when every session started (first frame within ``--start-timeout``), every race
finished within ``--k`` (1.5) times the reference race time (the N = 1 race measured in the same run,
else the nominal 40 s) and every session's median key latency is under ``--key-limit`` (1 s). The sweep
stops at the first N that does not hold, or before an N whose projected memory (N x the most memory one
session was measured to add) would leave less than ``--reserve-gb`` (default: a tenth of the machine's
memory, at least 2 GB) available. Printed: one row per N and the verdict; ``--json FILE`` keeps every
session's numbers. Afterwards no app process is left (checked; any left would be killed and reported).

    python benchmarks/bench_room.py                       # the full sweep (on a quiet machine)
    python benchmarks/bench_room.py --sessions 1 2        # a quick check of the pipeline
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time

import aiohttp
from bench_serve import (
    alive,
    identity,
    meminfo_mb,
    own_cpu_s,
    served,
    still_running,
    tree_cpu_s,
    tree_memory_mb,
    tree_pids,
)

FIRST = ("⏸ paused".encode(), b"help")  # the status line and the key bar of the first full frame
RUNNING = "▶ running".encode()
DONE = "■ done (r resets)".encode()
SHOWN = "λmax = ".encode()  # the theory panel's stability meter and local model
HIDDEN = " runs · ▶ running".encode()  # the status line, redrawn with the layout
NOMINAL_RACE_S = 2000 / 50  # optimizer-race's steps at the app's default animation speed


class Stream:
    """One session's websocket: reads the app's terminal output and tells when a text has appeared in it
    (``expect`` before sending the key, then await the returned future: the monotonic time it was seen)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.waiting: list[tuple[bytes, asyncio.Future]] = []
        self.tail = b""
        self.bytes = 0
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._read())

    def expect(self, text: bytes) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # a closed stream is reported once
        self.waiting.append((text, future))
        return future

    async def key(self, key: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", key]))

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    continue
                now = time.monotonic()
                self.bytes += len(msg.data)
                data = self.tail + msg.data
                for item in list(self.waiting):
                    if item[0] in data:
                        self.waiting.remove(item)
                        if not item[1].done():
                            item[1].set_result(now)
                self.tail = data[-64:]
        finally:
            if not self.closed.done():
                self.closed.set_result(time.monotonic())
            for _, future in self.waiting:
                if not future.done():
                    future.set_exception(ConnectionError("the session's websocket closed"))


async def within(future: asyncio.Future, timeout: float) -> float | None:
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except (asyncio.TimeoutError, ConnectionError):
        return None


async def one_session(http, url: str, ready: asyncio.Event, go: asyncio.Event, args, out: dict) -> None:
    """One student: connect, wait for the first frame, press space when told, sample keys until done."""
    t0 = time.monotonic()
    try:
        ws = await http.ws_connect(url, max_msg_size=0)
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        out["error"] = f"connect: {e!r}"
        ready.set()
        return
    stream = Stream(ws)
    try:
        firsts = [stream.expect(text) for text in FIRST]
        seen = [await within(f, args.start_timeout - (time.monotonic() - t0)) for f in firsts]
        if None in seen:
            out["error"] = "no first frame"
            return
        out["start_s"] = max(seen) - t0
        ready.set()
        await go.wait()
        running, done = stream.expect(RUNNING), stream.expect(DONE)
        t_space = time.monotonic()
        await stream.key(" ")
        out["run_key_s"] = (await within(running, args.key_timeout) or float("nan")) - t_space
        out["keys_s"], out["key_timeouts"] = [], 0
        await asyncio.sleep(random.uniform(1, 1 + args.key_every))  # students do not press in step
        while not done.done():
            for text in (SHOWN, HIDDEN):
                answer = stream.expect(text)
                t_key = time.monotonic()
                await stream.key("m")
                seen = await within(answer, args.key_timeout)
                if done.done() and (seen is None or seen > done.result()):
                    break  # the race ended in between: the status line says done, not a sample
                if seen is None:
                    out["key_timeouts"] += 1
                    out["keys_s"].append(args.key_timeout)
                else:
                    out["keys_s"].append(seen - t_key)
                await asyncio.sleep(0.5)
            await asyncio.wait([done], timeout=args.key_every * random.uniform(0.75, 1.25))
        out["race_s"] = done.result() - t_space
        await asyncio.sleep(1)
    except ConnectionError as e:
        out["error"] = f"closed: {e}"
    finally:
        ready.set()
        out["bytes"] = stream.bytes
        stream.task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(ws.close(), 5)


async def step(base: str, server: int, n: int, args, race_limit: float, seen: list) -> dict:
    """N sessions at once: their numbers, the machine's memory and the verdict."""
    ws_url = f"{base.replace('http', 'ws')}/ws/-/{args.scenario}?width={args.width}&height={args.height}"
    before = meminfo_mb()
    outs: list[dict] = [{} for _ in range(n)]
    readies = [asyncio.Event() for _ in range(n)]
    go = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=args.start_timeout)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        tasks = [asyncio.create_task(one_session(http, ws_url, r, go, args, o)) for r, o in zip(readies, outs)]
        await asyncio.gather(*(r.wait() for r in readies))
        async with http.get(f"{base}/status") as r:
            pids = (await r.json())["pids"]
        seen += [i for p in pids for q in tree_pids(p) if (i := identity(q))]  # the apps and their children
        cpu0, t_go = {p: tree_cpu_s(p) for p in pids}, time.monotonic()
        cpu0[server], cpu0[0] = own_cpu_s(server), time.process_time()
        go.set()
        peak = {p: (0.0, 0.0) for p in pids}
        used_peak, load1, cpu1, t1 = before["used"], os.getloadavg()[0], {}, t_go
        all_done = asyncio.gather(*tasks)
        try:
            while not all_done.done() and time.monotonic() - t_go < args.race_timeout:
                for p in pids:
                    rss, pss = tree_memory_mb(p)
                    peak[p] = (max(peak[p][0], rss), max(peak[p][1], pss))
                if not any(o.get("race_s") for o in outs):  # CPU shares: from space to the first race's end
                    cpu1, t1 = {q: tree_cpu_s(q) for q in pids}, time.monotonic()
                    cpu1[server], cpu1[0] = own_cpu_s(server), time.process_time()
                used_peak = max(used_peak, meminfo_mb()["used"])
                load1 = os.getloadavg()[0]
                await asyncio.wait([all_done], timeout=2)
        finally:  # the race timeout, or Ctrl+C: every session's websocket is closed
            all_done.cancel()
            await asyncio.gather(all_done, return_exceptions=True)
        t_end = time.monotonic()
        while any(alive(p) for p in pids) and time.monotonic() - t_end < 30:  # every tab closed: apps end
            await asyncio.sleep(0.5)
    share = {p: (cpu1[p] - cpu0[p]) / (t1 - t_go) for p in cpu1} if t1 > t_go + 5 else {}
    cores = [share[p] for p in pids if p in share]
    result = verdict(n, outs, peak, cores, before, used_peak, load1, race_limit, args)
    result["server_cores"], result["bench_cores"] = (round(share[k], 3) if k in share else None
                                                     for k in (server, 0))
    result["pids"], result["left_after_close"] = pids, [p for p in pids if alive(p)]
    return result


def _med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def verdict(n, outs, peak, cores, before, used_peak, load1, race_limit, args) -> dict:
    failed = [o.get("error", "no race end") for o in outs if "race_s" not in o]
    races = [o["race_s"] for o in outs if "race_s" in o]
    key_meds = [_med(o["keys_s"]) for o in outs if o.get("keys_s")]
    keys = [k for o in outs for k in o.get("keys_s", [])]
    why = []
    if failed:
        why.append(f"{len(failed)} session(s) failed ({failed[0]})")
    if races and max(races) > race_limit:
        why.append(f"slowest race {max(races):.0f} s > {race_limit:.0f} s")
    if not key_meds or max(key_meds) >= args.key_limit:
        why.append(f"worst median key latency {max(key_meds, default=float('nan')):.2f} s >= {args.key_limit:g} s")
    rss = [r for r, _ in peak.values() if r]
    pss = [p for _, p in peak.values() if p]
    return {
        "sessions": n, "holds": not why, "why_not": "; ".join(why), "load1": round(load1, 2),
        "start_s": sorted(round(o["start_s"], 2) for o in outs if "start_s" in o),
        "race_s": sorted(round(r, 1) for r in races),
        "key_median_s": round(_med(keys), 3), "key_p90_s": round(sorted(keys)[int(0.9 * (len(keys) - 1))], 3)
        if keys else None, "key_max_s": round(max(keys), 3) if keys else None,
        "key_worst_median_s": round(max(key_meds), 3) if key_meds else float("nan"), "key_samples": len(keys), "key_timeouts": sum(o.get("key_timeouts", 0) for o in outs),
        "run_key_s": round(_med([o.get("run_key_s", float("nan")) for o in outs]), 3),
        "rss_mb": round(_med(rss)) if rss else None, "pss_mb": round(_med(pss)) if pss else None,
        "cpu_cores": round(_med(cores), 3) if cores else None,
        "used_before_mb": round(before["used"]), "used_peak_mb": round(used_peak),
        "added_mb_per_session": round((used_peak - before["used"]) / n),
        "available_mb": round(meminfo_mb()["available"]),
        "kb_per_s": round(_med([o.get("bytes", 0) / 1024 / o["race_s"] for o in outs if "race_s" in o]), 1),
        "per_session": outs,
    }


def row(r: dict) -> str:
    def pair(xs):
        return f"{_med(xs):.1f}/{max(xs, default=float('nan')):.1f}"

    keys = f"{r['key_median_s']:.2f}/{r['key_worst_median_s']:.2f}/{r['key_max_s'] or float('nan'):.2f}"
    return (f"{r['sessions']:>4} {r['load1']:>5.1f} {pair(r['start_s']):>10} {pair(r['race_s']):>11} {keys:>15} "
            f"{r['rss_mb']!s:>5} {r['pss_mb']!s:>5} {r['added_mb_per_session']:>5} {r['cpu_cores']!s:>5} "
            f"{r['server_cores']!s:>5} {r['used_peak_mb']:>6} {r['available_mb']:>6}  "
            f"{'yes' if r['holds'] else 'NO: ' + r['why_not']}")


HEADER = (
    "   N load1      start        race     key latency   RSS   PSS added   app  serv   used  avail  holds\n"
    "                med/max     med/max   med/worst/max  -- MB/session --  cores  cores  -- MB --\n"
    "                   s           s            s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 6, 8, 10, 12, 16, 24, 32, 48])
    ap.add_argument("--scenario", default="optimizer-race")
    ap.add_argument("--width", type=int, default=120)
    ap.add_argument("--height", type=int, default=40)
    ap.add_argument("--k", type=float, default=1.5, help="a race may take k x the reference (default 1.5)")
    ap.add_argument("--key-limit", type=float, default=1.0, help="median key latency limit, s (default 1)")
    ap.add_argument("--key-every", type=float, default=5.0, help="seconds between key samples (default 5)")
    ap.add_argument("--key-timeout", type=float, default=10.0)
    ap.add_argument("--start-timeout", type=float, default=180.0)
    ap.add_argument("--race-timeout", type=float, default=300.0)
    ap.add_argument("--reserve-gb", type=float, default=None)
    ap.add_argument("--keep-going", action="store_true", help="measure every N even after one fails")
    ap.add_argument("--json", default=None, help="write every step's numbers (and each session's) here")
    args = ap.parse_args()
    mem = meminfo_mb()
    reserve = (args.reserve_gb * 1024) if args.reserve_gb is not None else max(2048.0, mem["total"] / 10)
    print(f"{os.cpu_count()} cores, {mem['total'] / 1024:.1f} GB, {mem['available'] / 1024:.1f} GB available; "
          f"load {os.getloadavg()[0]:.2f}; {args.scenario} at {args.width}x{args.height}", flush=True)
    print(HEADER, flush=True)
    results, ref, per_session_mb, stop = [], None, 0.0, ""
    pids: list[tuple[int, str]] = []  # every session's processes, to check afterwards
    with served(max(args.sessions) + 1) as (base, server):
        for n in sorted(args.sessions):
            need = n * per_session_mb
            if need > meminfo_mb()["available"] - reserve:
                stop = (f"stopped before N={n}: {need / 1024:.1f} GB projected would leave less than "
                        f"{reserve / 1024:.1f} GB available")
                break
            limit = args.k * (ref or NOMINAL_RACE_S)
            try:
                r = asyncio.run(step(base, server.pid, n, args, limit, pids))
            except KeyboardInterrupt:
                stop = f"interrupted during N={n}"
                break
            results.append(r)
            print(row(r), flush=True)
            if n == 1 and r["race_s"]:
                ref = r["race_s"][0]
            # what one more session will take: its PSS, or what the machine's used memory grew by per session
            # in the last step, if more (that one is noisy on a shared machine, less so the larger N)
            per_session_mb = max(r["added_mb_per_session"], r["pss_mb"] or 0)
            if not r["holds"] and not args.keep_going:
                stop = f"stopped after N={n}: it does not hold"
                break
    held = [r["sessions"] for r in results if r["holds"]]
    orphans = sorted(i[0] for i in pids if still_running(i))  # the server has stopped: none may be left
    late = sorted(p for r in results for p in r["left_after_close"])
    cores = [(r["cpu_cores"], r["server_cores"] / r["sessions"]) for r in results
             if r["cpu_cores"] and r["server_cores"] is not None]
    print(f"\nreference race: {ref or NOMINAL_RACE_S:.1f} s ({'N=1' if ref else 'nominal'}); holds = every "
          f"session started, every race within {args.k:g} x that, every median key latency < {args.key_limit:g} s")
    if cores:
        app, relay = cores[0]
        print(f"one racing session uses {app:.2f} of a core for its app and {relay:.2f} in the server: "
              f"the CPU, fully used, would run about {os.cpu_count() / (app + relay):.1f} racing sessions "
              f"on {os.cpu_count()} cores")
    bench = max((r["bench_cores"] or 0 for r in results), default=0)
    print(f"the bench itself (the clients, in place of the students' browsers) used at most {bench:.2f} of a core")
    print(f"verdict: this machine holds {max(held) if held else 0} racing sessions"
          f"{' (largest N measured that held)' if held else ''}; {stop or 'every N measured'}")
    if late:
        print(f"app processes still running 30 s after their websocket closed: {late}")
    print("orphan app processes after the bench: " + (", ".join(map(str, orphans)) if orphans else "none"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"reference_race_s": ref, "results": results, "stop": stop}, f, indent=1)
    return 0 if not orphans else 1


if __name__ == "__main__":
    sys.exit(main())
