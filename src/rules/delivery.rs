//! The delivery queues' rules: what a release's gateway does with each reply
//! waiting in a queue, and whether a restart-resumed turn's reply was ever
//! sent. Pure: the entries' facts come in as arguments.
//!
//! Read from each release's `dist/` (`shared/delivery-queue.md`): 2026.5.12
//! `delivery-queue-CSyJVJzj.js` and `main-session-restart-recovery-D1yxkDUR.js`;
//! 2026.6.11 `delivery-queue-DyF7Pl38.js`; 2026.7.35
//! `delivery-queue-sqlite-CDM4vvmR.js`; 2026.8.1
//! `delivery-queue-recovery-9ShvBqaI.js`, `openclaw-state-db-Cb4e1jdd.js`;
//! 2026.9.6 `delivery-queue-recovery-Dud1kzH1.mjs`,
//! `delivery-queue-namespaces-CO-cZrdV.mjs`. The switches that differ per
//! line are `LineRules::queue`, `readiness_error_permanent`,
//! `replays_legacy_queue` and `delivers_resumed_reply`, read here only.

use super::lines::{LineRules, QueueStore};
use serde_json::Value as Json;

/// Recovery dead-letters an outbound entry once it has failed this many
/// times (`MAX_RETRIES = 5`, every release; 2026.8.1+ also honour the
/// entry's own `maxRetries`).
pub const MAX_RETRIES: i64 = 5;

/// The user message main-session restart recovery resumes a turn with
/// (`buildResumeMessage`, 2026.5.12 to 2026.9.6): a transcript whose last
/// user message holds it is a turn the restart interrupted and a boot resumed.
pub const RESUME_PROMPT: &str = "[System] Your previous turn was interrupted by a gateway restart";

/// The error the outbound queue stores when the channel's outbound adapter
/// cannot be resolved yet: the channel was launched but is not ready
/// (`createChannelHandler`). Through 2026.7.x it is one of the permanent
/// errors (dead-lettered at its first failure, openclaw#126800).
pub const NOT_READY_ERROR: &str = "outbound not configured for channel";

/// The permanent-error patterns of the outbound recovery
/// (`isPermanentDeliveryError`), lower-cased, as plain substrings or, with a
/// `.*`, two parts in order. `NOT_READY_ERROR` is one of them through 2026.7.x.
const PERMANENT: [&str; 10] = [
    "no conversation reference found",
    "chat not found",
    "user not found",
    "bot.*not.*member",
    "bot was blocked by the user",
    "forbidden: bot was kicked",
    "chat_id is empty",
    "recipient is not a valid",
    "ambiguous .* recipient",
    "user .* not in room",
];

/// Which queue an entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Queue {
    /// Replies to chats: `delivery-queue/`, or rows whose `queue_name` is
    /// `outbound` (2026.6.1 to 2026.7.x) or `outbound-*` (2026.8.1+).
    Outbound,
    /// Restart continuations: `session-delivery-queue/`, `queue_name`
    /// `session`.
    Session,
}

/// Where an entry stands in its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting to be sent (`<id>.json`, `status='pending'`).
    Pending,
    /// A dead letter (`failed/<id>.json`, `status='failed'`).
    Failed,
    /// A receipt kept after delivery (`status='completed'`, 2026.8.1+).
    Completed,
}

/// The facts of one queue entry the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryFacts<'a> {
    pub queue: Queue,
    pub status: Status,
    /// Kept as a file (`delivery-queue/`), not a row.
    pub file: bool,
    /// The row's `queue_name` (files: none).
    pub namespace: Option<&'a str>,
    /// `retryCount` (and `attemptCount`, the larger).
    pub attempts: i64,
    pub last_error: Option<&'a str>,
    /// `recoveryState` / `recovery_state`.
    pub recovery_state: Option<&'a str>,
    /// `platformSendStartedAt` is set: the channel send began.
    pub send_started: bool,
    /// The reply is still there (`payloads`, `preparedBatch`): not a
    /// payload-free tombstone.
    pub has_payload: bool,
}

