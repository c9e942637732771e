"""The house rules, read from the source of the whole package (and the tests, where they apply):

* no import loop anywhere: imports at module level, inside functions and under ``TYPE_CHECKING`` all count;
* the layers run one way: inside ``core``, ``errors/text/params`` -> ``theory`` -> ``objectives``/``optim``
  -> ``run`` -> ``maps``/``sweep`` -> ``scenario``; ``plotting`` builds on ``core``; ``replay`` and ``ui`` on
  both; nothing in ``core`` imports the layers above it;
* no private name (``_x``) imported from another module, tests included;
* no pass-through import: a name is imported from the module that defines it;
* an import inside a function only where it delays torch, numpy, plotext, textual (or a module that
  imports one of them), and a comment on that line or the line above says so (``# lazy: ...``);
* package faces (``__init__.py``) hold a docstring only (and ``sgd_tui/__init__.py`` the version);
* no source file over 400 lines.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "sgd_tui"
HEAVY = {"torch", "torchvision", "numpy", "plotext", "textual", "textual_plotext", "rich", "ray", "textual_serve",
         "aiohttp"}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}
TESTS = sorted((ROOT / "tests").glob("*.py"))


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def imports(path: Path):
    """(node, module, names, where) for every import in ``path``; where: "top", "function" or "typing"."""
    out = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            w = where
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                w = "function"
            elif (isinstance(child, ast.If) and isinstance(child.test, ast.Name)
                  and child.test.id == "TYPE_CHECKING"):
                w = "typing"
            if isinstance(child, ast.ImportFrom) and not child.level:
                out.append((child, child.module, [a.name for a in child.names], w))
            elif isinstance(child, ast.Import):
                for a in child.names:
                    out.append((child, a.name, [], w))
            visit(child, w)

    visit(tree(path), "top")
    return out


def targets(module: str, names: list[str]) -> set[str]:
    """The package modules an import statement loads (``from pkg import mod`` loads ``pkg.mod``)."""
    out = {module} if module in MODULES else set()
    out |= {f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES}
    return out


def graph() -> dict[str, set[str]]:
    return {m: {t for _, mod, names, _ in imports(p) for t in targets(mod, names) if t != m}
            for m, p in MODULES.items()}


def test_the_package_has_its_wings():
    for wing in ("theory", "objectives", "optim", "run", "maps", "sweep", "scenario"):
        assert f"sgd_tui.core.{wing}" in MODULES
    assert {"sgd_tui.replay.run", "sgd_tui.replay.sweep", "sgd_tui.ui.jobs.worker"} <= set(MODULES)


def test_no_import_loop_anywhere():
    g = graph()
    state: dict[str, str] = {}
    loops = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = "open"
        for n in sorted(g[m]):
            if state.get(n) == "open":
                loops.append(" -> ".join([*(path[path.index(n):] if n in path else []), m, n]))
            elif n not in state:
                visit(n, [*path, m])
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m, [])
    assert loops == []


def test_the_loop_finder_finds_a_loop(monkeypatch):
    """The check above can fail: two modules importing each other (one lazily) are a loop."""
    fake = {"a": {"b"}, "b": {"a"}}
    monkeypatch.setitem(globals(), "graph", lambda: fake)
    with pytest.raises(AssertionError):
        test_no_import_loop_anywhere()


CORE_RANK = {"errors": 0, "text": 0, "params": 0, "theory": 1, "objectives": 2, "optim": 2, "run": 3,
             "maps": 4, "sweep": 4, "scenario": 5}
TOP_ALLOWED = {
    "core": {"core"},
    "plotting": {"core", "plotting"},
    "replay": {"core", "plotting", "replay", "exit_codes"},
    "ui": {"core", "plotting", "ui", "replay", "exit_codes"},
}


def layer(module: str) -> tuple[str, str | None]:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    wing = parts[2] if top == "core" and len(parts) > 2 else None
    return top, wing


def test_layers_run_one_way():
    wrong = []
    for m, deps in graph().items():
        top, wing = layer(m)
        for d in deps:
            dtop, dwing = layer(d)
            if top in TOP_ALLOWED and d != "sgd_tui" and dtop not in TOP_ALLOWED[top]:
                wrong.append(f"{m} -> {d}")
            if top == "core" == dtop and wing and dwing and CORE_RANK[dwing] > CORE_RANK[wing]:
                wrong.append(f"{m} -> {d}")
    assert wrong == []


def defined_names(path: Path) -> set[str]:
    names: set[str] = set()

    def top(body):
        for st in body:
            if isinstance(st, ast.If):
                top(st.body)
                top(st.orelse)
            elif isinstance(st, ast.Try):
                top(st.body)
                top(st.orelse)
                top(st.finalbody)
                for h in st.handlers:
                    top(h.body)
            elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(st.name)
            elif isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                for t in st.targets if isinstance(st, ast.Assign) else [st.target]:
                    names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))

    top(tree(path).body)
    return names


def private_imports() -> list[str]:
    return [f"{p.relative_to(ROOT)}:{node.lineno} {mod}.{n}"
             for p in [*MODULES.values(), *TESTS] for node, mod, names, _ in imports(p)
             if mod.startswith("sgd_tui") for n in names if n.startswith("_") and not n.startswith("__")]


def test_no_private_name_imported_across_modules():
    assert private_imports() == []


def pass_through_imports() -> list[str]:
    """``from M import N`` names the module that defines N (not one that imported it)."""
    found = []
    for p in [*MODULES.values(), *TESTS]:
        for node, mod, names, _ in imports(p):
            if mod not in MODULES:
                continue
            defined = defined_names(MODULES[mod])
            for n in names:
                if n not in defined and f"{mod}.{n}" not in MODULES and not (mod == "sgd_tui" and n == "__version__"):
                    found.append(f"{p.relative_to(ROOT)}:{node.lineno} {mod}.{n}")
    return found


def test_no_pass_through_imports():
    assert pass_through_imports() == []


@cache
def heavy(module: str) -> bool:
    """Whether importing ``module`` (a package module) imports a heavy library at module level."""
    if module.split(".")[0] in HEAVY:
        return True
    if module not in MODULES:
        return False
    return any(heavy(t) or t.split(".")[0] in HEAVY
               for _, mod, names, where in imports(MODULES[module]) if where == "top"
               for t in (targets(mod, names) or {mod}))


def lazy_import_problems() -> list[str]:
    bad = []
    for m, p in MODULES.items():
        lines = p.read_text(encoding="utf-8").splitlines()
        for node, mod, names, where in imports(p):
            if where != "function":
                continue
            loads = targets(mod, names) or {mod}
            said = "# lazy" in lines[node.lineno - 1] or "# lazy" in lines[node.lineno - 2]
            if not any(heavy(t) for t in loads) or not said:
                bad.append(f"{p.relative_to(ROOT)}:{node.lineno} {mod}" + ("" if said else " (no '# lazy' reason)"))
    return bad


def test_imports_inside_functions_delay_something_heavy_and_say_so():
    assert lazy_import_problems() == []


def test_package_faces_hold_a_docstring_only():
    for m, p in MODULES.items():
        if p.name != "__init__.py":
            continue
        body = tree(p).body
        assert body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant), p
        rest = body[1:]
        if m == "sgd_tui":
            assert [t.id for st in rest for t in st.targets] == ["__version__"]
        else:
            assert rest == [], p


def test_no_source_file_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in [*MODULES.values(), *sorted((ROOT / "benchmarks").glob("*.py"))]
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_hyperparameter_shares_a_name_with_a_run_setting_or_budget_key():
    """A run table holds run settings and hyperparameters side by side ([optimizer], [[runs]]): one name
    with two meanings would be read as the wrong one (a schedule-free warm-up of 0 read as the warm-up
    schedule's length, which must be >= 1)."""
    from sgd_tui.core.optim.registry import OPTIMIZERS
    from sgd_tui.core.run.spec import BUDGET_PARAMS, RUN_PARAMS

    run_keys = {p.name for p in RUN_PARAMS} | {p.name for p in BUDGET_PARAMS}
    clashes = {(name, p.name) for name, info in OPTIMIZERS.items() for p in info.params if p.name in run_keys}
    assert clashes == set()
