#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages the build needs (with --bench, those the
# benchmarks need; with --clang, the second compiler CI builds with and its libFuzzer runtime) when they are missing, so a fresh machine needs nothing but `make`.
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config libedit-dev libgtest-dev python3
  # the linker that places the functions runs use next to each other (CMakeLists.txt)
  lld
  # the event loop (src/aio) and the HTTP engine (src/net)
  libuv1-dev libnghttp2-dev libssl-dev libhttp-parser-dev openssl
  # the system's CA store the HTTP client verifies servers against by default
  ca-certificates
  # the real peers the network tests run against (tests/unit/net)
  nghttp2-client nghttp2-server curl nodejs python3-hyperframe python3-hpack
  # regular expressions (src/lib/regex.cpp)
  libpcre2-dev
  # JSON (src/lib/json.cpp)
  libsimdjson-dev

  # make install and make deb: rendering the manual page, the package's Depends line
  groff-base dpkg-dev)
case "${1:-}" in
  --bench) packages=(lua5.4 luajit python3 time libbenchmark-dev nodejs) ;;
  --clang) packages=(clang libclang-rt-14-dev) ;;
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