/// Whether `error` is one of the outbound recovery's permanent errors on
/// `line` (dead-lettered at its first failure).
pub fn is_permanent_error(line: &LineRules, error: &str) -> bool {
    let e = error.to_lowercase();
    if e.contains(NOT_READY_ERROR) {
        return line.readiness_error_permanent;
    }
    // `a.*b.*c`: each part found after the one before it.
    PERMANENT.iter().any(|p| {
        let mut rest = e.as_str();
        p.split(".*").all(|part| match rest.find(part) {
            Some(i) => {
                rest = &rest[i + part.len()..];
                true
            }
            None => false,
        })
    })
}

/// Whether `error` is one that can never succeed (a permanent-error
/// pattern other than the readiness error): an entry failing so replays at
/// every boot in vain wherever it is not dead-lettered (openclaw#23777).
pub fn is_structural_error(error: &str) -> bool {
    !is_readiness_error(error) && is_permanent_error(&super::lines::L2026_9_6, error)
}

/// Whether `error` says the channel was not ready (launched, not connected):
/// the reply would go out once it is.
pub fn is_readiness_error(error: &str) -> bool {
    let e = error.to_lowercase();
    e.contains(NOT_READY_ERROR) || e.contains("not connected") || e.contains("not ready")
}

/// A send that may have reached the chat: recovery refuses to replay it
/// blindly and dead-letters it (no bundled channel reconciles an unknown
/// send), and a requeue may send it twice.
pub fn is_ambiguous(e: &EntryFacts) -> bool {
    e.send_started
        || matches!(
            e.recovery_state,
            Some("send_attempt_started" | "unknown_after_send")
        )
}

/// What one line's gateway does with one queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Sent by the next boot's recovery pass (2026.8.1+: or its 5 s timer).
    Sent,
    /// Pending after failed attempts: tried again at the next boot (and
    /// dead-lettered once it reaches `MAX_RETRIES`).
    Retried,
    /// Pending, but a send that may have reached the chat: the next
    /// recovery dead-letters it without sending.
    DeadLetteredUnsent,
    /// A dead letter holding its reply: nothing ever sends it again.
    DeadLetter,
    /// A dead letter 2026.8.1+ deletes, or strips to a payload-free
    /// tombstone, at its first open of this older database.
    LostOnUpgrade,
    /// A payload-free dead letter (2026.8.1+): nothing left to send, never
    /// pruned.
    Tombstone,
    /// A receipt of a delivered reply.
    Delivered,
    /// Legacy queue data this line no longer reads (2026.9.5+: only
    /// `openclaw doctor --fix` imports it).
    Ignored,
}

/// The `queue_name`s 2026.9.5+ no longer deliver from
/// (`delivery-queue-namespaces-*.mjs`): the 6.x/7.x outbound namespace and
/// the migration ones.
const LEGACY_NAMESPACES: [&str; 3] = [
    "outbound",
    "outbound-legacy-preparing-v1",
    "outbound-prepared-migration-v1",
];

/// What `line`'s gateway does with `e`.
pub fn fate(line: &LineRules, e: &EntryFacts) -> Fate {
    let legacy = e.file
        || (line.queue == QueueStore::Custody
            && e.queue == Queue::Outbound
            && e.namespace.is_some_and(|n| LEGACY_NAMESPACES.contains(&n)));
    match e.status {
        Status::Completed => Fate::Delivered,
        Status::Failed if !e.has_payload => Fate::Tombstone,
        // A 6.x/7.x dead letter read by a custody line: its first open
        // deletes or compacts it (`compactLegacyDeliveryQueueFailures`).
        Status::Failed
            if line.queue == QueueStore::Custody
                && legacy
                && e.recovery_state != Some("settlement_pending") =>
        {
            Fate::LostOnUpgrade
        }
        Status::Failed => Fate::DeadLetter,
        Status::Pending if legacy && !line.replays_legacy_queue => Fate::Ignored,
        Status::Pending if e.queue == Queue::Outbound && is_ambiguous(e) => {
            Fate::DeadLetteredUnsent
        }
        Status::Pending if e.attempts > 0 || e.last_error.is_some() => Fate::Retried,
        Status::Pending => Fate::Sent,
    }
}

