#!/usr/bin/env python3
"""The speed rows of the README's "Where the goals stand", each measured in alternation.

Usage: scripts/speed.py [--rounds 3] [--threads 2] [--bin target/release/storyhash] [--peers]

Three comparisons (four with --peers), each run round by round, the two sides one after
the other in every round, so that both see the same load on a shared machine; it reports
every round and the median of the per-round ratios (never one absolute time):

  probe    the copy tier as a whole process (`cluster --no-stories --format jsonl`) against
           the native limit probe's in-memory pipeline (`pipe32x` + `lsh`, 32 bands of 4
           rows), on each generated corpus at hand, with the command's peak RSS and time
           per article
  stories  the whole command with stories against the copy tier alone, on the 10k and 100k
           corpora
  allsides the story stage against reading and signing on allsides_roundups, from `-v`
  peers    with --peers: the copy tier against gaoya and rensa on the 100k corpus through
           ../shared/bench/peers.py (its venv from setup.sh; 5 repetitions, about 8 minutes),
           which interleaves them itself; its summary table is printed as it gives it

Corpora: $BENCH_WORK/c10k.jsonl, c100k.jsonl and c300k.jsonl (`make_corpus.py --docs N
--seed 1`; `$BENCH_WORK` defaults to /tmp/storyhash-bench) and ../shared/corpora; the probe:
$BENCH_WORK/limit-native/release/limit-probe (both as ../shared/bench/README.md makes them).
Whatever is missing is skipped with a note. Make sure nothing else of yours runs meanwhile.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_WORK", "/tmp/storyhash-bench"))
PROBE = WORK / "limit-native/release/limit-probe"
GENERATED = [("10k", 10_000), ("100k", 100_000), ("300k", 300_000)]
ALLSIDES = ROOT.parent / "shared/corpora/allsides_roundups/docs.jsonl"
BENCH = ROOT.parent / "shared/bench"


def run(cmd):
    """Wall seconds and peak RSS (MiB) of one run of `cmd`, its stdout discarded; stderr kept."""
    # /dev/null opened for writing only: the command takes a read-write one for a closed stdout.
    with open(os.devnull, "w") as sink:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE, text=True)
        err = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, in KiB on Linux
        wall = time.perf_counter() - start
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024, err


def probe_seconds(corpus, threads):
    """The probe's in-memory pipeline on `corpus`: pipe32x plus lsh, one repetition."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [PROBE, "--corpus", corpus, "--reps", "1", "--only", "pipe32x,lsh", "--threads",
             str(threads), "--bands", "32", "--rows", "4", "--json", out.name],
            capture_output=True, check=True)
        with open(out.name) as f:
            rows = json.load(f)["rows"]
    return sum(r["median_s"] for r in rows if r["threads"] == threads)


def report(name, rounds):
    """`rounds`: per round, its two timings as text and their ratio."""
    ratios = [r[-1] for r in rounds]
    print(f"{name}: median of per-round ratios {statistics.median(ratios):.2f}x")
    for i, r in enumerate(rounds, 1):
        print(f"  round {i}: " + ", ".join(r[:-1]) + f", ratio {r[-1]:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bin", default=str(ROOT / "target/release/storyhash"))
    ap.add_argument("--peers", action="store_true", help="also gaoya and rensa (slow)")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each result as it comes, even through a pipe
    if not Path(a.bin).exists():
        sys.exit(f"{a.bin} not found: cargo build --release -p storyhash-cli")
    cmd = [a.bin, "--threads", str(a.threads), "cluster", "--format", "jsonl", "--quiet"]
    corpora = [(n, d, WORK / f"c{n}.jsonl") for n, d in GENERATED]
    corpora = [c for c in corpora if c[2].exists()]
    if not corpora:
        print(f"no generated corpus in {WORK}: probe and stories skipped")
    elif not PROBE.exists():
        print(f"probe: {PROBE} not built, skipped")

    for name, docs, corpus in corpora if PROBE.exists() else []:
        rounds, peaks, walls = [], [], []
        for _ in range(a.rounds):
            p = probe_seconds(corpus, a.threads)
            wall, peak, _ = run(cmd + ["--no-stories", corpus])
            rounds.append((f"probe {p:.3f} s", f"command {wall:.3f} s", wall / p))
            peaks.append(peak)
            walls.append(wall)
        report(f"probe {name}", rounds)
        print(f"  command: {statistics.median(walls) / docs * 1e6:.1f} us an article, "
              f"peak RSS up to {max(peaks):.0f} MiB")

    for name, docs, corpus in corpora:
        if docs > 100_000:
            continue
        rounds = []
        for _ in range(a.rounds):
            copies, _, _ = run(cmd + ["--no-stories", corpus])
            stories, _, _ = run(cmd + [corpus])
            rounds.append((f"copy tier {copies:.3f} s", f"with stories {stories:.3f} s",
                           stories / copies))
        report(f"stories {name}", rounds)

    if ALLSIDES.exists():
        rounds = []
        for _ in range(a.rounds):
            _, _, err = run([a.bin, "--threads", str(a.threads), "cluster", "-v", "--format",
                             "jsonl", ALLSIDES])
            sign = float(re.search(r"read and sign ([0-9.]+)s", err).group(1))
            story = float(re.search(r", stories ([0-9.]+)s", err).group(1))
            rounds.append((f"reading and signing {sign:.3f} s", f"story stage {story:.3f} s",
                           story / sign))
        report("allsides story stage / reading and signing", rounds)
    else:
        print(f"allsides: {ALLSIDES} not found, skipped")

    if a.peers:
        peers(a)


def peers(a):
    """The copy tier against gaoya and rensa on the 100k corpus, by the shared harness."""
    python, corpus = WORK / "venv/bin/python", WORK / "c100k.jsonl"
    if not (python.exists() and corpus.exists() and (BENCH / "peers.py").exists()):
        print(f"peers: needs {python} and {corpus} (../shared/bench/setup.sh), skipped")
        return
    command = (f"{Path(a.bin).resolve()} --threads {a.threads} cluster --no-stories "
               "--format jsonl --quiet {corpus}")
    done = subprocess.run(
        [python, "peers.py", "--corpus", corpus, "--modes", "e2e", "--reps", "5", "--threads",
         str(a.threads), "--peers", "gaoya,rensa", "--cmd", f"storyhash={command}"],
        cwd=BENCH, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"peers.py failed:\n{done.stderr}")
    lines = done.stdout.splitlines()
    table = next(i for i, l in enumerate(lines) if l.startswith("peer "))
    print("peers (100k, e2e, 5 repetitions):")
    for line in lines[table:table + 4]:
        print("  " + line)


if __name__ == "__main__":
    main()
