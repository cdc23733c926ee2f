#!/usr/bin/env python3
"""Give a labelled corpus the dates of coverage that runs for days or weeks.

Usage: scripts/spread_dates.py IN.jsonl OUT.jsonl --spread exp:7 [--siblings 365,2000] [--seed 1]

Every story (the `story` field) starts on a day drawn over eight years; each
article is dated that day plus an offset: `exp:M`, exponential with mean M
days (cut at 60), so that most of a story's coverage comes in its first days
and a tail follows for weeks (mean 7: about a third of the pairs of one story
more than 7 days apart); `uniform:D`, any day of the first D;
`mix:B,P,D`, a burst and follow-ups: with probability P any day of the first
D, else exponential with mean B (`mix:2,0.2,90`: about a third of the pairs
more than 7 days apart, a fifth more than 30). With
`--siblings MIN,MAX`, stories whose ids share the part before the first `_`
(ECB+ topics: two similar events each, such as `24_ecb` and `24_ecbplus`)
start MIN to MAX days apart, the later one being the one that sorts last.
Writes the same records with `date` replaced: how the story tier's time prior
is checked against coverage that spans weeks (README, "How stories are
built")."""
import argparse
import datetime
import json
import random

p = argparse.ArgumentParser()
p.add_argument("input")
p.add_argument("output")
p.add_argument("--spread", required=True, help="exp:MEAN, uniform:DAYS or mix:MEAN,SHARE,DAYS")
p.add_argument("--siblings", help="MIN,MAX days between the events of one topic")
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()

kind, _, values = a.spread.partition(":")
try:
    values = [float(v) for v in values.split(",")]
except ValueError:
    values = []
if (kind, len(values)) not in (("exp", 1), ("uniform", 1), ("mix", 3)) or min(values) <= 0:
    raise SystemExit(f"--spread: expected exp:MEAN, uniform:DAYS or mix:MEAN,SHARE,DAYS, got {a.spread}")
siblings = tuple(int(x) for x in a.siblings.split(",")) if a.siblings else None

rnd = random.Random(a.seed)
records = [json.loads(line) for line in open(a.input, encoding="utf-8") if line.strip()]
epoch = datetime.date(2010, 1, 1)
start = {}
for story in sorted({str(r["story"]) for r in records}):
    topic = story.split("_")[0]
    if siblings and topic in start:
        start[story] = start[topic] + datetime.timedelta(days=rnd.randint(*siblings))
    else:
        start[story] = epoch + datetime.timedelta(days=rnd.randrange(8 * 365))
    start.setdefault(topic, start[story])
with open(a.output, "w", encoding="utf-8") as out:
    for r in records:
        if kind == "exp":
            offset = min(60, int(rnd.expovariate(1 / values[0])))
        elif kind == "uniform":
            offset = rnd.randrange(int(values[0]))
        elif rnd.random() < values[1]:
            offset = rnd.randrange(int(values[2]))
        else:
            offset = min(60, int(rnd.expovariate(1 / values[0])))
        r["date"] = (start[str(r["story"])] + datetime.timedelta(days=offset)).isoformat()
        out.write(json.dumps(r, ensure_ascii=False) + "\n")
