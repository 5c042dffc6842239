#!/usr/bin/env python3
"""sessfix's guarantees, measured: crash safety under SIGKILL, a live gateway,
a file changed under a run, bad and hostile input, permissions.

    python3 scripts/reliability.py --sessfix BIN --generate BIN [--runs 200]

Prints one figure per check and exits 1 when any guarantee is broken.
`scripts/reliability.sh` builds both binaries and runs this.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

NOW = "2026-11-24T03:00:00Z"
POINTS = ["planned", "backed-up", "write", "temp-written", "written", "cut", "remove", "removed"]
OPTS = None
FAIL = []


def check(ok, what):
    if not ok:
        FAIL.append(what)
    return ok


def env(root, extra=None):
    e = {"SESSFIX_NOW": NOW, "HOME": os.path.join(root, "home"), "TMPDIR": os.path.join(root, "tmp"),
         "PATH": "/usr/bin:/bin"}
    e.update(extra or {})
    return e


def sessfix(root, *args, extra=None, timeout=120):
    return subprocess.run([OPTS.sessfix, "--state-dir", os.path.join(root, "state"), *args], env=env(root, extra),
                          capture_output=True, timeout=timeout)


def fresh(base, name):
    root = os.path.join(OPTS.work, name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "home"))
    os.makedirs(os.path.join(root, "tmp"))
    if base:
        shutil.copytree(base, os.path.join(root, "state"), symlinks=True)
    else:
        os.makedirs(os.path.join(root, "state"))
    return root


def agents_tree(root):
    """Every file under state/agents: relative path -> bytes."""
    out = {}
    top = os.path.join(root, "state", "agents")
    for d, _, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                out[os.path.relpath(p, top)] = b"<special>"
                continue
            with open(p, "rb") as fh:
                out[os.path.relpath(p, top)] = fh.read()
    return out


def sha(b):
    return hashlib.sha256(b).hexdigest()


def wait_stopped_or_exit(p, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if p.poll() is not None:
            return False
        try:
            st = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            st = ""
        if st == "T":
            return True
        time.sleep(0.002)
    raise RuntimeError("sessfix neither stopped nor exited")


# ------------------------------------------------------------------ crash safety


def crash_safety():
    base = os.path.join(OPTS.work, "crash-base")
    subprocess.run([OPTS.generate, "--out", base, "--agents", str(OPTS.agents), "--sessions", str(OPTS.sessions),
                    "--transcript-kb", "2", "--bloat-kb", "2", "--seed", "7"], check=True, capture_output=True)
    before = agents_tree(fresh(base, "crash-probe"))
    ref_root = fresh(base, "crash-ref")
    t0 = time.time()
    p = sessfix(ref_root, "repair", "--yes", "--quiet")
    clean_s = time.time() - t0
    check(p.returncode in (0, 1), f"reference repair exited {p.returncode}: {p.stderr[-300:]}")
    ref = agents_tree(ref_root)
    indexes = [k for k in before if k.endswith("sessions.json")]
    entries = sum(len(json.loads(before[k])) for k in indexes)
    rng = random.Random(20261124)
    kills = torn = lost = lock_early = backup_bad = unfinished = 0
    for i in range(OPTS.runs):
        root = fresh(base, "crash-run")
        args = [OPTS.sessfix, "--state-dir", os.path.join(root, "state"), "repair", "--yes", "--quiet"]
        how = "a random moment"
        if i % 2 == 0:
            point = rng.choice(POINTS)
            how = f"stop at {point}"
            proc = subprocess.Popen(args, env=env(root, {"SESSFIX_STOP_AT": point}), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            if wait_stopped_or_exit(proc):
                proc.kill()
                kills += 1
            proc.wait()
        else:
            proc = subprocess.Popen(args, env=env(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, clean_s * 1.2))
            if proc.poll() is None:
                proc.kill()
                kills += 1
            proc.wait()
        now = agents_tree(root)
        for k in indexes:
            cur = now.get(k)
            try:
                doc = json.loads(cur)
            except (TypeError, ValueError):
                torn += 1
                continue
            if cur not in (before[k], ref[k]):
                torn += 1
            lost += len(set(json.loads(before[k])) - set(doc))
            if cur == before[k]:
                d = os.path.dirname(k)
                gone = [f for f in before if f.startswith(d + "/") and f.endswith(".jsonl.lock") and f not in now]
                lock_early += len(gone)
        changed = [k for k in before if now.get(k) != before[k]]
        if changed:
            backups = os.path.join(root, "state", "sessfix-backups")
            dirs = sorted(os.listdir(backups)) if os.path.isdir(backups) else []
            m = os.path.join(backups, dirs[-1], "manifest.json") if dirs else None
            ok = bool(m) and os.path.exists(m)
            if ok:
                man = json.load(open(m))
                for e in man["entries"]:
                    b = os.path.join(os.path.dirname(m), e["backup"])
                    if not os.path.exists(b) or sha(open(b, "rb").read()) != e["beforeSha256"]:
                        ok = False
                covered = {os.path.relpath(e["path"], os.path.join(root, "state", "agents")) for e in man["entries"]}
                ok = ok and all(k in covered for k in changed)
            backup_bad += not ok
        again = sessfix(root, "repair", "--yes", "--quiet")
        final = agents_tree(root)
        if again.returncode not in (0, 1) or final != ref:
            unfinished += 1
            differ = sorted(k for k in set(final) | set(ref) if final.get(k) != ref.get(k))
            FAIL.append(f"crash run {i} (killed at {how}): the next repair exited {again.returncode} "
                        f"({again.stderr.decode(errors='replace').strip()[-300:]}); differs from a clean "
                        f"repair in {differ[:3]}")
    print(f"crash safety: {OPTS.runs} runs on {len(indexes)} index(es), {entries} entries "
          f"(clean repair {clean_s * 1000:.0f} ms), {kills} killed mid-run: "
          f"torn files {torn}, lost entries {lost}, locks gone before their index {lock_early}, "
          f"incomplete backups {backup_bad}, not completed by the next run {unfinished}")
    check(torn == 0 and lost == 0 and lock_early == 0 and backup_bad == 0 and unfinished == 0, "crash safety")
    check(kills >= OPTS.runs // 4, f"only {kills} of {OPTS.runs} runs were killed mid-run")


# ------------------------------------------------------------------ live gateway, concurrent change


def fixture(name):
    return os.path.join(OPTS.root, "fixtures", name, "state")


def live_gateway():
    root = fresh(fixture("dead-pid-lock"), "live-gateway")
    config = os.path.join(root, "state", "openclaw.json")
    # Its own process group, so that its sleep goes with it (left behind, the
    # sleep held the caller's output open for a day).
    gw = subprocess.Popen(["openclaw", "-c", "sleep 100000; :", "gateway"], executable="/bin/sh",
                          start_new_session=True)
    try:
        d = os.path.join(root, "tmp", f"openclaw-{os.getuid()}")
        os.makedirs(d)
        h = hashlib.sha256(config.encode()).hexdigest()[:8]
        json.dump({"pid": gw.pid, "createdAt": "2026-11-24T02:00:00.000Z", "configPath": config},
                  open(os.path.join(d, f"gateway.{h}.lock"), "w"))
        before = agents_tree(root)
        p = sessfix(root, "repair", "--yes")
        changed = sum(1 for k in set(before) | set(agents_tree(root)) if before.get(k) != agents_tree(root).get(k))
        print(f"live gateway (singleton lock, pid {gw.pid}): exit {p.returncode}, files changed {changed}")
        check(p.returncode == 4 and changed == 0, "repair while a gateway is live")
    finally:
        os.killpg(gw.pid, signal.SIGKILL)
        gw.wait()
    # A live OpenClaw process holding a transcript lock: that session untouched.
    root = fresh(fixture("dead-pid-lock"), "live-lock")
    owner = subprocess.Popen(["openclaw", "100000"], executable=shutil.which("sleep"))
    try:
        st = int(open(f"/proc/{owner.pid}/stat").read().rsplit(")", 1)[1].split()[19])
        sd = os.path.join(root, "state", "agents", "main", "sessions")
        lock = [f for f in os.listdir(sd) if f.endswith(".lock")][0]
        json.dump({"pid": owner.pid, "createdAt": "2026-11-24T02:59:00.000Z", "starttime": st},
                  open(os.path.join(sd, lock), "w"))
        before = agents_tree(root)
        p = sessfix(root, "repair", "--yes")
        changed = sum(1 for k in set(before) | set(agents_tree(root)) if before.get(k) != agents_tree(root).get(k))
        print(f"live OpenClaw lock owner (pid {owner.pid}): exit {p.returncode}, files changed {changed}, "
              f"named in output: {str(owner.pid).encode() in p.stdout + p.stderr}")
        check(changed == 0 and p.returncode == 1, "a live lock owner's session untouched")
    finally:
        owner.kill()
        owner.wait()


def concurrent_change():
    root = fresh(fixture("dead-pid-lock"), "concurrent")
    idx = os.path.join(root, "state", "agents", "main", "sessions", "sessions.json")
    proc = subprocess.Popen([OPTS.sessfix, "--state-dir", os.path.join(root, "state"), "repair", "--yes"],
                            env=env(root, {"SESSFIX_STOP_AT": "write"}), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    wait_stopped_or_exit(proc)
    theirs = open(idx).read().replace('"running"', '"done"')
    open(idx, "w").write(theirs)
    proc.send_signal(signal.SIGCONT)
    out, err = proc.communicate()
    kept = open(idx).read() == theirs
    print(f"concurrent change of the index between plan and write: exit {proc.returncode}, "
          f"their write kept {kept}, operator told {idx.encode() in err}")
    check(proc.returncode == 5 and kept and idx.encode() in err, "concurrent change")


# ------------------------------------------------------------------ bad and hostile input

# Not running: the only thing wrong in each case is the bad input itself.
ENTRY = {"sessionId": "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50", "updatedAt": 1, "status": "done",
         "abortedLastRun": False, "sessionFile": "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl"}
SID = ENTRY["sessionId"]
KEY = "agent:main:feishu:direct:ou_1"


def sessions_dir(root, agent="main"):
    d = os.path.join(root, "state", "agents", agent, "sessions")
    os.makedirs(d, exist_ok=True)
    return d


def put(root, name, data, agent="main"):
    p = os.path.join(sessions_dir(root, agent), name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return p


def index(entries):
    return json.dumps(entries, indent=2)


def with_lock(payload):
    def build(root):
        put(root, "sessions.json", index({KEY: ENTRY}))
        put(root, f"{SID}.jsonl", '{"type":"session","id":"x"}\n')
        put(root, f"{SID}.jsonl.lock", payload)
    return build


def index_only(data):
    return lambda root: put(root, "sessions.json", data)


def transcript(data):
    def build(root):
        put(root, "sessions.json", index({KEY: {**ENTRY, "status": "running", "abortedLastRun": True}}))
        put(root, f"{SID}.jsonl", data)
    return build


def unreadable(name):
    def build(root):
        with_lock('{"pid": 4000001, "createdAt": "2026-11-24T02:00:00Z"}')(root)
        os.chmod(os.path.join(sessions_dir(root), name), 0)
    return build


def readonly_state(root):
    with_lock('{"pid": 4000001, "createdAt": "2026-11-24T02:00:00Z"}')(root)
    for d in (os.path.join(root, "state"), sessions_dir(root)):
        os.chmod(d, 0o500)


def no_agents(root):
    # Not a new state dir (empty, or only openclaw.json: no agents yet, which
    # is no error): something else, likely not the state dir meant.
    os.makedirs(os.path.join(root, "state", "Documents"))


def state_is_file(root):
    os.rmdir(os.path.join(root, "state"))
    open(os.path.join(root, "state"), "w").write("not a dir")


def huge_line(root):
    p = put(root, "sessions.json", b'{"k": "')
    with open(p, "ab") as f:
        chunk = b"x" * (1 << 20)
        for _ in range(OPTS.huge_mb):
            f.write(chunk)


BAD = {
    "empty index": index_only(b""),
    "binary index": index_only(bytes(range(256)) * 4),
    "truncated JSON": index_only('{"agent:main:main": {"sessionId": "x", "upd'),
    "root is an array": index_only("[1, 2]"),
    "root is a string": index_only('"x"'),
    "entries not objects": index_only('{"a": 1, "b": [], "c": null, "d": "s"}'),
    "missing sessionId": index_only(index({KEY: {"updatedAt": 1, "status": "running"}})),
    "unsafe session id ../x": index_only(index({KEY: {**ENTRY, "sessionId": "../x"}})),
    "absolute session id": index_only(index({KEY: {**ENTRY, "sessionId": "/etc/passwd"}})),
    "non-UTF-8 index": index_only(b'{"k\xff\xfe": {"sessionId": "a\xc3\x28"}}'),
    "1e400 and huge ints": index_only('{"k": {"sessionId": "a", "updatedAt": 1e400, "n": 123456789012345678901234567890}}'),
    "duplicate keys": index_only('{"k": {"sessionId": "a"}, "k": {"sessionId": "b", "status": "done"}}'),
    "deep nesting": index_only('{"k": ' + "[" * 100000 + "]" * 100000 + "}"),
    "a huge line": huge_line,
    "lock: empty": with_lock(""),
    "lock: not JSON": with_lock("\x00garbage"),
    "lock: array": with_lock("[1]"),
    "lock: pid string": with_lock('{"pid": "42", "createdAt": "2026-11-24T02:59:00Z"}'),
    "lock: pid 0": with_lock('{"pid": 0, "createdAt": "2026-11-24T02:59:00Z"}'),
    "lock: pid -1": with_lock('{"pid": -1, "createdAt": "2026-11-24T02:59:00Z"}'),
    "lock: pid 2^40": with_lock('{"pid": 1099511627776, "createdAt": "2026-11-24T02:59:00Z"}'),
    "lock: pid 1.5": with_lock('{"pid": 1.5, "createdAt": "2026-11-24T02:59:00Z"}'),
    "lock: createdAt in the future": with_lock('{"pid": 4000001, "createdAt": "2099-01-01T00:00:00Z"}'),
    "lock: createdAt garbage": with_lock('{"pid": 4000001, "createdAt": "yesterday-ish"}'),
    "lock: starttime negative": with_lock('{"pid": 1, "createdAt": "2026-11-24T02:59:00Z", "starttime": -5}'),
    "lock: 2 MB": with_lock('{"pid": 1, "pad": "' + "x" * (2 << 20) + '"}'),
    "transcript: header only": transcript('{"type":"session","version":3,"id":"x"}\n'),
    "transcript: binary": transcript(bytes(range(256)) * 64),
    "transcript: empty": transcript(b""),
    "transcript: no newline at all": transcript('{"type":"message","message":{"role":"us'),
    "unreadable index": unreadable("sessions.json"),
    "unreadable lock": unreadable(f"{SID}.jsonl.lock"),
    "unreadable transcript": unreadable(f"{SID}.jsonl"),
    "read-only state dir": readonly_state,
    "missing agents dir beside other files": no_agents,
    "state dir is a file": state_is_file,
}


VALID_FOR_GATEWAY = {"1e400 and huge ints"}


def bad_input():
    panics = silent = writes = 0
    for name, build in BAD.items():
        root = fresh(None, "bad")
        build(root)
        before = snapshot_all(root)
        outs = []
        for args in (["scan"], ["scan", "--json"], ["repair", "--dry-run"], ["repair", "--yes"]):
            try:
                p = sessfix(root, *args, timeout=60)
            except subprocess.TimeoutExpired:
                panics += 1
                FAIL.append(f"bad input {name}: sessfix {args} hung")
                continue
            outs.append(p)
            if p.returncode == 101 or b"panicked" in p.stderr:
                panics += 1
                FAIL.append(f"bad input {name}: panic in {args}: {p.stderr[-300:]}")
        # Reported: a finding, or an error that names a path. (JSON.parse
        # takes 1e400 and long integers; the gateway has nothing to complain of.)
        said = b"".join(p.stdout + p.stderr for p in outs)
        if name not in VALID_FOR_GATEWAY and not (b"/" in said and any(p.returncode != 0 for p in outs)):
            silent += 1
            FAIL.append(f"bad input {name}: nothing reported")
        after = snapshot_all(root)
        agent_files = {k for k in set(before) | set(after) if "/agents/" in k}
        changed = [k for k in agent_files if before.get(k) != after.get(k)]
        # Locks with a wrong payload are stale by the gateway's rules; repair
        # may remove them. Nothing else may change.
        changed = [k for k in changed if not k.endswith(".jsonl.lock")]
        if changed:
            writes += 1
            FAIL.append(f"bad input {name}: changed {changed}")
        make_removable(root)
    print(f"bad input: {len(BAD)} cases x 4 commands: panics {panics}, unreported {silent}, unexpected writes {writes}")


def make_removable(root):
    """Undo the permission cases' chmods so the tree can be deleted."""
    for d, ds, fs in os.walk(root):
        for x in ds + fs:
            p = os.path.join(d, x)
            if not os.path.islink(p):
                try:
                    os.chmod(p, 0o700)
                except OSError:
                    pass


