"""Python against the command on one corpus, in alternation.

    python python/bench/compare.py CORPUS.jsonl [--rounds 3] [--bin target/release/storyhash]

Each round times ``storyhash.cluster`` on a pyarrow table already in memory
(texts borrowed from its buffers), then runs ``storyhash cluster -v`` and takes
the time of its stages (signing to stories, reading and writing excluded):
the same work on the same articles. Prints the medians and the median of the
per-round ratios, and checks that both give the same copy groups and stories.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

import pyarrow.json
import storyhash


def command_run(binary, corpus):
    """Stage seconds of one ``storyhash cluster`` run, and its output."""
    out = subprocess.run(
        [binary, "cluster", "--format", "jsonl", "-v", corpus],
        check=True, capture_output=True, text=True,
    )
    line = next(l for l in out.stderr.splitlines() if l.strip().startswith("time:"))
    stages = [part.strip().rsplit(" ", 1) for part in line.split(":", 1)[1].split(",")]
    seconds = sum(float(t.rstrip("s")) for name, t in stages if name not in ("read", "write"))
    rows = [json.loads(l) for l in out.stdout.splitlines()]
    return seconds, {r["id"]: (r["copy"], r["story"]) for r in rows}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--bin", default="target/release/storyhash")
    a = p.parse_args()
    table = pyarrow.json.read_json(a.corpus)
    optional = {c: c if c in table.column_names else None for c in ("title", "date")}
    py_times, cmd_times, ratios = [], [], []
    for r in range(a.rounds):
        start = time.perf_counter()
        out = storyhash.cluster(table, id="id", text="text", **optional)
        py = time.perf_counter() - start
        cmd, expected = command_run(a.bin, a.corpus)
        py_times.append(py)
        cmd_times.append(cmd)
        ratios.append(py / cmd)
        print(f"round {r + 1}: python {py:.2f}s, command stages {cmd:.2f}s", file=sys.stderr)
        got = dict(zip(out.column("id").to_pylist(),
                       zip(out.column("copy").to_pylist(), out.column("story").to_pylist())))
        if got != expected:
            sys.exit("python and the command disagree")
    print(f"{table.num_rows} articles: python {statistics.median(py_times):.2f}s, "
          f"command {statistics.median(cmd_times):.2f}s, "
          f"median ratio {statistics.median(ratios):.3f} (same output)")


if __name__ == "__main__":
    main()
