"""Running the Windows build under Wine, for .ci/wine/scenarios.py.

Everything the scenarios touch lives under the prefix's `C:\\w` (`Wine.root`
on the Linux side). Every Wine call shares this process's environment (one
TMPDIR, so one wineserver), runs from a cwd inside `drive_c`, and sets the
variables Wine overrides (`USERPROFILE`, `TEMP`, `TMP`) on the Windows side
through `cmd /c "set X=..&& ..."`.
"""
import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path, PureWindowsPath

# What Wine 8.0's cmd says when it fails to start an .exe that is there:
# seen under load, once in several hundred runs, before the program runs
# (the second and third on stdout, when CreateProcess fails with 1359).
CMD_COULD_NOT_START = re.compile(r"Can't recognize '.*' as an internal or external command"
                                 r"|Application could not be started, or no application associated"
                                 r" with the specified file\.|ShellExecuteEx failed: Internal error\.")


def could_not_start(out, err):
    """Whether cmd said it could not start the program, and nothing else
    was printed on stdout (so the program never ran)."""
    said = CMD_COULD_NOT_START.search(err) or CMD_COULD_NOT_START.search(out)
    rest = [line for line in out.splitlines() if line.strip() and not CMD_COULD_NOT_START.search(line)]
    return bool(said) and not rest


