"""Helpers both oracle harnesses use (oracle/run.py for the file era,
oracle/sqlite.py for the SQLite era). Python stdlib only."""
import os
import re


class Mismatch(Exception):
    """What the gateway did is not what sessfix predicted."""


def version_key(v):
    """2026.7.1-2 -> (2026, 7, 1, 2): orders npm versions of OpenClaw."""
    return tuple(int(x) for x in re.split(r"[.-]", v) if x.isdigit())


def descendants(pid):
    """Every process below `pid`, from /proc (a gateway's children outlive
    its stop on some releases)."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def tail(text, n=25):
    """The last `n` lines of a log, for a message."""
    return "\n".join(text.splitlines()[-n:])
