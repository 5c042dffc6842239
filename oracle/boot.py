#!/usr/bin/env python3
"""Exec into the OpenClaw gateway after optional setup, keeping this pid.

    boot.py SPEC.json

SPEC: {"locks": [{"path": ..., "starttime": bool}], "ready": path, "go": path,
       "argv": [node, openclaw.mjs, "gateway", "run", ...]}

Writes each lock with this process's pid (and, if asked, its start time, which
exec keeps), creates `ready`, waits for `go`, then execs `argv`. That is how the
oracle builds locks that name the booting gateway's own pid, and how it runs
sessfix between setup and boot with `--gateway-pid` set to the right pid.
"""
import datetime
import json
import os
import sys
import time


def starttime(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def main():
    spec = json.load(open(sys.argv[1]))
    pid = os.getpid()
    for lock in spec.get("locks", []):
        payload = {"pid": pid, "createdAt": datetime.datetime.now(datetime.timezone.utc)
                   .strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
        if lock.get("starttime"):
            payload["starttime"] = starttime(pid)
        with open(lock["path"], "w") as f:
            json.dump(payload, f, indent=2)
    open(spec["ready"], "w").close()
    while not os.path.exists(spec["go"]):
        time.sleep(0.05)
    os.execv(spec["argv"][0], spec["argv"])


if __name__ == "__main__":
    main()
