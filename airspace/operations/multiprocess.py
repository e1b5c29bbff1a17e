"""prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR): each process writes its values to
files named by its pid in one directory, which /metrics adds up.

The directory must not keep the files of a previous run: a gauge of streams open yesterday would
still count. Every process of the service cleans it as it starts (`clean_directory_at_start`:
gunicorn workers in config/web_worker.py, Celery workers in config/celery.py), removing the files
of processes that are gone, never those of one still running — web, worker and beat start side by
side and share it. A dead process's counters are dropped with it (Prometheus reads the drop as a
counter reset, which rate() handles); its live gauges are dropped at every scrape as well."""

import os
import re

from prometheus_client import multiprocess

_PID = re.compile(r"_(\d+)\.db$")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _dead_pids(directory):
    pids = set()
    for name in os.listdir(directory):
        match = _PID.search(name)
        if match:
            pids.add(int(match.group(1)))
    return {pid for pid in pids if not _alive(pid)}


def forget_dead_processes(directory):
    """Drop the live gauges (streams open) of processes that died without closing them."""
    for pid in _dead_pids(directory):
        multiprocess.mark_process_dead(pid, directory)


def clean_directory_at_start():
    """Remove every file of a process no longer running from PROMETHEUS_MULTIPROC_DIR (if set)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        match = _PID.search(name)
        if match and not _alive(int(match.group(1))):
            try:
                os.remove(os.path.join(directory, name))
            except FileNotFoundError:
                pass  # another process cleaning at the same time
