#!/bin/sh
# Runs every fuzz target for SECONDS each, at the same time, and fails if any
# input crashed, hung or ran out of memory (`make fuzz`, part of `make test`).
#
#   Fuzz/run-all.sh [SECONDS]     (default 20)
#
# Seeds are the checked-in corpora (Fuzz/WireFuzz/corpus, the inventory test
# corpus); what a run learns stays in Fuzz/.out (git-ignored). Crash inputs go
# straight to the directories the unit tests replay, so that checking one in
# makes it a regression test:
#   wire       Tests/RhizomeWireTests/FuzzFindings/         (FuzzFindingsTests)
#   ini, range Tests/RhizomeInventoryTests/Corpus/fuzz-findings/  (FuzzRegressionTests)
#
# The targets run together because each is one process and most of the time
# of a short run is compiling: on two cores, three at once end well before
# three in a row.
set -u
seconds=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/Fuzz/.out"
mkdir -p "$out"

FUZZ_FINDINGS="$root/Tests/RhizomeWireTests/FuzzFindings" "$root/Fuzz/WireFuzz/run.sh" "$seconds" >"$out/wire.log" 2>&1 &
wire=$!
FUZZ_FINDINGS="$root/Tests/RhizomeInventoryTests/Corpus/fuzz-findings" "$root/Fuzz/InventoryFuzz/run.sh" "$seconds" ini >"$out/ini.log" 2>&1 &
ini=$!
FUZZ_FINDINGS="$root/Tests/RhizomeInventoryTests/Corpus/fuzz-findings" "$root/Fuzz/InventoryFuzz/run.sh" "$seconds" range >"$out/range.log" 2>&1 &
range=$!

failed=""
for target in wire ini range; do
    eval "pid=\$$target"
    if wait "$pid"; then
        echo "fuzz $target: no finding in ${seconds}s ($(grep -h 'number_of_executed_units' "$out/$target.log" | tr -s ' ' | cut -d' ' -f2) runs)"
    else
        failed="$failed $target"
        echo "fuzz $target: FAILED; its log, Fuzz/.out/$target.log, ends with:" >&2
        tail -n 30 "$out/$target.log" >&2
    fi
done
if [ -n "$failed" ]; then
    echo "fuzzing found inputs that break:$failed. Each is now in a findings directory the tests replay;" >&2
    echo "fix the cause, then check the input in as a regression test (git status shows it)." >&2
    exit 1
fi
