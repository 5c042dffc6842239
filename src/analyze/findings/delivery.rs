//! The delivery queues' findings: the replies whose user will never get
//! them, per release line (`rules::delivery` decides; this words it).

use super::super::lines::lines_label;
use super::super::UnsentReply;
use super::super::{show, Finding, Kind, Severity};
use crate::rules::delivery::{self as rd, Fate, Queue, Status};
use crate::rules::LineRules;
use crate::state::delivery::{Place, QueueEntry, Queues};
use crate::state::Session;
use std::collections::HashMap;

/// What the findings of a state's queues need to know of it.
pub(crate) struct QueueInput<'a> {
    pub lines: &'a [&'static LineRules],
    pub queues: &'a Queues,
    /// The state database's queue rows.
    pub rows: &'a [QueueEntry],
    /// The state database's `user_version` (6.x/7.x: below 8.1's 15).
    pub state_schema: Option<i64>,
    pub now_ms: i64,
}

/// The first 60 characters of a reply, for a message.
fn preview(text: Option<&str>) -> String {
    match text {
        None => String::new(),
        Some(t) => {
            let one: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
            let cut: String = one.chars().take(60).collect();
            if cut.len() < one.len() {
                format!(" (\"{cut}...\")")
            } else {
                format!(" (\"{cut}\")")
            }
        }
    }
}

/// Where the entry is, in words: `delivery-queue/failed/ID.json`, or `row
/// outbound/ID of state/openclaw.sqlite`.
pub(crate) fn entry_label(e: &QueueEntry) -> String {
    match &e.place {
        Place::File(p) => show(p),
        Place::Row { queue_name, id, .. } => format!("row {queue_name}/{id}"),
    }
}

fn to_label(e: &QueueEntry) -> String {
    match (&e.channel, &e.to) {
        (Some(c), Some(t)) => format!("{c} {t}"),
        (Some(c), None) => c.clone(),
        _ => "an unnamed chat".into(),
    }
}

fn age(now_ms: i64, at: Option<i64>) -> String {
    at.map(|t| format!(", {} ago", crate::boot::ago(now_ms, t)))
        .unwrap_or_default()
}

