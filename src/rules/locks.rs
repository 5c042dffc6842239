//! Lock files as the gateway judges them: the payload of a session write lock
//! (`readLockPayload`), whose process holds it, and when boot cleanup or a
//! writer removes it. Re-exported from [`crate::rules`].

use super::lines::LineRules;
use super::STORE_LOCK_STALE_MS;

// ---------------------------------------------------------------- lock payloads

/// `readLockPayload` of `session-write-lock`: what survives validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockPayload {
    /// An integer > 0.
    pub pid: Option<u64>,
    /// Any string (validated later with `Date.parse`).
    pub created_at: Option<String>,
    /// An integer >= 0.
    pub starttime: Option<u64>,
    /// The file parsed as JSON at all.
    pub parsed: bool,
}

/// A JSON number token that is an integer >= 0 (`isValidLockNumber`), read
/// as JS reads it (`1e3`, `5.0` and `-0` are integers; `1e400` is not finite).
/// Values past u64 are refused: no process has such a pid, and the gateway's
/// `process.kill` throws on them, which it reads as a dead pid.
fn lock_number(token: &[u8]) -> Option<u64> {
    if !matches!(token.first(), Some(b'-' | b'0'..=b'9')) {
        return None;
    }
    let text = std::str::from_utf8(token).ok()?;
    if let Ok(u) = text.parse::<u64>() {
        return Some(u);
    }
    let f: f64 = text.parse().ok()?;
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0)
        .then_some(f as u64)
}

/// Parse a transcript lock file's bytes the way the gateway does: `JSON.parse`
/// of the whole content (a trailing token line is whitespace), then field
/// checks. It uses the index reader, whose grammar is `JSON.parse`'s: a payload
/// with `1e400` or a lone surrogate escape still parses, and of duplicate keys
/// the last one counts.
pub fn parse_lock_payload(raw: &[u8]) -> LockPayload {
    use crate::json::{self, Parsed};
    let Ok(parsed) = json::parse(raw) else {
        return LockPayload::default();
    };
    let mut p = LockPayload {
        parsed: true,
        ..Default::default()
    };
    if let Parsed::Object(doc) = parsed {
        let field = |name: &str| {
            doc.members
                .iter()
                .rev()
                .find(|m| m.key == name)
                .map(|m| &raw[m.value_span.clone()])
        };
        p.pid = field("pid").and_then(lock_number).filter(|&pid| pid > 0);
        p.created_at = field("createdAt")
            .filter(|t| t.first() == Some(&b'"'))
            .and_then(json::decode_string);
        p.starttime = field("starttime").and_then(lock_number);
    }
    p
}

/// `Date.parse` for the ISO shapes the gateway writes and a few more JS accepts.
/// Returns epoch milliseconds.
pub fn parse_js_date(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    // Date-only forms are UTC in JS.
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    // Date-time without an offset is local time in JS.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
            return chrono::Local
                .from_local_datetime(&d)
                .earliest()
                .map(|d| d.timestamp_millis());
        }
    }
    None
}

/// What the process table says about a pid (the facts `isPidAlive`,
/// `getProcessStartTime` and `readGatewayProcessArgsSync` read: 2026.5.12's
/// `pid-alive-DHduzhBu.js` and `gateway-processes-BCBqxtZ_.js`).
///
/// Three answers, not two: a pid whose liveness cannot be established here
/// is `Unknown`, never `Dead` (see `state::process` for what each OS gives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcState {
    Dead,
    Zombie,
    Alive {
        /// The start time the gateway compares: field 22 of
        /// `/proc/<pid>/stat`. Linux only: `getProcessStartTime` returns
        /// null on every other OS, so backends there give `None`.
        starttime: Option<u64>,
        /// The command line as the gateway reads it on this OS (Linux:
        /// `/proc/<pid>/cmdline` split on NUL, trimmed, empties dropped;
        /// macOS: `ps -o command=` split on whitespace; Windows: the
        /// `Win32_Process.CommandLine` split as a command line). `None`:
        /// unreadable here.
        argv: Option<Vec<String>>,
    },
    /// Whether the pid is running cannot be established here (no process
    /// table, another pid namespace, an error other than "no such process").
    Unknown {
        why: String,
    },
}

impl ProcState {
    pub fn is_alive(&self) -> bool {
        matches!(self, ProcState::Alive { .. })
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, ProcState::Unknown { .. })
    }

    /// Why liveness is unknown, when it is.
    pub fn unknown_why(&self) -> Option<&str> {
        match self {
            ProcState::Unknown { why } => Some(why),
            _ => None,
        }
    }
}

/// The OS the gateway runs on, for the rules that differ by OS (the
/// gateway's `process.platform` branches). sessfix judges a lock on the
/// host it runs on: `Platform::host()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Linux,
    MacOs,
    Windows,
    Other,
}

impl Platform {
    pub fn host() -> Platform {
        if cfg!(target_os = "linux") {
            Platform::Linux
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Other
        }
    }
}

/// The reasons boot cleanup gives for removing a transcript lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StaleReason {
    MissingPid,
    DeadPid,
    RecycledPid,
    InvalidCreatedAt,
    TooOld,
    OrphanSelfPid,
    NonOpenclawOwner,
}

