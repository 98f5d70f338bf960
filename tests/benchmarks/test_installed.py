"""Benchmarks are a separate app: installed only when asked for, never imported by the product."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every top-level package of the checkout but the benchmarks and the tests.
PRODUCT_PACKAGES = sorted(
    p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in ("benchmarks", "tests")
)
BENCH_COMMANDS = {path.stem for path in (ROOT / "benchmarks" / "management" / "commands").glob("bench_*.py")}


def commands(**env: str) -> set[str]:
    environment = {k: v for k, v in os.environ.items() if k != "ENCORE_BENCHMARKS"} | env
    result = subprocess.run(
        [sys.executable, "manage.py", "help", "--commands"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return set(result.stdout.split())


def test_no_product_package_holds_a_bench_command():
    assert [str(p.relative_to(ROOT)) for pkg in PRODUCT_PACKAGES for p in (ROOT / pkg).rglob("bench_*.py")] == []


def test_bench_commands_exist_only_when_benchmarking():
    assert {
        "bench_api",
        "bench_feed",
        "bench_freshness",
        "bench_import",
        "bench_retrain",
        "bench_sharding",
        "bench_workspaces",
    } <= BENCH_COMMANDS
    assert commands() & BENCH_COMMANDS == set()
    assert commands(ENCORE_BENCHMARKS="1") >= BENCH_COMMANDS


def test_no_product_module_imports_benchmarks():
    assert {"api", "catalog", "config", "core", "recommendations"} <= set(PRODUCT_PACKAGES)
    offenders = []
    for package in PRODUCT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                if any(name == "benchmarks" or name.startswith("benchmarks.") for name in names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
