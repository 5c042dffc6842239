#!/usr/bin/env python3
"""The Windows build of sessfix under Wine, scenario by scenario (run by
.ci/wine.sh). Each scenario asserts behaviour (exit codes, the words that
matter, the bytes of the state) and prints one PASS or FAIL line; the run
exits 1 when any failed. Nothing is skipped.

    scenarios.py --prefix P --exe sessfix.exe --holder holder.exe --linux target/debug/sessfix
"""
import argparse
import contextlib
import json
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from pathlib import Path

import fixtures
from winrun import Wine, lock_name, tree, tree_diff

ROOT = Path(__file__).resolve().parents[2]
FILE_NOW = "2026-11-24T03:00:00Z"
FILE_RELEASE = "2026.5.12"
SQL_NOW = "2026-11-30T10:00:00Z"
SQL_RELEASE = "2026.9.6"
SQL_KEY = "agent:main:feishu:direct:ou_live"
LOCK_ID = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock"


class Failed(Exception):
    pass


def check(cond, what, out=None):
    if not cond:
        raise Failed(what + (f"\n{out}" if out else ""))


def shown(code, out, err):
    return f"exit {code}\n--- stdout\n{out}--- stderr\n{err}"


class Scenarios:
    def __init__(self, wine, log):
        self.w = wine
        self.log = log

    # What Wine overrides is set on the Windows side: a private temp dir
    # (where the file-era gateway keeps its lock), `~` = C:\\w.
    WINENV = {"TEMP": "C:\\w\\tmp", "TMP": "C:\\w\\tmp", "USERPROFILE": "C:\\w"}

    def env(self, now=FILE_NOW, release=FILE_RELEASE):
        """The variables that pass through Wine: the clock and the release."""
        return {"SESSFIX_NOW": now, "SESSFIX_OPENCLAW_VERSION": release}

    def sessfix(self, state, *args, now=FILE_NOW, release=FILE_RELEASE):
        code, out, err = self.w.run(["--state-dir", state, *args], winenv=self.WINENV, env=self.env(now, release))
        self.log(f"    $ sessfix --state-dir {state} {' '.join(args)} -> exit {code}")
        return code, out, err

    def scan(self, state, **kw):
        code, out, err = self.sessfix(state, "scan", "--json", **kw)
        try:
            return json.loads(out), code, err
        except ValueError:
            raise Failed(f"scan --json printed no JSON\n{shown(code, out, err)}")

    def state_from(self, fixture, name):
        """A copy of `fixtures/<fixture>/state` at C:\\w\\<name>."""
        dest = self.w.root / name
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(ROOT / "fixtures" / fixture / "state", dest)
        (self.w.root / "tmp").mkdir(exist_ok=True)
        return dest

    # 2. A live gateway: a real Windows process and its singleton lock.
    def live_gateway(self):
        tmp = self.w.root / "tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        gw = self.state_from("dead-pid-lock", "gw")
        (gw / "openclaw.json").write_text("{}\n")
        longdir = self.state_from("dead-pid-lock", "openclaw-state")
        (longdir / "openclaw.json").write_text("{}\n")
        pid, stop = self.w.holder("gateway")
        locks = tmp / "openclaw"
        locks.mkdir(parents=True)

        def put_lock(dirpath, config):
            lock = dirpath / lock_name(config)
            lock.write_text(json.dumps({"pid": pid, "createdAt": "2026-11-24T02:58:00.000Z",
                                        "configPath": config}, indent=2))
            return lock
        put_lock(locks, "C:\\w\\gw\\openclaw.json")
        put_lock(locks, "C:\\w\\openclaw-state\\openclaw.json")
        short = self.w.short_name("C:\\w\\openclaw-state")
        self.log(f"    holder pid {pid}; 8.3 name of C:\\w\\openclaw-state: {short!r}")
        check(short is not None,
              f"Wine gave no 8.3 short name for C:\\w\\openclaw-state (got {short!r})")
        spellings = [("C:\\w\\gw", gw), ("c:\\w\\gw", gw), ("C:\\W\\GW", gw), ("\\\\?\\C:\\w\\gw", gw),
                     ("~\\gw", gw), (short, longdir)]
        bad = []
        for spelling, linux_dir in spellings:
            bad += self.must_be_live(spelling, linux_dir, pid)
        # The lock's configPath spelled otherwise than the state dir: a
        # file-era lock named after that spelling, in the temp dir ...
        shutil.rmtree(locks)
        locks.mkdir()
        put_lock(locks, "c:\\W\\GW\\OPENCLAW.JSON")
        bad += self.must_be_live("C:\\w\\gw", gw, pid, "configPath c:\\W\\GW\\OPENCLAW.JSON in %TEMP%")
        # ... and a 2026.8+ lock under <stateDir>\tmp\openclaw\.
        shutil.rmtree(locks)
        sql = self.state_from("sqlite-tombstoned", "gw8")
        shutil.rmtree(sql / "tmp", ignore_errors=True)
        (sql / "openclaw.json").write_text("{}\n")
        (sql / "tmp" / "openclaw").mkdir(parents=True)
        put_lock(sql / "tmp" / "openclaw", "c:\\W\\GW8\\openclaw.json")
        bad += self.must_be_live("C:\\w\\gw8", sql, pid, "configPath c:\\W\\GW8\\openclaw.json in <stateDir>\\tmp",
                                 now=SQL_NOW, release=SQL_RELEASE)
        stop()
        check(not bad, "\n".join(bad))
        return f"gateway pid {pid} live by {len(spellings)} spellings and 2 respelled configPaths; repair exit 4, nothing changed"

    def must_be_live(self, spelling, linux_dir, pid, what=None, **kw):
        what = what or spelling
        bad = []
        r, code, err = self.scan(spelling, **kw)
        g = r.get("gateway", {})
        if g.get("live") is not True or g.get("pid") != pid:
            bad.append(f"{what}: scan says gateway {json.dumps(g)} (want live, pid {pid}); stderr {err.strip()}")
        text = json.dumps(r)
        if "container or another host" in text:
            bad.append(f"{what}: described as a container or another host: {json.dumps(g)}")
        before = tree(linux_dir)
        code, out, err = self.sessfix(spelling, "repair", "--yes", **kw)
        if code != 4:
            bad.append(f"{what}: repair --yes exit {code}, want 4\n{shown(code, out, err)}")
        diff = tree_diff(before, tree(linux_dir))
        if diff:
            bad.append(f"{what}: repair --yes changed the state: {diff}")
        return bad

    # 3. Session locks: a live Windows owner's is kept, a dead pid's removed.
    def session_locks(self):
        live = self.state_from("dead-pid-lock", "s3live")
        dead = self.state_from("dead-pid-lock", "s3dead")
        pid, stop = self.w.holder("owner")
        lock = live / "agents/main/sessions" / LOCK_ID
        lock.write_text(json.dumps({"pid": pid, "createdAt": "2026-11-24T02:59:00.000Z"}, indent=2))
        live_bytes = lock.read_bytes()
        r, _, err = self.scan("C:\\w\\s3live")
        lk = r["locks"][0]
        check(lk["pid"] == pid and lk["stale"] is False and lk["staleReasons"] == [],
              f"live owner's lock: {json.dumps(lk)}")
        codes = [f["code"] for f in r["findings"]]
        check("lock-live-owner" in codes and "lock-stale" not in codes, f"live owner's findings: {codes}")
        code, out, err = self.sessfix("C:\\w\\s3live", "repair", "--yes")
        check(code in (0, 1), f"repair on a live owner's lock: {shown(code, out, err)}")
        check(lock.exists() and lock.read_bytes() == live_bytes, "the live owner's lock was changed or removed",
              shown(code, out, err))
        stop()
        r, _, _ = self.scan("C:\\w\\s3dead")
        lk = r["locks"][0]
        check(lk["stale"] is True and lk["staleReasons"] == ["dead-pid"], f"dead pid's lock: {json.dumps(lk)}")
        code, out, err = self.sessfix("C:\\w\\s3dead", "repair", "--yes")
        check(code == 0, f"repair on a dead pid's lock: {shown(code, out, err)}")
        check(not (dead / "agents/main/sessions" / LOCK_ID).exists(), "the dead pid's lock is still there",
              shown(code, out, err))
        return f"lock of live pid {pid} kept (lock-live-owner), lock of dead pid 4000001 removed"

    # 4. SQLite edits with undo; refused while a process holds the database.
    def sqlite_edits(self):
        state = self.state_from("sqlite-tombstoned", "s4")
        shutil.rmtree(state / "tmp", ignore_errors=True)
        db = state / "agents/main/agent/openclaw-agent.sqlite"
        kw = {"now": SQL_NOW, "release": SQL_RELEASE}
        before = tree(state)
        row0 = row(db)
        code, out, err = self.sessfix("C:\\w\\s4", "repair", "--yes", "--untombstone", SQL_KEY, **kw)
        problems = []
        if code != 0:
            problems.append(f"repair --yes --untombstone (no process holds the databases): want exit 0\n"
                            + shown(code, out, err))
        else:
            entry = json.loads(row(db)[0])
            if "mainRestartRecovery" in entry:
                problems.append(f"the row still has its tombstone: {json.dumps(entry)[:400]}")
            # Undo puts the row back (its entry, columns and window, as
            # tests/sqlite.rs checks), not the database file's bytes; every
            # other file is as it was.
            code, out, err = self.sessfix("C:\\w\\s4", "undo", "--yes", **kw)
            if code != 0 or row(db) != row0:
                problems.append(f"undo: want exit 0 and the row back\n{shown(code, out, err)}")
            keep = lambda t: not t[0].startswith("sessfix-backups") and t[0] != db.relative_to(state).as_posix()  # noqa: E731
            diff = tree_diff([t for t in before if keep(t)], [t for t in tree(state) if keep(t)])
            if diff:
                problems.append(f"undo: other files changed: {diff}")
            r, _, _ = self.scan("C:\\w\\s4", **kw)
            boot = [x.get("nextBoot") for x in r.get("sessions", []) if x.get("key") == SQL_KEY]
            if boot != ["rejected"]:
                problems.append(f"after undo the session's next boot is {boot}, want ['rejected']")
        # --clear-dead-leases on the state database (tests/sqlite.rs).
        state = self.state_from("sqlite-dead-maintenance-lease", "s4leases")
        shutil.rmtree(state / "tmp", ignore_errors=True)
        sdb = state / "state/openclaw.sqlite"
        lkw = {"now": "2026-11-30T14:43:53Z", "release": SQL_RELEASE}
        code, out, err = self.sessfix("C:\\w\\s4leases", "repair", "--yes", "--clear-dead-leases", **lkw)
        if code not in (0, 1) or query(sdb, "SELECT count(*) FROM state_leases") != 0:
            problems.append(f"repair --yes --clear-dead-leases: want exit 0 or 1 and no lease left\n"
                            + shown(code, out, err))
        else:
            code, out, err = self.sessfix("C:\\w\\s4leases", "undo", "--yes", **lkw)
            if code != 0 or query(sdb, "SELECT count(*) FROM state_leases") != 2:
                problems.append(f"undo of --clear-dead-leases: want exit 0 and the 2 leases back\n"
                                + shown(code, out, err))
        # Held open by another process: refused, nothing changed.
        state = self.state_from("sqlite-tombstoned", "s4held")
        shutil.rmtree(state / "tmp", ignore_errors=True)
        pid, stop = self.w.holder("db", hold="C:\\w\\s4held\\agents\\main\\agent\\openclaw-agent.sqlite")
        before = tree(state)
        code, out, err = self.sessfix("C:\\w\\s4held", "repair", "--yes", "--untombstone", SQL_KEY, **kw)
        stop()
        if code != 4:
            problems.append(f"repair --yes --untombstone with pid {pid} holding the agent database: want exit 4\n"
                            + shown(code, out, err))
        diff = tree_diff(before, tree(state))
        if diff:
            problems.append(f"the held database's state changed: {diff}")
        check(not problems, "\n".join(problems))
        return (f"--untombstone and --clear-dead-leases without --force, each undone (row and leases back, "
                f"every other file's bytes the same); held by pid {pid}: exit 4, unchanged")

    # 5. An index that cannot be replaced: read-only, or open without FILE_SHARE_DELETE.
    def index_unwritable(self):
        problems = []
        for name, words in (("read-only", "read-only"), ("in-use", "in use")):
            state = self.state_from("dead-pid-lock", f"s5{name}")
            index = state / "agents/main/sessions/sessions.json"
            win_index = f"C:\\w\\s5{name}\\agents\\main\\sessions\\sessions.json"
            old = index.read_bytes()
            stop = None
            if name == "read-only":
                self.w.attrib("+r", win_index)
            else:
                _, stop = self.w.holder("index", hold=win_index, share="nodelete")
            dcode, dout, derr = self.sessfix(f"C:\\w\\s5{name}", "repair", "--dry-run")
            if dcode != 3 or words not in derr:
                problems.append(f"{name}: repair --dry-run must say a real run would refuse (exit 3, {words!r})\n"
                                + shown(dcode, dout, derr))
            code, out, err = self.sessfix(f"C:\\w\\s5{name}", "repair", "--yes")
            if stop:
                stop()
            else:
                self.w.attrib("-r", win_index)
            said = out + err
            if code == 0:
                problems.append(f"{name}: repair --yes exit 0\n{shown(code, out, err)}")
            if index.read_bytes() != old:
                problems.append(f"{name}: the index changed")
            for b in (state / "sessfix-backups").glob("*/*sessions.json"):
                if b.read_bytes() != old:
                    problems.append(f"{name}: backup {b.name} is not the index's bytes")
            if words not in said or "cannot be read" in said:
                problems.append(f"{name}: the message must say {words!r} and not 'cannot be read'\n"
                                + shown(code, out, err))
        # Undo of a repair, the index made read-only since: the dry run
        # tells the refusal the real undo makes, and nothing is restored.
        state = self.state_from("dead-pid-lock", "s5undo")
        index = state / "agents/main/sessions/sessions.json"
        win_index = "C:\\w\\s5undo\\agents\\main\\sessions\\sessions.json"
        code, out, err = self.sessfix("C:\\w\\s5undo", "repair", "--yes")
        check(code == 0, f"repair before undo: {shown(code, out, err)}")
        repaired = index.read_bytes()
        self.w.attrib("+r", win_index)
        dcode, dout, derr = self.sessfix("C:\\w\\s5undo", "undo", "--dry-run")
        code, out, err = self.sessfix("C:\\w\\s5undo", "undo", "--yes")
        self.w.attrib("-r", win_index)
        if dcode != 1 or "read-only" not in dout + derr:
            problems.append("undo --dry-run of a read-only index: want exit 1 and 'read-only'\n" + shown(dcode, dout, derr))
        if code != 1 or "read-only" not in out + err or index.read_bytes() != repaired:
            problems.append("undo --yes of a read-only index: want exit 1, 'read-only', nothing restored\n"
                            + shown(code, out, err))
        check(not problems, "\n".join(problems))
        return ("read-only and in-use index refused by the dry run and the real run (exit 3), unchanged, "
                "with the write's own reason; undo of a read-only index refused by its dry run and itself")

    # 6. Killed before the index rename, then repaired by a second run.
    def kill_before_rename(self):
        state = self.state_from("dead-pid-lock", "s6")
        sessions = state / "agents/main/sessions"
        old = (sessions / "sessions.json").read_bytes()
        env = self.env()
        env["SESSFIX_STOP_AT"] = "temp-written"
        p = self.w.popen(["--state-dir", "C:\\w\\s6", "repair", "--yes"], winenv=self.WINENV, env=env)
        deadline = time.time() + 60
        temp = []
        while not temp:
            temp = list(sessions.glob(".sessions.json.sessfix-*.tmp"))
            if p.poll() is not None:
                raise Failed(f"sessfix exited before temp-written: exit {p.returncode} "
                             f"{p.stderr.read().decode(errors='replace')}")
            check(time.time() < deadline, "sessfix did not reach temp-written in 60 s")
            time.sleep(0.05)
        time.sleep(1.0)
        check(p.poll() is None, f"sessfix did not stop at temp-written (exit {p.returncode})")
        pid = int(temp[0].name.split("sessfix-")[1].split("-")[0].split(".")[0])
        check(self.w.taskkill(pid) == 0, f"taskkill /F /PID {pid} failed")
        p.wait(timeout=60)
        check((sessions / "sessions.json").read_bytes() == old, "the index is not its old bytes after the kill")
        code, out, err = self.sessfix("C:\\w\\s6", "repair", "--yes")
        check(code == 0, f"second repair: {shown(code, out, err)}")
        check((sessions / "sessions.json").read_bytes() != old, "the second repair did not write the index")
        r, _, _ = self.scan("C:\\w\\s6")
        codes = [f["code"] for f in r["findings"]]
        check("lock-stale" not in codes, f"scan after the second repair: {codes}")
        return f"pid {pid} killed at temp-written: index intact; second repair exit 0; scan clean ({codes})"


