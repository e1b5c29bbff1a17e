"""A real deployment's settings: no public secret key, cookies over HTTPS only behind TLS."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgres://postgres@127.0.0.1:5432/airspace"


def run_python(code, **env):
    """Run `code` in a fresh interpreter with only `env` (and the path) set, as a process starts."""
    clean = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("application", ["config.asgi", "config.wsgi"])  # the web process; gunicorn gthread
def test_web_process_refuses_the_demo_secret_key_on_postgres(application):
    started = run_python(f"import {application}", DATABASE_URL=POSTGRES)
    assert started.returncode != 0
    assert "SECRET_KEY is not set" in started.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": POSTGRES, "SECRET_KEY": "a-real-secret-of-this-deployment-" * 2},
        {},
        {"DATABASE_URL": POSTGRES, "DEBUG": "1"},
    ],
    ids=["own-key", "embedded-demo", "debug"],
)
def test_web_process_starts_with_its_own_key_or_as_the_demo(env):
    started = run_python("import config.wsgi; import config.asgi", **env)
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(
    "env, secure",
    [({}, False), ({"BEHIND_TLS_PROXY": "1"}, True), ({"BEHIND_TLS_PROXY": "1", "SECURE_COOKIES": "0"}, False)],
)
def test_cookies_are_https_only_behind_a_tls_proxy(env, secure):
    shown = run_python(
        "from django.conf import settings; print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)", **env
    )
    assert shown.stdout.split() == [str(secure), str(secure)], shown.stderr
