#!/usr/bin/env bash
# Benchmarks: sessfix scan vs a floor program and vs `openclaw sessions`,
# repair of a 40 MB index vs cp and vs a repair floor (floor --rewrite), peak
# memory, scaling from 1k to 100k entries, scan, dry run and repair of one
# agent of 100k entries, 10 stranded (20k with --quick), and scan of one
# SQLite-era agent of 100k rows vs the sqlite3 CLI (20k with --quick).
# Installs OpenClaw 2026.5.12 (oracle/install.sh), builds sessfix, the floor
# and the generator in release, then runs scripts/bench.py, which prints the
# figures. Arguments go to it (--runs N, --quick, --work DIR, --baseline BIN:
# another sessfix build run beside this one on the one-agent state).
set -euo pipefail
cd "$(dirname "$0")/.."
for t in npm python3 cargo cp sqlite3; do
    command -v "$t" >/dev/null || { echo "bench: required tool '$t' is missing" >&2; exit 1; }
done
dir="$(bash oracle/install.sh)"
cargo build --locked --release --quiet --bin sessfix --example floor --example generate
exec python3 scripts/bench.py --openclaw "$dir" --sessfix target/release/sessfix \
    --floor target/release/examples/floor --generate target/release/examples/generate "$@"