/// Whether `line`'s boot replays a file the operator puts in
/// `delivery-queue/` (2026.5.12 to 2026.5.28 load it at boot; 2026.6.1 to
/// 2026.9.4 import it through the CLI's state migration; 2026.9.5+ do not).
pub fn replays_queue_files(line: &LineRules) -> bool {
    line.boot_recovery && line.replays_legacy_queue
}

/// Whether `line`'s boot sends a pending `outbound-prepared-v1` row sessfix
/// writes for a reply (`prepared_row_entry`; 2026.9.6, measured).
pub fn sends_prepared_row(line: &LineRules) -> bool {
    line.replays_prepared_rows
}

/// The `entry_json` of a pending `outbound-prepared-v1` row for a reply of
/// `text` to `channel`/`to`: the smallest shape 2026.9.6 delivered in the
/// delivery oracle, with the session named. A row with `payloads` instead of
/// `preparedBatch` stops every recovery pass of 2026.9.6 ("Cannot read
/// properties of undefined (reading 'entries')"): never that shape.
pub fn prepared_row_entry(
    id: &str,
    enqueued_at: i64,
    route: (&str, &str, Option<&str>),
    session: (&str, &str),
    text: &str,
) -> Json {
    let (channel, to, account) = route;
    let mut e = serde_json::Map::new();
    e.insert("id".into(), id.into());
    e.insert("enqueuedAt".into(), enqueued_at.into());
    e.insert("channel".into(), channel.into());
    e.insert("to".into(), to.into());
    if let Some(a) = account {
        e.insert("accountId".into(), a.into());
    }
    e.insert(
        "preparedBatch".into(),
        serde_json::json!({
            "schemaVersion": 1,
            "sourcePayloadCount": 1,
            "channelNormalized": true,
            "entries": [{"sourceIndex": 0, "status": "accepted", "payload": {"text": text}}]
        }),
    );
    e.insert(
        "session".into(),
        serde_json::json!({"key": session.0, "agentId": session.1}),
    );
    e.insert("retryCount".into(), 0.into());
    Json::Object(e)
}

/// Whether a restart-resumed turn's reply was never sent by `line`: it
/// resumes with `deliver: false` (2026.4.25 to 2026.5.28), so the reply is
/// only in the transcript.
pub fn resumed_reply_unsent(line: &LineRules) -> bool {
    line.boot_recovery && !line.delivers_resumed_reply
}

/// Whether sessfix may edit `e` in place of the gateway: a queue file, or a
/// row of the 2026.6.1-7.x queues (`outbound`, `session`); never a 2026.8+
/// custody row, whose ownership and settlement fields the gateway checks.
pub fn editable(e: &EntryFacts) -> bool {
    e.file || matches!(e.namespace, Some("outbound" | "session"))
}

/// Whether an entry that failed with `error` and never began its send is
/// definitely unsent: safe to requeue without a duplicate.
pub fn definitely_unsent(e: &EntryFacts) -> bool {
    !is_ambiguous(e)
}

/// A restart-resumed turn's reply, found at the end of a transcript: the
/// last user message is recovery's `RESUME_PROMPT`, and the last assistant
/// message after it ended normally with text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResumedReply {
    /// The reply's text (its text parts, joined by a blank line).
    pub text: String,
    /// The reply record's `timestamp` (epoch ms), when it has one.
    pub at_ms: Option<i64>,
}

/// The text of a message's `content` (a string, or the `text` of its text
/// parts joined by a blank line).
fn message_text(m: &Json) -> String {
    match m.get("content") {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Array(parts)) => parts
            .iter()
            .filter(|p| p.get("type").and_then(Json::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Json::as_str))
            .collect::<Vec<_>>()
            .join("\n\n"),
        _ => String::new(),
    }
}

/// Whether a user message is recovery's resume prompt: a line of it starts
/// with `RESUME_PROMPT`, after the `[<time>] ` envelope the gateway puts on
/// a message, and after the "[Queued user message ...]" it folds a message
/// queued during the turn into (measured on 2026.5.12: the prompt arrives as
/// `[Queued user message that arrived while the previous turn was still
/// active]\n[Fri 2026-12-04 22:21 UTC] oracle: and tomorrow?\n\n[Fri
/// 2026-12-04 22:21 UTC] [System] Your previous turn was interrupted ...`).
pub fn holds_resume_prompt(text: &str) -> bool {
    text.lines().any(|line| {
        let mut l = line.trim_start();
        // `[<time>] ` envelopes, as many as there are, but not `[System]`.
        while l.starts_with('[') && !l.starts_with(RESUME_PROMPT) {
            match l.find("] ") {
                Some(i) => l = &l[i + 2..],
                None => break,
            }
        }
        l.starts_with(RESUME_PROMPT)
    })
}

