"""Start-up configuration, checked in fresh processes as a deployment would run them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import Env

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Fq2-production-secret-with-plenty-of-entropy-9kLmN3pQ8rStUvWxYz",
    "ALLOWED_HOSTS": "encore.example.com",
}


# What the embedded defaults are made of: left out, a child process runs as a fresh checkout would.
EMBEDDED = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL", "MEDIA_ROOT")


def python(*args: str, embedded: bool = False, **env: str) -> subprocess.CompletedProcess:
    unset = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE") + (EMBEDDED if embedded else ())
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def manage(*args: str, embedded: bool = False, **env: str) -> subprocess.CompletedProcess:
    return python("manage.py", *args, embedded=embedded, **env)


def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="encore.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY: must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG: must be a boolean"),
        ("EMAIL_USE_TLS", "sometimes", "EMAIL_USE_TLS: must be a boolean"),
        ("CONN_MAX_AGE", "soon", "CONN_MAX_AGE: must be an integer, got 'soon'"),
        ("CONN_MAX_AGE", "-1", "CONN_MAX_AGE: must be at least 0, got -1"),
        ("EMAIL_PORT", "0", "EMAIL_PORT: must be at least 1"),
        ("ENCORE_QUALITY_TOLERANCE", "5%", "ENCORE_QUALITY_TOLERANCE: must be a number, got '5%'"),
        ("ENCORE_QUALITY_TOLERANCE", "2", "ENCORE_QUALITY_TOLERANCE: must be at most 1.0"),
        ("ENCORE_TRENDING_HALF_LIFE_DAYS", "0", "ENCORE_TRENDING_HALF_LIFE_DAYS: must be at least"),
        ("CELERY_BROKER_URL", "kafka://x", "CELERY_BROKER_URL: must start with"),
        ("ENCORE_MODEL_ALGORITHM", "magic", "ENCORE_MODEL_ALGORITHM: must be one of"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL: must be one of"),
        ("API_THROTTLE_RATE", "fast", "API_THROTTLE_RATE: must look like 600/min"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL: unknown scheme 'nosuchdb'"),
        ("DATABASE_URL", "postgres://u@db:port/encore", "DATABASE_URL: not a valid database URL"),
        ("CACHE_URL", "nosuchcache://x", "CACHE_URL: not a valid cache URL"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value, message):
    result = python("-c", "import config.settings", **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_a_broken_url_is_reported_without_its_password():
    result = manage("check", CELERY_BROKER_URL="kafka://user:hunter2-secret@broker:9092")
    assert result.returncode != 0
    assert "CELERY_BROKER_URL" in result.stderr
    assert "hunter2-secret" not in result.stderr


def test_values_are_taken_literally(monkeypatch):
    # django-environ alone would read "$..." as the name of another variable, and "a, b" as "a" and " b".
    monkeypatch.setenv("EMAIL_HOST_PASSWORD", "$ecret-start")
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example.com, b.example.com,")
    monkeypatch.setenv("CONN_MAX_AGE", " ")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    env = Env()
    assert env.str("EMAIL_HOST_PASSWORD", default="") == "$ecret-start"
    assert env.list("ALLOWED_HOSTS", default=[]) == ["a.example.com", "b.example.com"]
    assert env.int("CONN_MAX_AGE", default=60) == 60  # set but blank: the default
    monkeypatch.setenv("DEBUG", "")
    assert env.bool("DEBUG", default=True) is False  # `DEBUG=` reads as off, never as the default
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY: must be set"):
        env.str("SECRET_KEY")


def test_importing_settings_creates_no_folders(tmp_path):
    var_dir = tmp_path / "var"
    result = python(
        "-c", "import config.settings, config.celery; from django.conf import settings; print(settings.MEDIA_ROOT)",
        embedded=True, VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_fresh_checkout_migrates_into_a_missing_folder(tmp_path):
    var_dir = tmp_path / "fresh" / "var"
    result = manage("migrate", "--verbosity", "0", embedded=True, VAR_DIR=str(var_dir))
    assert result.returncode == 0, result.stderr
    assert (var_dir / "encore.sqlite3").stat().st_size > 0


def test_the_embedded_broker_makes_its_folders_when_a_task_is_first_sent(tmp_path):
    var_dir = tmp_path / "var"
    send = "import django; django.setup(); from config.celery import app; app.send_task('encore.probe')"
    result = python("-c", send, embedded=True, VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings")
    assert result.returncode == 0, result.stderr
    assert len(list((var_dir / "celery" / "queue").iterdir())) == 1
    assert (var_dir / "celery" / "results").is_dir()
