#!/usr/bin/env bash
# run-tests.sh BUILD: runs every suite against the build in BUILD and ends with one line
# "N passed, N failed" summing them; exits 1 when anything failed.
#   1. GoogleTest through ctest (unit tests, the golden Valk files, the command line);
#   2. the Valk test suites in tests/valk/suites (the test module's own counts).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)  # absolute: the suites run from their own folder
results="$build/test-results"
rm -rf "$results"
mkdir -p "$results"
passed=0
failed=0

echo "== GoogleTest (ctest)"
GTEST_OUTPUT="json:$(cd "$results" && pwd)/unit.json" ctest --test-dir "$build" --output-on-failure
ctest_status=$?
if [ -f "$results/unit.json" ]; then
  tests=$(grep -m1 -o '"tests": [0-9]*' "$results/unit.json" | grep -o '[0-9]*')
  fails=$(grep -m1 -o '"failures": [0-9]*' "$results/unit.json" | grep -o '[0-9]*')
  passed=$((passed + tests - fails))
  failed=$((failed + fails))
  [ "$ctest_status" -ne 0 ] && [ "$fails" -eq 0 ] && failed=$((failed + 1))
else
  echo "ctest produced no results"
  failed=$((failed + 1))
fi

echo "== Valk suites"
for suite in "$root"/tests/valk/suites/*.valk; do
  [ -f "$suite" ] || continue
  name=$(basename "$suite")
  out=$(cd "$root/tests/valk/suites" && timeout 600 "$build/valk" "$name" 2>&1)
  status=$?
  summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  if [ -z "$summary" ]; then
    printf '%s\n' "$out" | tail -n 20
    echo "FAIL $name: no summary (exit status $status)"
    failed=$((failed + 1))
    continue
  fi
  p=$(echo "$summary" | awk '{print $1}')
  f=$(echo "$summary" | awk '{print $3}')
  if [ "$f" -gt 0 ] || [ "$status" -ne 0 ]; then
    printf '%s\n' "$out" | grep -E '❌|FAIL' | head -n 20
    echo "FAIL $name: $summary (exit status $status)"
    [ "$f" -eq 0 ] && f=1
  else
    echo "ok   $name: $summary"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