/// The reply a SQLite-era row recorded as its undelivered final reply
/// (`pendingFinalDelivery`): replayable, with text, and not every delivery
/// of it `delivered` or `suppressed` (`pendingFinalRecoveryAction`,
/// `main-session-restart-recovery-CZEAhJMd.mjs` in 2026.9.6). Restart
/// recovery acts on it only for a `running` row; a finished row keeps it, and
/// the chat never gets it (measured on 2026.9.6: a resumed turn's reply whose
/// channel was not ready leaves the row `done` with it, and no queue row).
pub fn pending_final_reply(pending: &Json) -> Option<&str> {
    if pending.get("kind").and_then(Json::as_str) != Some("replayable") {
        return None;
    }
    let text = pending.get("text").and_then(Json::as_str)?;
    let done = pending
        .get("deliveries")
        .and_then(Json::as_array)
        .is_some_and(|d| {
            !d.is_empty()
                && d.iter().all(|x| {
                    matches!(
                        x.get("state").and_then(Json::as_str),
                        Some("delivered" | "suppressed")
                    )
                })
        });
    (!done && !text.trim().is_empty()).then_some(text)
}

/// Whether every delivery of a pending final reply is still `prepared`:
/// never handed to the queue or the channel, so sending it cannot make a
/// duplicate (restart recovery's own "retry" condition,
/// `pendingFinalRecoveryAction`).
pub fn pending_final_unsent(pending: &Json) -> bool {
    pending
        .get("deliveries")
        .and_then(Json::as_array)
        .is_some_and(|d| {
            !d.is_empty()
                && d.iter()
                    .all(|x| x.get("state").and_then(Json::as_str) == Some("prepared"))
        })
}

/// The queue entry ids of a pending final reply's deliveries.
pub fn pending_final_ids(pending: &Json) -> Vec<&str> {
    pending
        .get("deliveries")
        .and_then(Json::as_array)
        .map(|d| {
            d.iter()
                .filter_map(|x| x.get("id").and_then(Json::as_str))
                .collect()
        })
        .unwrap_or_default()
}

/// Replies the gateway never sends (`SILENT_REPLY_TOKEN`, heartbeats).
const SILENT: [&str; 2] = ["NO_REPLY", "HEARTBEAT_OK"];

