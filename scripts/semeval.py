#!/usr/bin/env python3
"""Story decisions of the storyhash command on SemEval-2022 Task 8 graded pairs.

Usage: scripts/semeval.py OUT.jsonl PAIRS.tsv
OUT.jsonl is `storyhash cluster --format jsonl` over all texts of
../shared/corpora/semeval2022t8_sample/docs.jsonl in one batch. Prints, for
same-language English, same-language other, and cross-lingual pairs, the share
of dissimilar pairs (overall >= 3) put in one story and of similar pairs
(overall <= 1.5) kept together."""
import csv, json, sys
from collections import defaultdict

out, pairs = sys.argv[1:3]
story = {}
for line in open(out, encoding="utf-8"):
    o = json.loads(line)
    story[str(o["id"])] = o["story"]
rows = defaultdict(lambda: [0, 0, 0, 0])  # dissimilar, dissimilar together, similar, similar together
by_lang = defaultdict(lambda: [0, 0])
for r in csv.DictReader(open(pairs, encoding="utf-8"), delimiter="\t"):
    a, b = r["id1"], r["id2"]
    if a not in story or b not in story:
        continue
    score = float(r["overall"])
    same_lang = r["lang1"] == r["lang2"]
    kind = "cross-lingual" if not same_lang else ("same-language en" if r["lang1"] == "en" else "same-language other")
    together = story[a] == story[b]
    if score >= 3:
        rows[kind][0] += 1
        rows[kind][1] += together
        if same_lang and r["lang1"] != "en":
            by_lang[r["lang1"]][0] += 1
            by_lang[r["lang1"]][1] += together
    elif score <= 1.5:
        rows[kind][2] += 1
        rows[kind][3] += together
print(f"{'pairs':<22} {'dissimilar':>10} {'together':>9} {'similar':>8} {'together':>9}")
for kind in ["same-language en", "same-language other", "cross-lingual"]:
    d, dt, s, st = rows[kind]
    print(f"{kind:<22} {d:>10} {dt / max(d, 1):>9.1%} {s:>8} {st / max(s, 1):>9.1%}")
print("dissimilar pairs together, by language:", ", ".join(
    f"{l} {t}/{n}" for l, (n, t) in sorted(by_lang.items(), key=lambda x: -x[1][0])))
