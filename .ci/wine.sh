#!/usr/bin/env bash
# CI: the Windows build (x86_64-pc-windows-gnu) run under Wine, scenario by
# scenario (.ci/wine/scenarios.py): the fixtures compared with the Linux
# build's output, a live gateway held by a real Windows process and found by
# every spelling of its state dir, session locks of live and dead owners,
# SQLite edits with undo, an index that cannot be replaced, a kill before the
# index rename; then the test suite under Wine (.ci/wine-test.sh). Run by
# .ci/run in the background; alone:
#
#     bash .ci/wine.sh [--releases all|unknown,2026.5.22,...] [--only NAME,...]
#
# Installs what it needs when missing (as root, on Debian): Wine, MinGW, the
# Rust target. The Wine prefix is kept between runs (SESSFIX_WINEPREFIX,
# default ~/.cache/sessfix-wine/prefix) and made again when Wine's version
# changes. Prints each phase's wall time; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

t_start=$(date +%s)
t_phase=$t_start
phase() {
  local now; now=$(date +%s)
  [ -z "${phase_name:-}" ] || echo "wine: phase '$phase_name' took $((now - t_phase)) s"
  phase_name=$1; t_phase=$now
  [ "$1" = end ] || echo "== wine: $1"
}
need() { command -v "$1" >/dev/null || { echo "wine: required tool '$1' is missing" >&2; exit 1; }; }

phase packages
need cargo
need rustup
need python3
need timeout
missing=()
command -v wine >/dev/null || missing+=(wine64 wine)
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
if [ ${#missing[@]} -gt 0 ]; then
  # Other CI steps may run apt-get meanwhile: wait for dpkg's lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi
for t in wine wineboot wineserver x86_64-w64-mingw32-gcc; do need "$t"; done
wine_version=$(wine --version)
echo "wine: $wine_version"

# The harness's own tests (.ci/wine/test_*.py), first: a second.
python3 -B -m unittest discover -s .ci/wine -p 'test_*.py' || { echo "wine: the harness's own tests failed" >&2; exit 1; }

phase build
target=x86_64-pc-windows-gnu
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
out=${CARGO_TARGET_DIR:-target}
# A debug build, as the Linux suite's: the tests below build on it, and the
# release profile cost about 6 CPU-minutes more to compile (beside the
# oracle, CI's longest step) to save about 100 s of running under Wine.
cargo build --locked --target "$target" --bin sessfix
# The Linux build the fixtures are compared with (the test suite's).
cargo build --locked --quiet --bin sessfix
exe=$out/$target/debug/sessfix.exe
linux=$out/debug/sessfix
[ -f "$exe" ] || { echo "wine: $exe was not built" >&2; exit 1; }
[ -x "$linux" ] || { echo "wine: $linux was not built" >&2; exit 1; }
cbuild=$out/wine
mkdir -p "$cbuild"
x86_64-w64-mingw32-gcc -O2 -Wall -Werror -o "$cbuild/holder.exe" .ci/wine/holder.c
x86_64-w64-mingw32-gcc -O2 -Wall -Werror -shared -o "$cbuild/bcryptprimitives.dll" \
  .ci/wine/bcryptprimitives.c -ladvapi32

phase prefix
export WINEPREFIX=${SESSFIX_WINEPREFIX:-$HOME/.cache/sessfix-wine/prefix}
export WINEDEBUG=-all
stamp=$WINEPREFIX/.sessfix-prefix
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wine_version" ]; then
  echo "wine: making the prefix $WINEPREFIX"
  # Only a Wine prefix (or nothing) is removed.
  if [ -e "$WINEPREFIX" ] && [ -n "$(ls -A "$WINEPREFIX")" ] && [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "wine: $WINEPREFIX is not empty and not a Wine prefix: not removed; choose another SESSFIX_WINEPREFIX" >&2
    exit 1
  fi
  rm -rf "$WINEPREFIX"
  mkdir -p "$WINEPREFIX"
  # No Mono or Gecko (nothing here needs them; a headless CI cannot be asked).
  WINEDLLOVERRIDES="mscoree,mshtml=" wineboot --init >/dev/null 2>&1 || { echo "wine: wineboot --init failed" >&2; exit 1; }
  wineserver -w
  # Rust's std imports ProcessPrng from bcryptprimitives.dll, which Wine
  # before 9.0 lacks: the stand-in goes in only then.
  sys32=$WINEPREFIX/drive_c/windows/system32
  [ -d "$sys32" ] || { echo "wine: $sys32 missing after wineboot" >&2; exit 1; }
  if [ ! -e "$sys32/bcryptprimitives.dll" ]; then
    echo "wine: no bcryptprimitives.dll in this Wine: the stand-in (.ci/wine/bcryptprimitives.c) goes in"
    cp "$cbuild/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll"
    touch "$WINEPREFIX/.sessfix-standin"
  fi
  echo "$wine_version" >"$stamp"
elif [ -f "$WINEPREFIX/.sessfix-standin" ]; then
  cp "$cbuild/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
fi
# Wine maps Linux's / to Z: (the Windows build would read Linux's /proc as
# Z:\proc): without it the prefix is closer to a Windows machine.
rm -f "$WINEPREFIX/dosdevices/z:"
[ ! -e "$WINEPREFIX/dosdevices/z:" ] || { echo "wine: cannot remove the z: drive" >&2; exit 1; }

phase scenarios
status=0
# Bounded: a hung Wine run must not hold CI (measured: 1 to 4 minutes,
# niced beside the oracle).
# The fixtures under a release of each era and the unknown release (400
# runs; `--releases all`, every line's first release, is 1,120 runs and
# about 4 minutes more): what differs on Windows is paths and processes,
# not the release lines, which the Linux suite covers one by one.
releases=${SESSFIX_WINE_RELEASES:-unknown,2026.4.25,2026.6.1,2026.8.2,2026.9.6}
timeout --kill-after=30 1800 python3 -B .ci/wine/scenarios.py --prefix "$WINEPREFIX" --exe "$exe" --holder "$cbuild/holder.exe" \
  --linux "$linux" --releases "$releases" "$@" || status=$?
# This prefix's wineserver (and anything left in it) ends with the run.
wineserver -k 2>/dev/null || true
wineserver -w 2>/dev/null || true

phase tests
# The unit and integration tests, built for Windows (debug, on the build
# above) and run under Wine, bounded (measured: 7 minutes alone; niced
# beside the oracle, 15 minutes at 3 boots at a time (a release build), 28
# at 5).
tests_status=0
timeout --kill-after=30 2400 bash .ci/wine-test.sh --locked || tests_status=$?
wineserver -k 2>/dev/null || true
wineserver -w 2>/dev/null || true

phase end
echo "wine: total $(( $(date +%s) - t_start )) s"
[ "$status" -eq 0 ] || echo "wine: FAILED (scenarios exit $status)" >&2
[ "$tests_status" -eq 0 ] || echo "wine: FAILED (the test suite under Wine, exit $tests_status)" >&2
[ "$status" -eq 0 ] && [ "$tests_status" -eq 0 ]
