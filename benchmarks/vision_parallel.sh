#!/usr/bin/env bash
# `python -m benchmarks vision` with its parts in parallel processes, for a machine with many cores
# (and a GPU, which the vision runs train on): Lift; Stack; the "with" robustness evaluations, started
# once the Stack run's synthetic-only arm is trained; the "without" robustness arm. Each part is
# killed after LIMIT seconds (default 540) so that what finished is still reported.
# Usage: bash benchmarks/vision_parallel.sh OUT_DIR [LIMIT]
set -uo pipefail
out=${1:?usage: vision_parallel.sh OUT_DIR [LIMIT]}
limit=${2:-540}
mkdir -p "$out"
export DEMOFORGE_BENCH_OUT=$out PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
start=$(date +%s)
for part in Lift Stack shift_with shift_without; do
  (if [ "$part" = shift_with ]; then  # the Stack run's synthetic-only policy is the "with" arm
     until grep -qs '"train synthetic_only"' "$out/Stack/stages.json"; do
       [ $(($(date +%s) - start)) -lt "$limit" ] || exit 1; sleep 5
     done
   fi
   DEMOFORGE_BENCH_PARTS=$part timeout $((limit - $(date +%s) + start)) python3 -m benchmarks vision \
     > "$out/part_$part.log" 2>&1
   echo "part $part: exit $? after $(($(date +%s) - start)) s") &
done
wait
DEMOFORGE_BENCH_PARTS=report python3 -m benchmarks vision
echo "all parts and the report: $(($(date +%s) - start)) s"
