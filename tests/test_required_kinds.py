"""ENCORE_TESTS_REQUIRE turns the skip of a test that cannot run here into a failure."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import pytest

@pytest.mark.postgresql
def test_needs_postgresql():
    pass
"""


def run_probe(tmp_path, required: str) -> subprocess.CompletedProcess:
    probe = ROOT / "tests" / f"test_probe_{os.getpid()}_{tmp_path.name}.py"
    probe.write_text(PROBE)
    try:
        env = {**os.environ, "ENCORE_TESTS_REQUIRE": required, "VAR_DIR": str(tmp_path)}
        return subprocess.run(
            [sys.executable, "-m", "pytest", str(probe), "-q", "-p", "no:cacheprovider"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        probe.unlink()


def test_a_required_kind_that_cannot_run_fails_instead_of_skipping(tmp_path):
    result = run_probe(tmp_path, "postgresql")

    if connection.vendor == "postgresql":
        assert result.returncode == 0, result.stdout
        assert "1 passed" in result.stdout
    else:
        assert result.returncode == 1, result.stdout
        assert "ENCORE_TESTS_REQUIRE says postgresql tests must run here" in result.stdout


def test_without_the_requirement_it_skips_where_it_cannot_run(tmp_path):
    result = run_probe(tmp_path, "")

    assert result.returncode == 0, result.stdout
    expected = "1 passed" if connection.vendor == "postgresql" else "1 skipped"
    assert expected in result.stdout
