#!/usr/bin/env bash
# How the cluster path scales with the number of shards (docs/cluster.md has the results).
#
#   benches/cluster_scale.sh merge 100 1000 10000   no SLURM needed
#   benches/cluster_scale.sh slurm 100 1000          needs scripts/slurm-local.sh start
#   benches/cluster_scale.sh calibrate 200           needs scripts/slurm-local.sh start
#
# merge K...:  K shard files of known_coverage (16,000 trials), each made by its own
#              process as an array task does, then `scb merge` alone. Prints the mean time
#              of the first and the last tenth of the shards (equal when a shard's start-up
#              does not grow with K), the merge's wall time and peak memory, and checks the
#              merged records against an unsharded run's, line for line.
# slurm K...:  `scb submit known_coverage --shards K`: the submit's wall time, the time until
#              the array and its merge have ended (the local cluster's launch rate decides
#              it), the merge's verdict, and the records against an unsharded run's.
# calibrate K: `scb submit known_normal_g8 --quick --calibrate K --shards K` (one seed per
#              array task) against `scb calibrate` of the same K seeds on this machine: the
#              submit's time, the array's, and the two calibration.json byte for byte.
#
# SCB (default target/release/scb) is the binary measured; WORK (default a temporary
# folder) holds the runs. Times are wall-clock seconds on this machine: name its CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
SCB=$(realpath "${SCB:-target/release/scb}")
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
THEOREMS=$PWD/theorems
mode=${1:?usage: cluster_scale.sh merge|slurm|calibrate K...}
shift
now() { echo "$EPOCHREALTIME"; }
since() { printf '%.2f' "$(echo "$(now) - $1" | bc)"; }
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; $("$SCB" --version)"

unsharded() {
    local ref=$WORK/unsharded
    [[ -f $ref/known_coverage/trials.jsonl ]] || "$SCB" check known_coverage --out "$ref" --theorems "$THEOREMS" >/dev/null 2>&1
    echo "$ref/known_coverage/trials.jsonl"
}

# The merged records equal the unsharded run's: the same lines (a whole run appends them in
# the order its threads finish, a merge in key order).
same_records() {
    cmp -s <(sort "$1") <(sort "$(unsharded)") && echo "identical" || echo "DIFFERENT"
}

wait_slurm() {
    while squeue -h -j "$1" 2>/dev/null | grep -q .; do sleep 1; done
}

# `scb submit ARGS...`, then wait for its arrays and merge: prints "<submit s> <total s>".
submitted() {
    local t jobs submit
    t=$(now)
    jobs=$("$SCB" submit "$@" 2>&1 | sed -n 's/.*array jobs\? \([0-9,]*\).*merge job \([0-9]*\).*/\1,\2/p')
    submit=$(since "$t")
    wait_slurm "$jobs"
    echo "$submit $(since "$t")"
}

case $mode in
merge)
    echo "| shards | first tenth (ms/shard) | last tenth (ms/shard) | merge (s) | merge peak RSS (MiB) | records |"
    echo "|---:|---:|---:|---:|---:|---|"
    for k in "$@"; do
        out=$WORK/merge-$k
        rm -rf "$out"
        times=$WORK/shard-times-$k
        : >"$times"
        for i in $(seq 1 "$k"); do
            # bash's own clock (microseconds, no process started to read it).
            t=$EPOCHREALTIME
            "$SCB" check known_coverage --shard "$i/$k" --out "$out" --theorems "$THEOREMS" >/dev/null 2>&1
            echo "$EPOCHREALTIME - $t" | bc >>"$times"
        done
        tenth=$(( (k + 9) / 10 ))
        first=$(head -n "$tenth" "$times" | awk '{s += $1} END {printf "%.1f", 1000 * s / NR}')
        last=$(tail -n "$tenth" "$times" | awk '{s += $1} END {printf "%.1f", 1000 * s / NR}')
        /usr/bin/time -o "$WORK/merge-time" -f "%e %M" "$SCB" merge "$out/known_coverage" --theorems "$THEOREMS" >/dev/null 2>&1
        read -r secs kb <"$WORK/merge-time"
        echo "| $k | $first | $last | $secs | $(( kb / 1024 )) | $(same_records "$out/known_coverage/trials.jsonl") |"
    done
    ;;
slurm)
    echo "| shards | submit (s) | array and merge (s) | verdict | records |"
    echo "|---:|---:|---:|---|---|"
    for k in "$@"; do
        out=$WORK/slurm-$k
        rm -rf "$out"
        read -r submit total < <(submitted known_coverage --shards "$k" --out "$out" --theorems "$THEOREMS")
        verdict=$(grep -o 'known_coverage: [A-Z]*' "$out/known_coverage/slurm/merge.log" | tail -1)
        echo "| $k | $submit | $total | $verdict | $(same_records "$out/known_coverage/trials.jsonl") |"
    done
    ;;
calibrate)
    spec=$THEOREMS/known/known_normal_g8.toml
    echo "| shards (one seed each) | submit (s) | array and merge (s) | local calibrate (s) | calibration.json |"
    echo "|---:|---:|---:|---:|---|"
    for k in "$@"; do
        out=$WORK/calibrate-$k
        rm -rf "$out" "$WORK/local-$k"
        read -r submit total < <(submitted "$spec" --quick --calibrate "$k" --shards "$k" --out "$out" --theorems "$THEOREMS")
        t=$(now)
        "$SCB" calibrate "$spec" --quick --seeds "$k" --out "$WORK/local-$k" --theorems "$THEOREMS" >/dev/null 2>&1 || true
        local=$(since "$t")
        f=known_normal_g8/calibration-quick.json
        same=$(cmp -s "$out/$f" "$WORK/local-$k/$f" && echo identical || echo DIFFERENT)
        echo "| $k | $submit | $total | $local | $same |"
    done
    ;;
*)
    echo "usage: cluster_scale.sh merge|slurm|calibrate K..." >&2
    exit 2
    ;;
esac
