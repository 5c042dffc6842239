#!/bin/sh
# Container entrypoint: repair the session state, then become the gateway.
# The gateway gets the same pid at every start (exec keeps this shell's pid),
# so --gateway-pid lets sessfix predict boot cleanup's orphan-self-pid rule.
# Exit 4 (a gateway is live, or liveness cannot be established) and 3 (the
# state cannot be read or written) stop the start; 1 (problems a person must
# look at) does not.
set -u
sessfix repair --yes --quiet --gateway-pid "$$"
rc=$?
case $rc in
  0|1) ;;
  *) echo "entrypoint: sessfix repair exited $rc; not starting the gateway" >&2; exit "$rc" ;;
esac
exec openclaw gateway run "$@"
