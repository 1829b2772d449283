#!/usr/bin/env bash
# bench/run.sh BUILD: the benchmarks of `make bench`.
#   1. ../shared/bench (the programs the performance work is measured on), each next to Lua 5.4,
#      the LuaJIT interpreter and Python, as ratios to Lua 5.4 measured in the same run;
#   1b. bench/data (floats, dictionaries, tables: issue 11), the same way through the same runner;
#   2. startup: `valk -e 1` next to `lua5.4 -e 1`;
#   3. the collector: bench/gc/gc_pause.valk (pauses with 100 MB live);
#   4. the microbenchmarks of bench/micro (Google Benchmark), when built (-DVALK_BENCH=ON).
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
valk="$root/$build/valk"
shared="$root/../shared/bench"
runs=${BENCH_RUNS:-3}
status=0

echo "== Programs (median of $runs runs; time in s, peak memory in MiB)"
if [ -x "$shared/run" ]; then
  table=$(mktemp)
  "$shared/run" "$valk" "$runs" | tee "$table"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  # The targets (docs/PERFORMANCE.md): every ratio <= 1.0, geometric mean <= 0.8, memory <= 2x Lua.
  awk 'NR > 1 && $NF ~ /^[0-9.]+$/ {
         n++; logsum += log($NF); if ($NF > worst) worst = $NF
         # columns: name, valk s, /, valk MiB, lua5.4 s, /, lua5.4 MiB, ...
         if ($7 > 0 && $4 / $7 > mem) { mem = $4 / $7; memname = $1 }
       }
       END { if (n) printf "geometric mean valk/lua5.4: %.2f   worst: %.2f   most memory vs lua5.4: %.2fx (%s)\n", exp(logsum / n), worst, mem, memname }' "$table"
  rm -f "$table"
else
  echo "no ../shared/bench/run beside the repository: skipped"
fi

echo
echo "== Data: floats, dictionaries, tables (bench/data; median of $runs runs)"
if [ -x "$shared/run" ]; then
  BENCH_DIR="$root/bench/data" "$shared/run" "$valk" "$runs" || status=1
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

if [ -x "$root/$build/valk_micro_bench" ]; then
  echo
  echo "== Microbenchmarks (bench/micro)"
  "$root/$build/valk_micro_bench" --benchmark_min_time=0.2 2>&1 | grep -v '^\*\*\*' || status=1
fi
exit $status