def row(db):
    """The session row as tests/sqlite.rs reads it: (entry_json, updated_at,
    status, and its window's status and updated_at), read from a copy."""
    with copy_of(db) as c:
        return read_row(c)


def query(db, sql):
    """The one value `sql` answers on a copy of the database `db`."""
    with copy_of(db) as path:
        c = sqlite3.connect(path)
        try:
            return c.execute(sql).fetchone()[0]
        finally:
            c.close()


@contextlib.contextmanager
def copy_of(db):
    """A copy of the database `db` (with its WAL) to read: opening a WAL
    database makes `-wal` and `-shm` files beside it."""
    with tempfile.TemporaryDirectory() as d:
        for suffix in ("", "-wal"):
            if Path(f"{db}{suffix}").exists():
                shutil.copy(f"{db}{suffix}", Path(d) / f"db{suffix}")
        yield Path(d) / "db"


def read_row(db):
    c = sqlite3.connect(db)
    try:
        entry, updated, status, sid = c.execute(
            "SELECT entry_json, updated_at, status, current_session_id FROM session_nodes WHERE session_key = ?",
            (SQL_KEY,)).fetchone()
        window = c.execute("SELECT status, updated_at FROM session_windows WHERE session_id = ?", (sid,)).fetchone()
    finally:
        c.close()
    return entry, updated, status, window


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--exe", required=True, help="the Windows build's sessfix.exe")
    ap.add_argument("--holder", required=True, help="holder.exe (.ci/wine/holder.c)")
    ap.add_argument("--linux", required=True, help="the Linux build, for the fixtures' comparison")
    ap.add_argument("--releases", default="all",
                    help="the fixtures' releases: all (every line's first and unknown) or a comma list")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="run only these scenarios (a comma list of names), to iterate on them")
    a = ap.parse_args()
    wine = Wine(a.prefix, a.exe, a.holder)
    log = lambda s: print(s, flush=True)  # noqa: E731
    # A long-lived process keeps the wineserver (and its pid numbering) up.
    keeper_pid, _ = wine.holder("keeper")
    log(f"wine: keeper pid {keeper_pid}")
    if a.releases == "all":
        releases = fixtures.line_releases(ROOT) + [None]
    else:
        releases = [None if r == "unknown" else r for r in a.releases.split(",")]
    s = Scenarios(wine, log)
    plan = [
        ("fixtures", lambda: fixtures.scenario(wine, ROOT, a.linux, releases, a.jobs, log)),
        ("live-gateway", s.live_gateway),
        ("session-locks", s.session_locks),
        ("sqlite-edits", s.sqlite_edits),
        ("index-unwritable", s.index_unwritable),
        ("kill-before-rename", s.kill_before_rename),
    ]
    if a.only:
        plan = [(n, f) for n, f in plan if n in a.only.split(",")]
    failed = 0
    for name, fn in plan:
        t0 = time.time()
        log(f"-- {name}")
        try:
            res = fn()
            ok, what = res if isinstance(res, tuple) else (True, res)
        except Failed as e:
            ok, what = False, str(e)
        except Exception:
            ok, what = False, traceback.format_exc()
        finally:
            wine.stop_all(keep="keeper")
        failed += not ok
        first, _, rest = what.partition("\n")
        log(f"{'PASS' if ok else 'FAIL'} {name} ({time.time() - t0:.1f} s): {first}")
        if rest:
            log("    " + rest.replace("\n", "\n    "))
    wine.stop_all()
    log(f"wine: {len(plan) - failed} of {len(plan)} scenarios passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
