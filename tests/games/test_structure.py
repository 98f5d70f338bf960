"""The game engine is pure Python/numpy: nothing below games/engine imports Django or the rest of the site."""

import ast
from pathlib import Path

import games.engine

ENGINE = Path(games.engine.__file__).parent


def test_the_engine_imports_only_itself_the_standard_library_and_numpy():
    outside = set()
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in ("django", "rest_framework", "celery", "catalog", "api", "recommendations", "core"):
                    outside.add(f"{path.name}: {name}")
                if top == "games" and not name.startswith("games.engine"):
                    outside.add(f"{path.name}: {name}")
    assert outside == set()
