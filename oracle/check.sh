#!/usr/bin/env bash
# The oracle suite, end to end: install Node 24 and OpenClaw 2026.5.12 into a
# cache folder (oracle/install.sh), build sessfix, boot the real gateway on
# every case and compare (oracle/run.py). Arguments go to run.py (case names,
# --jobs N, --keep). Fails when anything it needs is missing; never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in npm python3 cargo; do
    command -v "$t" >/dev/null || { echo "oracle: required tool '$t' is missing" >&2; exit 1; }
done
dir="$(bash oracle/install.sh)"
cargo build --locked --quiet
exec python3 oracle/run.py --openclaw "$dir" --sessfix target/debug/sessfix "$@"
