"""The import graph of the production code: every import points down, and nothing runs in a circle.

Read from the source (the AST of every module, imports inside functions included), not from what
Python happened to import, so an import that only runs on one path counts too.

- Between apps: coordination -> meetings -> members -> core (core imports none of ours).
- Inside an app: no cycle, however long.
- Inside meetings/: the layers of README.md's "Where things are" (models, reads, builders,
  sending, services, pages); a module imports its own layer or lower ones.
- No import of our own modules inside a function, where it would hide a cycle; the one exception
  is AppConfig.ready(), where Django wants signal receivers connected.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first: an app may import the apps before it, never those after it.
APPS = ("core", "members", "meetings", "coordination")

# meetings/, lowest first. A module not listed here fails the test: give it its layer.
MEETINGS_LAYERS = {
    "models": ("meetings.models", "meetings.signals"),
    "reads": (
        "meetings.access",
        "meetings.agenda",
        "meetings.decisions",
        "meetings.minutes_versions",
        "meetings.search",
        "meetings.invitees",
        "meetings.links",
        "meetings.plaintext",
        "meetings.stats",
        "meetings.templatetags.*",
    ),
    "builders": ("meetings.calendar", "meetings.emails", "meetings.page_parts", "meetings.pdf"),
    "sending": ("meetings.sending",),
    "services": (
        "meetings.answers",
        "meetings.attendance",
        "meetings.circulation",
        "meetings.demo",
        "meetings.inbound",
        "meetings.itip",
        "meetings.membership",
        "meetings.minutes",
        "meetings.packs",
        "meetings.privacy",
        "meetings.rsvp",
        "meetings.services",
        "meetings.tasks",
    ),
    "pages": (
        "meetings.admin",
        "meetings.apps",
        "meetings.forms",
        "meetings.management.*",
        "meetings.tables",
        "meetings.urls",
        "meetings.decision_urls",
        "meetings.minutes_urls",
        "meetings.pack_urls",
        "meetings.search_urls",
        "meetings.filters",
        "meetings.views",
        "meetings.views.*",
    ),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _production_modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    return modules


MODULES = _production_modules()


def _target(name: str) -> str | None:
    """The module of ours that `name` (a module, or a name inside one) is, or None if not ours."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


class _Imports(ast.NodeVisitor):
    """(line, imported module of ours, enclosing function or None) for every import statement."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.functions: list[str] = []
        self.found: list[tuple[int, str, str | None]] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def _add(self, line: int, name: str) -> None:
        target = _target(name)
        if target is not None:
            self.found.append((line, target, self.functions[-1] if self.functions else None))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node.lineno, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.package.split(".")
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([node.module] if node.module else [])])
        for alias in node.names:
            # `from meetings import links` imports the module meetings.links.
            self._add(node.lineno, f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)


def _imports() -> dict[str, list[tuple[int, str, str | None]]]:
    graph = {}
    for module, path in MODULES.items():
        visitor = _Imports(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        graph[module] = [(line, target, function) for line, target, function in visitor.found if target != module]
    return graph


IMPORTS = _imports()


def _app(module: str) -> str:
    return module.partition(".")[0]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_every_production_module():
    assert {"core.translated", "members.services", "meetings.sending", "meetings.views.rsvp"} <= set(MODULES)
    assert ("meetings.sending", None) in {(target, function) for _l, target, function in IMPORTS["meetings.rsvp"]}


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_inside_an_app(app):
    edges = {
        module: {target for _line, target, _function in imports if _app(target) == app}
        for module, imports in IMPORTS.items()
        if _app(module) == app
    }
    assert not _cycles(edges)


def test_apps_import_only_the_apps_below_them():
    upward = [
        f"{module}:{line} imports {target}"
        for module, imports in IMPORTS.items()
        for line, target, _function in imports
        if APPS.index(_app(target)) > APPS.index(_app(module))
    ]
    assert not upward


def test_no_import_of_our_modules_inside_a_function():
    hidden = [
        f"{module}:{line} imports {target} inside {function}()"
        for module, imports in IMPORTS.items()
        for line, target, function in imports
        if function is not None and not (module.endswith(".apps") and function == "ready")
    ]
    assert not hidden


def _layer(module: str) -> int:
    for number, patterns in enumerate(MEETINGS_LAYERS.values()):
        for pattern in patterns:
            if module == pattern or (pattern.endswith(".*") and module.startswith(pattern[:-1])):
                return number
    raise AssertionError(f"{module} has no layer in MEETINGS_LAYERS: say where it belongs")


def test_meetings_imports_point_down_its_layers():
    names = list(MEETINGS_LAYERS)
    upward = [
        f"{module} ({names[_layer(module)]}) imports {target} ({names[_layer(target)]})"
        for module, imports in IMPORTS.items()
        if _app(module) == "meetings" and module != "meetings"
        for _line, target, _function in imports
        if _app(target) == "meetings" and target != "meetings" and _layer(target) > _layer(module)
    ]
    assert not upward


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
