"""The recommendations package's modules depend on each other one way, and the hybrid on its components'
public interface only."""

import ast
import inspect
from pathlib import Path

import recommendations
from recommendations.engine import Hybrid

PACKAGE = Path(recommendations.__file__).parent


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = ["recommendations", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = ast.parse(path.read_text())
    return found


def imported(node: ast.AST, known: set[str]) -> set[str]:
    """The package modules an import statement depends on (`from package import module` on the module)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if isinstance(node, ast.ImportFrom) and node.module:
        names = {f"{node.module}.{alias.name}" for alias in node.names}
        submodules = names & known
        other_names = len(submodules) < len(names)
        return submodules | ({node.module} & known if other_names else set())
    return set()


def test_no_module_of_the_package_imports_another_inside_a_function():
    found = modules()
    inside = []
    for name, tree in found.items():
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if imported(node, set(found)):
                        inside.append(f"{name}.{function.name}")
    assert inside == []


def test_the_package_modules_import_each_other_without_cycles():
    found = modules()
    # Every import counts, at the top or inside a function: a deferred import hides a cycle, it does not break it.
    graph = {
        name: set().union(*(imported(node, set(found)) for node in ast.walk(tree))) for name, tree in found.items()
    }

    def reachable(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(graph.get(current, ()))
        return seen

    cycles = sorted(name for name in graph if name in reachable(name))
    assert cycles == []


def test_the_hybrid_calls_no_private_method_of_its_components():
    tree = ast.parse(Path(inspect.getsourcefile(Hybrid)).read_text())
    private = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    ]
    assert private == []
