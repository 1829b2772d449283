#!/usr/bin/env bash
# bench/run.sh BUILD: the benchmarks of `make bench`.
#   1. ../shared/bench (the programs the performance work is measured on), each next to Lua 5.4,
#      the LuaJIT interpreter and Python, as ratios to Lua 5.4 measured in the same run;
#   2. startup: `valk -e 1` next to `lua5.4 -e 1`;
#   3. the collector: bench/gc/gc_pause.valk (pauses with 100 MB live).
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
valk="$root/$build/valk"
shared="$root/../shared/bench"
runs=${BENCH_RUNS:-3}
status=0

echo "== Programs (median of $runs runs; time in s, peak memory in MiB)"
if [ -x "$shared/run" ]; then
  "$shared/run" "$valk" "$runs" || status=1
else
  echo "no ../shared/bench/run beside the repository: skipped"
fi

echo
echo "== Startup (mean of 50 runs)"
startup() {
  local start end
  start=$(date +%s%N)
  for _ in $(seq 50); do "$@" > /dev/null; done
  end=$(date +%s%N)
  echo $(( (end - start) / 50000 ))
}
v=$(startup "$valk" -e 1)
l=$(startup lua5.4 -e 'x=1')  # `lua5.4 -e 1` is not a Lua statement
awk -v v="$v" -v l="$l" 'BEGIN { printf "valk -e 1: %d us   lua5.4 -e x=1: %d us   ratio %.2f\n", v, l, v / l }'

echo
echo "== Collector"
(cd "$root/bench/gc" && /usr/bin/time -f "peak %M KB, %e s" "$valk" gc_pause.valk) 2>&1
exit $status
