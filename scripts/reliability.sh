#!/usr/bin/env bash
# Crash safety (SIGKILL at random moments and at each step), a live gateway, a
# file changed under a run, 36 bad inputs, 12 hostile layouts, permissions, and
# the property tests (fuzzing of the three readers) at a higher case count.
# Builds sessfix and the state generator, then runs scripts/reliability.py,
# which prints the figures. Arguments go to it (default: --runs 200).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "reliability: python3 is missing" >&2; exit 1; }
cargo build --locked --release --quiet --bin sessfix --example generate
exec python3 scripts/reliability.py --sessfix target/release/sessfix \
    --generate target/release/examples/generate "$@"
