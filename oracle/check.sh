#!/usr/bin/env bash
# The oracle suite, end to end, as a matrix over real OpenClaw releases:
# install Node 24 and each release into a cache folder (oracle/install.sh),
# build sessfix, boot every release's real gateway on every case and compare
# with sessfix's prediction for that release: the file-era releases with
# oracle/run.py, the SQLite-era ones (2026.8+) with oracle/sqlite.py; then,
# on the releases of oracle/releases-delivery.txt, a lost reply found and
# delivered after sessfix's repair with oracle/delivery.py.
#
#     bash oracle/check.sh [--release VERSION]... [--jobs N] [--keep] [CASE...]
#
# Releases: those in oracle/releases.txt (file era) and
# oracle/releases-sqlite.txt (SQLite era), or the ones named with --release
# (repeatable; 2026.8 and later go to sqlite.py). A CASE goes to the harness
# that has it. The harnesses run one after the other; the exit code is the
# worst of them (1: a mismatch, 2: something missing). Fails when anything
# it needs is missing; never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in npm python3 cargo; do
    command -v "$t" >/dev/null || { echo "oracle: required tool '$t' is missing" >&2; exit 1; }
done

releases=()
opts=()
cases=()
while [ $# -gt 0 ]; do
    case "$1" in
        --release) [ $# -ge 2 ] || { echo "oracle: --release needs a version" >&2; exit 1; }
                   releases+=("$2"); shift 2 ;;
        --release=*) releases+=("${1#--release=}"); shift ;;
        --jobs) [ $# -ge 2 ] || { echo "oracle: --jobs needs a number" >&2; exit 1; }
                opts+=("$1" "$2"); shift 2 ;;
        -*) opts+=("$1"); shift ;;
        *) cases+=("$1"); shift ;;
    esac
done
read_list() {
    [ -f "$1" ] || { echo "oracle: $1 is missing" >&2; exit 1; }
    while read -r v _; do
        case "$v" in ''|'#'*) continue ;; esac
        echo "$v"
    done < "$1"
}
# 2026.8 and later keep sessions in SQLite
sqlite_era() { [ "$(printf '%s\n' "$1" 2026.8.0 | sort -V | head -1)" = 2026.8.0 ]; }
if [ ${#releases[@]} -eq 0 ]; then
    mapfile -t releases < <(read_list oracle/releases.txt; read_list oracle/releases-sqlite.txt)
fi
[ ${#releases[@]} -gt 0 ] || { echo "oracle: no release to check" >&2; exit 1; }

file_args=()
sqlite_args=()
delivery_args=()
mapfile -t delivery_releases < <(read_list oracle/releases-delivery.txt)
for v in "${releases[@]}"; do
    dir="$(bash oracle/install.sh "$v")"
    if sqlite_era "$v"; then sqlite_args+=(--release "$v=$dir"); else file_args+=(--release "$v=$dir"); fi
    # The delivery oracle (oracle/delivery.py) runs on the releases it lists.
    if printf '%s\n' "${delivery_releases[@]}" | grep -qx -- "$v"; then delivery_args+=(--release "$v=$dir"); fi
done
mapfile -t sqlite_known < <(python3 oracle/sqlite.py --list)
mapfile -t delivery_known < <(python3 oracle/delivery.py --list)
file_cases=()
sqlite_cases=()
delivery_cases=()
for c in ${cases[@]+"${cases[@]}"}; do
    if printf '%s\n' "${delivery_known[@]}" | grep -qx -- "$c"; then delivery_cases+=("$c")
    elif printf '%s\n' "${sqlite_known[@]}" | grep -qx -- "$c"; then sqlite_cases+=("$c")
    else file_cases+=("$c"); fi
done
# Case names given for one harness only: the other one is not run.
run_file=1; run_sqlite=1; run_delivery=1
if [ ${#cases[@]} -gt 0 ]; then
    [ ${#file_cases[@]} -gt 0 ] || run_file=0
    [ ${#sqlite_cases[@]} -gt 0 ] || run_sqlite=0
    [ ${#delivery_cases[@]} -gt 0 ] || run_delivery=0
fi
[ ${#file_args[@]} -gt 0 ] || run_file=0
[ ${#sqlite_args[@]} -gt 0 ] || run_sqlite=0
if [ ${#delivery_cases[@]} -gt 0 ] && [ ${#delivery_args[@]} -eq 0 ]; then
    echo "oracle: case(s) ${delivery_cases[*]} are delivery cases, and no release of oracle/releases-delivery.txt is selected" >&2; exit 2
fi
[ ${#delivery_args[@]} -gt 0 ] || run_delivery=0
if [ ${#file_cases[@]} -gt 0 ] && [ ${#file_args[@]} -eq 0 ]; then
    echo "oracle: case(s) ${file_cases[*]} are file-era cases, and no file-era release is selected" >&2; exit 2
fi
if [ ${#sqlite_cases[@]} -gt 0 ] && [ ${#sqlite_args[@]} -eq 0 ]; then
    echo "oracle: case(s) ${sqlite_cases[*]} are SQLite-era cases, and no SQLite-era release is selected" >&2; exit 2
fi

cargo build --locked --quiet
rc=0
if [ $run_file = 1 ]; then
    echo "== oracle: file-era releases (oracle/run.py)"
    python3 oracle/run.py "${file_args[@]}" --sessfix target/debug/sessfix \
        ${opts[@]+"${opts[@]}"} ${file_cases[@]+"${file_cases[@]}"} || rc=$?
fi
if [ $run_sqlite = 1 ]; then
    echo "== oracle: SQLite-era releases (oracle/sqlite.py)"
    s=0
    python3 oracle/sqlite.py "${sqlite_args[@]}" --sessfix target/debug/sessfix \
        ${opts[@]+"${opts[@]}"} ${sqlite_cases[@]+"${sqlite_cases[@]}"} || s=$?
    [ $s -le $rc ] || rc=$s
fi
if [ $run_delivery = 1 ]; then
    echo "== oracle: the delivery queue, end to end (oracle/delivery.py)"
    s=0
    python3 oracle/delivery.py "${delivery_args[@]}" --sessfix target/debug/sessfix \
        ${opts[@]+"${opts[@]}"} ${delivery_cases[@]+"${delivery_cases[@]}"} || s=$?
    [ $s -le $rc ] || rc=$s
fi
exit $rc
