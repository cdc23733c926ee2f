"""Shared fixtures: the corpora (the bundled sample, ../shared when present,
a generated one with templated reports) and the `storyhash` command."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "data" / "sample.jsonl"
SHARED = ROOT.parent / "shared" / "corpora"


def read_jsonl(path: Path) -> pa.Table:
    """A JSON Lines corpus as a table with string ids, texts, titles and dates."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return pa.table(
        {
            "id": [str(r["id"]) for r in rows],
            "text": [r.get("text") for r in rows],
            "title": [r.get("title") for r in rows],
            "date": [r.get("date") for r in rows],
        },
        schema=pa.schema([("id", pa.string()), ("text", pa.string()), ("title", pa.string()), ("date", pa.string())]),
    )


def generated(n: int, seed: int) -> pa.Table:
    """A corpus of made-up articles, one in ten a templated wire report, one
    in four an edited copy of an earlier article, some dated."""
    r = random.Random(seed)
    syll = ["ka", "lo", "ren", "tis", "mar", "vo", "del", "sun", "ha", "bri", "te", "gon"]
    word = lambda: "".join(r.choice(syll) for _ in range(r.randint(2, 3)))  # noqa: E731
    name = lambda: word().capitalize()  # noqa: E731
    texts: list[str] = []
    rows = []
    for i in range(n):
        if texts and r.random() < 0.25:
            t = r.choice(texts)
            w = t.split(" ")
            if r.random() < 0.5:
                t = " ".join(w[: len(w) * 7 // 10])
            else:
                t = "By Staff | " + t + " Subscribe for more."
        elif r.random() < 0.1:
            t = (f"Shares in {name()} {name()} closed {r.randint(1, 99)} cents higher at {r.randint(10, 900)} "
                 f"dollars on Tuesday on the {name()} exchange. Trading volume reached {r.randint(100, 9000)} "
                 "thousand shares, above the average of the past month, dealers said. "
                 + " ".join(word() for _ in range(30)))
        else:
            t = " ".join(name() if r.random() < 0.08 else word() for _ in range(r.randint(80, 300))) + "."
        texts.append(t)
        date = f"2024-{r.randint(1, 4):02d}-{r.randint(1, 28):02d}" if r.random() < 0.6 else None
        rows.append({"id": f"g{(i * 2654435761) % (1 << 32):08x}", "text": t, "title": None, "date": date})
    return pa.Table.from_pylist(rows, schema=pa.schema([("id", pa.string()), ("text", pa.string()), ("title", pa.string()), ("date", pa.string())]))


def corpora() -> list:
    out = [("sample", read_jsonl(SAMPLE)), ("generated 2k, templated", generated(2000, 3))]
    if (SHARED / "ecbplus" / "docs.jsonl").exists():
        out.append(("ecbplus", read_jsonl(SHARED / "ecbplus" / "docs.jsonl")))
    return out


@pytest.fixture(scope="session")
def storyhash_bin() -> str:
    """The `storyhash` command: $STORYHASH_BIN, the workspace's release build, or PATH."""
    for candidate in [os.environ.get("STORYHASH_BIN"), str(ROOT / "target" / "release" / "storyhash"), shutil.which("storyhash")]:
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("the storyhash command is not built (cargo build --release -p storyhash-cli)")


def command_output(storyhash_bin: str, table: pa.Table, tmp_path: Path) -> list:
    """`storyhash cluster --format jsonl` of a table, as sorted (id, copy, story)."""
    path = tmp_path / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for row in table.to_pylist():
            f.write(json.dumps(row) + "\n")
    out = subprocess.run([storyhash_bin, "cluster", "--quiet", "--format", "jsonl", str(path)], check=True, capture_output=True, text=True).stdout
    return sorted((str(o["id"]), o["copy"], o["story"]) for o in map(json.loads, out.splitlines()))
