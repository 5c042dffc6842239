#!/usr/bin/env bash
# The test suite of the Windows build (x86_64-pc-windows-gnu), run under Wine.
#
# Needs: WINEPREFIX, an initialised prefix that can run Rust programs (see
# ../shared/windows-wine.md: the stand-in bcryptprimitives.dll, no Z: drive),
# and the Rust target x86_64-pc-windows-gnu with the MinGW linker. Extra
# arguments go to `cargo test` (e.g. --release, or a test name).
#
# The test binaries keep the Linux paths they were built with (the checkout,
# CARGO_TARGET_DIR); on Windows such a path has no drive and names the
# current drive's dir, so the top dir of each is linked into the prefix's
# drive_c and the tests run with C: as their drive.
#
# Prints the summed pass/fail/ignored counts; exits non-zero when anything
# failed (or did not build). A test that failed only because Wine could not
# start a process is run again alone, at most twice (.ci/wine/retest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${WINEPREFIX:?set WINEPREFIX to an initialised Wine prefix}"
export WINEPREFIX WINEDEBUG="${WINEDEBUG:--all}"
drive_c="$WINEPREFIX/drive_c"
[ -d "$drive_c" ] || { echo "wine-test: $drive_c is missing: not an initialised prefix" >&2; exit 1; }
if [ -e "$WINEPREFIX/dosdevices/z:" ]; then
  echo "wine-test: the prefix maps / as Z: (remove dosdevices/z:): /proc would be Linux's there" >&2
  exit 1
fi

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
for dir in "$PWD" "$target_dir"; do
  top="/$(echo "$dir" | cut -d/ -f2)"
  link="$drive_c$top"
  if [ -L "$link" ]; then
    [ "$(readlink "$link")" = "$top" ] || { echo "wine-test: $link links elsewhere than $top" >&2; exit 1; }
  elif [ -e "$link" ]; then
    echo "wine-test: $link exists in the prefix: $dir cannot be reached as C:$top" >&2
    exit 1
  else
    ln -s "$top" "$link"
  fi
done

# One wineserver for the whole run (each new one costs seconds), started
# with no terminal or pipe of ours open, so it never holds the log open.
wineserver -p 30 </dev/null >/dev/null 2>&1 || true # (fails when one already runs)
wine cmd /c exit </dev/null >/dev/null 2>&1 || true

runner="$(mktemp)"
trap 'rm -f "$runner"' EXIT
# The runner: the test binary named by its C: path (so that its current_exe,
# and the examples beside it, are C: paths, not \\?\unix\ ones), from a
# cwd in drive_c; the runner variable is dropped, or assert_cmd inside would
# start the binaries it tests through this Unix script.
cat >"$runner" <<RUNNER
#!/bin/sh
unset CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER
exe="\$1"; shift
case "\$exe" in /*) exe="C:\$(printf '%s' "\$exe" | tr / '\\\\')";; esac
cd "$drive_c" && exec wine "\$exe" "\$@"
RUNNER
chmod +x "$runner"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$runner"

log="$(mktemp)"
trap 'rm -f "$runner" "$log"' EXIT
status=0
cargo test --target x86_64-pc-windows-gnu --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
python3 -B .ci/wine/retest.py "$log" "$status" --no-fail-fast "$@" || {
  echo "wine-test: FAILED (cargo exit $status)" >&2
  exit 1
}
