"""The gunicorn worker class of the web process: uvicorn (uvloop, httptools) serving config/asgi.py.

gunicorn keeps doing what it did (processes, `--workers`, restarts, the access log); uvicorn-worker
is uvicorn's own gunicorn worker, kept by uvicorn's maintainers.
"""

import logging
import os
import resource

from django.conf import settings
from uvicorn_worker import UvicornWorker

from airspace.operations.multiprocess import clean_directory_at_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
logger = logging.getLogger(__name__)


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

    def init_process(self):
        raise_open_files_limit()
        # The files a previous run left in PROMETHEUS_MULTIPROC_DIR (airspace/operations/multiprocess.py).
        clean_directory_at_start()
        super().init_process()


def raise_open_files_limit():
    """Each open stream is a socket: take every open file the hard limit allows. The soft limit is
    often 1,024, fewer than STREAM_MAX_TOTAL streams; past it the process could not accept anyone."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    needed = settings.STREAM_MAX_TOTAL + settings.WEB_THREADS + 100
    if soft < needed:
        logger.warning(
            "This web process may open %d files, fewer than STREAM_MAX_TOTAL=%d streams need: raise `ulimit -n`",
            soft,
            settings.STREAM_MAX_TOTAL,
        )
