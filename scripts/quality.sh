#!/usr/bin/env bash
# Scores the storyhash command on every labelled corpus available, at copy and story level.
# Usage: scripts/quality.sh [extra cluster options...]
# Corpora: the bundled sample, ../shared/corpora (ecbplus, allsides_roundups) and, when
# $BENCH_WORK holds them, generated corpora from ../shared/bench/make_corpus.py.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p storyhash-cli
bin=target/release/storyhash
out=$(mktemp)
trap 'rm -f "$out"' EXIT
score() { # name corpus level
  "$bin" cluster --format jsonl --quiet "${opts[@]}" "$2" > "$out"
  printf '%-28s %s\n' "$1" "$("$bin" eval "$out" "$2" --level "$3" | tail -1)"
}
opts=("$@")
printf '%-28s %s\n' corpus "level    items     pred     gold |  pair P  pair R pair F1 |    B3 P    B3 R   B3 F1 |    ARI"
score sample examples/data/sample.jsonl copy
score sample examples/data/sample.jsonl story
S=../shared/corpora
[ -d "$S" ] && for c in ecbplus allsides_roundups; do score "$c" "$S/$c/docs.jsonl" story; done
B=${BENCH_WORK:-/tmp/storyhash-bench}
for f in "$B"/c*.jsonl; do [ -e "$f" ] && score "$(basename "$f")" "$f" copy; done
exit 0
