"""The ``sgd-tui`` command (design §3).

    sgd-tui                                   the app on the default objective
    sgd-tui --scenario NAME|PATH              the app, preloaded with a scenario
    sgd-tui --scenario NAME|PATH --headless   replay with no UI, results in --out (--force: replace them)
    sgd-tui --list-scenarios | --list-objectives | --list-optimizers
    sgd-tui --validate PATH...
    sgd-tui --lecture [PATH]                  the app on the lecture playlist (PageDown / PageUp: next / previous)
    sgd-tui --present [--scenario NAME]       presenter mode, for a projector (also with --lecture)
    sgd-tui serve [--host H] [--port P] [--max-sessions N]   the app in browsers (the serve extra)

Exit status: 0 done (a diverged run is a result), 2 bad input (one clear message, no traceback),
130 interrupted (partial results written), 1 an internal error.

Imports stay lazy: ``--help``, ``--list-*`` and ``--validate`` load only the registries (no torch, no
textual); the headless replay loads torch; only the interactive path loads the UI.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Sequence

from sgd_tui import exit_codes
from sgd_tui.bench import main as bench_main
from sgd_tui.core.errors import ScenarioError, SetupError
from sgd_tui.core.objectives.data import (
    GZ_NAMES,
    SYNTHETIC_MARKER,
    download_fashion_mnist,
    is_synthetic,
    raw_dir,
    resolve_data_dir,
    write_fashion_like,
)
from sgd_tui.core.scenario.lecture import load_lecture
from sgd_tui.core.scenario.parse import load_scenario, with_overrides
from sgd_tui.core.sweep.executors import pool_size, start_early
from sgd_tui.core.sweep.grid import TRIALS_CEILING
from sgd_tui.core.sweep.trials import trial_threads
from sgd_tui.core.text import safe_text
from sgd_tui.listings import list_objectives, list_optimizers, list_scenarios, say, validate_files
from sgd_tui.replay.figures import write_figures
from sgd_tui.replay.summary import default_out_dir


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage dump)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(exit_codes.BAD_INPUT, safe_text(f"{self.prog}: error: {message} (see {self.prog} --help)\n"))


class BadInput(Exception):
    """A user-fixable problem with the command line."""


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="sgd-tui",
        description="A terminal optimizer playground for the SGD lecture: run, watch and compare optimizers "
                    "on 2-D surfaces, regression risks and FashionMNIST.",
        epilog="sgd-tui serve --help: the app in browsers, one process per visitor. "
               "Exit status: 0 done (a diverged run is a result), 2 bad input, 130 interrupted, 1 internal error.",
    )
    p.add_argument("--scenario", metavar="NAME|PATH",
                   help="a scenario: NAME of a file in scenarios/, or a PATH to a .toml file")
    p.add_argument("--lecture", nargs="?", const="", default=None, metavar="PATH",
                   help="the app on the lecture playlist's first demo (scenarios/lecture.toml, or PATH); "
                        "PageDown / PageUp: the next / previous demo")
    p.add_argument("--headless", action="store_true", help="replay the scenario with no UI and write results")
    p.add_argument("--out", metavar="DIR", help="where --headless writes (default: runs/<name>-<time>/)")
    p.add_argument("--figures", choices=["svg"], default=None,
                   help="with --headless: also write each text plot as an SVG for slides (loss.svg, ...)")
    p.add_argument("--force", action="store_true",
                   help="let --headless replace the results already in --out (refused otherwise)")
    p.add_argument("--device", metavar="DEVICE", help="auto | cpu | cuda | cuda:N | mps (overrides the scenario)")
    p.add_argument("--seed", type=int, metavar="N", help="the seed of every run (overrides the scenario)")
    p.add_argument("--data-dir", metavar="DIR", help="the FashionMNIST directory (overrides the scenario)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, metavar="N", help="run N optimizer steps (overrides the budget)")
    budget.add_argument("--epochs", type=int, metavar="N", help="run N epochs (overrides the budget)")
    p.add_argument("--monochrome", action="store_true", help="the app without colours")
    p.add_argument("--present", action="store_true",
                   help="presenter mode, for a projector: block lines, bright colours, the scenario's one line of "
                        "what to look for, the selected run's figures in large digits (P toggles it in the app)")
    sweep = p.add_argument_group("sweeps (a scenario with a [sweep] table)")
    sweep.add_argument("--workers", type=int, metavar="N",
                       help="run the trials in N worker processes (default: the cores / threads per trial)")
    sweep.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                       help="run the trials as Ray tasks: on a new local Ray instance, or on the cluster at "
                            "ADDRESS (or $RAY_ADDRESS); needs pip install 'sgd-tui[ray]'")
    sweep.add_argument("--max-trials", type=int, metavar="N",
                       help="allow a sweep of up to N trials (overrides the scenario's max_trials)")
    lists = p.add_mutually_exclusive_group()
    lists.add_argument("--list-scenarios", action="store_true", help="list the scenarios with their titles")
    lists.add_argument("--list-objectives", action="store_true", help="list the objectives and their options")
    lists.add_argument("--list-optimizers", action="store_true",
                       help="list the optimizers with their hyperparameters, defaults and allowed values")
    lists.add_argument("--validate", nargs="+", metavar="PATH", help="check scenario files and print every error")
    lists.add_argument("--download-data", action="store_true",
                       help="download FashionMNIST into --data-dir (or the default data directory)")
    lists.add_argument("--synthetic-data", metavar="DIR",
                       help="write a synthetic set in FashionMNIST's file format into DIR (labelled SYNTHETIC: "
                            "for trying the app offline; not FashionMNIST), then use --data-dir DIR")
    lists.add_argument("--bench", action="store_true",
                       help="benchmark FashionMNIST training (the arguments after --bench go to the benchmark)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--bench" in argv:  # everything after --bench belongs to the benchmark's own parser
        at = argv.index("--bench")
        return _guard(lambda: _bench(argv[at + 1:]))
    if argv[:1] == ["serve"]:  # sgd-tui serve [--host H] [--port P] [--max-sessions N]
        return _guard(lambda: _serve(argv[1:]))
    args = build_parser().parse_args(argv)
    return _guard(lambda: _dispatch(args))


def _guard(action) -> int:
    """Run ``action`` and map what escapes it to an exit status and one line on stderr."""

    try:
        return action()
    except ScenarioError as e:
        say(e, sys.stderr)
        return exit_codes.BAD_INPUT
    except (BadInput, SetupError) as e:
        say(f"sgd-tui: error: {e}", sys.stderr)
        return exit_codes.BAD_INPUT
    except KeyboardInterrupt:
        print("sgd-tui: interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED
    except BrokenPipeError:  # `sgd-tui --list-optimizers | head`: the reader has gone; so do we, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exit_codes.OK
    except Exception as e:
        traceback.print_exc()
        say(f"sgd-tui: internal error: {type(e).__name__}: {e}", sys.stderr)
        return exit_codes.INTERNAL


def _dispatch(args: argparse.Namespace) -> int:
    if args.list_scenarios:
        return list_scenarios()
    if args.list_objectives:
        return list_objectives()
    if args.list_optimizers:
        return list_optimizers()
    if args.max_trials is not None and not 1 <= args.max_trials <= TRIALS_CEILING:
        raise BadInput(f"--max-trials takes a number from 1 to {TRIALS_CEILING} (the most trials a sweep may have)")
    if args.validate:
        return validate_files(args.validate, args.max_trials)
    if args.download_data:

        where = download_fashion_mnist(resolve_data_dir(args.data_dir))
        say(f"FashionMNIST is in {where}")
        return exit_codes.OK
    if args.synthetic_data:
        return _synthetic_data(args.synthetic_data)
    if args.steps is not None and args.steps < 1 or args.epochs is not None and args.epochs < 1:
        raise BadInput("--steps and --epochs take a number >= 1")
    if args.present and args.headless:
        raise BadInput("--present is the app's presenter mode: leave out --headless (headless: --figures svg)")
    lecture = None
    if args.lecture is not None:
        if args.scenario is not None or args.headless:
            raise BadInput("--lecture opens the app on the playlist's demos: leave out --scenario and --headless")
        given = [f"--{k}" for k in ("seed", "steps", "epochs") if getattr(args, k) is not None]
        if given:
            raise BadInput(f"{', '.join(given)} change one scenario's runs: give them with --scenario NAME; with "
                           "--lecture, --device and --data-dir apply to every demo")
        lecture = load_lecture(args.lecture or None)
        args.scenario = lecture.demos[0]
    scenario = _scenario(args)
    _check_sweep_options(args, scenario)
    if args.headless:
        trials = _trials(scenario)
        if trials and args.ray is None:
            _start_workers_early(args.workers, len(trials))
        from sgd_tui.replay.run import replay  # lazy: numpy

        out = Path(args.out) if args.out else default_out_dir(scenario)
        try:
            if trials:
                code = replay(scenario, out, workers=args.workers, ray_address=args.ray, force=args.force)
            else:
                code = replay(scenario, out, force=args.force)
            if args.figures and out.is_dir():
                written = write_figures(out, scenario.title or scenario.name)
                say(f"figures: {', '.join(p.name for p in written) or 'no text plots'} in {out}")
            return code
        finally:  # the results are written: a late Ctrl+C or SIGTERM must not kill the exit path
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_IGN)
    machine = {k: getattr(args, k) for k in MACHINE_OVERRIDES}  # for every scenario the app opens later
    return _interactive(scenario, args.monochrome, lecture, machine, args.present)


def _synthetic_data(where: str) -> int:
    """Write the labelled synthetic set (60,000 + 10,000 images); refuses a folder holding real files."""


    root = Path(where).expanduser()
    raw = raw_dir(root)
    if any((raw / n).exists() for n in GZ_NAMES) and not is_synthetic(root):
        raise BadInput(f"{raw} already holds FashionMNIST files: not overwriting them with synthetic data")
    try:
        write_fashion_like(root)
    except OSError as e:
        raise BadInput(f"cannot write the synthetic set into {root}: {e.strerror or e}") from None
    print(f"wrote a SYNTHETIC FashionMNIST-format set into {raw} (marker file {raw / SYNTHETIC_MARKER}):\n"
          f"class templates plus noise, for trying the app and its demos offline; it is not FashionMNIST.\n"
          f"Use it with --data-dir {root} (or set data_dir in a scenario); the app and the results say 'synthetic'.")
    return exit_codes.OK


MACHINE_OVERRIDES = ("device", "data_dir")  # where to compute and find the data: for every scenario of an app


def _scenario(args: argparse.Namespace):
    """The scenario of --scenario with the command-line overrides, or None."""
    overrides = {k: getattr(args, k) for k in ("seed", "device", "steps", "epochs", "data_dir")}
    if args.scenario is None:
        given = [f"--{k.replace('_', '-')}" for k, v in overrides.items() if v is not None
                 and (args.headless or k not in MACHINE_OVERRIDES)]  # the app keeps --device / --data-dir
        if args.headless:
            raise BadInput("--headless needs --scenario NAME|PATH (see sgd-tui --list-scenarios)")
        given += [o for o, v in (("--out", args.out), ("--force", args.force), ("--figures", args.figures)) if v]
        if given:
            raise BadInput(f"{', '.join(given)} need --scenario NAME|PATH")
        return None
    if (args.out or args.force or args.figures) and not args.headless:
        raise BadInput(f"{'--out' if args.out else '--force' if args.force else '--figures'} is for --headless replays")

    scenario = load_scenario(args.scenario, max_trials=args.max_trials)
    if any(v is not None for v in overrides.values()):
        scenario = with_overrides(scenario, **overrides, max_trials=args.max_trials)
    return scenario


def _trials(scenario) -> list:
    """The trials a headless replay runs in workers: a [sweep]'s, or a [race]'s tuning (its race follows)."""
    if scenario.sweep is not None:
        return scenario.sweep.trials
    race = getattr(scenario, "race", None)
    return race.tuning.trials if race is not None else []


def _check_sweep_options(args: argparse.Namespace, scenario) -> None:
    """--workers and --ray are for headless sweeps; one of them at a time."""
    given = [o for o, v in (("--workers", args.workers), ("--ray", args.ray)) if v is not None]
    if given and (scenario is None or not _trials(scenario)):
        raise BadInput(f"{' and '.join(given)} {'are' if len(given) > 1 else 'is'} for sweep scenarios "
                       "(a [sweep] or [race] table); this scenario has none" if scenario is not None
                       else f"{', '.join(given)} need --scenario NAME|PATH --headless")
    if given and not args.headless:
        raise BadInput(f"{' and '.join(given)} {'are' if len(given) > 1 else 'is'} for --headless replays")
    if len(given) == 2:
        raise BadInput("--workers is for local worker processes and --ray for Ray tasks: give one of them")
    if args.workers is not None and args.workers < 1:
        raise BadInput("--workers takes a number >= 1")


def _start_workers_early(workers: int | None, trials: int) -> None:
    """A sweep that will run in worker processes: start the fork server now, so that its imports (torch,
    about 2 CPU-seconds) overlap this process's own (the replay, the plots) and the results folder's set-up."""

    if pool_size(workers, trials, trial_threads()) > 1:
        start_early()


def _missing(e: ImportError, module: str, instead: str) -> int:
    """Report a part of sgd-tui that this build lacks (not an ImportError inside it: that is a bug)."""
    if (e.name or "") != module and not module.startswith((e.name or "") + "."):
        raise e
    print(f"sgd-tui: {module} is not part of this build; {instead}", file=sys.stderr)
    return exit_codes.INTERNAL


def _interactive(scenario, monochrome: bool, lecture=None, overrides: dict | None = None,
                 present: bool = False) -> int:
    try:
        from sgd_tui.ui.app import run_app  # lazy: textual
    except ImportError as e:
        return _missing(e, "sgd_tui.ui.app", "use --scenario NAME --headless")
    return run_app(scenario=scenario, monochrome=monochrome, lecture=lecture, overrides=overrides,
                   present=present) or exit_codes.OK


def _serve(argv: list[str]) -> int:
    try:
        from sgd_tui.serve import main as serve_main  # lazy: textual_serve
    except ImportError as e:
        if (e.name or "").split(".")[0] not in ("textual_serve", "aiohttp", "aiohttp_jinja2"):
            raise
        raise BadInput("serving to browsers needs the serve extra: pip install -e '.[serve]'") from None
    return serve_main(argv) or exit_codes.OK


def _bench(argv: list[str]) -> int:

    return bench_main(argv) or exit_codes.OK
