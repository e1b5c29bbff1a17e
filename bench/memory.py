"""Memory under steady load, against the real stack (`make run` with DATABASE_URL and REDIS_URL set).

Sensors post batches of reports at a fixed pace (bench/ingest.py's bodies: authorized drones and one
new hostile track per batch) for `--duration` seconds, and every `--sample` seconds this reads the
resident memory (RSS, from /proc through psutil) of every process of the stack: the gunicorn master
and web workers, each Celery worker (by queue) and beat. At the end it prints, for each process,
its memory after the warm-up, the largest, the last, and the growth per hour fitted over the samples
after the warm-up (least squares): a process that leaks shows a steady positive slope; one that
only settles shows a step and then a flat line. `--csv` keeps every sample.

The command and the results are in docs/PERFORMANCE.md ("Memory").
"""

import argparse
import csv
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import ingest  # noqa: E402 - bench/ingest.py, beside this file

SHELLS = {"sh", "bash", "dash"}


def stack_processes():
    """The stack's processes by role, found by their command lines (the Procfile's shapes); the
    shells honcho starts them with are left out."""
    found = {}
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        if process.info["name"] in SHELLS:
            continue
        command = " ".join(process.info["cmdline"] or [])
        try:
            parent = process.parent()
            started_by_shell = parent is None or parent.name() in SHELLS
        except psutil.Error:
            continue
        if "gunicorn" in command and "config." in command:
            role = "web: gunicorn master" if started_by_shell else "web: worker"
        elif "celery" in command and " beat" in command:
            role = "beat"
        elif "celery" in command and " worker" in command:
            queue = command.split("--queues ", 1)[1].split()[0] if "--queues " in command else "default"
            role = f"celery {queue}" + ("" if started_by_shell else ": pool process")
        else:
            continue
        found[process.info["pid"]] = (role, process)
    return found


def paced_sensor(url, token, drones, batch_size, rate, duration_s, worker_number, run, results):
    """Post one batch every batch_size / rate seconds until the time is up."""
    rng = random.Random(worker_number)
    bodies = ingest.prepared_bodies(rng, drones, batch_size, 1, run, worker_number)
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Content-Type": "application/json"})
    interval = batch_size / rate
    sent = errors = 0
    started = time.time()
    while time.time() - started < duration_s:
        body = (
            bodies[sent % len(bodies)]
            .replace(ingest.BATCH_MARK, str(sent))
            .replace(ingest.OBSERVED_MARK, datetime.now(UTC).isoformat())
        )
        response = session.post(f"{url}/api/v1/tracks/reports/", data=body, timeout=60)
        if response.status_code != 200:
            errors += 1
        sent += 1
        pause = started + sent * interval - time.time()
        if pause > 0:
            time.sleep(pause)
    results.put({"batches": sent, "errors": errors})


def growth_per_hour(samples):
    """Least-squares slope of (seconds, bytes) samples, in MiB per hour."""
    if len(samples) < 3:
        return 0.0
    times = [t for t, _ in samples]
    sizes = [s for _, s in samples]
    mean_t, mean_s = statistics.fmean(times), statistics.fmean(sizes)
    spread = sum((t - mean_t) ** 2 for t in times)
    if not spread:
        return 0.0
    slope = sum((t - mean_t) * (s - mean_s) for t, s in zip(times, sizes, strict=True)) / spread
    return slope * 3600 / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    parser.add_argument("--permits", type=int, default=500)
    parser.add_argument("--sensors", type=int, default=2)
    parser.add_argument("--rate", type=float, default=5000, help="reports/s per sensor")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=3600, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=120, help="seconds before the baseline sample")
    parser.add_argument("--sample", type=float, default=30, help="seconds between samples")
    parser.add_argument("--csv", help="write every sample here")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        parser.error("set DATABASE_URL and REDIS_URL to those of the running stack (make run)")

    ingest.setup_django()
    drones, tokens, _ = ingest.seed(args.permits, args.sensors)
    processes = stack_processes()
    if not any(role == "web: worker" for role, _ in processes.values()):
        sys.exit("No gunicorn web worker found on this machine: start the stack first")
    print(f"Watching {len(processes)} processes; {args.sensors} sensors at {args.rate:,.0f} reports/s each")

    results = multiprocessing.Queue()
    run = int(time.time())
    sensors = [
        multiprocessing.Process(
            target=paced_sensor,
            args=(args.url, token, drones[n :: args.sensors], args.batch, args.rate, args.duration, n, run, results),
        )
        for n, token in enumerate(tokens)
    ]
    started = time.time()
    for sensor in sensors:
        sensor.start()

    samples = {pid: [] for pid in processes}
    rows = []
    done = threading.Event()

    def sample_until_done():
        while not done.wait(args.sample):
            now = time.time() - started
            for pid, (role, process) in processes.items():
                try:
                    rss = process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                samples[pid].append((now, rss))
                rows.append({"seconds": round(now), "pid": pid, "role": role, "rss_bytes": rss})

    sampler = threading.Thread(target=sample_until_done, daemon=True)
    sampler.start()
    outcomes = [results.get() for _ in sensors]
    done.set()
    sampler.join()
    for sensor in sensors:
        sensor.join()
    elapsed = time.time() - started

    batches = sum(o["batches"] for o in outcomes)
    errors = sum(o["errors"] for o in outcomes)
    reports = batches * args.batch
    print(f"{reports:,} reports in {elapsed:.0f} s = {reports / elapsed:,.0f} reports/s, {errors} errors")
    print(f"{'process':<42} {'pid':>7} {'after warm-up':>14} {'largest':>9} {'last':>9} {'growth/h':>10}")
    for pid, (role, _) in sorted(processes.items(), key=lambda item: item[1][0]):
        series = [(t, s) for t, s in samples[pid] if t >= args.warmup]
        if not series:
            print(f"{role:<42} {pid:>7}  (gone, or no sample after the warm-up)")
            continue
        mib = 2**20
        print(
            f"{role:<42} {pid:>7} {series[0][1] / mib:>11.1f} MiB {max(s for _, s in series) / mib:>6.1f} MiB "
            f"{series[-1][1] / mib:>6.1f} MiB {growth_per_hour(series):>+7.1f} MiB"
        )
    if args.csv:
        with open(args.csv, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=["seconds", "pid", "role", "rss_bytes"])
            writer.writeheader()
            writer.writerows(rows)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
