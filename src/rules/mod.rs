//! The gateway's rules, and only here.
//!
//! Every function here (this module: session keys, skip reasons, file names;
//! `locks`: lock payloads and verdicts; `tail`: the transcript tail; `lines`:
//! the release lines; `sqlite`: the SQLite era) mirrors a piece of OpenClaw
//! 2026.5.12 (`dist/` of the npm package) and says which. They are pure: process facts,
//! the clock and file contents come in as arguments. Where the gateway's
//! behaviour differs from `shared/openclaw-state.md`, the gateway wins and a test
//! below pins the case.

pub mod delivery;
pub mod lines;
pub mod locks;
pub mod tail;
pub use lines::{LineRules, LineSet, Version};
pub use locks::*;
pub use tail::*;

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

/// The note of a report whose release is unknown, saying which lines `set`
/// (from [`lines::unknown_release_lines`]) predicts: the only line out by
/// now (saying whether it has boot recovery), or the first and last of
/// every line with boot recovery out by now.
pub fn unknown_release_note(set: LineSet) -> String {
    let lines: Vec<&LineRules> = set.iter().collect();
    match lines.as_slice() {
        [one] => format!(
            "predictions are given for the {} line, the only one {}out by now; pass --openclaw-version to choose a release",
            one.name,
            if one.boot_recovery { "with boot recovery " } else { "" }
        ),
        [first, .., last] => format!(
            "predictions are given for every release line with boot recovery out by now, {} to {}; pass --openclaw-version to choose one",
            first.name, last.name
        ),
        [] => "no release line to predict".into(),
    }
}

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

/// Agent ids OpenClaw reserves for its system agents (`SYSTEM_AGENT_ROSTER_ENTRIES`,
/// 2026.9.6 `agent-database-admission-*.mjs`): never set apart by itself.
pub const RESERVED_AGENT_IDS: [&str; 2] = ["openclaw", "crestodian"];

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

/// Whether boot recovery looks at a row of this `status` at all: the
/// file-era releases recover rows with `status: "running"` only. Only
/// such a row's transcript tail is read to its active branch
/// (`state::transcripts`); any other row is idle at boot
/// (`boot::file::predict`).
pub fn recovery_looks_at(status: Option<&str>) -> bool {
    status == Some("running")
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
    !is_checkpoint_stem(id)
}

/// `<id>.checkpoint.<uuid>.jsonl` names are compaction checkpoints, not transcripts.
pub fn is_checkpoint_transcript_name(name: &str) -> bool {
    name.strip_suffix(".jsonl").is_some_and(is_checkpoint_stem)
}

/// A transcript name without its `.jsonl` that names a compaction checkpoint.
fn is_checkpoint_stem(stem: &str) -> bool {
    match stem.rfind(".checkpoint.") {
        Some(i) => looks_like_uuid(&stem[i + ".checkpoint.".len()..]),
        None => false,
    }
}

/// How long before the index's oldest entry a plain transcript missing from
/// it may have been last active and still count as dropped by a rebuild of
/// the index: 30 days.
pub const DROPPED_WITHIN_MS: i64 = 30 * 86_400_000;

/// Whether transcript `name`, in no entry of an index whose entries were all
/// updated at or after `oldest_entry` (`None`: it has none; `now_ms` stands
/// in), and last active at `last_active_ms`, is a session a rebuild of the
/// index dropped (openclaw#66522, 2026.4.x: after a restart the index holds
/// only the sessions created since). Only a plain `<uuid>.jsonl`: a reset or
/// a deletion archives a transcript under another name (`.reset.<ts>`,
/// `.deleted.<ts>`), so a plain one no entry names was not let go on
/// purpose. Last active before every entry (the index kept nothing as old),
/// and within `DROPPED_WITHIN_MS` of the oldest.
pub fn dropped_by_rebuild(
    name: &str,
    last_active_ms: i64,
    oldest_entry: Option<i64>,
    now_ms: i64,
) -> bool {
    let plain = plain_transcript(name);
    let since = oldest_entry.unwrap_or(now_ms);
    plain && last_active_ms < since && since - last_active_ms <= DROPPED_WITHIN_MS
}

/// The key `repair --rebuild-dropped` gives the entry it rebuilds for session
/// `session_id` of agent `agent`: the transcript does not hold the key the
/// session had, and `restored` is a rest no channel routes to, so it can
/// collide with no live session.
pub fn rebuilt_key(agent: &str, session_id: &str) -> String {
    format!("agent:{agent}:restored:{session_id}")
}

/// A plain `<uuid>.jsonl`: a session's live transcript, not an archived one.
fn plain_transcript(name: &str) -> bool {
    name.strip_suffix(".jsonl").is_some_and(looks_like_uuid)
}

/// Whether a transcript named `name` with last activity somewhere in
/// `lowest..=highest` (its header's start, its file's modification time:
/// either may be unknown) can still be one `dropped_by_rebuild` names, by
/// an index whose oldest entry was updated at `oldest_entry`: when not, its
/// last record need not be read.
pub fn may_be_dropped(
    name: &str,
    lowest: Option<i64>,
    highest: Option<i64>,
    oldest_entry: Option<i64>,
) -> bool {
    let plain = plain_transcript(name);
    let Some(since) = oldest_entry else {
        return plain;
    };
    plain
        && lowest.is_none_or(|l| l < since)
        && highest.is_none_or(|h| since - h <= DROPPED_WITHIN_MS)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_transcript_just_older_than_every_entry_was_dropped() {
        let name = "0000012c-4e14-4c2d-9e3f-000000244014.jsonl";
        let entry = 10 * DROPPED_WITHIN_MS;
        assert!(dropped_by_rebuild(name, entry - 1, Some(entry), 0));
        assert!(dropped_by_rebuild(
            name,
            entry - DROPPED_WITHIN_MS,
            Some(entry),
            0
        ));
        assert!(!dropped_by_rebuild(
            name,
            entry - DROPPED_WITHIN_MS - 1,
            Some(entry),
            0
        ));
        assert!(!dropped_by_rebuild(name, entry, Some(entry), 0));
        // No entries: as of now.
        assert!(dropped_by_rebuild(name, entry - 1, None, entry));
        for other in [
            "notes.jsonl",
            "0000012c-4e14-4c2d-9e3f-000000244014-topic-7.jsonl",
        ] {
            assert!(
                !dropped_by_rebuild(other, entry - 1, Some(entry), 0),
                "{other}"
            );
            assert!(!may_be_dropped(other, None, None, Some(entry)));
        }
        // What bounds the last activity rules it out, or leaves it open.
        assert!(may_be_dropped(name, None, None, Some(entry)));
        assert!(may_be_dropped(
            name,
            Some(entry - 5),
            Some(entry + 5),
            Some(entry)
        ));
        assert!(!may_be_dropped(name, Some(entry), None, Some(entry)));
        assert!(!may_be_dropped(
            name,
            None,
            Some(entry - DROPPED_WITHIN_MS - 1),
            Some(entry)
        ));
        assert!(may_be_dropped(name, Some(0), Some(1), None));
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
}
