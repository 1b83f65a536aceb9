"""The layout's rules, checked on the source so they stay true as Aula grows.

Imports run one way (views -> services -> models), with no circle; every
service module says what it owns; views stay thin and leave committing to the edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
MAX_VIEW_LINES = 25
# Views that commit themselves, each for a reason its comment gives.
COMMITTING_VIEWS = {"resend_email", "history_csv", "_download"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in APP.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every app module ``path`` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in MODULES)
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _service_modules():
    return sorted(name for name in MODULES if name.startswith("app.services"))


@pytest.mark.parametrize("module", _service_modules())
def test_every_service_module_says_first_what_it_owns(module):
    tree = ast.parse(MODULES[module].read_text())
    docstring = ast.get_docstring(tree)
    assert docstring and tree.body and isinstance(tree.body[0], ast.Expr), f"{module} has no docstring first"


@pytest.mark.parametrize("module", _service_modules())
def test_services_never_import_views_web_helpers_or_jobs(module):
    forbidden = [name for name in GRAPH[module]
                 if name.startswith(("app.web", "app.blueprints", "app.jobs", "app.errors", "app.branding"))]
    assert forbidden == [], f"{module} imports {forbidden}"


@pytest.mark.parametrize("module", sorted(name for name in MODULES if name.startswith("app.models")))
def test_models_import_no_service(module):
    assert not [name for name in GRAPH[module] if name.startswith(("app.services", "app.blueprints"))]


def test_no_import_circle_anywhere_in_the_app():
    """A package importing its own submodules (``__init__`` re-exports) is not a circle."""
    def edges(name):
        return {target for target in GRAPH[name] if target != name and not target.startswith(name + ".")}

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name):
        state[name] = 1
        stack.append(name)
        for target in edges(name):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(MODULES):
        if name not in state:
            visit(name)


def _views():
    for name, path in sorted(MODULES.items()):
        if not name.startswith("app.blueprints"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "attr", "") in ("route", "get", "post")
                for d in node.decorator_list
            ):
                yield name, node


@pytest.mark.parametrize("module,view", [(m, v.name) for m, v in _views()])
def test_views_are_thin(module, view):
    node = next(v for m, v in _views() if m == module and v.name == view)
    assert node.end_lineno - node.lineno + 1 <= MAX_VIEW_LINES


def test_views_leave_the_commit_to_the_edge():
    committing = set()
    for name, path in MODULES.items():
        if not name.startswith("app.blueprints"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                calls = {getattr(c.func, "id", getattr(c.func, "attr", "")) for c in ast.walk(node)
                         if isinstance(c, ast.Call)}
                if calls & {"commit", "rollback"}:
                    committing.add(node.name)
    assert committing <= COMMITTING_VIEWS, committing - COMMITTING_VIEWS