class Wine:
    def __init__(self, prefix, sessfix_exe, holder_exe):
        self.prefix = Path(prefix)
        self.drive_c = self.prefix / "drive_c"
        self.root = self.drive_c / "w"
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        (self.root / "bin").mkdir()
        shutil.copy(sessfix_exe, self.root / "bin" / "sessfix.exe")
        # The holder as a gateway: node.exe running ...\openclaw\openclaw.mjs.
        node = self.root / "nodejs"
        node.mkdir()
        shutil.copy(holder_exe, node / "node.exe")
        mjs = self.root / "npm" / "node_modules" / "openclaw" / "openclaw.mjs"
        mjs.parent.mkdir(parents=True)
        mjs.write_text("// stand-in\n")
        self.holders = {}
        # Runs that cmd could not start and that were started again.
        self.restarted = 0
        # Hermetic: no SESSFIX_* of the caller's passes through.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SESSFIX_")}
        self.env["WINEPREFIX"] = str(self.prefix)
        self.env["WINEDEBUG"] = "-all"

    def win(self, path):
        """The Windows spelling (C:\\...) of a Linux path inside drive_c."""
        rel = Path(path).resolve().relative_to(self.drive_c.resolve())
        return "C:\\" + "\\".join(rel.parts)

    def linux(self, winpath):
        """The Linux path of a `C:\\...` path (case as given)."""
        p = PureWindowsPath(winpath)
        assert p.drive.upper() == "C:", winpath
        return self.drive_c.joinpath(*p.parts[1:])

    def run(self, args, winenv=None, env=None, timeout=120, exe="C:\\w\\bin\\sessfix.exe"):
        """Run `exe args` under Wine; `winenv` is set on the Windows side,
        `env` passes through. Returns (exit code, stdout, stderr) as text."""
        winenv = dict(winenv or {})
        line = " ".join([exe] + [quote(a) for a in args])
        sets = "".join(f"set {k}={v}&& " for k, v in winenv.items())
        e = dict(self.env)
        e.update(env or {})
        # A run cmd could not start (CMD_COULD_NOT_START, no output) never
        # reached the program: started again, at most twice, and counted.
        for attempt in range(3):
            p = subprocess.run(["wine", "cmd", "/c", sets + line], cwd=self.root, env=e,
                               capture_output=True, timeout=timeout)
            out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
            if not could_not_start(out, err) or attempt == 2:
                return p.returncode, out, err
            self.restarted += 1

    def popen(self, args, winenv=None, env=None, exe="C:\\w\\bin\\sessfix.exe"):
        winenv = dict(winenv or {})
        line = " ".join([exe] + [quote(a) for a in args])
        sets = "".join(f"set {k}={v}&& " for k, v in winenv.items())
        e = dict(self.env)
        e.update(env or {})
        return subprocess.Popen(["wine", "cmd", "/c", sets + line], cwd=self.root, env=e,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def taskkill(self, pid):
        """TerminateProcess on a Windows pid: Windows' hard kill."""
        p = subprocess.run(["wine", "taskkill", "/F", "/PID", str(pid)], cwd=self.root, env=self.env,
                           capture_output=True, timeout=60)
        return p.returncode

    def attrib(self, flag, winpath):
        p = subprocess.run(["wine", "cmd", "/c", f"attrib {flag} {winpath}"], cwd=self.root, env=self.env,
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"attrib {flag} {winpath}: exit {p.returncode} {p.stderr!r}")

    def short_name(self, winpath):
        """The 8.3 spelling Wine gives `winpath` (from `dir /x` of its
        parent: `cmd`'s `%~sI` answers the long name on Wine 8.0), or None."""
        parent, name = winpath.rsplit("\\", 1)
        p = subprocess.run(["wine", "cmd", "/c", f"dir /x {parent}"], cwd=self.root, env=self.env,
                           capture_output=True, timeout=60)
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            f = line.split()
            if len(f) >= 6 and f[-1].lower() == name.lower() and "~" in f[-2]:
                return parent + "\\" + f[-2]
        return None

    def holder(self, name, hold=None, share="normal"):
        """Start a gateway-shaped Windows process (.ci/wine/holder.c); returns
        (its Windows pid, a function that stops it and waits for its end)."""
        d = self.root / "holders"
        d.mkdir(exist_ok=True)
        pidfile, stopfile = d / f"{name}.pid", d / f"{name}.stop"
        for f in (pidfile, stopfile):
            f.unlink(missing_ok=True)
        env = dict(self.env)
        env.update({"HOLDER_PIDFILE": self.win(d) + f"\\{name}.pid",
                    "HOLDER_STOPFILE": self.win(d) + f"\\{name}.stop",
                    "HOLDER_OPEN": hold or "", "HOLDER_SHARE": share})
        mjs = "C:\\w\\npm\\node_modules\\openclaw\\openclaw.mjs"
        p = subprocess.Popen(["wine", "C:\\w\\nodejs\\node.exe", mjs, "gateway", "run", "--port", "18789"],
                             cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while not pidfile.exists():
            if p.poll() is not None:
                raise RuntimeError(f"holder {name} exited {p.returncode}: {p.stderr.read().decode()!r}")
            if time.time() > deadline:
                p.kill()
                raise RuntimeError(f"holder {name} wrote no pid in 60 s")
            time.sleep(0.05)
        pid = int(pidfile.read_text().strip())

        def stop():
            stopfile.write_text("")
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.holders[name] = stop
        return pid, stop

    def stop_all(self, keep=None):
        """Stop every holder still running but `keep`."""
        for name in [n for n in self.holders if n != keep]:
            self.holders.pop(name)()


def quote(a):
    return f'"{a}"' if (" " in a or a == "") else a


def lock_name(config_path):
    """The gateway's singleton lock name for a config path it resolved:
    `gateway.<sha256(configPath)[..8]>.lock`."""
    return "gateway." + hashlib.sha256(config_path.encode()).hexdigest()[:8] + ".lock"


def tree(root):
    """Every file and dir under `root` (relative path, bytes or None), sorted:
    what "nothing changed" compares. The run lock's file (`.sessfix.lock` in
    the state dir) is left out: on Windows it is made by the first run that
    locks and left in place by design (src/fsx/os/windows.rs)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        out.append((rel, None))
        for f in sorted(filenames):
            if rel == "." and f == ".sessfix.lock":
                continue
            out.append((os.path.join(rel, f), Path(dirpath, f).read_bytes()))
    return out


def tree_diff(before, after):
    """What differs between two `tree` results, as lines."""
    b, a = dict(before), dict(after)
    lines = []
    for k in sorted(set(b) | set(a)):
        if k not in a:
            lines.append(f"removed: {k}")
        elif k not in b:
            lines.append(f"added: {k}")
        elif a[k] != b[k]:
            lines.append(f"changed: {k}")
    return lines


def windows_path_re(base):
    """A regex for `base` (a `C:\\...` path) in output: any case, with or
    without `\\\\?\\`, followed by the rest of the path."""
    return re.compile(r"(?:\\\\\?\\)?" + re.escape(base) + r"((?:\\[^\s\"'<>|,;()\[\]]*)?)", re.I)
