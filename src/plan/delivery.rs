//! The delivery queues' edits, each one named by the operator (`repair
//! --requeue-replies`, `--may-duplicate`, `--send-unsent-replies`,
//! `--prune-dead-letters`, `--dead-letter-failing`), never automatic.
//!
//! A dead letter is never edited in place: a requeue writes the entry, its
//! retry state reset, as `delivery-queue/<name>.json` and then removes the
//! dead letter `failed/<name>.json` (both backed up, `undo` puts them back);
//! a pending entry's retries are reset in place. A queue row is updated in
//! its columns and its `entry_json` alike (a non-NULL column overrides
//! `entry_json` when the gateway reads it back, `shared/delivery-queue.md`
//! §1b). On 2026.9.6 an unsent final reply becomes a new
//! `outbound-prepared-v1` row (`plan_pending_final`).

use super::sqlite::{splice_entry, SqliteEdit, SqliteOp};
use super::{FieldChange, Op, Plan};
pub use crate::analyze::UnsentReply;
use crate::rules::delivery::{self as rd, Queue, Status};
use crate::rules::LineRules;
use crate::state::delivery::{Place, QueueEntry, OUTBOUND_DIR};
use serde::Serialize;
use sha2::Digest;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// What the operator asked of the queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRequest {
    /// `--requeue-replies`: dead letters and failed pending replies that
    /// were never sent, back to pending with their retries reset.
    pub requeue: bool,
    /// `--may-duplicate`: with `requeue`, sends that may have reached the
    /// chat too.
    pub may_duplicate: bool,
    /// `--send-unsent-replies`: a queue file for each resumed turn's reply
    /// that is only in the transcript (2026.4.25 to 2026.5.28).
    pub send_unsent: bool,
    /// `--prune-dead-letters`: remove dead letters older than this (ms).
    pub prune_older_than_ms: Option<u64>,
    /// `--dead-letter-failing`: pending entries whose last error can never
    /// succeed (`rules::delivery::is_structural_error`) become dead letters,
    /// kept whole, instead of replaying at every boot.
    pub dead_letter_failing: bool,
}

impl DeliveryRequest {
    pub fn is_empty(&self) -> bool {
        !self.requeue
            && !self.send_unsent
            && self.prune_older_than_ms.is_none()
            && !self.dead_letter_failing
    }
}

/// One change to a queue file.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueFileEdit {
    /// `requeue`, `queue-reply`, `dead-letter` or `prune`.
    pub action: &'static str,
    /// The file written (requeue, queue-reply, dead-letter) or removed
    /// (prune).
    pub path: PathBuf,
    /// The file a requeue or a dead-letter move removes once the new one is
    /// written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub reason: String,
    pub changes: Vec<FieldChange>,
    /// What the removed file holds, as read (checked again before removal).
    #[serde(skip)]
    pub removed_bytes: Option<Vec<u8>>,
    /// What the new file holds.
    #[serde(skip)]
    pub written: Option<Vec<u8>>,
}

/// The ops that reset an entry's retry state (`retryCount` 0; the last
/// attempt, its error and any send state gone).
fn reset_ops(e: &QueueEntry) -> Vec<Op> {
    let mut ops = vec![Op::Set("retryCount", "0".into())];
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&e.raw) {
        if m.contains_key("attemptCount") {
            ops.push(Op::Set("attemptCount", "0".into()));
        }
        for k in [
            "lastAttemptAt",
            "lastError",
            "platformSendStartedAt",
            "recoveryState",
            "failedAt",
        ] {
            if m.contains_key(k) {
                ops.push(Op::Remove(Cow::Borrowed(k)));
            }
        }
    }
    ops
}

