#!/usr/bin/env python3
"""Prove a refactor leaves behaviour unchanged: run `scan --json`, `scan`
(its text, 100 columns), `repair --dry-run --json` and `repair --dry-run`
(its text) on every fixture, once per release line's first
release and once with the release unknown, and keep each run's stdout and
exit code in one file per run.

    scripts/same-output.py --bin target/debug/sessfix --out /tmp/after
    scripts/same-output.py --bin /tmp/before-bin --out /tmp/before
    diff -r /tmp/before /tmp/after            # byte-identical: prints nothing

Or both at once (exit 1 and the differing files named when any differs):

    scripts/same-output.py --bin NEW --baseline OLD

Each fixture is copied to the same fixed path before every run, with every
file's time set to one fixed time, so the paths and times in the documents are
the same in both runs. The environment is the tests'
(tests/common/mod.rs): cleared, SESSFIX_NOW fixed, no npm prefix searched, an
empty fake /proc, private TMPDIR and HOME.
"""
import argparse
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-24T03:00:00Z"
# 2026-11-24T02:30:00Z, half an hour before NOW.
FILE_TIME = 1795487400


def line_releases():
    """Every line's first release, read from the line table itself."""
    text = (ROOT / "src/rules/lines.rs").read_text()
    names = re.findall(r'^\s*name: "([0-9.]+)",', text, re.M)
    if not names:
        sys.exit("same-output: no line names found in src/rules/lines.rs")
    return names


def fixtures():
    out = []
    for d in sorted((ROOT / "fixtures").iterdir()):
        if (d / "state").is_dir():
            out.append(d.name)
    return out


def run_one(binary, work, fixture, release, kind):
    base = Path(work) / f"{fixture}@{release or 'unknown'}@{kind}"
    if base.exists():
        shutil.rmtree(base)
    shutil.copytree(ROOT / "fixtures" / fixture, base, symlinks=True)
    # A checkout's files carry the time of the checkout, and findings name
    # file times: every copied file and dir gets one fixed time instead.
    for dirpath, dirnames, filenames in os.walk(base, topdown=False):
        for name in filenames + dirnames:
            os.utime(os.path.join(dirpath, name), (FILE_TIME, FILE_TIME), follow_symlinks=False)
    for d in ["tmp", "home", "proc/self"]:
        (base / d).mkdir(parents=True, exist_ok=True)
    env = {
        "SESSFIX_NOW": NOW,
        "SESSFIX_NPM_PREFIXES": "",
        "SESSFIX_PROC_ROOT": str(base / "proc"),
        "TMPDIR": str(base / "tmp"),
        "HOME": str(base / "home"),
        "PATH": "/usr/bin:/bin",
    }
    if release:
        env["SESSFIX_OPENCLAW_VERSION"] = release
    args = {"scan": ["scan", "--json"], "text": ["scan", "--color", "never"],
            "dry-run": ["repair", "--dry-run", "--json"],
            "dry-text": ["repair", "--dry-run", "--color", "never"]}[kind]
    env["COLUMNS"] = "100"
    p = subprocess.run(
        [binary, "--state-dir", str(base / "state"), *args],
        env=env,
        capture_output=True,
        timeout=120,
    )
    shutil.rmtree(base)
    return p.stdout + f"\n-- exit {p.returncode}\n".encode()


def collect(binary, out, work):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for f in fixtures():
        for r in line_releases() + [None]:
            for kind in ["scan", "text", "dry-run", "dry-text"]:
                jobs.append((f, r, kind))

    def go(job):
        f, r, kind = job
        data = run_one(binary, work, f, r, kind)
        (out / f"{f}@{r or 'unknown'}@{kind}.out").write_bytes(data)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        list(ex.map(go, jobs))
    return len(jobs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the sessfix binary to run")
    ap.add_argument("--out", help="where to keep the outputs (default: a temp dir)")
    ap.add_argument("--baseline", help="a second binary: run it too and compare")
    a = ap.parse_args()
    # One fixed work dir: the paths in the documents must not differ between
    # runs. Another run of this script waits for it (an exclusive lock).
    work = Path(tempfile.gettempdir()) / f"sessfix-same-output-{os.getuid()}"
    work.mkdir(exist_ok=True)
    lock = open(work / ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    out = Path(a.out or tempfile.mkdtemp(prefix="sessfix-after-"))
    n = collect(a.bin, out, work)
    print(f"same-output: {n} runs of {a.bin} in {out}")
    if not a.baseline:
        return 0
    before = Path(tempfile.mkdtemp(prefix="sessfix-before-"))
    collect(a.baseline, before, work)
    differ = [p.name for p in sorted(before.iterdir()) if p.read_bytes() != (out / p.name).read_bytes()]
    print(f"same-output: {a.baseline} in {before}; {len(differ)} of {n} differ")
    for d in differ:
        print(f"  differs: {d}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
