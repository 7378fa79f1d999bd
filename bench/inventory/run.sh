#!/bin/sh
# Inventory benchmark: 10,000 hosts in 500 groups, resolved by a release build.
# Usage: bench/inventory/run.sh [RUNS]
# Prints the best and median wall time of each command over RUNS runs (default 5).
set -eu
cd "$(dirname "$0")/../.."
runs=${1:-5}
out=bench/out/inventory
mkdir -p "$out"
python3 bench/inventory/generate.py "$out" 10000 500
swift build -c release --scratch-path .build-inventory-release --product rhizome >/dev/null
bin=.build-inventory-release/release/rhizome

measure() {
    label=$1
    shift
    times=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        start=$(date +%s%N)
        "$@" >/dev/null
        end=$(date +%s%N)
        times="$times $(( (end - start) / 1000000 ))"
        i=$((i + 1))
    done
    echo "$times" | tr ' ' '\n' | grep -v '^$' | sort -n | awk -v label="$label" '
        { t[NR] = $1 }
        END { printf "%-44s best %5d ms   median %5d ms   (%d runs)\n", label, t[1], t[int((NR + 1) / 2)], NR }'
}

measure "resolve + --tree all (YAML, 10k hosts)" "$bin" inventory -i "$out/hosts.yml" --ssh-config none --tree
measure "resolve + --list (YAML, 10k hosts)" "$bin" inventory -i "$out/hosts.yml" --ssh-config none --list
measure "resolve + --host (YAML, 10k hosts)" "$bin" inventory -i "$out/hosts.yml" --ssh-config none --host host09999.example.com
measure "resolve + --list (INI, 10k hosts)" "$bin" inventory -i "$out/hosts.ini" --ssh-config none --list
measure "resolve + --host (INI, 10k hosts)" "$bin" inventory -i "$out/hosts.ini" --ssh-config none --host host09999.example.com
