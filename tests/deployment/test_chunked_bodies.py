"""A chunked request body under gunicorn (issue 10, item 12): Django read a body sent with
`Transfer-Encoding: chunked` and no Content-Length as empty (config/wsgi.py: ChunkedBodies)."""

import json

import pytest
import requests

from airspace.accounts.services import get_api_token
from tests.conftest import PASSWORD

PERMITS = "/api/v1/permits/"


@pytest.fixture
def gunicorn_server(web_process):
    """The web process as `make run` starts it (the Procfile's `web:` line: gunicorn with the uvicorn
    worker, every request but the stream in a2wsgi's threads), on 127.0.0.1, on the test database."""
    return web_process(REDIS_URL=None).url


def _chunks(body):
    for start in range(0, len(body), 7):
        yield body[start : start + 7]


@pytest.mark.django_db(transaction=True)
def test_a_chunked_request_body_is_read_under_gunicorn(gunicorn_server, make_user):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user = make_user("operator")
    # Hashed as the server's own settings can check (the tests' fast hasher is not among them).
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "chunkedsalt", iterations=1000)
    user.save(update_fields=["password"])
    body = json.dumps({"username": user.username, "password": PASSWORD}).encode()
    # A generator body: requests sends it with Transfer-Encoding: chunked and no Content-Length.
    response = requests.post(
        f"{gunicorn_server}/api/v1/auth/token/",
        data=_chunks(body),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert requests.get(f"{gunicorn_server}{PERMITS}", headers={"Authorization": f"Token {token}"}, timeout=30).ok


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_past_the_upload_limit_is_a_413(gunicorn_server, make_user):
    from django.conf import settings

    user = make_user("operator")
    token = get_api_token(user=user).key
    body = b'{"description": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'

    def big():
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = requests.post(
        f"{gunicorn_server}{PERMITS}",
        data=big(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        timeout=60,
    )
    assert response.status_code == 413, response.text[:300]
    assert "detail" in response.json()