def snapshot_all(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                st = os.lstat(p)
                data = open(p, "rb").read(1 << 16) if stat.S_ISREG(st.st_mode) and st.st_size < (64 << 20) else b""
            except OSError:
                data = b"<unreadable>"
                st = None
            out[p] = (data, st and (st.st_mode, st.st_ino, st.st_size))
    return out


def hostile():
    cases = 0
    bad = 0
    outside = os.path.join(OPTS.work, "outside")
    shutil.rmtree(outside, ignore_errors=True)
    os.makedirs(os.path.join(outside, "sessions"))
    victim_idx = os.path.join(outside, "sessions", "sessions.json")
    open(victim_idx, "w").write(index({KEY: ENTRY}))
    open(os.path.join(outside, "sessions", f"{SID}.jsonl"), "w").write('{"type":"session"}\n')
    open(os.path.join(outside, "sessions", f"{SID}.jsonl.lock"), "w").write('{"pid": 4000001}')
    open(os.path.join(outside, "x.jsonl"), "w").write('{"type":"session"}\n{"type":"message","message":{"role":"us')

    def agent_link(root):
        os.makedirs(os.path.join(root, "state", "agents"))
        os.symlink(outside, os.path.join(root, "state", "agents", "main"))

    def sessions_link(root):
        os.makedirs(os.path.join(root, "state", "agents", "main"))
        os.symlink(os.path.join(outside, "sessions"), os.path.join(root, "state", "agents", "main", "sessions"))

    def index_link(root):
        os.symlink(victim_idx, os.path.join(sessions_dir(root), "sessions.json"))
        put(root, f"{SID}.jsonl.lock", '{"pid": 4000001}')

    def lock_link(root):
        put(root, "sessions.json", index({KEY: ENTRY}))
        os.symlink(os.path.join(outside, "sessions", f"{SID}.jsonl.lock"),
                   os.path.join(sessions_dir(root), f"{SID}.jsonl.lock"))

    def transcript_link(root):
        put(root, "sessions.json", index({KEY: {**ENTRY, "abortedLastRun": True}}))
        os.symlink(os.path.join(outside, "x.jsonl"), os.path.join(sessions_dir(root), f"{SID}.jsonl"))

    def session_file_dotdot(root):
        put(root, "sessions.json", index({KEY: {**ENTRY, "abortedLastRun": True,
                                                "sessionFile": "../../../../outside/x.jsonl"}}))

    def session_file_abs(root):
        put(root, "sessions.json", index({KEY: {**ENTRY, "abortedLastRun": True,
                                                "sessionFile": os.path.join(outside, "x.jsonl")}}))

    def hard_link(root):
        os.link(victim_idx, os.path.join(sessions_dir(root), "sessions.json"))
        put(root, f"{SID}.jsonl.lock", '{"pid": 4000001}')

    def lock_dir(root):
        put(root, "sessions.json", index({KEY: ENTRY}))
        os.makedirs(os.path.join(sessions_dir(root), f"{SID}.jsonl.lock"))

    def lock_fifo(root):
        put(root, "sessions.json", index({KEY: ENTRY}))
        os.mkfifo(os.path.join(sessions_dir(root), f"{SID}.jsonl.lock"))

    def transcript_fifo(root):
        put(root, "sessions.json", index({KEY: {**ENTRY, "abortedLastRun": True}}))
        os.mkfifo(os.path.join(sessions_dir(root), f"{SID}.jsonl"))

    def index_fifo(root):
        os.mkfifo(os.path.join(sessions_dir(root), "sessions.json"))

    for name, build in [("symlinked agent dir", agent_link), ("symlinked sessions dir", sessions_link),
                        ("symlinked index", index_link), ("symlinked lock", lock_link),
                        ("symlinked transcript", transcript_link), ("sessionFile with ..", session_file_dotdot),
                        ("absolute sessionFile elsewhere", session_file_abs), ("hard-linked index", hard_link),
                        ("lock is a directory", lock_dir), ("lock is a FIFO", lock_fifo),
                        ("transcript is a FIFO", transcript_fifo), ("index is a FIFO", index_fifo)]:
        cases += 1
        root = fresh(None, "hostile")
        build(root)
        before_out = snapshot_all(outside)
        before_in = snapshot_all(root)
        ok = True
        for args in (["scan"], ["repair", "--yes"]):
            try:
                p = sessfix(root, *args, timeout=20)
            except subprocess.TimeoutExpired:
                ok = False
                FAIL.append(f"hostile {name}: {args} blocked")
                continue
            if p.returncode == 101:
                ok = False
                FAIL.append(f"hostile {name}: panic")
        if snapshot_all(outside) != before_out:
            ok = False
            FAIL.append(f"hostile {name}: changed a file outside the state dir")
        after_in = snapshot_all(root)
        for k in before_in:
            if before_in[k][1] and not stat.S_ISREG(before_in[k][1][0]) and after_in.get(k) != before_in[k]:
                ok = False
                FAIL.append(f"hostile {name}: touched special file {k}")
        bad += not ok
    print(f"hostile layout: {cases} cases: writes or deletes outside the state dir, follows, blocks or panics: {bad}")


def permissions():
    root = fresh(fixture("dead-pid-lock"), "perms")
    idx = os.path.join(root, "state", "agents", "main", "sessions", "sessions.json")
    os.chmod(idx, 0o640)
    p = sessfix(root, "repair", "--yes", "--quiet")
    mode = stat.S_IMODE(os.stat(idx).st_mode)
    bdir = os.path.join(root, "state", "sessfix-backups")
    run = os.path.join(bdir, sorted(os.listdir(bdir))[-1])
    modes = {stat.S_IMODE(os.stat(os.path.join(run, f)).st_mode) for f in os.listdir(run)}
    print(f"permissions: exit {p.returncode}; index mode {oct(mode)} (was 0o640), backup folders "
          f"{oct(stat.S_IMODE(os.stat(bdir).st_mode))}/{oct(stat.S_IMODE(os.stat(run).st_mode))}, "
          f"backup files {sorted(oct(m) for m in modes)}")
    check(mode == 0o640 and stat.S_IMODE(os.stat(run).st_mode) == 0o700 and modes == {0o600}, "permissions")


def fuzzing():
    """The property tests (tests/properties.rs) at a higher case count, in release."""
    env = dict(os.environ, SESSFIX_PROPTEST_FACTOR=str(OPTS.fuzz_factor), RUST_BACKTRACE="0")
    p = subprocess.run(["cargo", "test", "--locked", "--release", "--quiet", "--test", "properties",
                        "--", "--nocapture"], cwd=OPTS.root, env=env, capture_output=True, text=True)
    lines = [l for l in (p.stdout + p.stderr).splitlines() if l.startswith(("property ", "replay with "))]
    for l in lines:
        print(f"  {l}")
    cases = sum(int(re.search(r": (\d+) cases", l).group(1)) for l in lines if " cases, 0 failures" in l)
    properties = sum(l.startswith("property ") for l in lines)
    print(f"fuzzing and properties (x{OPTS.fuzz_factor}): {properties} properties, {cases} cases, "
          f"failures or panics {0 if p.returncode == 0 else 'see above'}")
    if p.returncode != 0:
        print("\n".join((p.stdout + p.stderr).splitlines()[-40:]))
    check(p.returncode == 0 and properties >= 9, "fuzzing and property tests")


def main():
    global OPTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessfix", required=True)
    ap.add_argument("--generate", required=True)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--sessions", type=int, default=400)
    ap.add_argument("--fuzz-factor", type=int, default=10,
                    help="multiplier of the property tests' case counts (default 10)")
    ap.add_argument("--huge-mb", type=int, default=1100, help="size of the one-line index (default: over 1 GiB)")
    OPTS = ap.parse_args()
    OPTS.root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for b in (OPTS.sessfix, OPTS.generate):
        if not os.access(b, os.X_OK):
            print(f"reliability: missing {b}", file=sys.stderr)
            return 2
    OPTS.work = tempfile.mkdtemp(prefix="sessfix-reliability-")
    try:
        crash_safety()
        live_gateway()
        concurrent_change()
        bad_input()
        hostile()
        permissions()
        fuzzing()
    finally:
        make_removable(OPTS.work)
        shutil.rmtree(OPTS.work, ignore_errors=True)
    if FAIL:
        print(f"\n{len(FAIL)} broken guarantee(s):")
        for f in FAIL:
            print(f"  - {f}")
        return 1
    print("\nall guarantees held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
