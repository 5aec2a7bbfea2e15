"""The shape of the code: no import cycle inside bot/ or actions/, and no module too long to read.

Every import counts, also one inside a function or under `if TYPE_CHECKING:`: a cycle hidden that
way is still two modules that cannot be understood (or moved) one without the other. Importing a
module of another package runs that package's `__init__.py` first, so that counts too.
"""
from __future__ import annotations

import ast
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "actions")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The project's modules that `name` imports; `from package import module` names the module."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from package import module` is an import of that module; `from module import name` of the module.
            submodules = [f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in known]
            targets = submodules if len(submodules) == len(node.names) else [source, *submodules]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                found.add(target)
                found.update(_foreign_packages(name, target, known))
    return found


def _foreign_packages(importer: str, target: str, known: set[str]) -> set[str]:
    """Importing `bot.a.b` first runs `bot/a/__init__.py`: an edge to each package on the way that
    is not one of the importer's own (a module inside `bot.a` is imported by `bot.a`'s __init__ as a
    matter of course, and Python finishes it before the package needs it)."""
    parts = target.split(".")
    own = {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 2)}
    return {package for i in range(1, len(parts)) if (package := ".".join(parts[:i])) in known and package not in own}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None (depth-first search, three colours)."""
    visiting: list[str] = []
    state: dict[str, str] = {}

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        visiting.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return visiting[visiting.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        visiting.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_the_checker_finds_a_cycle_and_accepts_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_checker_sees_submodule_and_package_imports() -> None:
    graph = import_graph()
    assert "bot.console.api" in graph["bot.console.app"]  # from bot.console import api
    assert "bot.gateway.conversations" in graph["bot.console.desk"]
    assert "bot.gateway" in graph["bot.console.desk"]  # whose __init__ runs first
    assert "bot.console" not in graph["bot.console.desk"]  # its own package


def test_no_import_cycle_in_bot_or_actions() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


# A module past this is doing more than one thing; split it where its parts separate.
MAX_MODULE_LINES = 450


def test_no_module_in_bot_or_actions_is_over_450_lines() -> None:
    long = {
        name: lines
        for name, path in project_modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"over {MAX_MODULE_LINES} lines: {long}"
