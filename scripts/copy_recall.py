#!/usr/bin/env python3
"""Recall of the copy tier against brute force on a labelled corpus.

For every pair of documents with the same gold `story`, computes the exact
word-5 shingle Jaccard and containment (lowercased \\w+ words, as
../shared/bench does) and checks whether `cluster --jsonl` put the two in one
copy group. Also prints the copy groups' pairwise precision.

Usage: scripts/copy_recall.py CORPUS.jsonl CLUSTER_OUTPUT.jsonl
"""
import collections
import json
import re
import sys

WORD = re.compile(r"\w+")


def shingles(text, k=5):
    w = WORD.findall(text.lower())
    return {tuple(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}


def main():
    corpus, output = sys.argv[1:3]
    docs = [json.loads(line) for line in open(corpus, encoding="utf-8")]
    copy = {str(o["id"]): o["copy"] for o in map(json.loads, open(output, encoding="utf-8"))}
    by_story = collections.defaultdict(list)
    for d in docs:
        by_story[d["story"]].append(d)
    sets = {str(d["id"]): shingles(d["text"]) for d in docs}
    hi_j = hi_j_found = cont = cont_found = 0
    for members in by_story.values():
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                a, b = str(members[i]["id"]), str(members[j]["id"])
                sa, sb = sets[a], sets[b]
                inter = len(sa & sb)
                jac = inter / len(sa | sb)
                c = inter / min(len(sa), len(sb))
                same = copy[a] == copy[b]
                if jac >= 0.6:
                    hi_j += 1
                    hi_j_found += same
                elif c >= 0.8:
                    cont += 1
                    cont_found += same
    story_of = {str(d["id"]): d["story"] for d in docs}
    groups = collections.defaultdict(list)
    for i, g in copy.items():
        groups[g].append(i)
    pred = sum(len(g) * (len(g) - 1) // 2 for g in groups.values())
    good = 0
    for g in groups.values():
        c = collections.Counter(story_of[i] for i in g)
        good += sum(n * (n - 1) // 2 for n in c.values())
    print(f"{corpus}: pairs with J >= 0.6 grouped {hi_j_found}/{hi_j} ({hi_j_found / max(hi_j, 1):.4f}); "
          f"pairs with J < 0.6 and containment >= 0.8 grouped {cont_found}/{cont} ({cont_found / max(cont, 1):.4f}); "
          f"copy-group pair precision {good / max(pred, 1):.4f}")


if __name__ == "__main__":
    main()
