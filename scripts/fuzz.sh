#!/usr/bin/env bash
# fuzz.sh BUILD SECONDS: replays the kept regressions of each libFuzzer target, then fuzzes it for
# SECONDS from its seed corpus (tests/fuzz/corpus/NAME). A crash leaves its input in
# BUILD/fuzz-artifacts/NAME/: copy it to tests/fuzz/regressions/NAME/, named after what it was.
set -uo pipefail
build=$1
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for target in format; do
  bin="$root/$build/valk_fuzz_$target"
  regressions=("$root/tests/fuzz/regressions/$target"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "== $target: replaying ${#regressions[@]} regression(s)"
    "$bin" "${regressions[@]}" > /dev/null 2>&1 || { echo "$target: a kept regression fails again"; status=1; }
  fi
  corpus="$root/$build/fuzz-corpus/$target"
  artifacts="$root/$build/fuzz-artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  echo "== $target: fuzzing for $seconds s"
  "$bin" -max_total_time="$seconds" -max_len=512 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" "$root/tests/fuzz/corpus/$target" 2>&1 | grep -E '^(#[0-9]+.*DONE|Done|stat::number_of_executed_units|==.*ERROR|SUMMARY)' \
    || true
  if [ -n "$(ls -A "$artifacts")" ]; then
    echo "$target: crash inputs in $artifacts"
    status=1
  fi
done
exit $status