impl StaleReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StaleReason::MissingPid => "missing-pid",
            StaleReason::DeadPid => "dead-pid",
            StaleReason::RecycledPid => "recycled-pid",
            StaleReason::InvalidCreatedAt => "invalid-createdAt",
            StaleReason::TooOld => "too-old",
            StaleReason::OrphanSelfPid => "orphan-self-pid",
            StaleReason::NonOpenclawOwner => "non-openclaw-owner",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            StaleReason::MissingPid => "the lock names no valid pid",
            StaleReason::DeadPid => "its pid is not running",
            StaleReason::RecycledPid => "its pid now belongs to a different process",
            StaleReason::InvalidCreatedAt => "its createdAt is missing or not a date",
            StaleReason::TooOld => "it is older than the stale threshold",
            StaleReason::OrphanSelfPid => "its pid is the inspecting gateway's own",
            StaleReason::NonOpenclawOwner => "its pid is alive, but the gateway's lock check (isOpenClawSessionOwnerArgv, session-write-lock) does not count it as an OpenClaw process: its command line names no openclaw executable by path (.../openclaw, .../openclaw-gateway), no openclaw.mjs, and no gateway or agent command with an OpenClaw entry script",
        }
    }
}

impl serde::Serialize for StaleReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The verdict on one transcript lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockVerdict {
    pub reasons: Vec<StaleReason>,
    /// The owner is a live process that looks like OpenClaw (kept at boot).
    pub live_openclaw_owner: bool,
    /// Milliseconds since createdAt, when it parsed (never negative).
    pub age_ms: Option<u64>,
    /// Whether the owner pid is running cannot be established here: the lock
    /// is judged as if its owner were a live OpenClaw process whose command
    /// line cannot be read (kept), and nothing is written while it is so.
    pub owner_unknown: bool,
    /// The lock names the pid the next gateway runs as (`--gateway-pid`).
    /// Boot cleanup keeps one without a start time, but a resumed run's
    /// acquire reclaims it (`reclaimLockWithoutStarttime: true` on the
    /// acquire path of `session-write-lock`, 2026.5.12 to 2026.7.35).
    pub self_owned: bool,
}

impl LockVerdict {
    pub fn stale(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// Whether boot cleanup deletes a lock it judged stale (`cleanStaleLockFiles`).
///
/// - 2026.5.12 (`session-write-lock-BT1vMcpZ.js`): every stale lock, at once.
/// - 2026.5.28 on (`shouldRemoveLockDuringCleanup`): not when every reason is
///   report-only (`too-old`, `hold-exceeded`); a lock whose only reasons are
///   `missing-pid`/`invalid-createdAt` only once its mtime is older than
///   min(staleMs, `ORPHAN_LOCK_PAYLOAD_GRACE_MS`). A lock that cannot be
///   stat'ed (`mtime_age_ms` `None`) is removed, as the gateway does on any
///   error but ENOENT.
///
/// `mtime_age_ms`: now minus the lock file's mtime, in ms.
pub fn boot_removes_lock(
    line: &LineRules,
    verdict: &LockVerdict,
    mtime_age_ms: Option<u64>,
    stale_ms: u64,
) -> bool {
    if !line.lock_sweep || !verdict.stale() {
        return false;
    }
    if line.keeps_report_only_locks
        && verdict
            .reasons
            .iter()
            .all(|r| matches!(r, StaleReason::TooOld))
    {
        return false;
    }
    let payload_only = verdict
        .reasons
        .iter()
        .all(|r| matches!(r, StaleReason::MissingPid | StaleReason::InvalidCreatedAt));
    match (line.payload_grace_ms, payload_only, mtime_age_ms) {
        (Some(grace), true, Some(age)) => age > stale_ms.min(grace),
        _ => true,
    }
}

/// A leftover `sessions.json.lock` (older builds' index lock) is stale when
/// its pid is not alive or it is older than `STORE_LOCK_STALE_MS` (or has no
/// parseable time). A pid whose liveness is unknown counts as alive: only
/// age makes such a lock stale.
pub fn store_lock_stale(
    proc_state: Option<&ProcState>,
    created_ms: Option<i64>,
    now_ms: i64,
) -> bool {
    let alive = proc_state.is_some_and(|s| s.is_alive() || s.is_unknown());
    let old = created_ms.is_none_or(|c| now_ms - c > STORE_LOCK_STALE_MS);
    !alive || old
}

/// The pid the next gateway will run as, when the operator knows it
/// (`--gateway-pid`; a container's gateway gets the same pid at every start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextGateway {
    pub pid: u64,
    /// The start time of that pid when a process already holds it (the one that
    /// will exec into the gateway); `None` when the gateway will be a new process.
    pub starttime: Option<u64>,
}

/// What boot cleanup will see for a lock naming the gateway's own pid: the
/// gateway itself, alive, an OpenClaw command line. A new process's start time
/// is not known yet, but it cannot equal one stored in an older lock.
fn own_pid_state(payload: &LockPayload, gw: NextGateway) -> (ProcState, bool) {
    let argv = Some(vec!["openclaw".to_string(), "gateway".into(), "run".into()]);
    // shouldTreatAsOrphanSelfLock with reclaimLockWithoutStarttime: false.
    let orphan = payload.starttime.is_some() && payload.starttime == gw.starttime;
    let starttime = match (gw.starttime, payload.starttime) {
        (Some(t), _) => Some(t),
        (None, Some(stored)) => Some(stored.wrapping_add(1)),
        (None, None) => None,
    };
    (ProcState::Alive { starttime, argv }, orphan)
}

/// `inspectLockPayloadForSession` as boot cleanup calls it (`cleanStaleLockFiles`:
/// not held by this process, `reclaimLockWithoutStarttime: false`).
///
/// `orphan-self-pid` depends on the pid the next gateway will get: predicted
/// only when `next_gateway` names it.
///
/// `line.owner_check_on_stale`: from 2026.5.28 the owner check also runs on a
/// lock already stale for another reason (not `recycled-pid`), so a too-old
/// lock of a live OpenClaw process reads `[too-old]` with a live owner, and
/// one of another process `[too-old, non-openclaw-owner]`.
pub fn inspect_lock(
    payload: &LockPayload,
    proc_state: &ProcState,
    next_gateway: Option<NextGateway>,
    now_ms: i64,
    stale_ms: u64,
    line: &LineRules,
) -> LockVerdict {
    let own = next_gateway
        .filter(|gw| payload.pid == Some(gw.pid))
        .map(|gw| own_pid_state(payload, gw));
    let proc_state = own.as_ref().map_or(proc_state, |(p, _)| p);
    let mut verdict = inspect_payload(
        payload,
        proc_state,
        now_ms,
        stale_ms,
        line.owner_check_on_stale,
    );
    verdict.self_owned = own.is_some();
    if own.is_some_and(|(_, orphan)| orphan) {
        // The orphan check runs before the owner check and returns early.
        verdict
            .reasons
            .retain(|r| *r != StaleReason::NonOpenclawOwner);
        verdict.reasons.push(StaleReason::OrphanSelfPid);
        verdict.live_openclaw_owner = false;
    }
    verdict
}

/// The verdict on a lock as it stands now, by the present process table
/// (`proc_state`: the lock's pid as it is now), whatever the next gateway's
/// pid: the gateway's owner checks (`inspectLockPayloadForSession`) with the
/// owner check made on a lock stale for another reason too, as 2026.5.28+
/// makes it. `live_openclaw_owner`: a live process that may hold it now (an
/// OpenClaw command line, or one that cannot be read, with the lock's start
/// time where both have one); `owner_unknown`: its pid cannot be checked.
pub fn inspect_lock_now(
    payload: &LockPayload,
    proc_state: &ProcState,
    now_ms: i64,
    stale_ms: u64,
) -> LockVerdict {
    inspect_payload(payload, proc_state, now_ms, stale_ms, true)
}

/// Whether repair may remove, now, a lock that names the pid the next gateway
/// runs as (`--gateway-pid`), given `now` (`inspect_lock_now`) and this
/// line's cleanup rules.
///
/// `--gateway-pid` describes the next gateway, not the present. In a
/// container the entrypoint shell holds that pid now and execs into the
/// gateway, so the gateway's boot cleanup (2026.4.25 to 2026.7.x) takes a
/// lock of an earlier gateway with that pid for its own: one without a start
/// time it keeps (`reclaimLockWithoutStarttime: false`), and from 2026.5.28 a
/// too-old one too, and the session stays stuck. Such a lock is held by
/// nobody when, now, its pid is not running (`dead-pid`), is a process that
/// started at another time than the lock's writer (`recycled-pid`), or is a
/// process whose command line is not OpenClaw's, as the shell's
/// (`non-openclaw-owner`): repair removes it then, as this line's cleanup
/// removes such a lock of any other pid. A live OpenClaw process or a pid
/// whose liveness is unknown keeps it, whatever the next gateway does.
pub fn own_pid_lock_removable_now(
    line: &LineRules,
    now: &LockVerdict,
    mtime_age_ms: Option<u64>,
    stale_ms: u64,
) -> bool {
    let gone = now.reasons.iter().any(|r| {
        matches!(
            r,
            StaleReason::DeadPid | StaleReason::RecycledPid | StaleReason::NonOpenclawOwner
        )
    });
    gone && !now.live_openclaw_owner
        && !now.owner_unknown
        && boot_removes_lock(line, now, mtime_age_ms, stale_ms)
}

fn inspect_payload(
    payload: &LockPayload,
    proc_state: &ProcState,
    now_ms: i64,
    stale_ms: u64,
    owner_check_on_stale: bool,
) -> LockVerdict {
    let mut reasons = Vec::new();
    // Unknown liveness is never read as dead: the lock is judged as the
    // gateway would judge a live owner whose command line it cannot read.
    let owner_unknown = payload.pid.is_some() && proc_state.is_unknown();
    let alive = payload.pid.is_some() && (proc_state.is_alive() || owner_unknown);
    let recycled = match (payload.starttime, proc_state) {
        (
            Some(stored),
            ProcState::Alive {
                starttime: Some(now),
                ..
            },
        ) => alive && *now != stored,
        _ => false,
    };
    match payload.pid {
        None => reasons.push(StaleReason::MissingPid),
        Some(_) if !alive => reasons.push(StaleReason::DeadPid),
        Some(_) if recycled => reasons.push(StaleReason::RecycledPid),
        Some(_) => {}
    }
    let age_ms = payload
        .created_at
        .as_deref()
        .and_then(parse_js_date)
        .map(|t| (now_ms - t).max(0) as u64);
    match age_ms {
        None => reasons.push(StaleReason::InvalidCreatedAt),
        Some(age) if age > stale_ms => reasons.push(StaleReason::TooOld),
        Some(_) => {}
    }
    let mut live_openclaw_owner = false;
    let owner_check = if owner_check_on_stale {
        !recycled
    } else {
        reasons.is_empty()
    };
    if owner_check && alive {
        // shouldTreatAsNonOpenClawOwner: unreadable or empty argv keeps the lock.
        match proc_state {
            ProcState::Alive {
                argv: Some(argv), ..
            } if argv.iter().any(|a| !a.trim().is_empty()) => {
                if is_openclaw_session_owner_argv(argv) {
                    live_openclaw_owner = true;
                } else {
                    reasons.push(StaleReason::NonOpenclawOwner);
                }
            }
            _ => live_openclaw_owner = true,
        }
    }
    LockVerdict {
        reasons,
        live_openclaw_owner,
        age_ms,
        owner_unknown,
        self_owned: false,
    }
}

fn normalize_arg(a: &str) -> String {
    a.trim().replace('\\', "/").to_lowercase()
}

fn strip_exe_suffix(s: &str) -> &str {
    for suf in [".bat", ".cmd", ".exe"] {
        if let Some(x) = s.strip_suffix(suf) {
            return x;
        }
    }
    s
}

/// `isOpenClawSessionOwnerArgv` of `session-write-lock`.
pub fn is_openclaw_session_owner_argv(args: &[String]) -> bool {
    let n: Vec<String> = args
        .iter()
        .map(|a| normalize_arg(a))
        .filter(|a| !a.is_empty())
        .collect();
    let Some(first) = n.first() else {
        return false;
    };
    let exe = strip_exe_suffix(first);
    if exe == "openclaw" || exe.ends_with("/openclaw") || exe.ends_with("/openclaw-gateway") {
        return true;
    }
    if n.iter().any(|a| {
        a == "openclaw"
            || a.ends_with("/openclaw")
            || a == "openclaw.mjs"
            || a.ends_with("/openclaw.mjs")
    }) {
        return true;
    }
    const ENTRIES: [&str; 5] = [
        "dist/index.js",
        "dist/entry.js",
        "scripts/run-node.mjs",
        "src/entry.ts",
        "src/index.ts",
    ];
    let has_cmd = n.iter().any(|a| a == "gateway" || a == "agent");
    has_cmd && n.iter().any(|a| ENTRIES.iter().any(|e| a.ends_with(e)))
}

/// `isGatewayArgv` of `gateway-process-argv` (the singleton lock's owner check).
pub fn is_gateway_argv(args: &[String]) -> bool {
    let n: Vec<String> = args.iter().map(|a| normalize_arg(a)).collect();
    if !n.iter().any(|a| a == "gateway") {
        return false;
    }
    const ENTRIES: [&str; 6] = [
        "dist/index.js",
        "dist/entry.js",
        "openclaw.mjs",
        "scripts/run-node.mjs",
        "src/entry.ts",
        "src/index.ts",
    ];
    if n.iter().any(|a| ENTRIES.iter().any(|e| a.ends_with(e))) {
        return true;
    }
    let exe = strip_exe_suffix(n.first().map(String::as_str).unwrap_or(""));
    exe.ends_with("/openclaw") || exe == "openclaw"
}

/// The singleton lock's owner verdict (`resolveGatewayOwnerStatus` of
/// 2026.5.12's `gateway-lock-vUq4OmnC.js`, without the port probe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayOwner {
    Alive,
    Dead,
    /// Alive pid whose start time or command line cannot be read: the
    /// gateway's own "unknown", which it treats as live.
    Unknown,
    /// Whether the pid is running at all cannot be established here.
    LivenessUnknown,
}

/// `resolveGatewayOwnerStatus` per OS: the payload's `startTime` is compared
/// on Linux only (the gateway writes and reads it only there); an unreadable
/// command line is "unknown" on Linux and "alive" elsewhere.
pub fn gateway_owner(
    payload_starttime: Option<f64>,
    proc_state: &ProcState,
    platform: Platform,
) -> GatewayOwner {
    let (starttime, argv) = match proc_state {
        ProcState::Alive { starttime, argv } => (starttime, argv),
        ProcState::Unknown { .. } => return GatewayOwner::LivenessUnknown,
        ProcState::Dead | ProcState::Zombie => return GatewayOwner::Dead,
    };
    let linux = platform == Platform::Linux;
    if let Some(stored) = payload_starttime.filter(|s| s.is_finite() && linux) {
        return match starttime {
            None => GatewayOwner::Unknown,
            Some(now) if (*now as f64) == stored => GatewayOwner::Alive,
            Some(_) => GatewayOwner::Dead,
        };
    }
    match argv {
        None if linux => GatewayOwner::Unknown,
        None => GatewayOwner::Alive,
        Some(a) if is_gateway_argv(a) => GatewayOwner::Alive,
        Some(_) => GatewayOwner::Dead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{lines, DEFAULT_STALE_MS};

    fn alive(starttime: Option<u64>, argv: &[&str]) -> ProcState {
        ProcState::Alive {
            starttime,
            argv: Some(argv.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn a_lock_naming_the_next_gateways_own_pid() {
        let own = |p: &LockPayload, gw: NextGateway| -> Vec<&'static str> {
            inspect_lock(
                p,
                &ProcState::Dead,
                Some(gw),
                NOW,
                DEFAULT_STALE_MS,
                &lines::L2026_4_25,
            )
            .reasons
            .iter()
            .map(|r| r.as_str())
            .collect()
        };
        let running = NextGateway {
            pid: 7,
            starttime: Some(100),
        };
        let new = NextGateway {
            pid: 7,
            starttime: None,
        };
        // same pid and starttime: orphan-self-pid (the gateway's table)
        assert_eq!(
            own(&payload(Some(7), Some(1), Some(100)), running),
            ["orphan-self-pid"]
        );
        // same pid, no starttime: kept at this boot (reclaimLockWithoutStarttime: false)
        let v = inspect_lock(
            &payload(Some(7), Some(1), None),
            &ProcState::Dead,
            Some(new),
            NOW,
            DEFAULT_STALE_MS,
            &lines::L2026_4_25,
        );
        assert!(!v.stale() && v.live_openclaw_owner);
        // ... until it is too old
        assert_eq!(own(&payload(Some(7), Some(31), None), new), ["too-old"]);
        // a new process with the same pid: its starttime differs from the stored one
        assert_eq!(
            own(&payload(Some(7), Some(1), Some(100)), new),
            ["recycled-pid"]
        );
        // another pid is judged as without --gateway-pid
        assert_eq!(
            own(&payload(Some(8), Some(1), Some(100)), new),
            ["dead-pid"]
        );
    }

    #[test]
    fn a_lock_of_the_next_gateways_pid_that_nobody_holds_now_is_removed_now() {
        // The entrypoint shell holds pid 7 now (start time 100) and execs into
        // the gateway; the gateway of an earlier container start had pid 7 too.
        let shell = alive(Some(100), &["/bin/sh", "/entrypoint.sh"]);
        let gateway = alive(Some(100), &["openclaw", "gateway", "run"]);
        let unreadable = ProcState::Alive {
            starttime: Some(100),
            argv: None,
        };
        let unknown = ProcState::Unknown {
            why: "EACCES".into(),
        };
        let next = |now: &ProcState| NextGateway {
            pid: 7,
            starttime: match now {
                ProcState::Alive { starttime, .. } => *starttime,
                _ => None,
            },
        };
        // (lock, pid 7 now, line) -> (boot cleanup of the next gateway removes
        // it, repair removes it now, the reasons now)
        let at = |p: &LockPayload, now: &ProcState, line: &LineRules| {
            let boot = inspect_lock(p, now, Some(next(now)), NOW, DEFAULT_STALE_MS, line);
            assert!(boot.self_owned);
            let v = inspect_lock_now(p, now, NOW, DEFAULT_STALE_MS);
            let names: Vec<&str> = v.reasons.iter().map(|r| r.as_str()).collect();
            (
                boot_removes_lock(line, &boot, Some(0), DEFAULT_STALE_MS),
                own_pid_lock_removable_now(line, &v, Some(0), DEFAULT_STALE_MS),
                names,
            )
        };
        let fresh = payload(Some(7), Some(1), None);
        let old = payload(Some(7), Some(31), None);
        for line in [&lines::L2026_4_25, &lines::L2026_5_28, &lines::L2026_7_1] {
            // No start time: the next gateway keeps it as its own ...
            assert_eq!(
                at(&fresh, &ProcState::Dead, line),
                (false, true, vec!["dead-pid"]),
                "{}",
                line.name
            );
            assert_eq!(
                at(&fresh, &ProcState::Zombie, line),
                (false, true, vec!["dead-pid"])
            );
            // ... and the shell that holds pid 7 now is not OpenClaw.
            assert_eq!(
                at(&fresh, &shell, line),
                (false, true, vec!["non-openclaw-owner"])
            );
            // A live gateway with pid 7 holds it now: never removed.
            assert_eq!(at(&fresh, &gateway, line), (false, false, vec![]));
            assert_eq!(at(&fresh, &unreadable, line), (false, false, vec![]));
            assert_eq!(at(&fresh, &unknown, line), (false, false, vec![]));
            // The lock's writer started at another time than pid 7 now: it is
            // an earlier incarnation (the next boot removes it too).
            let earlier = payload(Some(7), Some(1), Some(42));
            assert_eq!(
                at(&earlier, &gateway, line),
                (true, true, vec!["recycled-pid"])
            );
            // Written by the process that holds pid 7 now: the next boot takes
            // it for an orphan of its own, but a live gateway holds it now.
            let this = payload(Some(7), Some(1), Some(100));
            assert_eq!(at(&this, &gateway, line), (true, false, vec![]));
            assert_eq!(
                at(&this, &shell, line),
                (true, true, vec!["non-openclaw-owner"])
            );
        }
        // Too old: 2026.4.25 removes it at boot anyway; from 2026.5.28 the next
        // gateway keeps a too-old lock of a live OpenClaw process, itself.
        assert_eq!(
            at(&old, &ProcState::Dead, &lines::L2026_4_25),
            (true, true, vec!["dead-pid", "too-old"])
        );
        assert_eq!(
            at(&old, &ProcState::Dead, &lines::L2026_5_28),
            (false, true, vec!["dead-pid", "too-old"])
        );
        assert_eq!(
            at(&old, &gateway, &lines::L2026_5_28),
            (false, false, vec!["too-old"])
        );
        // No lock sweep, nothing removed.
        assert_eq!(
            at(&fresh, &ProcState::Dead, &lines::PRE_RECOVERY),
            (false, false, vec!["dead-pid"])
        );
    }

    #[test]
    fn store_lock_staleness() {
        let alive = ProcState::Alive {
            starttime: None,
            argv: None,
        };
        let at = |s: i64| Some(NOW - s * 1000);
        assert!(!store_lock_stale(Some(&alive), at(59), NOW));
        assert!(store_lock_stale(Some(&alive), at(61), NOW));
        assert!(store_lock_stale(Some(&alive), None, NOW));
        assert!(store_lock_stale(Some(&ProcState::Dead), at(1), NOW));
        assert!(store_lock_stale(None, at(1), NOW));
    }

    const NOW: i64 = 1_790_000_000_000;

    fn payload(pid: Option<u64>, age_min: Option<i64>, starttime: Option<u64>) -> LockPayload {
        LockPayload {
            pid,
            created_at: age_min.map(|m| {
                chrono::DateTime::from_timestamp_millis(NOW - m * 60_000)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            }),
            starttime,
            parsed: true,
        }
    }

    fn reasons(p: &LockPayload, s: &ProcState) -> Vec<&'static str> {
        inspect_lock(p, s, None, NOW, DEFAULT_STALE_MS, &lines::L2026_4_25)
            .reasons
            .iter()
            .map(|r| r.as_str())
            .collect()
    }

    #[test]
    fn lock_payload_validation_matches_read_lock_payload() {
        let p = parse_lock_payload(
            b"{\n  \"pid\": 42,\n  \"createdAt\": \"2026-01-01T00:00:00.000Z\"\n}\n\t \t\n",
        );
        assert_eq!(p.pid, Some(42));
        assert!(p.parsed);
        assert_eq!(parse_lock_payload(b"{\"pid\": 0}").pid, None);
        assert_eq!(parse_lock_payload(b"{\"pid\": -1}").pid, None);
        assert_eq!(parse_lock_payload(b"{\"pid\": 1.5}").pid, None);
        assert_eq!(
            parse_lock_payload(b"{\"pid\": 7.0}").pid,
            Some(7),
            "7.0 is an integer in JS"
        );
        assert_eq!(parse_lock_payload(b"{\"pid\": \"42\"}").pid, None);
        assert_eq!(
            parse_lock_payload(b"{\"pid\": 1099511627776}").pid,
            Some(1 << 40)
        );
        assert_eq!(parse_lock_payload(b"not json"), LockPayload::default());
        assert!(!parse_lock_payload(b"").parsed);
        assert_eq!(parse_lock_payload(b"[1]").pid, None);
        assert_eq!(parse_lock_payload(b"{\"starttime\": 0}").starttime, Some(0));
        // what 2026.7.x writes (`sidecar-lock`: JSON.stringify(payload, null, 2) + "\n"):
        // maxHoldMs beside the pid, createdAt and starttime
        let p = parse_lock_payload(
            b"{\n  \"pid\": 4242,\n  \"createdAt\": \"2026-09-01T00:00:00.000Z\",\n  \"maxHoldMs\": 1800000,\n  \"starttime\": 99\n}\n",
        );
        assert_eq!((p.pid, p.starttime), (Some(4242), Some(99)));
        assert_eq!(p.created_at.as_deref(), Some("2026-09-01T00:00:00.000Z"));
        // a line after the document is not JSON: JSON.parse throws, no payload
        let p = parse_lock_payload(
            b"{\"pid\": 42, \"createdAt\": \"2026-01-01T00:00:00Z\"}\nowner-token-1\n",
        );
        assert_eq!((p.pid, p.parsed), (None, false));
    }

    #[test]
    fn lock_payload_is_read_with_json_parse_grammar() {
        // serde_json refuses these documents; JSON.parse reads them.
        let p = parse_lock_payload(b"{\"pid\": 1e400, \"createdAt\": \"2026-01-01T00:00:00Z\"}");
        assert!(p.parsed);
        assert_eq!(p.pid, None, "Infinity is not a valid pid");
        assert_eq!(p.created_at.as_deref(), Some("2026-01-01T00:00:00Z"));
        let p = parse_lock_payload(b"{\"pid\": 42, \"createdAt\": \"\\ud800\"}");
        assert_eq!((p.pid, p.parsed), (Some(42), true));
        // Of duplicate keys the last one counts.
        assert_eq!(parse_lock_payload(b"{\"pid\": 1, \"pid\": 2}").pid, Some(2));
        assert_eq!(
            parse_lock_payload(b"{\"pid\": 1, \"pid\": \"x\"}").pid,
            None
        );
        assert_eq!(
            parse_lock_payload(b"{\"starttime\": 1e3}").starttime,
            Some(1000)
        );
        assert_eq!(
            parse_lock_payload(b"{\"starttime\": -0}").starttime,
            Some(0)
        );
        assert_eq!(
            parse_lock_payload(b"{\"starttime\": 18446744073709551616}").starttime,
            None
        );
    }

    #[test]
    fn stale_reasons_for_each_oracle_row() {
        let oc = alive(
            Some(100),
            &["node", "/opt/openclaw/openclaw.mjs", "gateway", "run"],
        );
        // dead pid
        assert_eq!(
            reasons(&payload(Some(9), Some(1), None), &ProcState::Dead),
            ["dead-pid"]
        );
        // a zombie counts as dead
        assert_eq!(
            reasons(&payload(Some(9), Some(1), None), &ProcState::Zombie),
            ["dead-pid"]
        );
        // live non-OpenClaw process, with or without starttime
        let sleep = alive(Some(5), &["sleep", "1000"]);
        assert_eq!(
            reasons(&payload(Some(9), Some(1), None), &sleep),
            ["non-openclaw-owner"]
        );
        assert_eq!(
            reasons(&payload(Some(9), Some(1), Some(5)), &sleep),
            ["non-openclaw-owner"]
        );
        // live OpenClaw, 1 min: kept
        let v = inspect_lock(
            &payload(Some(9), Some(1), Some(100)),
            &oc,
            None,
            NOW,
            DEFAULT_STALE_MS,
            &lines::L2026_4_25,
        );
        assert!(!v.stale() && v.live_openclaw_owner);
        // live OpenClaw, 31 min: too-old (2026.5.12 removes it)
        assert_eq!(
            reasons(&payload(Some(9), Some(31), Some(100)), &oc),
            ["too-old"]
        );
        // starttime differs
        assert_eq!(
            reasons(&payload(Some(9), Some(1), Some(99)), &oc),
            ["recycled-pid"]
        );
        // no pid / not JSON
        assert_eq!(reasons(&payload(None, Some(1), None), &oc), ["missing-pid"]);
        assert_eq!(
            reasons(&LockPayload::default(), &ProcState::Dead),
            ["missing-pid", "invalid-createdAt"]
        );
        // dead pid and old: both reasons
        assert_eq!(
            reasons(&payload(Some(9), Some(60), None), &ProcState::Dead),
            ["dead-pid", "too-old"]
        );
        // a createdAt in the future has age 0
        let v = inspect_lock(
            &payload(Some(9), Some(-600), None),
            &oc,
            None,
            NOW,
            DEFAULT_STALE_MS,
            &lines::L2026_4_25,
        );
        assert_eq!(v.age_ms, Some(0));
        assert!(!v.stale());
        // the threshold is strict: exactly 30 min is not too old
        let exactly = payload(Some(9), Some(30), Some(100));
        assert!(reasons(&exactly, &oc).is_empty());
        // an owner whose command line cannot be read, or is empty, keeps the lock
        let unreadable = ProcState::Alive {
            starttime: None,
            argv: None,
        };
        assert!(reasons(&payload(Some(9), Some(1), None), &unreadable).is_empty());
        assert!(reasons(&payload(Some(9), Some(1), None), &alive(None, &["", " "])).is_empty());
    }

    #[test]
    fn owner_argv_rules() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_openclaw_session_owner_argv(&v(&["openclaw", "gateway"])));
        assert!(is_openclaw_session_owner_argv(&v(&["/usr/bin/openclaw"])));
        assert!(is_openclaw_session_owner_argv(&v(&[
            "node",
            "/x/openclaw.mjs",
            "gateway"
        ])));
        assert!(is_openclaw_session_owner_argv(&v(&[
            "node",
            "/x/dist/index.js",
            "agent"
        ])));
        assert!(!is_openclaw_session_owner_argv(&v(&[
            "node",
            "/x/dist/index.js"
        ])));
        assert!(!is_openclaw_session_owner_argv(&v(&["sleep", "100"])));
        assert!(is_gateway_argv(&v(&[
            "node",
            "/x/openclaw.mjs",
            "gateway",
            "run"
        ])));
        assert!(!is_gateway_argv(&v(&[
            "node",
            "/x/openclaw.mjs",
            "sessions"
        ])));
        assert!(is_gateway_argv(&v(&["openclaw", "gateway"])));
    }

    #[test]
    fn gateway_owner_prefers_start_time_over_argv() {
        let st = alive(Some(10), &["sleep"]);
        let l = Platform::Linux;
        assert_eq!(gateway_owner(Some(10.0), &st, l), GatewayOwner::Alive);
        assert_eq!(gateway_owner(Some(11.0), &st, l), GatewayOwner::Dead);
        assert_eq!(gateway_owner(None, &st, l), GatewayOwner::Dead);
        let gw = alive(None, &["openclaw", "gateway"]);
        assert_eq!(gateway_owner(None, &gw, l), GatewayOwner::Alive);
        assert_eq!(gateway_owner(Some(1.0), &gw, l), GatewayOwner::Unknown);
        assert_eq!(gateway_owner(None, &ProcState::Dead, l), GatewayOwner::Dead);
    }

    /// Every process answer against every payload shape and OS: unknown
    /// liveness is never dead, and the start time counts on Linux only.
    #[test]
    fn gateway_owner_on_every_answer_and_os() {
        use GatewayOwner as G;
        let unknown = ProcState::Unknown {
            why: "no /proc".into(),
        };
        let gw = alive(None, &["node", "/x/openclaw.mjs", "gateway", "run"]);
        let gw_t = alive(Some(10), &["node", "/x/openclaw.mjs", "gateway", "run"]);
        let other = alive(None, &["sleep", "9"]);
        let unreadable = ProcState::Alive {
            starttime: None,
            argv: None,
        };
        let cases: &[(&ProcState, Option<f64>, [G; 3])] = &[
            // answer, payload startTime, [linux, macos, windows]
            (&ProcState::Dead, None, [G::Dead, G::Dead, G::Dead]),
            (&ProcState::Dead, Some(10.0), [G::Dead, G::Dead, G::Dead]),
            (&ProcState::Zombie, None, [G::Dead, G::Dead, G::Dead]),
            (&unknown, None, [G::LivenessUnknown; 3]),
            (&unknown, Some(10.0), [G::LivenessUnknown; 3]),
            (&gw, None, [G::Alive, G::Alive, G::Alive]),
            // A Linux payload read on another OS: the start time is ignored.
            (&gw, Some(10.0), [G::Unknown, G::Alive, G::Alive]),
            (&gw_t, Some(10.0), [G::Alive, G::Alive, G::Alive]),
            (&gw_t, Some(11.0), [G::Dead, G::Alive, G::Alive]),
            (&other, None, [G::Dead, G::Dead, G::Dead]),
            (&unreadable, None, [G::Unknown, G::Alive, G::Alive]),
        ];
        for (state, start, want) in cases {
            for (os, w) in [Platform::Linux, Platform::MacOs, Platform::Windows]
                .into_iter()
                .zip(want)
            {
                assert_eq!(
                    gateway_owner(*start, state, os),
                    *w,
                    "{state:?} {start:?} {os:?}"
                );
            }
        }
    }

    #[test]
    fn unknown_owner_keeps_the_lock_and_says_so() {
        let unknown = ProcState::Unknown {
            why: "no /proc".into(),
        };
        for line in lines::ALL.iter() {
            let fresh = payload(Some(9), Some(1), None);
            let v = inspect_lock(&fresh, &unknown, None, NOW, DEFAULT_STALE_MS, line);
            assert!(v.owner_unknown);
            assert!(!v.reasons.contains(&StaleReason::DeadPid), "{}", line.name);
            assert!(v.live_openclaw_owner, "{}", line.name);
            assert!(!boot_removes_lock(line, &v, Some(0), DEFAULT_STALE_MS));
            // The same lock with a dead owner is stale.
            let dead = inspect_lock(&fresh, &ProcState::Dead, None, NOW, DEFAULT_STALE_MS, line);
            assert!(!dead.owner_unknown && dead.reasons.contains(&StaleReason::DeadPid));
        }
        // An unknown owner of a store lock: only age makes it stale.
        assert!(!store_lock_stale(Some(&unknown), Some(NOW), NOW));
        assert!(store_lock_stale(Some(&unknown), Some(NOW - 120_000), NOW));
    }

    #[test]
    fn js_dates() {
        assert_eq!(parse_js_date("1970-01-01T00:00:01.000Z"), Some(1000));
        assert_eq!(parse_js_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_js_date("yesterday"), None);
        assert_eq!(parse_js_date(""), None);
    }

    #[test]
    fn from_2026_5_28_boot_cleanup_keeps_a_too_old_lock_of_a_live_openclaw_process() {
        let oc = ProcState::Alive {
            starttime: Some(100),
            argv: Some(vec!["openclaw".into(), "gateway".into(), "run".into()]),
        };
        let sleep = ProcState::Alive {
            starttime: Some(5),
            argv: Some(vec!["sleep".into(), "100".into()]),
        };
        let old = payload(Some(9), Some(31), Some(100));
        let old_other = payload(Some(9), Some(31), Some(5));
        let at = |line: &LineRules, p: &LockPayload, s: &ProcState| {
            let v = inspect_lock(p, s, None, NOW, DEFAULT_STALE_MS, line);
            let names: Vec<&str> = v.reasons.iter().map(|r| r.as_str()).collect();
            (
                names,
                v.live_openclaw_owner,
                boot_removes_lock(line, &v, Some(0), DEFAULT_STALE_MS),
            )
        };
        assert_eq!(
            at(&lines::L2026_4_25, &old, &oc),
            (vec!["too-old"], false, true)
        );
        assert_eq!(
            at(&lines::L2026_5_28, &old, &oc),
            (vec!["too-old"], true, false)
        );
        assert_eq!(
            at(&lines::L2026_7_1, &old, &oc),
            (vec!["too-old"], true, false)
        );
        // another live process: the owner check adds its reason, so it goes
        assert_eq!(
            at(&lines::L2026_5_28, &old_other, &sleep),
            (vec!["too-old", "non-openclaw-owner"], false, true)
        );
        assert_eq!(
            at(&lines::L2026_4_25, &old_other, &sleep),
            (vec!["too-old"], false, true)
        );
    }

    #[test]
    fn from_2026_5_28_a_lock_without_a_valid_payload_waits_out_the_grace() {
        let v = inspect_lock(
            &LockPayload::default(),
            &ProcState::Dead,
            None,
            NOW,
            DEFAULT_STALE_MS,
            &lines::L2026_6_1,
        );
        assert!(v.stale());
        let removes =
            |line: &LineRules, age| boot_removes_lock(line, &v, Some(age), DEFAULT_STALE_MS);
        assert!(removes(&lines::L2026_4_25, 0), "5.12 removes it at once");
        assert!(!removes(&lines::L2026_5_28, 5_000) && removes(&lines::L2026_5_28, 5_001));
        assert!(!removes(&lines::L2026_6_1, 30_000) && removes(&lines::L2026_6_1, 30_001));
        // the grace never exceeds staleMs
        assert!(boot_removes_lock(&lines::L2026_6_1, &v, Some(1_001), 1_000));
        // no sweep before recovery existed
        assert!(!removes(&lines::PRE_RECOVERY, 1 << 40));
    }
}
