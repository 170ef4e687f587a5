#!/usr/bin/env bash
# A fuzz campaign over every target of crates/polytope-fuzz, as recorded in docs/robustness.md.
#
#   tools/fuzz-campaign.sh [LANES] [COUNT] [SECONDS]
#
# Runs each target until COUNT executions (default 10,000,000) or SECONDS (default 1800) have
# passed, whichever comes first, LANES targets at a time (default 2), niced so that the machine
# stays usable. Every target's summary goes to target/fuzz-campaign/TARGET.txt and a table of
# them all to target/fuzz-campaign/summary.md. Failing inputs are saved under
# crates/polytope-fuzz/corpus/TARGET/ (commit them: `cargo test` replays them); FUZZ_ARGS adds
# flags, for example FUZZ_ARGS="--corpus /tmp/corpus" to save them elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
LANES=${1:-2}
COUNT=${2:-10000000}
SECONDS_MAX=${3:-1800}
OUT=target/fuzz-campaign
mkdir -p "$OUT"
cargo build --locked --release -p polytope-fuzz
BIN=${CARGO_TARGET_DIR:-target}/release/polytope-fuzz
mapfile -t TARGETS < <("$BIN" --list | awk '/^[^ ]/ {print $1}')
# ONLY="a b" runs those targets (the table still lists every target with a summary).
ALL_TARGETS=("${TARGETS[@]}")
if [ -n "${ONLY:-}" ]; then read -r -a TARGETS <<< "$ONLY"; fi

run_one() {
  local t=$1
  # The count or the time limit, whichever comes first.
  # shellcheck disable=SC2086
  nice -n 19 "$BIN" --target "$t" --seconds "$SECONDS_MAX" --count "$COUNT" --seed 7 ${FUZZ_ARGS:-} > "$OUT/$t.txt" 2>&1 || true
}
export -f run_one
export BIN COUNT SECONDS_MAX OUT FUZZ_ARGS
printf '%s\n' "${TARGETS[@]}" | xargs -P "$LANES" -I{} bash -c 'run_one {}'

{
  echo "| target | executions | execs/s | failures | largest alloc (share of bound) | peak live (share) | slowest input (share of time bound) |"
  echo "|---|---|---|---|---|---|---|"
  for t in "${ALL_TARGETS[@]}"; do
    f="$OUT/$t.txt"
    [ -f "$f" ] || continue
    get() { grep -m1 "^$1" "$f" | sed "s/^$1 *//"; }
    echo "| $t | $(get executions) | $(get execs/s) | $(get failures) | $(get 'largest alloc' | sed 's/ bytes, /, /; s/ of its bound.*//') | $(get 'peak live' | sed 's/.*bytes, //; s/ of its bound.*//') | $(get 'slowest input' | sed 's/ (/, /; s/ of .*//') |"
  done
} > "$OUT/summary.md"
cat "$OUT/summary.md"
