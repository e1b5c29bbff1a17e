"""The gunicorn worker class of the web process: uvicorn (uvloop, httptools) serving config/asgi.py.

gunicorn keeps doing what it did (processes, `--workers`, restarts, the access log); uvicorn-worker
is uvicorn's own gunicorn worker, kept by uvicorn's maintainers.
"""

from uvicorn_worker import UvicornWorker


class WebWorker(UvicornWorker):
    CONFIG_KWARGS = {
        "loop": "uvloop",
        "http": "httptools",
        # config/asgi.py needs no startup or shutdown hooks.
        "lifespan": "off",
        # The client address is the peer's, as under gthread; behind the TLS proxy Django's settings
        # decide what to trust (BEHIND_TLS_PROXY), not the server.
        "proxy_headers": False,
        # A stream never ends by itself: on a restart, give the API requests time to finish, then end
        # the streams (their clients reconnect, with Last-Event-ID, to the next process).
        "timeout_graceful_shutdown": 10,
    }
