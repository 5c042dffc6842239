#!/bin/sh
# Container entrypoint: repair the session state, then become the gateway.
# exec keeps this shell's pid, so the gateway has the same pid at every
# start: --gateway-pid tells sessfix which pid the next gateway gets.
# The gateway starts on exit 0 and 1 only (see the systemd drop-in beside this
# file for every code). OPENCLAW_STATE_DIR names the state dir, as for the
# gateway.
set -u
sessfix repair --yes --quiet --restore-index --max-age 3d --gateway-pid "$$"
rc=$?
case $rc in
  0|1) ;;
  *) echo "entrypoint: sessfix repair exited $rc; not starting the gateway" >&2; exit "$rc" ;;
esac
exec openclaw gateway run "$@"
