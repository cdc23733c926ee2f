"""The Spark driver on one corpus at local[2]: time, peak memory, rows and
bytes shuffled per stage, and the answer checked against the command.

    python python/bench/spark_run.py CORPUS.jsonl [--partitions 16] [--bin target/release/storyhash]

Peak memory is the largest sum of the resident memory of this process and
all its descendants (the JVM and its Python workers), sampled every 0.2 s.
Shuffle figures come from Spark's monitoring API, per stage.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request


def tree_rss_mib(root):
    """Resident memory of `root` and its descendants, in MiB."""
    children = {}
    rss = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(pid))
            rss[int(pid)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 2**20


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("--partitions", type=int, default=16)
    p.add_argument("--bin", default="target/release/storyhash")
    p.add_argument("--driver-memory", default="8g")
    a = p.parse_args()

    peak = [0.0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_mib(os.getpid()))
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    import storyhash.spark as ss

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", a.driver_memory)
        .config("spark.sql.shuffle.partitions", str(a.partitions))
        .config("spark.ui.port", "4050")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.json(a.corpus)
    optional = {c: c if c in df.columns else None for c in ("title", "date")}
    df = df.select("id", "text", *filter(None, optional.values())).cache()
    n = df.count()
    report = {}
    start = time.perf_counter()
    out = ss.cluster_dataframe(
        df, title_col=optional["title"], date_col=optional["date"], report=report
    )
    got = {r["id"]: (r["copy"], r["story"]) for r in out.collect()}
    seconds = time.perf_counter() - start
    done.set()

    app = spark.sparkContext.applicationId
    url = f"{spark.sparkContext.uiWebUrl}/api/v1/applications/{app}/stages?status=complete"
    stages = json.load(urllib.request.urlopen(url))
    shuffle = [
        {"stage": s["stageId"], "name": s["name"][:60], "records": s["shuffleWriteRecords"],
         "details": next((l.strip() for l in s.get("details", "").splitlines() if "spark.py" in l), ""),
         "bytes": s["shuffleWriteBytes"], "run_s": s["executorRunTime"] / 1000}
        for s in sorted(stages, key=lambda s: s["stageId"]) if s["shuffleWriteBytes"] > 0
    ]
    spark.stop()

    cmd = subprocess.run([a.bin, "cluster", "--format", "jsonl", a.corpus],
                         check=True, capture_output=True, text=True)
    expected = {r["id"]: (r["copy"], r["story"]) for r in map(json.loads, cmd.stdout.splitlines())}
    print(json.dumps({
        "articles": n, "partitions": a.partitions, "seconds": round(seconds, 1),
        "peak_rss_mib": round(peak[0]), "same_as_command": got == expected,
        "report": report, "shuffle_records": sum(s["records"] for s in shuffle),
        "shuffle_bytes": sum(s["bytes"] for s in shuffle),
        "largest_shuffles": sorted(shuffle, key=lambda s: -s["bytes"])[:10],
    }, indent=1))
    if got != expected:
        sys.exit("the Spark driver and the command disagree")


if __name__ == "__main__":
    main()
