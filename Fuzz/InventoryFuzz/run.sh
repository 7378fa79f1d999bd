#!/bin/sh
# Builds the inventory fuzz targets with libFuzzer and runs each for SECONDS.
# Usage: Fuzz/InventoryFuzz/run.sh [SECONDS] [TARGET...]   (default 60 s, targets: ini range)
# Leak detection is off: Foundation's process-wide caches read as leaks at exit.
# Findings land in Fuzz/.out/<target>/crashes, or in $FUZZ_FINDINGS when set (`make fuzz`
# sets Tests/RhizomeInventoryTests/Corpus/fuzz-findings, which FuzzRegressionTests replays,
# so that a finding checked in is a regression test). The exit status is non-zero when an
# input crashed, hung or ran out of memory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
seconds=${1:-60}
shift $(( $# > 0 ? 1 : 0 ))
targets=${*:-ini range}
src=$repo/Sources/RhizomeInventory
out=$repo/Fuzz/.out
# The parser sources the targets need (no Yams, no Foundation-only file I/O paths).
common="$src/InventoryError.swift $src/ResolvedHost.swift $src/InventoryValue+Access.swift
        $src/InventoryValue+JSON.swift $src/VariableTable.swift $src/InventoryGraph.swift
        $src/InventoryWarning.swift $src/HostRange.swift $src/PythonLiteral.swift $src/ShellWords.swift"

for target in $targets; do
    case $target in
        ini) main=$here/INIFuzz.swift; extra=$src/INIInventoryParser.swift ;;
        range) main=$here/RangeFuzz.swift; extra= ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    findings=${FUZZ_FINDINGS:-$out/$target/crashes}
    mkdir -p "$out/$target/corpus" "$findings"
    binary=$out/$target/fuzz-$target
    # shellcheck disable=SC2086
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name InventoryFuzz \
        $common $extra "$main" -o "$binary" 2>"$out/$target/build.log" || { cat "$out/$target/build.log" >&2; exit 1; }
    # Seed with the corpus's INI files and a few ranges.
    if [ "$target" = ini ]; then
        find "$repo/Tests/RhizomeInventoryTests/Corpus" -name '*.ini' -exec cp {} "$out/$target/corpus/" \;
    else
        for seed in 'web[01:20].dc1' 'db-[a:f]' 'n[0:10:2]' '[::1]:22' 'h:2222' "{'a': [1, 2.5, None]}" '0x1F' "b'x' 'y'"; do
            printf '%s' "$seed" > "$out/$target/corpus/$(printf '%s' "$seed" | cksum | cut -d' ' -f1)"
        done
    fi
    echo "fuzzing $target for ${seconds}s"
    # Through a log rather than a pipe, so that a crash's status is not lost.
    status=0
    ASAN_OPTIONS=detect_leaks=0 "$binary" "$out/$target/corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
        -artifact_prefix="$findings/" -print_final_stats=1 >"$out/$target/fuzz.log" 2>&1 || status=$?
    tail -n 12 "$out/$target/fuzz.log"
    if [ "$status" -ne 0 ]; then
        echo "fuzz target $target failed (status $status); the input is in $findings/ and the log in $out/$target/fuzz.log" >&2
        exit "$status"
    fi
done
