#!/usr/bin/env bash
# run-tests.sh BUILD: runs every suite against the build in BUILD and ends with one line
# "N passed, N failed" summing them; exits 1 when anything failed.
#   1. GoogleTest through ctest (unit tests, the command line, the golden files under GC stress);
#   2. the golden Valk files (tests/valk/*.valk), one process per file, a test per expectation;
#   3. the Valk test suites in tests/valk/suites (the test module's own counts).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)  # absolute: the suites run from their own folder
results="$build/test-results"
rm -rf "$results"
mkdir -p "$results"
passed=0
failed=0

echo "== GoogleTest (ctest)"
# Each GoogleTest case is its own CTest test (gtest_discover_tests), so a crash fails one case.
# The counts come from ctest's JUnit report; CTEST_PARALLEL_LEVEL (default 1) spreads them.
ctest --test-dir "$build" --output-on-failure --output-junit "$results/ctest.xml" \
  -j "${CTEST_PARALLEL_LEVEL:-1}" > "$results/ctest.log" 2>&1
ctest_status=$?
grep -vE '^ *([0-9]+/[0-9]+ Test +#[0-9]+: .* Passed | *Start +[0-9]+: )' "$results/ctest.log"
if [ -f "$results/ctest.xml" ]; then
  header=$(tr '\n\t' '  ' < "$results/ctest.xml" | grep -m1 -o '<testsuite [^>]*>')
  attr() { printf '%s' "$header" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  tests=$(attr tests)
  fails=$(attr failures)
  skipped=$(attr skipped)
  passed=$((passed + tests - fails - skipped))
  failed=$((failed + fails + skipped))  # a test that did not run is not a pass
  [ "$ctest_status" -ne 0 ] && [ "$fails" -eq 0 ] && failed=$((failed + 1))
else
  echo "ctest produced no results"
  failed=$((failed + 1))
fi

echo "== Golden files"
# One process per file (each expectation needs the forms before it run first), so a crash fails
# that file and the other files still run; the counts come from GoogleTest's XML report.
for file in "$root"/tests/valk/*.valk; do
  stem=$(basename "$file" .valk | tr -c 'A-Za-z0-9\n' '_')
  xml="$results/golden-$stem.xml"
  "$build/valk_unit_tests" --gtest_brief=1 --gtest_filter="Valk/Golden.Holds/${stem}_L*" \
    --gtest_output="xml:$xml" > "$results/golden-$stem.log" 2>&1
  status=$?
  header=$([ -f "$xml" ] && tr '\n\t' '  ' < "$xml" | grep -m1 -o '<testsuites [^>]*>')
  count() { printf '%s' "$header" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  tests=$(count tests)
  fails=$(count failures)
  if [ -z "$tests" ] || [ "$tests" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$fails" -eq 0 ]; }; then
    tail -n 20 "$results/golden-$stem.log"
    echo "FAIL $(basename "$file"): the golden run ran ${tests:-no} expectations and ended with status $status"
    failed=$((failed + 1))
    continue
  fi
  [ "$fails" -gt 0 ] && grep -vE '^\[ *(OK|RUN|PASSED|==========|----------) *\]' "$results/golden-$stem.log" | head -n 40
  passed=$((passed + tests - fails))
  failed=$((failed + fails))
done

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