/// The resumed turn's reply at the end of a transcript window, if its last
/// turn is one: `lines` are the window's complete lines (`window_lines`).
/// Only a window holding the prompt is parsed (a fast byte search first).
pub fn resumed_reply(window: &[u8], lines: &[(usize, usize)]) -> Option<ResumedReply> {
    memchr::memmem::find(window, &RESUME_PROMPT.as_bytes()[9..])?;
    let mut reply: Option<ResumedReply> = None;
    for &(off, len) in lines.iter().rev().take(super::TAIL_MAX_LINES) {
        let Ok(v) = serde_json::from_slice::<Json>(&window[off..off + len]) else {
            continue;
        };
        if v.get("type").and_then(Json::as_str) != Some("message") {
            continue;
        }
        let Some(m) = v.get("message") else { continue };
        match m.get("role").and_then(Json::as_str) {
            Some("assistant") if reply.is_none() => {
                let stop = m.get("stopReason").and_then(Json::as_str);
                let text = message_text(m);
                if matches!(stop, Some("error" | "aborted" | "toolUse"))
                    || text.trim().is_empty()
                    || SILENT.iter().any(|s| text.trim().starts_with(s))
                {
                    return None;
                }
                let at_ms = v
                    .get("timestamp")
                    .and_then(Json::as_str)
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_millis());
                reply = Some(ResumedReply { text, at_ms });
            }
            Some("user") => {
                return reply.filter(|_| holds_resume_prompt(&message_text(m)));
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::lines;

    fn entry(status: Status) -> EntryFacts<'static> {
        EntryFacts {
            queue: Queue::Outbound,
            status,
            file: false,
            namespace: Some("outbound"),
            attempts: 0,
            last_error: None,
            recovery_state: None,
            send_started: false,
            has_payload: true,
        }
    }

    #[test]
    fn readiness_error_is_permanent_through_7x_only() {
        let e = "Error: Outbound not configured for channel: feishu";
        assert!(is_permanent_error(&lines::L2026_5_28, e));
        assert!(is_permanent_error(&lines::L2026_7_1, e));
        assert!(!is_permanent_error(&lines::L2026_8_1, e));
        assert!(is_readiness_error(e));
        assert!(is_permanent_error(
            &lines::L2026_9_6,
            "400: Bad Request: chat not found"
        ));
        assert!(is_permanent_error(
            &lines::L2026_9_6,
            "Forbidden: bot is not a member of the group"
        ));
        assert!(!is_permanent_error(&lines::L2026_9_6, "ECONNRESET"));
        assert!(is_structural_error(
            "No conversation reference found for user:29:1abc"
        ));
        assert!(!is_structural_error(e), "the channel may yet become ready");
    }

    #[test]
    fn fates_per_line() {
        let dead = entry(Status::Failed);
        assert_eq!(fate(&lines::L2026_7_1, &dead), Fate::DeadLetter);
        assert_eq!(fate(&lines::L2026_8_1, &dead), Fate::LostOnUpgrade);
        let settling = EntryFacts {
            recovery_state: Some("settlement_pending"),
            ..dead
        };
        assert_eq!(fate(&lines::L2026_8_1, &settling), Fate::DeadLetter);
        let tomb = EntryFacts {
            has_payload: false,
            namespace: Some("outbound-prepared-v1"),
            ..dead
        };
        assert_eq!(fate(&lines::L2026_9_6, &tomb), Fate::Tombstone);
        let pending = entry(Status::Pending);
        assert_eq!(fate(&lines::L2026_7_1, &pending), Fate::Sent);
        assert_eq!(fate(&lines::L2026_9_4, &pending), Fate::Sent);
        assert_eq!(fate(&lines::L2026_9_5, &pending), Fate::Ignored);
        let prepared = EntryFacts {
            namespace: Some("outbound-prepared-v1"),
            ..pending
        };
        assert_eq!(fate(&lines::L2026_9_6, &prepared), Fate::Sent);
        let retried = EntryFacts {
            attempts: 2,
            ..pending
        };
        assert_eq!(fate(&lines::L2026_6_1, &retried), Fate::Retried);
        let ambiguous = EntryFacts {
            recovery_state: Some("unknown_after_send"),
            ..pending
        };
        assert_eq!(
            fate(&lines::L2026_6_1, &ambiguous),
            Fate::DeadLetteredUnsent
        );
        let file = EntryFacts {
            file: true,
            namespace: None,
            ..pending
        };
        assert_eq!(fate(&lines::L2026_4_25, &file), Fate::Sent);
        assert!(editable(&file) && editable(&pending));
        assert!(!editable(&prepared), "a custody row");
        assert_eq!(fate(&lines::L2026_9_5, &file), Fate::Ignored);
    }

    #[test]
    fn resumed_replies_are_sent_from_6_1() {
        assert!(resumed_reply_unsent(&lines::L2026_4_25));
        assert!(resumed_reply_unsent(&lines::L2026_5_28));
        assert!(!resumed_reply_unsent(&lines::L2026_6_1));
        assert!(!resumed_reply_unsent(&lines::PRE_RECOVERY));
        assert!(replays_queue_files(&lines::L2026_5_28));
        assert!(!replays_queue_files(&lines::L2026_9_5));
    }

    fn window(records: &[&str]) -> (Vec<u8>, Vec<(usize, usize)>) {
        let w = records.join("\n") + "\n";
        let lines = crate::rules::window_lines(w.as_bytes(), false);
        (w.into_bytes(), lines)
    }

    const PROMPT: &str = r#"{"type":"message","id":"u","timestamp":"2026-11-24T02:50:00.000Z","message":{"role":"user","content":[{"type":"text","text":"[System] Your previous turn was interrupted by a gateway restart while OpenClaw was waiting on tool/model work. Continue from the existing transcript and finish the interrupted response."}]}}"#;
    const REPLY: &str = r#"{"type":"message","id":"a","timestamp":"2026-11-24T02:50:05.000Z","message":{"role":"assistant","content":[{"type":"text","text":"Tomorrow: cloudy."}],"stopReason":"stop"}}"#;

    #[test]
    fn a_resumed_turns_reply_is_found_at_the_end_only() {
        let (w, l) = window(&[PROMPT, REPLY]);
        let r = resumed_reply(&w, &l).expect("found");
        assert_eq!(r.text, "Tomorrow: cloudy.");
        assert_eq!(r.at_ms, Some(1_795_488_605_000));
        let tool = r#"{"type":"message","message":{"role":"toolResult","content":[{"type":"text","text":"ok"}]}}"#;
        let call = r#"{"type":"message","message":{"role":"assistant","content":[{"type":"toolCall","id":"t"}],"stopReason":"toolUse"}}"#;
        let (w, l) = window(&[PROMPT, call, tool, REPLY]);
        assert!(resumed_reply(&w, &l).is_some(), "tools between");
        let user = r#"{"type":"message","message":{"role":"user","content":"thanks"}}"#;
        let (w, l) = window(&[PROMPT, REPLY, user]);
        assert_eq!(resumed_reply(&w, &l), None, "the user spoke since");
        let (w, l) = window(&[PROMPT, call]);
        assert_eq!(resumed_reply(&w, &l), None, "unfinished");
        let silent = REPLY.replace("Tomorrow: cloudy.", "NO_REPLY");
        let (w, l) = window(&[PROMPT, &silent]);
        assert_eq!(resumed_reply(&w, &l), None, "a silent reply");
        let plain = PROMPT.replace("[System] Your previous turn", "Your previous turn");
        let (w, l) = window(&[&plain, REPLY]);
        assert_eq!(resumed_reply(&w, &l), None, "a user quoting it");
        let quoted = PROMPT.replace(
            "[System] Your previous turn",
            "they said \\\"[System] Your previous turn",
        );
        let (w, l) = window(&[&quoted, REPLY]);
        assert_eq!(resumed_reply(&w, &l), None, "quoted inside a sentence");
    }

    #[test]
    fn a_pending_final_reply_is_one_not_delivered() {
        let real = serde_json::json!({"kind": "replayable", "text": "Done.", "context": {"channel": "standin", "to": "ou_oracle"}, "intentId": "i", "deliveries": [{"id": "d", "state": "prepared"}]});
        assert_eq!(pending_final_reply(&real), Some("Done."));
        let mut sent = real.clone();
        sent["deliveries"][0]["state"] = "delivered".into();
        assert_eq!(pending_final_reply(&sent), None);
        let mut other = real.clone();
        other["kind"] = "notice".into();
        assert_eq!(pending_final_reply(&other), None);
        assert!(pending_final_unsent(&real));
        let mut queued = real.clone();
        queued["deliveries"][0]["state"] = "queued".into();
        assert!(!pending_final_unsent(&queued), "handed to the queue");
        assert_eq!(pending_final_ids(&queued), vec!["d"]);
    }

    /// The prompt as 2026.5.12 delivered it in the oracle (a queued
    /// message folded in front of it, each line in a time envelope).
    #[test]
    fn the_prompt_is_found_inside_the_gateways_envelopes() {
        let real = "[Queued user message that arrived while the previous turn was still active]\n[Fri 2026-12-04 22:21 UTC] oracle: and tomorrow?\n\n[Fri 2026-12-04 22:21 UTC] [System] Your previous turn was interrupted by a gateway restart while OpenClaw was waiting on tool/model work. Continue from the existing transcript and finish the interrupted response.";
        assert!(holds_resume_prompt(real));
        assert!(holds_resume_prompt(
            &real[real.rfind("[System]").unwrap()..]
        ));
        assert!(!holds_resume_prompt(
            "[Fri 2026-12-04 22:21 UTC] oracle: and tomorrow?"
        ));
    }
}
