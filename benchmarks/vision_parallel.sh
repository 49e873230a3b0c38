#!/usr/bin/env bash
# `python -m benchmarks vision` with its parts in parallel processes, for a machine with many cores
# (and a GPU, which the vision runs train on): Lift; Stack; the "with" robustness evaluations, started
# once the Stack run's synthetic-only arm is trained; the "without" robustness arm. Each part is
# killed after LIMIT seconds (default 540) so that what finished is still reported. SEEDS="1 2" adds
# parts shift_with_seed1, shift_with_seed2 (the "with" arm trained again on the Stack run's data).
# Usage: [SEEDS="1 2"] bash benchmarks/vision_parallel.sh OUT_DIR [LIMIT]
set -uo pipefail
out=${1:?usage: vision_parallel.sh OUT_DIR [LIMIT]}
limit=${2:-540}
mkdir -p "$out"
export DEMOFORGE_BENCH_OUT=$out PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
start=$(date +%s)
wait_for() {  # a Stack run stage, before a part that reads what it made
  until grep -qs "\"$1\"" "$out/Stack/stages.json"; do
    [ $(($(date +%s) - start)) -lt "$limit" ] || exit 1; sleep 5
  done
}
for part in Lift Stack shift_with shift_without $(for s in ${SEEDS:-}; do echo "shift_with_seed$s"; done); do
  (case $part in
     shift_with) wait_for "train synthetic_only" ;;  # the Stack run's synthetic-only policy is the "with" arm
     shift_with_seed*) wait_for "generate synthetic demos" ;;  # trained again on the same data
   esac
   DEMOFORGE_BENCH_PARTS=$part timeout $((limit - $(date +%s) + start)) python3 -m benchmarks vision \
     > "$out/part_$part.log" 2>&1
   echo "part $part: exit $? after $(($(date +%s) - start)) s") &
done
wait
DEMOFORGE_BENCH_PARTS=report python3 -m benchmarks vision
echo "all parts and the report: $(($(date +%s) - start)) s"
