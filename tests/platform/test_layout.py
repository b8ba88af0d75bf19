"""The layout's one rule: imports run one way, views → reports → app → permissions → models,
and inside app/ each package only imports the packages its __init__ names. No module imports
upward and no modules import each other in a circle (function-level imports count too)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"models": 1, "permissions": 2, "app": 3, "reports": 4, "views": 5}
# Inside app/: which packages each one may use (besides itself).
APP_PACKAGES = {
    "platform": set(),
    "data": {"platform"},
    "accounts": {"platform"},
    "declaration": {"platform"},
    "review": {"platform", "declaration"},
    "insight": {"platform", "declaration", "review"},
}
# The application factory is the composition root: it alone wires the views in.
COMPOSITION_ROOT = {"app", "app.cli"}


def project_modules() -> dict[str, Path]:
    found = {}
    for top in LAYERS:
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules a file imports, anywhere in it."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` uses the module, not the package's __init__
            submodules = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules]
            names = submodules if len(submodules) == len(node.names) else [node.module, *submodules]
        for name in names:
            # the longest project module that the name starts with
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def app_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "app" and len(parts) > 1 and parts[1] in APP_PACKAGES else None


def test_the_layout_is_what_this_test_knows():
    # a new top-level package of app/ must be given its place above
    packages = {p.name for p in (ROOT / "app").iterdir() if (p / "__init__.py").exists()}
    assert packages == set(APP_PACKAGES)
    assert len([p for p in (ROOT / "app").iterdir() if not p.name.startswith(("_", "."))
                and p.name not in ("static", "templates", "translations")]) <= 8


def test_no_module_imports_a_higher_layer():
    wrong = []
    for module, targets in graph().items():
        if module in COMPOSITION_ROOT:
            continue
        for target in targets:
            if LAYERS[target.split(".")[0]] > LAYERS[module.split(".")[0]]:
                wrong.append(f"{module} → {target}")
    assert wrong == []


def test_app_packages_import_only_what_they_declare():
    wrong = []
    for module, targets in graph().items():
        own = app_package(module)
        if own is None:
            continue
        for target in targets:
            other = app_package(target)
            if target.split(".")[0] == "app" and other != own and other not in APP_PACKAGES[own]:
                wrong.append(f"{module} → {target}")
    assert wrong == []


def test_no_circular_imports():
    edges = graph()
    cycles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if nxt in COMPOSITION_ROOT or node in COMPOSITION_ROOT:
                continue
            if state.get(nxt) == "open":
                cycles.append(" → ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_each_app_package_says_what_it_holds_and_may_import():
    for name in APP_PACKAGES:
        doc = ast.get_docstring(ast.parse((ROOT / "app" / name / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "May import" in doc, name


def test_the_walker_finds_a_reverse_import(tmp_path):
    # the rule above can fail: a report importing a view is found
    modules = {"reports.x": tmp_path / "x.py", "views.review": tmp_path / "r.py"}
    (tmp_path / "x.py").write_text("def f():\n    from views.review import filtered_query\n")
    assert imports_of(tmp_path / "x.py", modules) == {"views.review"}
