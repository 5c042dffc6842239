"""Scenario 1: every fixture, `scan --json` and `repair --dry-run --json`,
by the Windows build under Wine and by the Linux build, on the same state.

Each run gets a fresh copy of the fixture with every file's time set to one
fixed time and the tests' environment (tests/common/mod.rs, as
scripts/same-output.py runs it): SESSFIX_NOW fixed, no npm prefix searched,
the fixture's fake process table (an empty one with `self`), private temp and
home dirs. The outputs must be the same after only the spelling of the run's
base dir (`C:\\w\\fx\\...` or `\\\\?\\C:\\...` against the Linux path) and
the path separators in what follows it are normalised.
"""
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from winrun import windows_path_re

NOW = "2026-11-24T03:00:00Z"
FILE_TIME = 1795487400
KINDS = {"scan": ["scan", "--json"], "dry-run": ["repair", "--dry-run", "--json"]}


def line_releases(root):
    """Every release line's first release (as scripts/same-output.py)."""
    names = re.findall(r'^\s*name: "([0-9.]+)",', (root / "src/rules/lines.rs").read_text(), re.M)
    if not names:
        sys.exit("wine: no line names found in src/rules/lines.rs")
    return names


def fixtures(root):
    return sorted(d.name for d in (root / "fixtures").iterdir() if (d / "state").is_dir())


def prepare(src, base):
    if base.exists():
        shutil.rmtree(base)
    shutil.copytree(src, base, symlinks=True)
    for d in ["tmp", "home", "proc/self"]:
        (base / d).mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(base, topdown=False):
        for name in filenames + dirnames:
            os.utime(os.path.join(dirpath, name), (FILE_TIME, FILE_TIME), follow_symlinks=False)


def run_linux(binary, work, root, fixture, release, kind):
    base = work / f"{fixture}@{release or 'unknown'}@{kind}"
    prepare(root / "fixtures" / fixture, base)
    env = {"SESSFIX_NOW": NOW, "SESSFIX_NPM_PREFIXES": "", "SESSFIX_PROC_ROOT": str(base / "proc"),
           "TMPDIR": str(base / "tmp"), "HOME": str(base / "home"), "PATH": "/usr/bin:/bin"}
    if release:
        env["SESSFIX_OPENCLAW_VERSION"] = release
    p = subprocess.run([binary, "--state-dir", str(base / "state"), *KINDS[kind]], env=env,
                       capture_output=True, timeout=120)
    shutil.rmtree(base)
    out = p.stdout.decode("utf-8", "replace")
    return normalise_linux(out, str(base)), p.returncode


def run_windows(wine, root, fixture, release, kind):
    name = f"{fixture}@{release or 'unknown'}@{kind}"
    base = wine.root / "fx" / name
    prepare(root / "fixtures" / fixture, base)
    wb = wine.win(base)
    winenv = {"TEMP": wb + "\\tmp", "TMP": wb + "\\tmp", "USERPROFILE": wb + "\\home"}
    env = {"SESSFIX_NOW": NOW, "SESSFIX_NPM_PREFIXES": "", "SESSFIX_PROC_ROOT": wb + "\\proc"}
    if release:
        env["SESSFIX_OPENCLAW_VERSION"] = release
    args = ["--state-dir", wb + "\\state", *KINDS[kind]]
    code, out, err = wine.run(args, winenv=winenv, env=env)
    if not out.strip() and not err.strip():
        # Once in about a thousand runs on a loaded machine, Wine ends the
        # run (exit 1 or 49) with no output at all, which sessfix never does
        # (its --json always prints a document): said and run again, once.
        err = f"(wine: exit {code} with no output at all, stderr {err!r}; run again)\n"
        code, out, err2 = wine.run(args, winenv=winenv, env=env)
        err += err2
    shutil.rmtree(base)
    return normalise_windows(out, wb), code, err


def normalise_linux(text, base):
    return text.replace(base, "<BASE>")


# What is worded for each OS: the shell commands a fix gives (src/text.rs,
# `Shell`: cmd.exe's read as sh's, once the paths are normalised), and
# where another machine's gateway runs.
CMD_AS_SH = [
    (re.compile(r"`fc ([^`]*)`"), r"`diff \1`"),
    (re.compile(r"`copy /y ([^`]*)`"), r"`cp --preserve=mode,ownership \1`"),
    (re.compile(r'`move (\S+) "\1\.corrupt-<ms since 1970>"`'), r"`mv -n -- \1 \1.corrupt-$(date +%s%3N)`"),
    (re.compile(r"\(`move`\)"), "(`mv -n`)"),
    # A lock of another machine's gateway (src/state/gateway_lock.rs).
    (re.compile(r"another host, a container or WSL, whose pid (\d+) is not one of this machine's; "
                r"run sessfix where that gateway runs"),
     r"a container or another host, whose pid \1 is not one of this pid namespace's; "
     r"run sessfix inside that container"),
]


def normalise_windows(text, base):
    """`base` in any case, with or without `\\\\?\\`, as `<BASE>`, and the
    separators of the path after it as `/`; cmd.exe's commands as sh's
    (`CMD_AS_SH`). In JSON the backslashes are escaped: the document is read,
    normalised string by string, written back."""
    pat = windows_path_re(base)

    def one(s):
        s = pat.sub(lambda m: "<BASE>" + m.group(1).replace("\\", "/"), s)
        for cmd, sh in CMD_AS_SH:
            s = cmd.sub(sh, s)
        return s
    try:
        doc = json.loads(text)
    except ValueError:
        return one(text)

    def walk(v):
        if isinstance(v, str):
            return one(v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {walk(k): walk(x) for k, x in v.items()}
        return v
    return json.dumps(walk(doc), indent=1, sort_keys=False) + "\n"


def canonical(text):
    """A JSON document written one way (so only content differs)."""
    try:
        return json.dumps(json.loads(text), indent=1) + "\n"
    except ValueError:
        return text


def scenario(wine, root, linux_bin, releases, jobs, log):
    """Returns (ok, summary). Every difference is logged in full."""
    work = wine.root.parent / "w-linux"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    runs = [(f, r, k) for f in fixtures(root) for r in releases for k in KINDS]

    def go(job):
        f, r, k = job
        lin, lcode = run_linux(linux_bin, work, root, f, r, k)
        win, wcode, werr = run_windows(wine, root, f, r, k)
        return job, canonical(lin), lcode, canonical(win), wcode, werr
    differ = retried = 0
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        for (f, r, k), lin, lcode, win, wcode, werr in ex.map(go, runs):
            if werr.startswith("(wine: exit"):
                retried += 1
                log(f"  {f} release {r or 'unknown'} {k}: {werr.splitlines()[0]}")
            if lin == win and lcode == wcode:
                continue
            differ += 1
            log(f"  differs: {f} release {r or 'unknown'} {k}: exit linux {lcode}, windows {wcode}")
            for line in difflib.unified_diff(lin.splitlines(), win.splitlines(), "linux", "windows", lineterm=""):
                log("    " + line)
            if werr.strip():
                log("    windows stderr: " + werr.strip().replace("\n", "\n    "))
    shutil.rmtree(work)
    return differ == 0, (f"{len(runs)} runs ({len(fixtures(root))} fixtures x {len(releases)} releases x 2), "
                         f"{differ} differ, {retried} run again after Wine printed nothing, "
                         f"{wine.restarted} started again after cmd could not start sessfix.exe")
