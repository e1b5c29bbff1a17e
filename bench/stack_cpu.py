"""CPU seconds (user + system, from /proc) so far of the web workers listening on a port and of the
PostgreSQL backends connected to a database, as JSON: run it before and after a benchmark and divide
the difference by the batches it sent. CPU time, unlike wall time, is not inflated by the other work
of a shared machine. Backends that disconnect between the two readings are not counted (the output
lists the pids, so compare them).

    .venv/bin/python bench/stack_cpu.py --port 8177 --database airspace_evidence_big
"""

import argparse
import json
import os
import re
import subprocess
from pathlib import Path


def cpu_s(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    listening = subprocess.run(["ss", "-ltnpH", f"sport = :{args.port}"], capture_output=True, text=True).stdout
    web = sorted({int(pid) for pid in re.findall(r"pid=(\d+)", listening)})
    database = args.database.replace("'", "")
    query = f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}'"
    backends = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", query], capture_output=True, text=True
    ).stdout.split()
    pg = sorted(int(pid) for pid in backends)
    print(
        json.dumps(
            {"web": sum(map(cpu_s, web)), "pg": sum(map(cpu_s, pg)), "web_pids": web, "pg_pids": pg},
        )
    )


if __name__ == "__main__":
    main()
