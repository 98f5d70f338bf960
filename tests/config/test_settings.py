"""Start-up configuration, checked in fresh processes as a deployment would run them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Fq2-production-secret-with-plenty-of-entropy-9kLmN3pQ8rStUvWxYz",
    "ALLOWED_HOSTS": "encore.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="encore.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be a boolean"),
        ("CONN_MAX_AGE", "soon", "CONN_MAX_AGE must be an integer"),
        ("CELERY_BROKER_URL", "kafka://x", "CELERY_BROKER_URL must start with"),
        ("ENCORE_MODEL_ALGORITHM", "magic", "ENCORE_MODEL_ALGORITHM must be one of"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL is not a valid database URL"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value, message):
    env = {variable: value}
    if variable == "CONN_MAX_AGE":
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/encore"
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr
