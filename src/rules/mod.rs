//! The gateway's rules, and only here.
//!
//! Every function in this module mirrors a piece of OpenClaw 2026.5.12
//! (`dist/` of the npm package) and says which. They are pure: process facts,
//! the clock and file contents come in as arguments. Where the gateway's
//! behaviour differs from `shared/openclaw-state.md`, the gateway wins and a test
//! below pins the case.

use serde_json::Value;

pub mod lines;
pub mod sqlite;
pub use lines::{agent_configured, flag_blocker, store_visited, LineRules, LineSet, Version};

/// Boot cleanup's stale threshold. 2026.5.12 hardcodes it
/// (`server-startup-post-attach`: `SESSION_LOCK_STALE_MS = 1800 * 1e3`).
pub const DEFAULT_STALE_MS: u64 = 30 * 60 * 1000;
/// A `sessions.json.lock` older than this is stale (older builds: 30 to 60 s).
pub const STORE_LOCK_STALE_MS: i64 = 60_000;
/// The fields `markSessionFailed` deletes when recovery (or repair's
/// `--max-age`) ends a session; it also sets `status: "failed"`,
/// `abortedLastRun: true` and `endedAt`/`updatedAt` to now.
pub const MARK_FAILED_DROPS: [&str; 7] = [
    "pendingFinalDelivery",
    "pendingFinalDeliveryText",
    "pendingFinalDeliveryCreatedAt",
    "pendingFinalDeliveryLastAttemptAt",
    "pendingFinalDeliveryAttemptCount",
    "pendingFinalDeliveryLastError",
    "pendingFinalDeliveryContext",
];
/// Recovery reads at most this much of a transcript's end.
pub const TAIL_MAX_BYTES: u64 = 256 * 1024;
/// Recovery looks at the last this many messages.
pub const TAIL_MAX_MESSAGES: usize = 20;
/// Lines kept from the window before parsing (`maxMessages * 20 + 20`).
pub const TAIL_MAX_LINES: usize = TAIL_MAX_MESSAGES * 20 + 20;
/// A line longer than this (UTF-8 bytes) is not parsed but summarised.
pub const MAX_PARSE_LINE_BYTES: usize = 256 * 1024;

// ---------------------------------------------------------------- session keys

/// `parseAgentSessionKey`: `agent:<id>:<rest>`, lower-cased, empty parts dropped.
pub fn parse_agent_session_key(key: &str) -> Option<(String, String)> {
    let raw = key.trim().to_lowercase();
    if raw.is_empty() {
        return None;
    }
    let parts: Vec<&str> = raw.split(':').filter(|p| !p.is_empty()).collect();
    if parts.len() < 3 || parts[0] != "agent" {
        return None;
    }
    let agent = parts[1].trim();
    let rest = parts[2..].join(":");
    if agent.is_empty() || rest.is_empty() {
        return None;
    }
    Some((agent.to_string(), rest))
}

fn rest_starts_with(key: &str, prefix: &str) -> bool {
    parse_agent_session_key(key).is_some_and(|(_, rest)| rest.trim().starts_with(prefix))
}

/// `isSubagentSessionKey`: raw key or agent-scoped rest starts with `subagent:`.
pub fn is_subagent_key(key: &str) -> bool {
    key.trim().to_lowercase().starts_with("subagent:") || rest_starts_with(key, "subagent:")
}

/// `isCronSessionKey`: only agent-scoped keys; a bare `cron:x` is not a cron key.
pub fn is_cron_key(key: &str) -> bool {
    rest_starts_with(key, "cron:")
}

/// `isAcpSessionKey`: raw key or agent-scoped rest starts with `acp:`.
pub fn is_acp_key(key: &str) -> bool {
    key.trim().to_lowercase().starts_with("acp:") || rest_starts_with(key, "acp:")
}

/// The entry fields the skip rule looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SkipFields {
    /// `spawnDepth` when it is a JSON number.
    pub spawn_depth: Option<f64>,
    /// `subagentRole` when present and not null (rendered for messages).
    pub subagent_role: Option<String>,
}

/// The key a row has when recovery looks at it. At startup, before recovery,
/// the gateway runs `migrateOrphanedSessionKeys`, which rewrites every key of
/// an index through `canonicalizeSessionKeyForAgent` (trimmed, lowercased,
/// scoped to the index's agent): `cron:job` becomes `agent:<id>:cron:job`, a
/// cron key that recovery then skips. Channel plugins' own legacy key shapes
/// are not modelled; they fall through to `agent:<id>:<key>` here.
pub fn boot_key(key: &str, agent_id: &str) -> String {
    let raw = key.trim();
    if raw.is_empty() {
        return raw.to_string();
    }
    let lower = raw.to_lowercase();
    if lower == "global" || lower == "unknown" || lower.starts_with("agent:") {
        return lower;
    }
    if lower.starts_with("subagent:") {
        return format!("agent:{agent_id}:subagent:{}", &raw[9..]).to_lowercase();
    }
    if lower.starts_with("group:") || lower.starts_with("channel:") {
        return format!("agent:{agent_id}:unknown:{raw}").to_lowercase();
    }
    format!("agent:{agent_id}:{raw}").to_lowercase()
}

/// `shouldSkipMainRecovery`: why boot recovery leaves this row alone, if it does.
pub fn skip_reason(key: &str, f: &SkipFields) -> Option<String> {
    if let Some(d) = f.spawn_depth {
        if d > 0.0 {
            return Some(format!(
                "spawnDepth {d} (a spawned run, not a main session)"
            ));
        }
    }
    if let Some(role) = &f.subagent_role {
        return Some(format!("subagentRole {role}"));
    }
    if is_subagent_key(key) {
        return Some("subagent session key".into());
    }
    if is_cron_key(key) {
        return Some("cron session key".into());
    }
    if is_acp_key(key) {
        return Some("acp session key".into());
    }
    None
}

/// `SAFE_SESSION_ID_RE` plus the checkpoint-name exclusion of `validateSessionId`.
pub fn is_safe_session_id(id: &str) -> bool {
    let id = id.trim();
    let b = id.as_bytes();
    if b.is_empty() || b.len() > 128 || !b[0].is_ascii_alphanumeric() {
        return false;
    }
    if !b[1..]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
    {
        return false;
    }
    !is_checkpoint_transcript_name(&format!("{id}.jsonl"))
}

/// `<id>.checkpoint.<uuid>.jsonl` names are compaction checkpoints, not transcripts.
pub fn is_checkpoint_transcript_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".jsonl") else {
        return false;
    };
    match stem.rfind(".checkpoint.") {
        Some(i) => looks_like_uuid(&stem[i + ".checkpoint.".len()..]),
        None => false,
    }
}

/// `looksLikeGeneratedSessionId`: a v1-v8 UUID.
pub fn looks_like_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    for (i, c) in b.iter().enumerate() {
        let ok = match i {
            8 | 13 | 18 | 23 => *c == b'-',
            14 => (b'1'..=b'8').contains(c),
            19 => matches!(c.to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b'),
            _ => c.is_ascii_hexdigit(),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// What a file name in a sessions dir is, as the gateway's artifact helpers classify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Index,
    Transcript,
    TranscriptLock,
    StoreLock,
    /// A temp file of an atomic index write (`is_index_temp_name`): when it
    /// parses as a complete index it may be the only intact copy.
    StoreTemp,
    /// A rotation backup of the index, `sessions.json.bak.<epochMs>` (older
    /// builds' rotation; 2026.6.x+ `openclaw doctor` before a rewrite): an
    /// intact copy to restore from, never a leftover.
    IndexBackup,
    /// Archives, checkpoints, trajectories, backups: not live state.
    Sidecar,
    Other,
}

/// Whether `name` is a temp file an atomic write of `sessions.json` leaves
/// in the sessions dir when it is interrupted, as every OpenClaw writer names
/// it (read in the 2026.5.12, 5.28, 6.11 and 7.35 `dist/`):
/// - `sessions.json.<uuid>.tmp`: `writeJsonSync` (`${targetPath}.${randomUUID()}.tmp`);
/// - `sessions.json.<pid>.<uuid>.tmp`: the session store's `writeTextAtomic`
///   with `tempPrefix: path.basename(storePath)` (2026.5.28+);
/// - `.sessions.json.<pid>.<uuid>.tmp`: the fs-safe writer of PR #77915
///   (`buildAtomicWriteTempPath`, `.${base}.${pid}.${uuid}.tmp`);
/// - `.fs-safe-replace.<pid>.<uuid>.tmp`: `replaceFileAtomic` with no prefix
///   (the 2026.5.12 store writer; `openclaw doctor`'s `sessions.json.bak.<ms>`);
/// - `.fs-safe-move-<pid>-<uuid>.tmp`, `.fs-safe-<pid>-<uuid>.tmp`: the
///   copy fallbacks of a move and of a root-confined write;
/// - `.sessions.json.<uuid>.fallback.tmp`: the secure write's fallback
///   (`.${basename}.${randomUUID()}.fallback.tmp`);
/// - `.sessions.json.sessfix-<pid>-<n>.tmp`: sessfix's own (`fsx::temp_name`).
pub fn is_index_temp_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".tmp") else {
        return false;
    };
    let after = |p: &str| stem.strip_prefix(p).filter(|rest| !rest.is_empty());
    after("sessions.json.").is_some_and(|r| !r.starts_with("bak."))
        || after(".sessions.json.").is_some()
        || after(".fs-safe-replace.").is_some()
        || after(".fs-safe-move-").is_some()
        || stem
            .strip_prefix(".fs-safe-")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether `name` is a rotation backup of the index: `sessions.json.bak.<epochMs>`
/// (also a bare `sessions.json.bak`, as people and older tools make one).
pub fn is_index_backup_name(name: &str) -> bool {
    name == "sessions.json.bak"
        || name
            .strip_prefix("sessions.json.bak.")
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
}

pub fn classify_file_name(name: &str) -> FileKind {
    if name == "sessions.json" {
        return FileKind::Index;
    }
    if name == "sessions.json.lock" {
        return FileKind::StoreLock;
    }
    if name.ends_with(".jsonl.lock") {
        return FileKind::TranscriptLock;
    }
    if is_index_temp_name(name) {
        return FileKind::StoreTemp;
    }
    if is_index_backup_name(name) {
        return FileKind::IndexBackup;
    }
    // The Telegram caches kept beside the index (`<store>.telegram-messages.json`,
    // `<store>.telegram-topic-names.json`) and their writers' temps
    // (`.telegram-message-cache.<pid>.<uuid>.tmp`, `.telegram-topic-name-cache.…`);
    // 2026.6.9+ startup migration's archive of an unreadable index
    // (`sessions.json.corrupt-<ms>`): not the index, never a copy of it.
    if name.starts_with("sessions.json.telegram-")
        || name.starts_with(".telegram-message-cache.")
        || name.starts_with(".telegram-topic-name-cache.")
        || name.starts_with("sessions.json.corrupt-")
    {
        return FileKind::Sidecar;
    }
    if name.ends_with(".jsonl") {
        if name.ends_with(".trajectory.jsonl") || is_checkpoint_transcript_name(name) {
            return FileKind::Sidecar;
        }
        return FileKind::Transcript;
    }
    if name.contains(".jsonl.reset.") || name.contains(".jsonl.deleted.") {
        return FileKind::Sidecar;
    }
    FileKind::Other
}

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
            StaleReason::NonOpenclawOwner => "its pid is alive but is not an OpenClaw process",
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

// ---------------------------------------------------------------- transcript tail

/// One parsed line of the tail window (`parseTailTranscriptRecord`), reduced
/// at parse time to what recovery reads of it, so that a scan of thousands of
/// transcripts does not keep their parsed lines.
#[derive(Debug, Clone, PartialEq)]
pub struct TailRecord {
    pub id: Option<String>,
    /// `Some(None)`: `parentId: null`; `Some(Some(x))`: a non-empty string.
    pub parent_id: Option<Option<String>>,
    /// The record has its own `parentId` key, whatever its value.
    pub has_parent_key: bool,
    /// The record's `type`, when it is a string.
    pub kind: Option<String>,
    /// What recovery reads of it as a message (`parsedSessionEntryToMessage`).
    pub message: Option<TailMessage>,
    /// Which half of a graceful restart's trailing artifacts it is, if any.
    pub artifact: Option<Artifact>,
}

/// The two records a graceful restart with a drain timeout leaves at the end
/// of a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    /// A `custom` entry with `customType: "openclaw:prompt-error"` whose
    /// `data.error` is a restart's abort (`is_restart_abort_error`).
    PromptError,
    /// A prompt-error entry with any other error: the run failed on its own.
    OtherPromptError,
    /// An `assistant` message the restart aborted (`is_restart_abort_stop`),
    /// whatever it holds: nothing, the partial text or thinking streamed so
    /// far, or a partial tool call that never ran.
    AbortedAssistant,
}

/// The error texts an abort by a gateway restart leaves
/// (`LEGACY_RESTART_ABORT_ERROR_MESSAGES` and `AGENT_RUN_RESTART_ABORT_ERROR`
/// of 2026.8.1's `main-session-restart-recovery-tKcU544C.js`, which strips
/// such messages itself; the file-era releases write the same texts).
pub const RESTART_ABORT_ERRORS: [&str; 3] = [
    "Request was aborted",
    "This operation was aborted",
    "agent run aborted for restart",
];

/// `AGENT_RUN_RESTART_ABORT_ERROR_CODE` (2026.8.1).
pub const RESTART_ABORT_ERROR_CODE: &str = "OPENCLAW_RESTART_ABORT";

/// One abort text: a `RESTART_ABORT_ERRORS` entry, or Node's AbortError
/// message (`/^(?:(?:Abort)?Error:\s*)?(?:The|This) operation was aborted\.?$/`).
fn is_abort_text(t: &str) -> bool {
    let t = t.trim();
    if RESTART_ABORT_ERRORS.contains(&t) {
        return true;
    }
    let t = t
        .strip_prefix("AbortError:")
        .or_else(|| t.strip_prefix("Error:"))
        .map_or(t, str::trim_start);
    let t = t.strip_suffix('.').unwrap_or(t);
    t == "The operation was aborted" || t == "This operation was aborted"
}

/// A prompt-error's `data.error` left by a restart's abort: every part of
/// it (the gateway joins the run's errors with `" | "`) is an abort text. An
/// error of a run that failed on its own (a provider error, a timeout) is not.
pub fn is_restart_abort_error(error: &str) -> bool {
    !error.trim().is_empty() && error.split(" | ").all(is_abort_text)
}

/// An assistant message's stop that a restart's abort leaves
/// (`isRestartAbortAssistantMessage`, 2026.8.1): `stopReason: "aborted"`, or
/// `"error"` with the restart's error code, or, without a code, one of the
/// abort texts as `errorMessage`.
pub fn is_restart_abort_stop(
    stop_reason: Option<&str>,
    error_code: Option<&str>,
    error_message: Option<&str>,
) -> bool {
    match stop_reason.map(str::trim) {
        Some("aborted") => true,
        Some("error") => match error_code.map(str::trim) {
            Some(code) if !code.is_empty() => code == RESTART_ABORT_ERROR_CODE,
            _ => error_message.is_some_and(|m| RESTART_ABORT_ERRORS.contains(&m.trim())),
        },
        _ => false,
    }
}

impl TailRecord {
    /// The record of a parsed line (`None` when it is not an object), by the
    /// same rules as the line reader, which gives it without building the value.
    pub fn from_value(value: &Value) -> Option<TailRecord> {
        value
            .as_object()
            .map(|o| line_reader::Record::of(o).into_record())
    }
}

/// `extractJsonStringFieldPrefix` on the first 64 Ki chars of an oversized line.
fn prefix_string_field(prefix: &str, field: &str) -> Option<String> {
    let pat = format!("\"{field}\"");
    let mut from = 0;
    while let Some(i) = prefix[from..].find(&pat) {
        let mut rest = prefix[from + i + pat.len()..].trim_start();
        from += i + pat.len();
        let Some(r) = rest.strip_prefix(':') else {
            continue;
        };
        rest = r.trim_start();
        let Some(r) = rest.strip_prefix('"') else {
            continue;
        };
        // Find the closing quote, honouring escapes.
        let bytes = r.as_bytes();
        let mut j = 0;
        while j < bytes.len() && bytes[j] != b'"' {
            j += if bytes[j] == b'\\' { 2 } else { 1 };
        }
        if j >= bytes.len() {
            return None;
        }
        let token = format!("\"{}\"", &r[..j]);
        return crate::json::decode_string(token.as_bytes()).filter(|s| !s.trim().is_empty());
    }
    None
}

/// `parseTailTranscriptRecord`: `None` for lines the gateway drops.
pub fn parse_tail_line(line: &str) -> Option<TailRecord> {
    if line.len() > MAX_PARSE_LINE_BYTES {
        // buildOversizedTranscriptRecord: a placeholder message from the prefix.
        let mut cut = line.len().min(64 * 1024);
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        let prefix = &line[..cut];
        let id = prefix_string_field(prefix, "id");
        let null_parent = {
            let pat = "\"parentId\"";
            prefix
                .find(pat)
                .map(|i| prefix[i + pat.len()..].trim_start())
                .and_then(|r| r.strip_prefix(':'))
                .is_some_and(|r| r.trim_start().starts_with("null"))
        };
        let parent_id = if null_parent {
            Some(None)
        } else {
            prefix_string_field(prefix, "parentId").map(Some)
        };
        let role = prefix_string_field(prefix, "role").unwrap_or_else(|| "assistant".into());
        let mut record = serde_json::Map::new();
        if let Some(t) = prefix_string_field(prefix, "type") {
            record.insert("type".into(), Value::String(t));
        }
        if let Some(id) = &id {
            record.insert("id".into(), Value::String(id.clone()));
        }
        if let Some(p) = &parent_id {
            record.insert(
                "parentId".into(),
                p.clone().map_or(Value::Null, Value::String),
            );
        }
        record.insert(
            "message".into(),
            serde_json::json!({"role": role, "content": [], "__oversized": true}),
        );
        return TailRecord::from_value(&Value::Object(record));
    }
    // Only objects are records; checking the first byte also keeps serde
    // from reading an array as a record's fields.
    if !line.trim_start().starts_with('{') {
        return None;
    }
    let raw: line_reader::Record = serde_json::from_str(line).ok()?;
    Some(raw.into_record())
}

/// Reads one transcript line as `JSON.parse` would, keeping only the fields
/// recovery looks at and skipping the rest without building it (message
/// contents are most of a transcript's bytes). Of duplicate keys the last
/// counts, as in JS.
mod line_reader {
    use super::{Artifact, TailMessage, TailRecord, Value};
    use serde::de::{
        Deserialize, DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess,
        Visitor,
    };
    use std::borrow::Cow;
    use std::fmt;

    /// A JSON value reduced to what the rules compare it with.
    #[derive(Debug, Default, Clone, PartialEq)]
    pub enum Scalar {
        #[default]
        Absent,
        Null,
        Str(String),
        /// `true`, a non-zero number, an array or an object.
        Truthy,
        /// `false` or `0`.
        Falsy,
        /// An empty array.
        EmptyArray,
    }

    impl Scalar {
        /// The same reduction of a parsed value.
        fn of(v: &Value) -> Scalar {
            match v {
                Value::Null => Scalar::Null,
                Value::Bool(true) => Scalar::Truthy,
                Value::Bool(false) => Scalar::Falsy,
                Value::Number(n) if n.as_f64() != Some(0.0) => Scalar::Truthy,
                Value::Number(_) => Scalar::Falsy,
                Value::String(s) => Scalar::Str(s.clone()),
                Value::Array(a) if a.is_empty() => Scalar::EmptyArray,
                Value::Array(_) | Value::Object(_) => Scalar::Truthy,
            }
        }

        fn as_str(&self) -> Option<&str> {
            match self {
                Scalar::Str(s) => Some(s),
                _ => None,
            }
        }
        fn non_blank(&self) -> Option<String> {
            self.as_str()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
        }
    }

    struct ScalarVisitor;

    impl<'de> Visitor<'de> for ScalarVisitor {
        type Value = Scalar;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_unit<E: Error>(self) -> Result<Scalar, E> {
            Ok(Scalar::Null)
        }
        fn visit_bool<E: Error>(self, b: bool) -> Result<Scalar, E> {
            Ok(if b { Scalar::Truthy } else { Scalar::Falsy })
        }
        fn visit_i64<E: Error>(self, n: i64) -> Result<Scalar, E> {
            Ok(if n != 0 {
                Scalar::Truthy
            } else {
                Scalar::Falsy
            })
        }
        fn visit_u64<E: Error>(self, n: u64) -> Result<Scalar, E> {
            Ok(if n != 0 {
                Scalar::Truthy
            } else {
                Scalar::Falsy
            })
        }
        fn visit_f64<E: Error>(self, n: f64) -> Result<Scalar, E> {
            Ok(if n != 0.0 {
                Scalar::Truthy
            } else {
                Scalar::Falsy
            })
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<Scalar, E> {
            Ok(Scalar::Str(s.to_string()))
        }
        fn visit_string<E: Error>(self, s: String) -> Result<Scalar, E> {
            Ok(Scalar::Str(s))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
            let mut empty = true;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                empty = false;
            }
            Ok(if empty {
                Scalar::EmptyArray
            } else {
                Scalar::Truthy
            })
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Scalar::Truthy)
        }
    }

    impl<'de> Deserialize<'de> for Scalar {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
            d.deserialize_any(ScalarVisitor)
        }
    }

    /// A `message` value: its truthiness and, for an object, the fields read.
    #[derive(Debug, Default)]
    pub struct Message {
        present: bool,
        truthy: bool,
        role: Scalar,
        stop_reason: Scalar,
        details_status: Scalar,
        content: Scalar,
        error_message: Scalar,
        error_code: Scalar,
    }

    struct MessageVisitor;

    impl<'de> Visitor<'de> for MessageVisitor {
        type Value = Message;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
            let mut m = Message {
                present: true,
                truthy: true,
                ..Message::default()
            };
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                match &*key {
                    "role" => m.role = map.next_value()?,
                    "stopReason" => m.stop_reason = map.next_value()?,
                    "content" => m.content = map.next_value()?,
                    "details" => m.details_status = map.next_value_seed(FieldOf("status"))?,
                    "errorMessage" => m.error_message = map.next_value()?,
                    "errorCode" => m.error_code = map.next_value()?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(m)
        }
        // Any other value: only its truthiness matters.
        fn visit_unit<E: Error>(self) -> Result<Message, E> {
            Ok(Message::other(Scalar::Null))
        }
        fn visit_bool<E: Error>(self, b: bool) -> Result<Message, E> {
            ScalarVisitor.visit_bool(b).map(Message::other)
        }
        fn visit_i64<E: Error>(self, n: i64) -> Result<Message, E> {
            ScalarVisitor.visit_i64(n).map(Message::other)
        }
        fn visit_u64<E: Error>(self, n: u64) -> Result<Message, E> {
            ScalarVisitor.visit_u64(n).map(Message::other)
        }
        fn visit_f64<E: Error>(self, n: f64) -> Result<Message, E> {
            ScalarVisitor.visit_f64(n).map(Message::other)
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<Message, E> {
            ScalarVisitor.visit_str(s).map(Message::other)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Message, A::Error> {
            ScalarVisitor.visit_seq(seq).map(Message::other)
        }
    }

    impl Message {
        fn of(v: &Value) -> Message {
            let Some(m) = v.as_object() else {
                return Message::other(Scalar::of(v));
            };
            let field = |k: &str| m.get(k).map_or(Scalar::Absent, Scalar::of);
            Message {
                present: true,
                truthy: true,
                role: field("role"),
                stop_reason: field("stopReason"),
                content: field("content"),
                details_status: m
                    .get("details")
                    .and_then(Value::as_object)
                    .and_then(|d| d.get("status"))
                    .map_or(Scalar::Absent, Scalar::of),
                error_message: field("errorMessage"),
                error_code: field("errorCode"),
            }
        }

        fn other(v: Scalar) -> Message {
            let truthy = match &v {
                Scalar::Str(s) => !s.is_empty(),
                Scalar::Truthy | Scalar::EmptyArray => true,
                _ => false,
            };
            Message {
                present: true,
                truthy,
                ..Message::default()
            }
        }
    }

    impl<'de> Deserialize<'de> for Message {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Message, D::Error> {
            d.deserialize_any(MessageVisitor)
        }
    }

    /// The value of one key of an object (`details.status`, `data.error`);
    /// `Absent` for any other value. Nothing else of the value is built.
    struct FieldOf(&'static str);

    impl<'de> DeserializeSeed<'de> for FieldOf {
        type Value = Scalar;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for FieldOf {
        type Value = Scalar;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
            let mut found = Scalar::Absent;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key == self.0 {
                    found = map.next_value()?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
        fn visit_unit<E: Error>(self) -> Result<Scalar, E> {
            Ok(Scalar::Absent)
        }
        fn visit_bool<E: Error>(self, _: bool) -> Result<Scalar, E> {
            Ok(Scalar::Absent)
        }
        fn visit_i64<E: Error>(self, _: i64) -> Result<Scalar, E> {
            Ok(Scalar::Absent)
        }
        fn visit_u64<E: Error>(self, _: u64) -> Result<Scalar, E> {
            Ok(Scalar::Absent)
        }
        fn visit_f64<E: Error>(self, _: f64) -> Result<Scalar, E> {
            Ok(Scalar::Absent)
        }
        fn visit_str<E: Error>(self, _: &str) -> Result<Scalar, E> {
            Ok(Scalar::Absent)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Scalar::Absent)
        }
    }

    /// The fields of a record line that recovery reads.
    #[derive(Debug, Default)]
    pub struct Record {
        id: Scalar,
        parent_id: Scalar,
        kind: Scalar,
        custom_type: Scalar,
        /// `data.error` (a custom entry's error text).
        data_error: Scalar,
        message: Message,
    }

    impl<'de> Deserialize<'de> for Record {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Record, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Record;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
                    let mut r = Record::default();
                    while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                        match &*key {
                            "id" => r.id = map.next_value()?,
                            "parentId" => r.parent_id = map.next_value()?,
                            "type" => r.kind = map.next_value()?,
                            "customType" => r.custom_type = map.next_value()?,
                            "data" => r.data_error = map.next_value_seed(FieldOf("error"))?,
                            "message" => r.message = map.next_value()?,
                            _ => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    Ok(r)
                }
            }
            d.deserialize_map(V)
        }
    }

    impl Record {
        /// The same fields of a parsed line.
        pub fn of(obj: &serde_json::Map<String, Value>) -> Record {
            let field = |k: &str| obj.get(k).map_or(Scalar::Absent, Scalar::of);
            Record {
                id: field("id"),
                parent_id: field("parentId"),
                kind: field("type"),
                custom_type: field("customType"),
                data_error: obj
                    .get("data")
                    .and_then(Value::as_object)
                    .and_then(|d| d.get("error"))
                    .map_or(Scalar::Absent, Scalar::of),
                message: obj.get("message").map(Message::of).unwrap_or_default(),
            }
        }

        /// The rules recovery applies to one record: its links,
        /// `parsedSessionEntryToMessage`, and the restart artifacts.
        pub fn into_record(self) -> TailRecord {
            let kind = self.kind.as_str().map(str::to_string);
            let m = &self.message;
            let message = if m.present && m.truthy {
                let role = m.role.as_str().map(str::to_string);
                Some(TailMessage {
                    approval_pending: role.as_deref() == Some("toolResult")
                        && m.details_status.as_str() == Some("approval-pending"),
                    role,
                    compaction: false,
                })
            } else if kind.as_deref() == Some("compaction") {
                Some(TailMessage {
                    role: Some("system".into()),
                    approval_pending: false,
                    compaction: true,
                })
            } else {
                None
            };
            let artifact = if kind.as_deref() == Some("custom")
                && self.custom_type.as_str() == Some("openclaw:prompt-error")
            {
                Some(
                    if self
                        .data_error
                        .as_str()
                        .is_some_and(super::is_restart_abort_error)
                    {
                        Artifact::PromptError
                    } else {
                        Artifact::OtherPromptError
                    },
                )
            } else {
                (m.present
                    && kind.as_deref() == Some("message")
                    && m.role.as_str() == Some("assistant")
                    && super::is_restart_abort_stop(
                        m.stop_reason.as_str(),
                        m.error_code.as_str(),
                        m.error_message.as_str(),
                    ))
                .then_some(Artifact::AbortedAssistant)
            };
            TailRecord {
                id: self.id.non_blank(),
                parent_id: match &self.parent_id {
                    Scalar::Null => Some(None),
                    other => other.non_blank().map(Some),
                },
                has_parent_key: self.parent_id != Scalar::Absent,
                kind,
                message,
                artifact,
            }
        }
    }
}

/// Split a tail window into the lines recovery keeps
/// (`readRecentTranscriptTailLinesAsync`): split on `\n` (a trailing `\r` is
/// dropped), the partial first line dropped when the window starts mid-file,
/// blank lines dropped, the last 420 kept. Returns `(offset, length)` of each
/// line within the window. Splitting bytes equals Node's decode-then-split.
pub fn window_lines(window: &[u8], starts_mid_file: bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut first = true;
    loop {
        let end = memchr::memchr(b'\n', &window[start..]).map_or(window.len(), |i| start + i);
        let mut line = &window[start..end];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let skip = first && starts_mid_file;
        first = false;
        if !skip && !line.iter().all(|b| b.is_ascii_whitespace()) {
            out.push((start, line.len()));
        }
        if end >= window.len() {
            break;
        }
        start = end + 1;
    }
    if out.len() > TAIL_MAX_LINES {
        out.drain(..out.len() - TAIL_MAX_LINES);
    }
    out
}

fn has_tree_link(r: &TailRecord) -> bool {
    r.kind.as_deref() != Some("session") && r.id.is_some() && r.has_parent_key
}

/// `selectActiveTranscriptRecords`: the active branch from the last linked record,
/// plus the nearest compaction before it. A parent cycle yields nothing.
pub fn active_records(records: &[TailRecord]) -> Vec<&TailRecord> {
    if !records.iter().any(has_tree_link) {
        return records.iter().collect();
    }
    let mut by_id: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut leaf: Option<&str> = None;
    for (i, r) in records.iter().enumerate() {
        if let Some(id) = &r.id {
            by_id.insert(id.as_str(), i);
            if has_tree_link(r) {
                leaf = Some(id.as_str());
            }
        }
    }
    let mut selected: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut current = leaf;
    while let Some(id) = current {
        if !seen.insert(id) {
            return Vec::new();
        }
        let Some(&i) = by_id.get(id) else { break };
        selected.push(i);
        current = records[i].parent_id.as_ref().and_then(|p| p.as_deref());
    }
    selected.reverse();
    let mut out: Vec<&TailRecord> = Vec::new();
    if let Some(&first) = selected.first() {
        if let Some(c) = records[..first]
            .iter()
            .rev()
            .find(|r| r.kind.as_deref() == Some("compaction"))
        {
            out.push(c);
        }
    }
    out.extend(selected.into_iter().map(|i| &records[i]));
    out
}

/// A message as recovery sees it (`parsedSessionEntryToMessage`).
#[derive(Debug, Clone, PartialEq)]
pub struct TailMessage {
    /// `None` when the message is not an object or has no string role.
    pub role: Option<String>,
    pub approval_pending: bool,
    pub compaction: bool,
}

/// `parseRecentTranscriptTailMessages`: the last 20 messages of the active branch.
pub fn tail_messages(records: &[TailRecord]) -> Vec<TailMessage> {
    let mut msgs: Vec<TailMessage> = active_records(records)
        .into_iter()
        .filter_map(|r| r.message.clone())
        .collect();
    if msgs.len() > TAIL_MAX_MESSAGES {
        msgs.drain(..msgs.len() - TAIL_MAX_MESSAGES);
    }
    msgs
}

/// `resolveMainSessionResumeBlockReason`: why recovery fails the row instead of
/// resuming it, or `None` when it resumes. The texts are the gateway's log reasons.
pub fn resume_block_reason(messages: &[TailMessage]) -> Option<String> {
    let last = messages
        .iter()
        .rev()
        .find(|m| matches!(m.role.as_deref(), Some(r) if r != "system"));
    let Some(last) = last else {
        return Some("transcript tail is not resumable (no user or assistant message)".into());
    };
    let role = last.role.as_deref().unwrap_or("");
    if !matches!(role, "user" | "tool" | "toolResult") {
        return Some(format!(
            "transcript tail is not resumable (last message is {role})"
        ));
    }
    if last.approval_pending {
        return Some("transcript tail is a stale approval-pending tool result".into());
    }
    None
}

/// The startup state migration (2026.6.9+, `state-migrations-CDz8cSvR.js`
/// in 6.11, `detectLegacyStateMigrations`) fires when the legacy
/// `<state>/sessions/` holds `sessions.json` or a transcript; `names` are the
/// regular files there.
pub fn legacy_sessions_dir_migrates(names: &[String]) -> bool {
    names
        .iter()
        .any(|n| n == "sessions.json" || n.ends_with(".jsonl"))
}

/// The last check of `resolveStaleLegacySessionFile` (same file): the
/// transcript `file_name` in the agent's sessions dir, whose first line is
/// `first_line`, belongs to the entry of `session_id` (a session header with
/// that id, or, for another header object, the file is `<id>.jsonl`). The
/// caller has checked that the entry's `sessionFile` resolved against
/// `<state>/sessions/` is missing there.
pub fn header_names_session(first_line: &[u8], file_name: &str, session_id: &str) -> bool {
    match serde_json::from_slice::<Value>(first_line) {
        Ok(h) if h.get("type").and_then(Value::as_str) == Some("session") => {
            h.get("id").and_then(Value::as_str) == Some(session_id)
        }
        Ok(h) if h.is_object() => file_name == format!("{session_id}.jsonl"),
        _ => false,
    }
}

/// The trailing artifacts a restart with a drain timeout leaves: a `custom`
/// entry `openclaw:prompt-error` with the abort's error, then the aborted
/// `assistant` message (empty, or holding the partial output); a restart
/// that skips the drain ("forced restart requested", seen on 2026.7.35)
/// leaves the aborted message alone. Returns how many trailing records
/// (counted from the end of `records`) are such artifacts, or 0. A run that
/// failed on its own (a prompt error that is not an abort) leaves no
/// artifact: the user saw that failure.
///
/// No file-era release strips them (5.12 to 7.35 fail such rows); 2026.8.1
/// strips the aborted message before deciding, which is what repair does
/// offline.
pub fn restart_artifact_count(records: &[TailRecord]) -> usize {
    match records {
        [.., a, b] if b.artifact == Some(Artifact::AbortedAssistant) => match a.artifact {
            Some(Artifact::PromptError) => 2,
            Some(Artifact::OtherPromptError) => 0,
            _ => 1,
        },
        [.., b] if b.artifact == Some(Artifact::AbortedAssistant) => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn keys_are_canonicalized_before_recovery() {
        // observed on 2026.5.12: `cron:legacy-job` in agent main's index is
        // renamed `agent:main:cron:legacy-job` at startup and then skipped.
        assert_eq!(
            boot_key("cron:legacy-job", "main"),
            "agent:main:cron:legacy-job"
        );
        assert!(is_cron_key(&boot_key("cron:legacy-job", "ops")));
        assert_eq!(boot_key(" Agent:Main:Main ", "main"), "agent:main:main");
        assert_eq!(boot_key("main", "ops"), "agent:ops:main");
        assert_eq!(boot_key("subagent:AbC", "ops"), "agent:ops:subagent:abc");
        assert_eq!(
            boot_key("group:123", "main"),
            "agent:main:unknown:group:123"
        );
        assert_eq!(boot_key("global", "main"), "global");
        assert_eq!(boot_key(FEISHU_KEY, "main"), FEISHU_KEY);
    }

    const FEISHU_KEY: &str = "agent:main:feishu:direct:ou_63c1e2a9d3f04b1c8e7a";

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
    fn key_kinds_follow_session_key_utils() {
        assert!(is_subagent_key("agent:main:subagent:abc"));
        assert!(is_subagent_key("subagent:abc"));
        assert!(is_subagent_key("AGENT:Main:SubAgent:x"));
        assert!(is_cron_key("agent:main:cron:job1"));
        assert!(is_cron_key("agent:main:cron:job1:run:r1"));
        assert!(
            !is_cron_key("cron:job1"),
            "a bare cron: key is not a cron key"
        );
        assert!(is_acp_key("acp:x"));
        assert!(is_acp_key("agent:main:acp:x"));
        // Empty parts are dropped before the rest is joined.
        assert!(is_cron_key("agent:main::cron:x"));
        assert!(!is_subagent_key("agent:main:feishu:direct:ou_1"));
        assert_eq!(
            parse_agent_session_key("agent:main:telegram:group:-100:topic:7"),
            Some(("main".into(), "telegram:group:-100:topic:7".into()))
        );
        assert_eq!(parse_agent_session_key("agent:main"), None);
    }

    #[test]
    fn skip_rule_order_and_values() {
        let k = "agent:main:feishu:direct:ou_1";
        assert_eq!(skip_reason(k, &SkipFields::default()), None);
        let depth = SkipFields {
            spawn_depth: Some(1.0),
            ..Default::default()
        };
        assert!(skip_reason(k, &depth).unwrap().contains("spawnDepth"));
        let depth0 = SkipFields {
            spawn_depth: Some(0.0),
            ..Default::default()
        };
        assert_eq!(skip_reason(k, &depth0), None);
        let role = SkipFields {
            subagent_role: Some("\"worker\"".into()),
            ..Default::default()
        };
        assert!(skip_reason(k, &role).unwrap().contains("subagentRole"));
        assert!(skip_reason("agent:main:cron:j", &SkipFields::default()).is_some());
        assert_eq!(skip_reason("cron:j", &SkipFields::default()), None);
    }

    #[test]
    fn safe_session_ids() {
        assert!(is_safe_session_id("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50"));
        assert!(is_safe_session_id("abc.DEF_1-2"));
        assert!(!is_safe_session_id("../x"));
        assert!(!is_safe_session_id(".hidden"));
        assert!(!is_safe_session_id(""));
        assert!(!is_safe_session_id(&"a".repeat(129)));
        assert!(!is_safe_session_id(
            "s.checkpoint.0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50"
        ));
    }

    #[test]
    fn file_names_are_classified() {
        assert_eq!(classify_file_name("a.jsonl"), FileKind::Transcript);
        assert_eq!(classify_file_name("a-topic-7.jsonl"), FileKind::Transcript);
        assert_eq!(classify_file_name("a.jsonl.lock"), FileKind::TranscriptLock);
        assert_eq!(
            classify_file_name("sessions.json.lock"),
            FileKind::StoreLock
        );
        assert_eq!(
            classify_file_name("sessions.json.123.tmp"),
            FileKind::StoreTemp
        );
        assert_eq!(
            classify_file_name(".fs-safe-replace.12.ab.tmp"),
            FileKind::StoreTemp
        );
        assert_eq!(classify_file_name("notes.tmp"), FileKind::Other);
        // Every name an OpenClaw writer gives a temp of sessions.json.
        let uuid = "6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b";
        for name in [
            format!("sessions.json.{uuid}.tmp"),
            format!("sessions.json.4242.{uuid}.tmp"),
            format!(".sessions.json.4242.{uuid}.tmp"),
            format!(".fs-safe-replace.4242.{uuid}.tmp"),
            format!(".fs-safe-move-4242-{uuid}.tmp"),
            format!(".fs-safe-4242-{uuid}.tmp"),
            format!(".sessions.json.{uuid}.fallback.tmp"),
            ".sessions.json.sessfix-4242.tmp".to_string(),
        ] {
            assert_eq!(classify_file_name(&name), FileKind::StoreTemp, "{name}");
        }
        for name in [
            "sessions.json.tmp",
            ".fs-safe-output-x.tmp",
            ".telegram-message-cache.1.u.tmp",
            ".telegram-topic-name-cache.1.u.tmp",
            "a.jsonl.compact.u.tmp",
        ] {
            assert_ne!(classify_file_name(name), FileKind::StoreTemp, "{name}");
        }
        assert_eq!(
            classify_file_name("sessions.json.bak.1777999999000"),
            FileKind::IndexBackup
        );
        assert_eq!(
            classify_file_name("sessions.json.bak"),
            FileKind::IndexBackup
        );
        assert_eq!(classify_file_name("sessions.json.bak.x"), FileKind::Other);
        assert_eq!(
            classify_file_name("sessions.json.corrupt-1777999999000"),
            FileKind::Sidecar
        );
        assert_eq!(
            classify_file_name("sessions.json.telegram-messages.json"),
            FileKind::Sidecar
        );
        assert_eq!(classify_file_name("a.trajectory.jsonl"), FileKind::Sidecar);
        assert_eq!(classify_file_name("a.jsonl.reset.2026"), FileKind::Sidecar);
        assert_eq!(
            classify_file_name("sessions.json.bak.1"),
            FileKind::IndexBackup
        );
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

    fn recs(lines: &[&str]) -> Vec<TailRecord> {
        lines.iter().filter_map(|l| parse_tail_line(l)).collect()
    }

    const HEADER: &str =
        r#"{"type":"session","version":3,"id":"s1","timestamp":"2026-01-01T00:00:00Z","cwd":"/w"}"#;

    fn msg(id: &str, parent: Option<&str>, role: &str) -> String {
        let parent = parent.map_or("null".to_string(), |p| format!("\"{p}\""));
        format!(
            r#"{{"type":"message","id":"{id}","parentId":{parent},"timestamp":"2026-01-01T00:00:01Z","message":{{"role":"{role}","content":[{{"type":"text","text":"x"}}]}}}}"#
        )
    }

    #[test]
    fn resume_decision_follows_last_meaningful_message() {
        let user = msg("a", None, "user");
        let asst = msg("b", Some("a"), "assistant");
        let m = tail_messages(&recs(&[HEADER, &user]));
        assert_eq!(resume_block_reason(&m), None);
        let m = tail_messages(&recs(&[HEADER, &user, &asst]));
        assert!(resume_block_reason(&m).unwrap().contains("assistant"));
        let tool = msg("c", Some("b"), "toolResult");
        let m = tail_messages(&recs(&[HEADER, &user, &asst, &tool]));
        assert_eq!(resume_block_reason(&m), None);
        // header only
        assert!(resume_block_reason(&tail_messages(&recs(&[HEADER]))).is_some());
        // approval pending
        let pending = r#"{"type":"message","id":"d","parentId":"b","message":{"role":"toolResult","details":{"status":"approval-pending"}}}"#;
        let m = tail_messages(&recs(&[HEADER, &user, &asst, pending]));
        assert!(resume_block_reason(&m)
            .unwrap()
            .contains("approval-pending"));
    }

    #[test]
    fn active_branch_ignores_abandoned_siblings() {
        // a -> b(assistant) ; a -> c(user) is the leaf: the assistant is on a dead branch.
        let a = msg("a", None, "user");
        let b = msg("b", Some("a"), "assistant");
        let c = msg("c", Some("a"), "user");
        let m = tail_messages(&recs(&[HEADER, &a, &b, &c]));
        assert_eq!(m.len(), 2);
        assert_eq!(resume_block_reason(&m), None);
        // The leaf is the last linked record even if it is on an older branch.
        let m = tail_messages(&recs(&[HEADER, &a, &c, &b]));
        assert!(resume_block_reason(&m).is_some());
    }

    #[test]
    fn parent_cycle_yields_no_messages() {
        let a = msg("a", Some("b"), "user");
        let b = msg("b", Some("a"), "user");
        assert!(tail_messages(&recs(&[&a, &b])).is_empty());
    }

    #[test]
    fn only_a_truthy_message_field_makes_a_message() {
        let role = |line: &str| parse_tail_line(line).unwrap().message.map(|m| m.role);
        for falsy in ["null", "false", "0", "\"\""] {
            let line = format!(r#"{{"type":"message","id":"a","message":{falsy}}}"#);
            assert_eq!(role(&line), None, "message: {falsy} is not a message");
        }
        assert_eq!(
            role(r#"{"type":"message","id":"a","message":"hi"}"#),
            Some(None)
        );
        assert_eq!(
            role(r#"{"type":"message","id":"a","message":{}}"#),
            Some(None)
        );
        assert_eq!(
            role(r#"{"type":"compaction","id":"a","message":0}"#),
            Some(Some("system".into())),
            "a compaction with a falsy message is still one"
        );
    }

    #[test]
    fn compaction_counts_as_system_and_custom_entries_are_not_messages() {
        let u = msg("a", None, "user");
        let comp = r#"{"type":"compaction","id":"c","parentId":"a","summary":"s"}"#;
        let custom = r#"{"type":"custom","id":"x","parentId":"c","customType":"note","data":{}}"#;
        let m = tail_messages(&recs(&[HEADER, &u, comp, custom]));
        assert_eq!(m.last().unwrap().role.as_deref(), Some("system"));
        assert_eq!(
            resume_block_reason(&m),
            None,
            "user is the last meaningful message"
        );
    }

    #[test]
    fn only_the_last_twenty_messages_count() {
        let mut lines = vec![HEADER.to_string(), msg("m0", None, "user")];
        for i in 1..=25 {
            lines.push(msg(
                &format!("m{i}"),
                Some(&format!("m{}", i - 1)),
                "system",
            ));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let m = tail_messages(&recs(&refs));
        assert_eq!(m.len(), 20);
        assert!(
            resume_block_reason(&m).is_some(),
            "the user message fell out of the window"
        );
    }

    #[test]
    fn window_drops_partial_first_line_and_blank_lines() {
        let w = b"tial}\n{\"a\":1}\r\n\n  \n{\"b\":2}";
        assert_eq!(window_lines(w, true), vec![(6, 7), (19, 7)]);
        assert_eq!(window_lines(b"{\"a\":1}\n", false), vec![(0, 7)]);
        assert_eq!(window_lines(b"partial only", true), vec![]);
        let many: Vec<u8> = "{}\n".repeat(500).into_bytes();
        assert_eq!(window_lines(&many, false).len(), TAIL_MAX_LINES);
    }

    #[test]
    fn oversized_lines_become_placeholders_with_prefix_role() {
        let big = format!(
            r#"{{"type":"message","id":"z","parentId":null,"message":{{"role":"user","content":"{}"}}}}"#,
            "x".repeat(MAX_PARSE_LINE_BYTES)
        );
        let r = parse_tail_line(&big).unwrap();
        assert_eq!(r.id.as_deref(), Some("z"));
        assert_eq!(r.parent_id, Some(None));
        assert_eq!(r.message.as_ref().unwrap().role.as_deref(), Some("user"));
    }

    #[test]
    fn restart_artifacts_are_recognised_exactly() {
        let u = msg("a", None, "user");
        let err = r#"{"type":"custom","id":"e","parentId":"a","customType":"openclaw:prompt-error","data":{"error":"This operation was aborted | This operation was aborted"}}"#;
        let assistant = |m: &str| {
            format!(
                r#"{{"type":"message","id":"f","parentId":"e","message":{{"role":"assistant",{m}}}}}"#
            )
        };
        let count = |e: &str, last: &str| restart_artifact_count(&recs(&[HEADER, &u, e, last]));
        // every shape an abort by a restart leaves: nothing, partial text,
        // thinking only, a partial tool call; an abort reported as an error
        for m in [
            r#""content":[],"stopReason":"aborted","errorMessage":"Request was aborted""#,
            r#""content":[{"type":"text","text":"PARTIAL: I'll start by"}],"stopReason":"aborted","errorMessage":"Request was aborted""#,
            r#""content":[{"type":"thinking","thinking":"The user wants"}],"stopReason":"aborted""#,
            r#""content":[{"type":"toolCall","id":"c1","name":"read","arguments":{"path":"bil"}}],"stopReason":"aborted""#,
            r#""content":[],"stopReason":"error","errorMessage":"This operation was aborted""#,
            r#""content":[],"stopReason":"error","errorCode":"OPENCLAW_RESTART_ABORT","errorMessage":"x""#,
        ] {
            assert_eq!(count(err, &assistant(m)), 2, "{m}");
            // 5.x fails the row while they are there
            let m = tail_messages(&recs(&[HEADER, &u, err, &assistant(m)]));
            assert!(resume_block_reason(&m).is_some());
        }
        // a run that failed on its own is no artifact: its error is what the user saw
        let own = r#"{"type":"custom","id":"e","parentId":"a","customType":"openclaw:prompt-error","data":{"error":"429 Too Many Requests"}}"#;
        let own_reply = assistant(
            r#""content":[],"stopReason":"error","errorMessage":"429 Too Many Requests""#,
        );
        assert_eq!(count(own, &own_reply), 0);
        assert_eq!(count(err, &own_reply), 0);
        assert_eq!(
            count(
                err,
                &assistant(
                    r#""content":[],"stopReason":"error","errorCode":"E_PROVIDER","errorMessage":"Request was aborted""#
                )
            ),
            0,
            "another error code"
        );
        let aborted = assistant(r#""content":[],"stopReason":"aborted""#);
        assert_eq!(
            count(own, &aborted),
            0,
            "the prompt error is not the abort's"
        );
        // a finished reply is not cut
        assert_eq!(
            count(
                err,
                &assistant(r#""content":[{"type":"text","text":"hi"}],"stopReason":"stop""#)
            ),
            0
        );
        // a forced restart skips the drain: the aborted reply alone
        assert_eq!(restart_artifact_count(&recs(&[HEADER, &u, &aborted])), 1);
        let no_data =
            r#"{"type":"custom","id":"e","parentId":"a","customType":"openclaw:prompt-error"}"#;
        assert_eq!(count(no_data, &aborted), 0);
        // Node's AbortError texts
        assert!(is_restart_abort_error(
            "AbortError: This operation was aborted"
        ));
        assert!(is_restart_abort_error("The operation was aborted."));
        assert!(!is_restart_abort_error(""));
        assert!(!is_restart_abort_error(
            "This operation was aborted | fetch failed"
        ));
    }

    #[test]
    fn the_startup_migration_reads_legacy_files_as_6_11_does() {
        assert!(legacy_sessions_dir_migrates(&["a.jsonl".into()]));
        assert!(legacy_sessions_dir_migrates(&["sessions.json".into()]));
        assert!(!legacy_sessions_dir_migrates(&["notes.txt".into()]));
        let header = br#"{"type":"session","id":"s1","timestamp":"2026-01-01T00:00:00Z"}"#;
        assert!(header_names_session(header, "x.jsonl", "s1"));
        assert!(!header_names_session(header, "s1.jsonl", "s2"));
        assert!(header_names_session(
            br#"{"type":"message"}"#,
            "s2.jsonl",
            "s2"
        ));
        assert!(!header_names_session(
            br#"{"type":"message"}"#,
            "x.jsonl",
            "s2"
        ));
        assert!(!header_names_session(b"not json", "s2.jsonl", "s2"));
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
