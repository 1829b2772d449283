#!/usr/bin/env bash
# fuzz.sh BUILD [SECONDS]: runs each libFuzzer target (reader, eval, format, json, unmarshal) for
# SECONDS (default 60), seeded from the Valk files of the tree (format and unmarshal: from
# tests/fuzz/corpus/<target>, json: from tests/json) and from
# the target's kept regressions. A crash stops with status 1 and names the input that caused it: keep it in tests/fuzz/regressions/<target>/ under a name saying what it was.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build-fuzz}" && pwd)
seconds=${2:-60}
status=0
for target in reader eval format json unmarshal; do
  corpus="$build/corpus-$target"
  artifacts="$build/artifacts-$target"
  mkdir -p "$corpus" "$artifacts"
  if [ "$target" = format ] || [ "$target" = unmarshal ]; then
    seeds=("$root"/tests/fuzz/corpus/"$target"/*)
  elif [ "$target" = json ]; then
    seeds=("$root"/tests/json/*.json)
  else
    seeds=("$root"/tests/valk/*.valk "$root"/tests/valk/suites/*.valk "$root"/lib/*.valk "$root"/tests/cli/data/*.valk)
  fi
  seeds+=("$root"/tests/fuzz/regressions/"$target"/*)
  cp "${seeds[@]}" "$corpus"/ 2>/dev/null
  echo "== fuzz_$target for ${seconds}s"
  "$build/fuzz_$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$artifacts/" -print_final_stats=1 2>&1 | tail -n 15
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "FAIL fuzz_$target: see $artifacts/"
    status=1
  fi
done
exit $status