/// Whether `--requeue-replies` takes `e`.
fn requeue_takes(e: &QueueEntry, req: &DeliveryRequest) -> bool {
    let place_ok = rd::editable(&e.facts());
    let wanted = match e.status {
        Status::Failed => e.has_payload,
        Status::Pending => e.attempts > 0 || e.last_error.is_some() || rd::is_ambiguous(&e.facts()),
        Status::Completed => false,
    };
    place_ok && wanted && (req.may_duplicate || rd::definitely_unsent(&e.facts()))
}

/// The plan's queue edits for `req`: on `entries` (files and rows), and
/// `unsent` replies where one of `lines` replays a queue file.
///
/// Errors: a requeue whose new JSON cannot be made (an entry that is not a
/// JSON object), in words.
pub fn plan(
    plan: &mut Plan,
    state_dir: &Path,
    entries: &[&QueueEntry],
    unsent: &[UnsentReply],
    lines: &[&'static LineRules],
    req: &DeliveryRequest,
    now_ms: i64,
) -> Result<(), String> {
    for e in entries {
        if let Some(ms) = req.prune_older_than_ms {
            // A duration past i64 (`10000000000000000000ms`) is older than
            // anything, never negative.
            let ms_i = i64::try_from(ms).unwrap_or(i64::MAX);
            let old = e
                .since_ms()
                .is_some_and(|t| now_ms.saturating_sub(t) > ms_i);
            // A reply the operator asked to requeue is requeued, not pruned.
            let requeued = req.requeue && requeue_takes(e, req);
            if e.status == Status::Failed
                && old
                && !requeued
                && e.recovery_state.as_deref() != Some("settlement_pending")
            {
                prune(plan, e, ms);
                continue;
            }
        }
        let failing = e.status == Status::Pending
            && e.last_error.as_deref().is_some_and(rd::is_structural_error);
        if req.dead_letter_failing && failing && rd::editable(&e.facts()) {
            dead_letter(plan, e, now_ms);
            continue;
        }
        if req.requeue && requeue_takes(e, req) && !failing {
            requeue(plan, e, now_ms)?;
        }
    }
    if req.send_unsent {
        let sends = lines
            .iter()
            .any(|l| rd::resumed_reply_unsent(l) && rd::replays_queue_files(l));
        for u in unsent {
            if u.route.channel.is_none() || u.route.to.is_none() {
                plan.left_alone.push(format!(
                    "{}: its resumed turn's reply is only in the transcript, and the session names no channel and target (no deliveryContext): send it by hand",
                    u.key
                ));
            } else if sends {
                plan.queues.push(queue_reply(state_dir, u, now_ms));
            } else {
                plan.left_alone.push(format!(
                    "{}: its resumed turn's reply is only in the transcript, and no release line predicted replays a queue file: send it by hand",
                    u.key
                ));
            }
        }
    }
    Ok(())
}

/// A pending entry that can never succeed, made a dead letter as recovery
/// makes one: the file moved to `failed/` unchanged, or the row `failed`.
fn dead_letter(plan: &mut Plan, e: &QueueEntry, now_ms: i64) {
    let reason = format!(
        "its last error can never succeed ({}): a dead letter, kept whole, instead of a replay at every boot",
        e.last_error.as_deref().unwrap_or_default()
    );
    match &e.place {
        Place::File(p) => {
            let target = p
                .parent()
                .unwrap_or(Path::new("."))
                .join("failed")
                .join(p.file_name().unwrap_or_default());
            if taken(plan, p, &target) {
                return;
            }
            plan.queues.push(QueueFileEdit {
                action: "dead-letter",
                path: target,
                from: Some(p.clone()),
                key: e.session_key.clone(),
                reason,
                changes: Vec::new(),
                removed_bytes: Some(e.raw.clone().into_bytes()),
                written: Some(e.raw.clone().into_bytes()),
            });
        }
        Place::Row { db, queue_name, id } => plan.sqlite.push(SqliteEdit {
            agent: None,
            path: db.clone(),
            action: "dead-letter",
            key: format!("{queue_name}/{id}"),
            reason,
            changes: Vec::new(),
            op: SqliteOp::UpdateQueueRow {
                queue_name: queue_name.clone(),
                id: id.clone(),
                before_entry_json: e.raw.clone(),
                set: vec![
                    ("status".into(), "failed".into()),
                    ("failed_at".into(), now_ms.into()),
                    ("updated_at".into(), now_ms.into()),
                ],
            },
        }),
    }
}

/// Whether moving the queue file `from` to `target` would overwrite a file
/// there (a pending entry and a dead letter of the same id): then it is left
/// to a person, and said so, rather than planned and refused at apply.
fn taken(plan: &mut Plan, from: &Path, target: &Path) -> bool {
    if std::fs::symlink_metadata(target).is_err() {
        return false;
    }
    plan.left_alone.push(format!(
        "{}: {} exists already (an entry of the same id): sessfix overwrites neither; compare the two and keep one by hand",
        from.display(),
        target.display()
    ));
    true
}

fn prune(plan: &mut Plan, e: &QueueEntry, older_than_ms: u64) {
    let reason = format!(
        "a dead letter older than {}: nothing sends it again",
        crate::analyze::duration_label(older_than_ms)
    );
    match &e.place {
        Place::File(p) => plan.queues.push(QueueFileEdit {
            action: "prune",
            path: p.clone(),
            from: None,
            key: e.session_key.clone(),
            reason,
            changes: Vec::new(),
            removed_bytes: Some(e.raw.clone().into_bytes()),
            written: None,
        }),
        // The rows of one database go in one edit: one transaction, one
        // check (a state of 764 dead letters is a public report's).
        Place::Row { db, queue_name, id } => {
            let key = (queue_name.clone(), id.clone());
            let batch = plan
                .sqlite
                .iter_mut()
                .find(|x| x.path == *db && matches!(x.op, SqliteOp::DeleteQueueRows { .. }));
            if let Some(SqliteEdit {
                op: SqliteOp::DeleteQueueRows { keys },
                key: label,
                ..
            }) = batch
            {
                keys.push(key);
                *label = format!("{} dead letter(s)", keys.len());
                return;
            }
            plan.sqlite.push(SqliteEdit {
                agent: None,
                path: db.clone(),
                action: "prune-dead-letters",
                key: "1 dead letter(s)".into(),
                reason,
                changes: Vec::new(),
                op: SqliteOp::DeleteQueueRows { keys: vec![key] },
            })
        }
    }
}

fn requeue(plan: &mut Plan, e: &QueueEntry, now_ms: i64) -> Result<(), String> {
    let (after, changes) = splice_entry(&e.raw, &reset_ops(e))
        .map_err(|why| format!("{}: {why}", e.path().display()))?;
    let reason = if e.status == Status::Failed {
        "a dead letter back to pending, its retries reset: the next boot sends it"
    } else {
        "its retries reset: the next boot sends it"
    };
    let reason = if rd::is_ambiguous(&e.facts()) {
        format!("{reason} (--may-duplicate: the user may get it twice)")
    } else {
        reason.to_string()
    };
    match &e.place {
        Place::File(p) => {
            let dir = if e.status == Status::Failed {
                p.parent().and_then(Path::parent)
            } else {
                p.parent()
            };
            // The file's own name, never the `id` it holds: an `id` is data
            // (`../x` would name a file outside the queue dir).
            let target = dir
                .unwrap_or(Path::new("."))
                .join(p.file_name().unwrap_or_default());
            if target != *p && taken(plan, p, &target) {
                return Ok(());
            }
            plan.queues.push(QueueFileEdit {
                action: "requeue",
                from: (target != *p).then(|| p.clone()),
                path: target,
                key: e.session_key.clone(),
                reason,
                changes,
                removed_bytes: Some(e.raw.clone().into_bytes()),
                written: Some(after.into_bytes()),
            });
        }
        Place::Row { db, queue_name, id } => {
            let mut set = vec![
                ("status", serde_json::Value::from("pending")),
                ("retry_count", 0.into()),
                ("updated_at", now_ms.into()),
                ("entry_json", after.clone().into()),
            ];
            for c in [
                "last_attempt_at",
                "last_error",
                "failed_at",
                "recovery_state",
                "platform_send_started_at",
            ] {
                set.push((c, serde_json::Value::Null));
            }
            plan.sqlite.push(SqliteEdit {
                agent: None,
                path: db.clone(),
                action: "requeue",
                key: format!("{queue_name}/{id}"),
                reason,
                changes,
                op: SqliteOp::UpdateQueueRow {
                    queue_name: queue_name.clone(),
                    id: id.clone(),
                    before_entry_json: e.raw.clone(),
                    set: set.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                },
            });
        }
    }
    Ok(())
}

/// A UUID-shaped id made from what the entry answers, so that the plan made
/// again before applying names the same file.
fn entry_id(u: &UnsentReply) -> String {
    let h = sha2::Sha256::digest(format!("{}\n{}\n{:?}", u.key, u.text, u.at_ms));
    let x: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}

/// The queue file for an unsent reply: the shape 2026.5.12's
/// `enqueueDelivery` writes (`JSON.stringify(entry, null, 2)`), with the
/// reply as its one payload, addressed by the session's delivery context.
fn queue_reply(state_dir: &Path, u: &UnsentReply, now_ms: i64) -> QueueFileEdit {
    let id = entry_id(u);
    let mut entry = serde_json::Map::new();
    entry.insert("id".into(), id.clone().into());
    entry.insert("enqueuedAt".into(), now_ms.into());
    entry.insert("channel".into(), u.route.channel.clone().into());
    entry.insert("to".into(), u.route.to.clone().into());
    if let Some(a) = &u.route.account_id {
        entry.insert("accountId".into(), a.clone().into());
    }
    if let Some(t) = &u.route.thread_id {
        entry.insert("threadId".into(), t.clone().into());
    }
    entry.insert("payloads".into(), serde_json::json!([{ "text": u.text }]));
    entry.insert(
        "session".into(),
        serde_json::json!({ "key": u.key, "agentId": u.agent }),
    );
    entry.insert("retryCount".into(), 0.into());
    let bytes = serde_json::to_vec_pretty(&serde_json::Value::Object(entry)).unwrap_or_default();
    let to = format!(
        "{} {}",
        u.route.channel.as_deref().unwrap_or("?"),
        u.route.to.as_deref().unwrap_or("?")
    );
    QueueFileEdit {
        action: "queue-reply",
        path: state_dir.join(OUTBOUND_DIR).join(format!("{id}.json")),
        from: None,
        key: Some(u.key.clone()),
        reason: format!(
            "the resumed turn's reply, only in the transcript, queued for {to}: the next boot sends it once"
        ),
        changes: vec![FieldChange {
            field: Cow::Borrowed("payloads"),
            before: None,
            after: Some(serde_json::json!([{ "text": u.text }]).to_string()),
        }],
        removed_bytes: None,
        written: Some(bytes),
    }
}

/// The entries of both storages, outbound first then session, as the report
/// read them.
pub fn entries<'a>(files: &'a [QueueEntry], rows: &'a [QueueEntry]) -> Vec<&'a QueueEntry> {
    let mut all: Vec<&QueueEntry> = files.iter().chain(rows).collect();
    all.sort_by_key(|e| e.queue == Queue::Session);
    all
}

/// `--send-unsent-replies` on a SQLite-era agent: each finished row whose
/// final reply was never delivered (`pendingFinalDelivery`,
/// `rules::delivery::pending_final_reply`) gets a pending
/// `outbound-prepared-v1` row in `state/openclaw.sqlite` where every line
/// predicted sends one (2026.9.6), and the row loses its
/// `pendingFinalDelivery` first (so that no later run queues it again: a
/// duplicate is worse than a late reply). Elsewhere, left to a person.
pub fn plan_pending_final(
    plan: &mut Plan,
    agent: &crate::state::Agent,
    lines: &[&'static LineRules],
    state_dir: &Path,
    now_ms: i64,
) {
    let (Some(db), Some(tables)) = (
        agent.sqlite.as_ref(),
        agent.agent_db.as_ref().and_then(|d| d.sessions.as_ref()),
    ) else {
        return;
    };
    let sends = !lines.is_empty() && lines.iter().all(|l| rd::sends_prepared_row(l));
    let state_db = state_dir.join("state").join("openclaw.sqlite");
    for row in &tables.rows {
        let Ok(entry) = &row.entry else { continue };
        if entry.status.as_deref() == Some("running") {
            continue;
        }
        let Some(pending) = entry.pending_final_delivery.as_ref() else {
            continue;
        };
        let Some(text) = rd::pending_final_reply(pending) else {
            continue;
        };
        if !rd::pending_final_unsent(pending) {
            continue; // handed to the queue: it may have been sent
        }
        let ctx = pending.get("context");
        let field = |k: &str| {
            ctx.and_then(|c| c.get(k))
                .and_then(serde_json::Value::as_str)
        };
        let (Some(channel), Some(to)) = (field("channel"), field("to")) else {
            plan.left_alone.push(format!(
                "{}: its undelivered final reply names no channel and target: send it by hand",
                row.key
            ));
            continue;
        };
        if !sends || !state_db.is_file() {
            plan.left_alone.push(format!(
                "{}: its undelivered final reply is in pendingFinalDelivery; sessfix queues it only where the release is 2026.9.6 (pass --openclaw-version) and state/openclaw.sqlite exists: send it by hand",
                row.key
            ));
            continue;
        }
        let edit = match super::sqlite::pending_final_edit(agent, row, db.clone(), now_ms) {
            Ok(e) => e,
            Err(super::sqlite::Refusal(why)) => {
                plan.left_alone.push(why);
                continue;
            }
        };
        let id = entry_id(&UnsentReply {
            agent: agent.id.clone(),
            key: row.key.clone(),
            transcript: db.clone(),
            text: text.to_string(),
            at_ms: pending.get("createdAt").and_then(serde_json::Value::as_i64),
            route: Default::default(),
        });
        let account = field("accountId");
        let entry_json = rd::prepared_row_entry(
            &id,
            now_ms,
            (channel, to, account),
            (&row.key, &agent.id),
            text,
        );
        let ns = "outbound-prepared-v1";
        let cols: Vec<(String, serde_json::Value)> = vec![
            ("queue_name".into(), ns.into()),
            ("id".into(), id.clone().into()),
            ("status".into(), "pending".into()),
            ("entry_kind".into(), ns.into()),
            ("session_key".into(), row.key.clone().into()),
            ("channel".into(), channel.into()),
            ("target".into(), to.into()),
            (
                "account_id".into(),
                account.map_or(serde_json::Value::Null, Into::into),
            ),
            ("retry_count".into(), 0.into()),
            ("entry_json".into(), entry_json.to_string().into()),
            ("enqueued_at".into(), now_ms.into()),
            ("updated_at".into(), now_ms.into()),
        ];
        plan.sqlite.push(edit);
        plan.sqlite.push(SqliteEdit {
            agent: Some(agent.id.clone()),
            path: state_db.clone(),
            action: "queue-reply",
            key: format!("{ns}/{id}"),
            reason: format!(
                "{}'s final reply, never delivered, queued for {channel} {to}: the next boot sends it once",
                row.key
            ),
            changes: vec![FieldChange {
                field: Cow::Borrowed("preparedBatch"),
                before: None,
                after: Some(serde_json::json!([{ "text": text }]).to_string()),
            }],
            op: SqliteOp::InsertQueueRow { row: cols },
        });
    }
}
