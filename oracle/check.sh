#!/usr/bin/env bash
# The oracle suite, end to end, as a matrix over real OpenClaw releases:
# install Node 24 and each release into a cache folder (oracle/install.sh),
# build sessfix, boot every release's real gateway on every case and compare
# with sessfix's prediction for that release (oracle/run.py).
#
#     bash oracle/check.sh [--release VERSION]... [--jobs N] [--keep] [CASE...]
#
# Releases: those in oracle/releases.txt, or the ones named with --release
# (repeatable). Other arguments go to run.py. Fails when anything it needs is
# missing; never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in npm python3 cargo; do
    command -v "$t" >/dev/null || { echo "oracle: required tool '$t' is missing" >&2; exit 1; }
done

releases=()
rest=()
while [ $# -gt 0 ]; do
    case "$1" in
        --release) [ $# -ge 2 ] || { echo "oracle: --release needs a version" >&2; exit 1; }
                   releases+=("$2"); shift 2 ;;
        --release=*) releases+=("${1#--release=}"); shift ;;
        *) rest+=("$1"); shift ;;
    esac
done
if [ ${#releases[@]} -eq 0 ]; then
    [ -f oracle/releases.txt ] || { echo "oracle: oracle/releases.txt is missing" >&2; exit 1; }
    while read -r v _; do
        case "$v" in ''|'#'*) continue ;; esac
        releases+=("$v")
    done < oracle/releases.txt
fi
[ ${#releases[@]} -gt 0 ] || { echo "oracle: no release to check" >&2; exit 1; }

args=()
for v in "${releases[@]}"; do
    dir="$(bash oracle/install.sh "$v")"
    args+=(--release "$v=$dir")
done
cargo build --locked --quiet
exec python3 oracle/run.py "${args[@]}" --sessfix target/debug/sessfix ${rest[@]+"${rest[@]}"}
