"""The malformed-scenario corpus (tests/bad_scenarios/): every file is rejected with the key path and
line its ``# expect: KEY LINE`` comments name (``-`` = no key / no line), all errors at once, and the
CLI exits 2 on it without a traceback, whether validating or replaying."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fashion_data import run_cli

from sgd_tui.core.errors import ScenarioError
from sgd_tui.core.scenario.parse import load_scenario

CORPUS = sorted((Path(__file__).parent / "bad_scenarios").glob("*.toml"))
ROOT = Path(__file__).resolve().parent.parent


def expectations(path: Path) -> list[tuple[str, int | None]]:
    out = []
    for key, line in re.findall(r"^# expect: (\S+) (\S+)$", path.read_text(), flags=re.M):
        out.append(("" if key == "-" else key, None if line == "-" else int(line)))
    assert out, f"{path.name} has no '# expect: KEY LINE' comment"
    return out


def test_the_corpus_is_not_empty():
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_every_expected_issue_is_reported_at_its_line(path):
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    found = [(i.key, i.line) for i in err.value.issues]
    for key, line in expectations(path):
        assert (key, line) in found, f"expected {key or '(no key)'} at line {line}; got {found}"
    for issue in err.value.issues:
        assert issue.file == str(path)
        assert str(issue).startswith(f"{path}:{issue.line}: " if issue.line else f"{path}: ")
        assert issue.message


@pytest.fixture
def cli_here(monkeypatch, capsys):
    """``sgd-tui ARGS`` in this process (no interpreter start per file): (returncode, stdout, stderr).
    An exception escaping ``main`` fails the test, as a traceback would; the command as a separate
    process is checked once for the whole corpus below."""
    from types import SimpleNamespace

    def run(*args: str):
        capsys.readouterr()
        code = run_cli(monkeypatch, list(args))
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_the_cli_rejects_it_with_exit_2_and_no_traceback(path, tmp_path, cli_here):
    keys = [k for k, _ in expectations(path) if k]
    for args in (("--validate", str(path)), ("--scenario", str(path), "--headless", "--out", str(tmp_path))):
        proc = cli_here(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout
        for key in keys:
            assert f": {key}: " in proc.stderr
        for key, line in expectations(path):
            if line is not None:
                assert f"{path}:{line}: " in proc.stderr
    assert not (tmp_path / "metrics.csv").exists()


def test_validate_reports_each_file_and_fails_if_any_is_bad(cli):
    # as a separate process (the console command's own exit code and streams), on the whole corpus at once
    good = ROOT / "scenarios" / "optimizer-race.toml"
    proc = cli("--validate", str(good), *map(str, CORPUS))
    assert proc.returncode == 2
    assert f"{good}: ok" in proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout
    for path in CORPUS:
        for key, line in expectations(path):
            assert (f"{path}:{line}: " if line is not None else f"{path}") in proc.stderr, (path, key, line)


VALUES = ['5', '-1', '0', '1.5e300', 'nan', 'inf', '"x"', '""', 'true', '[1, "a"]', '[]', '[[1]]', '{ a = 1 }',
          '{}', '1979-05-27', '[0.5, 0.5]', '"full"', '"sgd"', '"rosenbrock"', '"fashion_mnist"']


def test_mutated_scenarios_fail_only_with_scenario_errors():
    """Seeded fuzzing: every value of every shipped scenario replaced by values of other types, or its line
    dropped, gives a valid scenario or a ScenarioError whose issues all name a key path or the file, never
    another exception."""
    import random

    from sgd_tui.core.scenario.files import PLAYLIST
    from sgd_tui.core.scenario.parse import parse_scenario

    rng = random.Random(0)
    files = sorted(p for p in (ROOT / "scenarios").glob("*.toml") if p.name != PLAYLIST)
    tried = 0
    for path in files:
        lines = path.read_text().splitlines()
        keyed = [i for i, line in enumerate(lines) if re.match(r"^[A-Za-z_]+ = [^\"]", line)]
        for i in rng.sample(keyed, min(len(keyed), 12)):
            for replacement in rng.sample(VALUES, 5) + [None]:
                mutated = list(lines)
                if replacement is None:
                    del mutated[i]
                else:
                    mutated[i] = mutated[i].split("=", 1)[0] + "= " + replacement
                try:
                    parse_scenario("\n".join(mutated), path.name)
                except ScenarioError as e:
                    assert e.issues and all(str(issue).startswith(path.name) for issue in e.issues)
                tried += 1
    assert tried > 200
