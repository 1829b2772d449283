#!/usr/bin/env bash
# startup-order.sh: writes src/config/startup-order.txt, the functions of valk that ordinary runs
# execute, hottest first, for the linker to place next to each other (CMakeLists.txt, lld's
# --symbol-ordering-file). The kernel maps a binary's pages in 64 KB windows around each fault,
# so functions spread over 5 MB of code cost a window each; grouped, a small program's run
# touches a few (docs/PERFORMANCE.md "Start-up pages"). Run after large changes to the VM:
#   scripts/startup-order.sh build/valk
# A name the list lacks only costs its own window; a stale name is ignored by the linker.
set -euo pipefail
cd "$(dirname "$0")/.."
valk=$(realpath "${1:-build/valk}")
out=src/config/startup-order.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# What a run uses: start-up alone, and the shared benchmark programs (calls, tail calls,
# closures, lists, allocation, the prelude's control flow).
profile() {
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg" "$valk" "$@" >/dev/null 2>&1
  callgrind_annotate --threshold=100 "$work/cg" 2>/dev/null |
    grep -F "[$valk]" | sed -E 's/^ *([0-9,]+) .* [^ :]*:([^ ]+) \[.*$/\1 \2/' | tr -d , >>"$work/costs"
}
profile -e 1
for p in ../shared/bench/valk/*.valk; do profile "$p"; done
# callgrind marks a recursion's inner levels with 'N and names unknown code by address or "(".
sed -E "s/'[0-9]+$//" "$work/costs" | grep -E ' [A-Za-z_][A-Za-z0-9_.$]*$' |
  awk '{cost[$2] += $1} END {for (f in cost) printf "%.0f %s\n", cost[f], f}' |
  sort -k1,1nr -k2 | awk '{print $2}' >"$out"
echo "$out: $(wc -l <"$out") functions"
