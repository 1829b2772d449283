#!/usr/bin/env bash
# check-install.sh BUILD: installs the build into a scratch DESTDIR (as `make install` does) and
# checks what a user gets: the binary runs from there (imports the library's modules, loads its
# JSON parser), the manual page, the library folder, the docs and the editor modes are in place;
# then builds the Debian package (make deb), unpacks it, checks that its Depends covers every
# shared library the binary and the JSON parser need, and runs it. Run by ctest as the "install" test.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage" cmake --install "$build" --prefix /usr/local > /dev/null
root="$stage/usr/local"
fail() { echo "check-install: $*" >&2; exit 1; }
[ -x "$root/bin/valk" ] || fail "no bin/valk"
out=$("$root/bin/valk" -e "(+ 1 2)")
[ "$out" = "3" ] || fail "the installed valk printed '$out' for (+ 1 2)"
[ -f "$root/share/man/man1/valk.1" ] || fail "no man page"
groff -man -Tutf8 "$root/share/man/man1/valk.1" 2>/dev/null | grep -q "sys/args" || fail "the man page does not render"
[ -f "$root/share/valk/lib/prelude.valk" ] || fail "no library folder"
# import finds the library's modules beside the installed binary (bin/../share/valk/lib), from
# any folder and whatever the build's default was.
out=$(cd "$stage" && "$root/bin/valk" -e '(import "path")' -e '(path/stem "a/b.txt")')
[ "$out" = $'()\n"b"' ] || fail "the installed valk did not import path: '$out'"
# json/decode loads its parser (libvalk-simdjson.so) from <libdir>/valk beside the installed binary.
[ -f "$root/lib/valk/libvalk-simdjson.so" ] || fail "no lib/valk/libvalk-simdjson.so"
out=$(cd "$stage" && "$root/bin/valk" -e '(json/decode "[1, {\"a\": 2.5}]")')
[ "$out" = '{1 ["a" 2.5]}' ] || fail "the installed valk decoded JSON as '$out'"
# Without it, json/decode is an error that says so (and valk still starts).
mkdir "$stage/lonely" && cp "$root/bin/valk" "$stage/lonely/valk"
out=$("$stage/lonely/valk" -e '(+ 1 2)' -e '(json/decode "1")' 2>&1 || true)
grep -q "^3$" <<< "$out" || fail "a valk without its JSON parser did not start: '$out'"
grep -q "json/decode: cannot load the JSON parser: libvalk-simdjson.so is neither beside valk" <<< "$out" ||
  fail "a valk without its JSON parser said '$out'"
[ -f "$root/share/doc/valk/LANGUAGE.md" ] || fail "no docs"
[ -f "$root/share/valk/editors/vim/syntax/valk.vim" ] || fail "no vim mode"
echo "install: ok"

# The Debian package (make deb): built with CPack, unpacked, run; its Depends names simdjson.
(cd "$build" && cpack -G DEB -D CPACK_PACKAGING_INSTALL_PREFIX=/usr -B "$stage/deb" > "$stage/cpack.log" 2>&1) || fail "cpack failed"
deb=$(ls "$stage"/deb/valk_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no .deb built"
# Installable on a clean Debian: every shared library the packaged binary needs belongs to a
# package its Depends names (apt then brings each in, and what they need in turn).
depends=$(dpkg-deb -f "$deb" Depends)
dpkg-deb -x "$deb" "$stage/unpacked"
for lib in $(readelf -d "$stage/unpacked/usr/bin/valk" "$stage"/unpacked/usr/lib/valk/libvalk-simdjson.so |
             sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort -u); do
  owner=$(dpkg -S "*/$(gcc -print-multiarch)/$lib" 2>/dev/null | head -n 1 | cut -d: -f1)
  [ -n "$owner" ] || fail "no installed package provides $lib"
  grep -q "\b$owner\b" <<< "$depends" || fail "the package needs $lib (from $owner) but Depends is: $depends"
done
dpkg-deb -f "$deb" Depends | grep -q "libsimdjson" || fail "the package does not depend on libsimdjson"
out=$("$stage/unpacked/usr/bin/valk" -e '(json/decode "[true, null]")')
[ "$out" = '{1 ()}' ] || fail "the packaged valk decoded JSON as '$out'"
out=$("$stage/unpacked/usr/bin/valk" -e "(len \"valk\")")
[ "$out" = "4" ] || fail "the packaged valk printed '$out'"
out=$(cd "$stage" && "$stage/unpacked/usr/bin/valk" -e '(import "path")' -e '(path/basename "a/b.txt")')
[ "$out" = $'()\n"b.txt"' ] || fail "the packaged valk did not import path: '$out'"
echo "deb: ok"
