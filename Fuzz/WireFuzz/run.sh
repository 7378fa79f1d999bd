#!/bin/sh
# Builds the wire-format fuzz target and runs it.
#
#   Fuzz/WireFuzz/run.sh [SECONDS] [extra libFuzzer flags…]
#
# SECONDS defaults to 60. The binary, the growing corpus and any crash inputs
# go to Fuzz/.out/WireFuzz/ (git-ignored); the checked-in seeds in
# Fuzz/WireFuzz/corpus/ are read but never written. A crash input found here
# belongs in Tests/RhizomeWireTests/FuzzResultTests.swift once it is fixed.
#
# Environment: JOBS=N fuzzes with N processes (libFuzzer's -fork mode, default 1).
# FUZZ_FINDINGS=DIR puts crash inputs in DIR instead (`make fuzz` uses the
# directory the tests replay, so that a finding is a regression test once
# checked in). The exit status is non-zero when an input crashed.
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift

root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/Fuzz/.out/WireFuzz"
findings=${FUZZ_FINDINGS:-$out/artifacts}
mkdir -p "$out/corpus" "$findings"

# One module made of the library sources and the fuzz entry point: the target
# needs no package build, and the sanitizers instrument the library too.
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld \
    -module-name WireFuzz \
    "$root"/Sources/RhizomeWire/*.swift \
    "$root/Fuzz/WireFuzz/main.swift" \
    -o "$out/wire-fuzz"

# The Swift runtime's own crash backtracer gets in the way of ASan's report.
export SWIFT_BACKTRACE=enable=no

jobs=${JOBS:-1}
if [ "$jobs" -gt 1 ]; then
    # Each worker logs to Fuzz/.out/WireFuzz/fuzz-N.log.
    set -- -fork="$jobs" "$@"
fi
cd "$out"
# Inputs up to 64 KiB reach multi-frame streams; a case over 10 s is a hang.
exec ./wire-fuzz "$out/corpus" "$root/Fuzz/WireFuzz/corpus" \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -dict="$root/Fuzz/WireFuzz/wire.dict" -artifact_prefix="$findings/" -print_final_stats=1 "$@"