/// The lines of `lines` on which `e` meets `fate`.
fn lines_with(lines: &[&'static LineRules], e: &QueueEntry, fate: Fate) -> Vec<&'static LineRules> {
    lines
        .iter()
        .copied()
        .filter(|l| rd::fate(l, &e.facts()) == fate)
        .collect()
}

/// Whether the whole of `lines` meets it, else on which lines.
fn on(lines: &[&'static LineRules], some: &[&'static LineRules]) -> String {
    if some.len() == lines.len() {
        String::new()
    } else {
        format!(" on the {}", lines_label(some))
    }
}

/// The `repair` that puts a dead letter back, where one can: files, and
/// the 6.x/7.x `outbound` rows.
fn requeue_fix(e: &QueueEntry, ambiguous: bool) -> String {
    if !rd::editable(&e.facts()) || !e.has_payload {
        return "nothing holds the reply any more: it is only in the session's transcript".into();
    }
    let flag = if ambiguous {
        "`sessfix repair --requeue-replies --may-duplicate` (the user may get it twice)"
    } else {
        "`sessfix repair --requeue-replies`"
    };
    format!("with the gateway stopped, {flag} puts it back as pending, its retries reset; the next boot sends it (a channel still not ready when the boot replays it fails it again)")
}

/// The findings of every queue entry and queue file.
pub(crate) fn queue_findings(input: &QueueInput, out: &mut Vec<Finding>) {
    let QueueInput { lines, now_ms, .. } = *input;
    let make = |kind, severity, e: &QueueEntry, message: String, fix: String| Finding {
        kind,
        severity,
        agent: None,
        key: e.session_key.clone(),
        path: Some(show(e.path())),
        message,
        fix,
    };
    let mut tombstones: Vec<&QueueEntry> = Vec::new();
    for e in input.queues.entries.iter().chain(input.rows) {
        let what = match e.queue {
            Queue::Outbound => "reply",
            Queue::Session => "restart continuation",
        };
        let head = format!(
            "{} {what} to {}{}{}",
            entry_label(e),
            to_label(e),
            preview(e.text.as_deref()),
            age(now_ms, e.since_ms())
        );
        let ambiguous = rd::is_ambiguous(&e.facts());
        let lost = lines_with(lines, e, Fate::LostOnUpgrade);
        let ignored = lines_with(lines, e, Fate::Ignored);
        if !lost.is_empty() && input.state_schema.is_some_and(|v| v < 15) {
            let sev = if lost.len() == lines.len() {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.push(make(
                Kind::ReplyLostOnUpgrade,
                sev,
                e,
                format!("{head}: a dead letter of 2026.6-7.x that the first start of 2026.8.1+ deletes, or strips to a payload-free tombstone{}", on(lines, &lost)),
                format!("before upgrading: {}; or keep a copy of state/openclaw.sqlite", requeue_fix(e, ambiguous)),
            ));
            continue;
        }
        if !ignored.is_empty() {
            out.push(make(
                Kind::QueueLegacyIgnored,
                Severity::Warning,
                e,
                format!("{head}: legacy queue data the gateway no longer delivers{} (it logs that it needs repair)", on(lines, &ignored)),
                "stop the gateway and run `openclaw doctor --fix`, which imports it into the current queue".into(),
            ));
            continue;
        }
        match e.status {
            Status::Failed if !e.has_payload => tombstones.push(e),
            Status::Failed => {
                let kind = if ambiguous { Kind::ReplyAmbiguous } else { Kind::ReplyDeadLettered };
                let why = match e.last_error.as_deref() {
                    // A send that began may have reached the chat, whatever its error says.
                    Some(err) if ambiguous => format!("dead-lettered after a send that may have reached the chat ({err})"),
                    Some(err) if rd::is_readiness_error(err) => format!("dead-lettered because the channel was not ready yet ({err}); it was never sent"),
                    Some(err) => format!("dead-lettered ({err})"),
                    None if ambiguous => "dead-lettered: its send began before a restart, and may have reached the chat".into(),
                    None => "dead-lettered".into(),
                };
                out.push(make(kind, Severity::Warning, e, format!("{head}: {why}; nothing ever sends a dead letter again"), requeue_fix(e, ambiguous)));
            }
            Status::Pending if ambiguous && e.queue == Queue::Outbound => out.push(make(
                Kind::ReplyAmbiguous,
                Severity::Warning,
                e,
                format!("{head}: its send began before a restart and may have reached the chat; the next boot's recovery refuses to replay it blindly and dead-letters it"),
                "if the user did not get it: with the gateway stopped, `sessfix repair --requeue-replies --may-duplicate` clears its send state so the next boot sends it (the user may get it twice)".into(),
            )),
            Status::Pending if e.attempts > 0 || e.last_error.is_some() => {
                let err = e.last_error.as_deref().unwrap_or("no error recorded");
                let left = rd::MAX_RETRIES - e.attempts;
                let permanent: Vec<_> = lines.iter().copied().filter(|l| e.last_error.as_deref().is_some_and(|x| rd::is_permanent_error(l, x))).collect();
                let mut msg = format!("{head}: failed {} time(s) ({err}); pending, tried again at the next boot, dead-lettered after {} more failure(s)", e.attempts, left.max(0));
                if !permanent.is_empty() {
                    msg.push_str(&format!("; the same error again dead-letters it at once{}", on(lines, &permanent)));
                }
                let fix = if rd::is_structural_error(err) {
                    "it can never succeed: with the gateway stopped, `sessfix repair --dead-letter-failing` makes it a dead letter (kept whole) instead of a replay at every boot"
                } else {
                    "start the gateway once its channel can connect; with the gateway stopped, `sessfix repair --requeue-replies` resets its retries"
                };
                out.push(make(Kind::ReplyRetrying, Severity::Warning, e, msg, fix.into()));
            }
            _ => {}
        }
    }
    for (path, why) in &input.queues.unreadable {
        out.push(Finding {
            kind: Kind::QueueEntryUnreadable,
            severity: Severity::Warning,
            agent: None,
            key: None,
            path: Some(show(path)),
            message: format!("a queue entry that {why}: the gateway skips it at every boot, and whatever reply it held is never sent"),
            fix: if why.contains("JSON") || why.contains("UTF-8") {
                "read it by hand: if it holds a reply, fix its JSON (the gateway then sends it at the next boot); else move it out of the queue dir"
            } else {
                "read it by hand: if it is a reply, put it back as a plain file under 16 MiB (the gateway then sends it at the next boot); else move it out of the queue dir"
            }
            .into(),
        });
    }
    for (dir, why) in &input.queues.problems {
        out.push(Finding {
            kind: Kind::QueueUnreadable,
            severity: Severity::Error,
            agent: None,
            key: None,
            path: Some(show(dir)),
            message: format!("a queue dir sessfix cannot read: {why}; a reply waiting in it is not reported, and no repair edits it"),
            fix: "make it a plain dir the user running sessfix can read (the gateway's own queue dir), then scan again".into(),
        });
    }
    if !tombstones.is_empty() {
        let oldest = tombstones.iter().filter_map(|e| e.since_ms()).min();
        let path = show(tombstones[0].path());
        out.push(Finding {
            kind: Kind::DeadLettersOld,
            severity: Severity::Info,
            agent: None,
            key: None,
            path: Some(path),
            message: format!(
                "{} dead letter(s) that no longer hold their reply (payload-free tombstones{}): nothing retries or prunes them, and `openclaw health` counts them for ever",
                tombstones.len(),
                oldest.map(|t| format!(", the oldest {} old", crate::boot::ago(now_ms, t))).unwrap_or_default()
            ),
            fix: "nothing is lost by removing these: with the gateway stopped, `sessfix repair --prune-dead-letters 30d` removes every dead letter older than 30 days (one that still holds a reply too: add --requeue-replies to send those instead)".into(),
        });
    }
}

/// The queues' findings of `snap` on `release`'s lines, into `out`; and
/// `queued_by_session` of its queues.
pub(crate) fn state_findings(
    snap: &crate::state::Snapshot,
    release: &crate::release::Release,
    now_ms: i64,
    out: &mut Vec<Finding>,
) -> Queued {
    let lines: Vec<&'static LineRules> = release.set.iter().collect();
    let db = snap.sqlite.state_db.as_ref();
    let input = QueueInput {
        lines: &lines,
        queues: &snap.queues,
        rows: db.map_or(&[], |d| &d.deliveries[..]),
        state_schema: db.map(|d| d.user_version),
        now_ms,
    };
    queue_findings(&input, out);
    queued_by_session(&input)
}

/// What is queued, for the findings of replies kept elsewhere.
#[derive(Debug, Default)]
pub(crate) struct Queued {
    /// The outbound entries naming each session, by key: the newest
    /// `enqueuedAt` (a reply queued at or after a resumed turn's answer
    /// covers it).
    pub by_session: HashMap<String, i64>,
    /// The id of every entry.
    pub ids: std::collections::HashSet<String>,
}

pub(crate) fn queued_by_session(input: &QueueInput) -> Queued {
    let mut out = Queued::default();
    for e in input.queues.entries.iter().chain(input.rows) {
        out.ids.insert(e.id.clone());
        if let (Queue::Outbound, Some(k)) = (e.queue, &e.session_key) {
            let t = e.enqueued_at.unwrap_or(i64::MAX);
            let v = out.by_session.entry(k.clone()).or_insert(t);
            *v = (*v).max(t);
        }
    }
    out
}

/// A resumed turn's reply that `lines`' recovery never sent (2026.4.25 to
/// 2026.5.28 resume with `deliver: false`), unless a queue entry for it
/// exists already.
pub(crate) fn reply_unsent(
    lines: &[&'static LineRules],
    agent: &str,
    s: &Session,
    queued: &Queued,
    now_ms: i64,
) -> Option<(Finding, Option<UnsentReply>)> {
    let t = s.transcript.as_ref()?;
    let reply = t.tail.as_ref().ok()?.resumed_reply.as_ref()?;
    let unsent: Vec<_> = lines
        .iter()
        .copied()
        .filter(|l| rd::resumed_reply_unsent(l))
        .collect();
    if unsent.is_empty() {
        return None;
    }
    if queued
        .by_session
        .get(&s.key)
        .is_some_and(|&at| at >= reply.at_ms.unwrap_or(0))
    {
        return None;
    }
    let route = s.reply_route.as_deref();
    let to = route
        .map(|r| {
            format!(
                "{} {}",
                r.channel.as_deref().unwrap_or("?"),
                r.to.as_deref().unwrap_or("?")
            )
        })
        .unwrap_or_else(|| "its chat".into());
    let sendable: Vec<_> = unsent
        .iter()
        .copied()
        .filter(|l| rd::replays_queue_files(l))
        .collect();
    let fix = if route.is_none() {
        "the entry names no channel and target (no deliveryContext): send the reply by hand from the transcript".to_string()
    } else if sendable.is_empty() {
        "no release line predicted replays a queue file sessfix could write: send the reply by hand from the transcript".to_string()
    } else {
        format!("with the gateway stopped, `sessfix repair --send-unsent-replies` queues it for {to} (delivery-queue/), and the next boot sends it once")
    };
    // Without a route too: `--send-unsent-replies` then says it leaves it.
    let queued_reply = Some(UnsentReply {
        agent: agent.to_string(),
        key: s.key.clone(),
        transcript: t.path.clone(),
        text: reply.text.clone(),
        at_ms: reply.at_ms,
        route: route.cloned().unwrap_or_default(),
    });
    let finding = Finding {
        kind: Kind::ReplyUnsent,
        severity: Severity::Warning,
        agent: Some(agent.to_string()),
        key: Some(s.key.clone()),
        path: Some(show(&t.path)),
        message: format!(
            "the reply of the turn restart recovery resumed{}{} is only in the transcript: recovery resumes with deliver: false{}, so {to} never got it",
            preview(Some(&reply.text)),
            age(now_ms, reply.at_ms),
            on(lines, &unsent)
        ),
        fix,
    };
    Some((finding, queued_reply))
}

/// A SQLite-era row that recorded its final reply as undelivered and is no
/// longer running: no boot replays it (`rules::delivery::pending_final_reply`).
pub(crate) fn pending_final(
    agent: &crate::state::Agent,
    row: &crate::state::sqlite_era::SessionRow,
    path: &Option<String>,
    queued: &Queued,
) -> Option<Finding> {
    let entry = row.entry.as_ref().ok()?;
    if entry.status.as_deref() == Some("running") {
        return None;
    }
    let pending = entry.pending_final_delivery.as_ref()?;
    let text = rd::pending_final_reply(pending)?;
    if !rd::pending_final_unsent(pending) {
        // Handed to the queue: while its row is there, the queue's findings
        // say what becomes of it; once it is gone undelivered (a blind
        // replay refused, a tombstone), it may have reached the chat.
        let ids = rd::pending_final_ids(pending);
        if ids.iter().any(|id| queued.ids.contains(*id)) {
            return None;
        }
        return Some(Finding {
            kind: Kind::ReplyAmbiguous,
            severity: Severity::Warning,
            agent: Some(agent.id.clone()),
            key: Some(row.key.clone()),
            path: path.clone(),
            message: format!(
                "{}: its final reply{} was handed to the queue and its entry is gone without a delivery recorded (a send that may have reached the chat, refused a blind replay)",
                row.key,
                preview(Some(text))
            ),
            fix: "if the user did not get it, send it by hand (its text is the row's pendingFinalDelivery.text); sessfix does not queue it again, as the user may get it twice".into(),
        });
    }
    let ctx = entry.pending_final_delivery.as_ref()?.get("context");
    let field = |k: &str| ctx.and_then(|c| c.get(k)).and_then(|v| v.as_str());
    let to = match (field("channel"), field("to")) {
        (Some(c), Some(t)) => format!("{c} {t}"),
        _ => "its chat".into(),
    };
    Some(Finding {
        kind: Kind::ReplyUnsent,
        severity: Severity::Warning,
        agent: Some(agent.id.clone()),
        key: Some(row.key.clone()),
        path: path.clone(),
        message: format!(
            "{}: its final reply{} was never delivered (pendingFinalDelivery, status {}): restart recovery replays it only for a running session, so {to} never gets it",
            row.key,
            preview(Some(text)),
            entry.status.as_deref().unwrap_or("(absent)")
        ),
        fix: "with the gateway stopped, on 2026.9.6, `sessfix repair --send-unsent-replies` queues it (an outbound-prepared-v1 row) and takes it off the row, and the next boot sends it once; elsewhere send it by hand (its text is the row's pendingFinalDelivery.text)".into(),
    })
}
