#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages the build needs (with --bench, those the
# benchmarks need; with --clang, the second compiler CI builds with) when they are missing, so a
# fresh machine needs nothing but `make`.
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config libedit-dev libgtest-dev libuv1-dev python3)
case "${1:-}" in
  --bench) packages=(lua5.4 luajit python3 time libbenchmark-dev nodejs) ;;
  --clang) packages=(clang) ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y "${missing[@]}" >/dev/null 2>&1 || {
  $sudo apt-get update >/dev/null
  $sudo apt-get install -y "${missing[@]}"
}
