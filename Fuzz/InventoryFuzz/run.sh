#!/bin/sh
# Builds the inventory fuzz targets with libFuzzer and runs each for SECONDS.
# Usage: Fuzz/InventoryFuzz/run.sh [SECONDS] [TARGET...]   (default 60 s, targets: ini range)
# Leak detection is off: Foundation's process-wide caches read as leaks at exit.
# Findings land in Fuzz/.out/<target>/crashes; keep each one as a regression test in
# Tests/RhizomeInventoryTests/FuzzRegressionTests.swift.
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
    mkdir -p "$out/$target/corpus" "$out/$target/crashes"
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
    ASAN_OPTIONS=detect_leaks=0 "$binary" "$out/$target/corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
        -artifact_prefix="$out/$target/crashes/" -print_final_stats=1 2>&1 | tail -n 12
done
