//! Reading the delivery queues: the replies waiting to reach the chat, as
//! each storage keeps them (`shared/delivery-queue.md` §1).
//!
//! - Files (2026.5.12 to 2026.5.28, and what later releases import):
//!   `<stateDir>/delivery-queue/<id>.json` pending, `<id>.delivered` an ack
//!   in progress, `failed/<id>.json` a dead letter; the same under
//!   `session-delivery-queue/` for restart continuations
//!   (`delivery-queue-CSyJVJzj.js`, `server-restart-sentinel-Cq5C1NWC.js`).
//! - Rows (2026.6.1+): `delivery_queue_entries` of `state/openclaw.sqlite`,
//!   the whole entry in `entry_json`, the columns its projections; a non-NULL
//!   column overrides `entry_json` when the gateway reads it back (`inflate`).
//!
//! Strictly read-only. Nothing here decides what a release does with an
//! entry: `rules::delivery` does.

use super::sqlite::{columns, ReadDb};
use crate::fsx;
use crate::rules::delivery::{EntryFacts, Queue, Status};
use rusqlite::types::Value;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// The outbound queue's dir under the state dir.
pub const OUTBOUND_DIR: &str = "delivery-queue";
/// The session queue's dir under the state dir.
pub const SESSION_DIR: &str = "session-delivery-queue";
/// A queue file larger than this is skipped by the gateway
/// (`readBoundedUtf8File`, 16 MiB).
pub const MAX_ENTRY_BYTES: u64 = 16 << 20;

/// Where an entry is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A queue file.
    File(PathBuf),
    /// A row of `delivery_queue_entries` in the state database at `db`.
    Row {
        db: PathBuf,
        queue_name: String,
        id: String,
    },
}

/// One queue entry, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    pub queue: Queue,
    pub status: Status,
    pub place: Place,
    pub id: String,
    pub channel: Option<String>,
    /// `to` / `target`.
    pub to: Option<String>,
    pub account_id: Option<String>,
    pub thread_id: Option<String>,
    /// The session the reply answers: `session.key`, `mirror.sessionKey`,
    /// `sessionKey` (session queue), or the `session_key` column.
    pub session_key: Option<String>,
    /// `retryCount`, or `attemptCount` when larger.
    pub attempts: i64,
    /// `enqueuedAt`, `lastAttemptAt`, `failedAt` (epoch ms).
    pub enqueued_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
    pub recovery_state: Option<String>,
    pub send_started: bool,
    /// The reply is still held (`payloads` or `preparedBatch`).
    pub has_payload: bool,
    /// The first payload's text, when there is one.
    pub text: Option<String>,
    /// The file's bytes or the row's `entry_json`, as read: what an edit
    /// splices and what it checks before it writes.
    pub raw: String,
    /// The file's modification time (epoch ms; rows: none).
    pub modified_ms: Option<i64>,
}

impl QueueEntry {
    /// The facts `rules::delivery` reads.
    pub fn facts(&self) -> EntryFacts<'_> {
        EntryFacts {
            queue: self.queue,
            status: self.status,
            file: matches!(self.place, Place::File(_)),
            namespace: match &self.place {
                Place::Row { queue_name, .. } => Some(queue_name),
                Place::File(_) => None,
            },
            attempts: self.attempts,
            last_error: self.last_error.as_deref(),
            recovery_state: self.recovery_state.as_deref(),
            send_started: self.send_started,
            has_payload: self.has_payload,
        }
    }

    /// When it became what it is (a dead letter: when it failed), epoch ms.
    pub fn since_ms(&self) -> Option<i64> {
        self.failed_at
            .or(self.last_attempt_at)
            .or(self.enqueued_at)
            .or(self.modified_ms)
    }

    /// The path a report names: the file, or the database.
    pub fn path(&self) -> &Path {
        match &self.place {
            Place::File(p) => p,
            Place::Row { db, .. } => db,
        }
    }
}

/// What could not be read of the queues, and what was.
#[derive(Debug, Clone, Default)]
pub struct Queues {
    pub entries: Vec<QueueEntry>,
    /// A queue file that is not an entry the gateway reads (not JSON, not an
    /// object, too big, a link), with why. The gateway skips it for ever.
    pub unreadable: Vec<(PathBuf, String)>,
    /// `<id>.delivered` markers: acks a stop interrupted (the next load
    /// deletes them; the reply was sent).
    pub delivered_markers: Vec<PathBuf>,
    /// A queue dir that cannot be listed, with why.
    pub problems: Vec<(PathBuf, String)>,
}

fn str_of(v: Option<&Json>) -> Option<String> {
    match v? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ms_of(v: Option<&Json>) -> Option<i64> {
    v?.as_f64().map(|f| f as i64)
}

/// Fill `e`'s fields from its entry JSON (`entry`), where the columns did
/// not already say them.
fn from_json(e: &mut QueueEntry, entry: &serde_json::Map<String, Json>) {
    let g = |k: &str| entry.get(k);
    e.channel = e.channel.take().or_else(|| {
        str_of(g("channel")).or_else(|| str_of(g("route").and_then(|r| r.get("channel"))))
    });
    e.to =
        e.to.take()
            .or_else(|| str_of(g("to")).or_else(|| str_of(g("route").and_then(|r| r.get("to")))));
    e.account_id = e.account_id.take().or_else(|| str_of(g("accountId")));
    e.thread_id = str_of(g("threadId"));
    e.session_key = e.session_key.take().or_else(|| {
        str_of(g("session").and_then(|s| s.get("key")))
            .or_else(|| str_of(g("mirror").and_then(|m| m.get("sessionKey"))))
            .or_else(|| str_of(g("sessionKey")))
    });
    let retry = g("retryCount").and_then(Json::as_i64).unwrap_or(0);
    let attempt = g("attemptCount").and_then(Json::as_i64).unwrap_or(0);
    e.attempts = e.attempts.max(retry).max(attempt);
    e.enqueued_at = e.enqueued_at.or(ms_of(g("enqueuedAt")));
    e.last_attempt_at = e.last_attempt_at.or(ms_of(g("lastAttemptAt")));
    e.failed_at = e.failed_at.or(ms_of(g("failedAt")));
    e.last_error = e.last_error.take().or_else(|| str_of(g("lastError")));
    e.recovery_state = e
        .recovery_state
        .take()
        .or_else(|| str_of(g("recoveryState")));
    e.send_started |= g("platformSendStartedAt").is_some_and(|v| !v.is_null());
    let payloads = g("payloads").and_then(Json::as_array);
    e.has_payload = payloads.is_some_and(|p| !p.is_empty())
        || g("preparedBatch").is_some_and(|b| !b.is_null())
        || g("text").is_some_and(Json::is_string)
        || g("message").is_some_and(Json::is_string);
    e.text = payloads
        .and_then(|p| p.iter().find_map(|x| str_of(x.get("text"))))
        .or_else(|| str_of(g("text")))
        .or_else(|| str_of(g("message")));
}

/// A blank entry at `place`.
fn blank(queue: Queue, status: Status, place: Place, id: String, raw: String) -> QueueEntry {
    QueueEntry {
        queue,
        status,
        place,
        id,
        channel: None,
        to: None,
        account_id: None,
        thread_id: None,
        session_key: None,
        attempts: 0,
        enqueued_at: None,
        last_attempt_at: None,
        failed_at: None,
        last_error: None,
        recovery_state: None,
        send_started: false,
        has_payload: false,
        text: None,
        raw,
        modified_ms: None,
    }
}

/// Read the queue files under `state_dir` (both queues, pending and dead).
/// A dir that does not exist holds nothing.
pub fn read_files(state_dir: &Path) -> Queues {
    let mut q = Queues::default();
    for (dir, queue) in [
        (OUTBOUND_DIR, Queue::Outbound),
        (SESSION_DIR, Queue::Session),
    ] {
        let dir = state_dir.join(dir);
        if read_dir(&dir, queue, Status::Pending, &mut q) {
            read_dir(&dir.join("failed"), queue, Status::Failed, &mut q);
        }
    }
    q
}

/// Read the entries of the queue dir `dir` into `q`; whether it was read
/// (or is absent). A dir that is a symbolic link is not followed (an edit
/// through it would write or remove files outside the state dir): it is
/// one of `q.problems`.
fn read_dir(dir: &Path, queue: Queue, status: Status, q: &mut Queues) -> bool {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        q.problems.push((
            dir.to_path_buf(),
            format!(
                "{} is a symbolic link: sessfix neither reads nor edits a queue through it",
                dir.display()
            ),
        ));
        return false;
    }
    let list = match std::fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return true,
        Err(e) => {
            q.problems.push((dir.to_path_buf(), fsx::describe(dir, &e)));
            return false;
        }
    };
    let mut names: Vec<_> = list.flatten().map(|d| d.path()).collect();
    names.sort();
    for path in names {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if status == Status::Pending && name.ends_with(".delivered") {
            q.delivered_markers.push(path.clone());
            continue;
        }
        let Some(id) = name.strip_suffix(".json") else {
            continue;
        };
        let id = id.to_string();
        match read_file(&path) {
            Ok((raw, modified_ms)) => match serde_json::from_str::<Json>(&raw) {
                Ok(Json::Object(map)) => {
                    let mut e = blank(queue, status, Place::File(path.clone()), id, String::new());
                    from_json(&mut e, &map);
                    e.id = str_of(map.get("id")).unwrap_or(e.id);
                    e.raw = raw;
                    e.modified_ms = modified_ms;
                    q.entries.push(e);
                }
                Ok(_) => q.unreadable.push((path, "is not a JSON object".into())),
                Err(err) => q
                    .unreadable
                    .push((path, format!("is not valid JSON: {err}"))),
            },
            Err(why) => q.unreadable.push((path, why)),
        }
    }
    true
}

fn read_file(path: &Path) -> Result<(String, Option<i64>), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| fsx::describe(path, &e))?;
    if meta.file_type().is_symlink() || !meta.is_file() {
        return Err("is not a regular file".into());
    }
    let (bytes, meta) = fsx::read_regular(path, MAX_ENTRY_BYTES).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            format!("is larger than {MAX_ENTRY_BYTES} bytes")
        } else {
            fsx::describe(path, &e)
        }
    })?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64);
    String::from_utf8(bytes)
        .map(|s| (s, modified))
        .map_err(|_| "is not UTF-8 text".into())
}

fn text(v: Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s),
        Value::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

fn int(v: Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(i),
        Value::Real(f) => Some(f as i64),
        _ => None,
    }
}

/// The columns of `delivery_queue_entries` read, in this order.
const COLUMNS: [&str; 15] = [
    "queue_name",
    "id",
    "status",
    "session_key",
    "channel",
    "target",
    "account_id",
    "retry_count",
    "last_attempt_at",
    "last_error",
    "recovery_state",
    "platform_send_started_at",
    "entry_json",
    "enqueued_at",
    "failed_at",
];

/// Every row of `delivery_queue_entries` in the state database at `path`
/// (opened as `conn`), in `(queue_name, id)` order. A column a release does
/// not have reads as NULL.
///
/// Errors: a query SQLite refuses, in words.
pub fn read_rows(conn: &ReadDb, path: &Path) -> Result<Vec<QueueEntry>, String> {
    let have = columns(conn, "delivery_queue_entries")?;
    let list: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            if have.iter().any(|h| h == c) {
                format!("\"{c}\"")
            } else {
                "NULL".into()
            }
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM delivery_queue_entries ORDER BY queue_name, id",
        list.join(", ")
    );
    let mut stmt = conn.prepare(&sql).map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| {
            let mut v: Vec<Value> = Vec::with_capacity(COLUMNS.len());
            for i in 0..COLUMNS.len() {
                v.push(r.get::<_, Value>(i)?);
            }
            Ok(v)
        })
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for row in rows {
        let mut v = row.map_err(|e| e.to_string())?.into_iter();
        let mut next = || v.next().unwrap_or(Value::Null);
        let queue_name = text(next()).unwrap_or_default();
        let id = text(next()).unwrap_or_default();
        let status = match text(next()).as_deref() {
            Some("failed") => Status::Failed,
            Some("completed") => Status::Completed,
            _ => Status::Pending,
        };
        let queue = if queue_name == "session" {
            Queue::Session
        } else {
            Queue::Outbound
        };
        let place = Place::Row {
            db: path.to_path_buf(),
            queue_name,
            id: id.clone(),
        };
        let mut e = blank(queue, status, place, id, String::new());
        e.session_key = text(next());
        e.channel = text(next());
        e.to = text(next());
        e.account_id = text(next());
        e.attempts = int(next()).unwrap_or(0);
        e.last_attempt_at = int(next());
        e.last_error = text(next());
        e.recovery_state = text(next());
        e.send_started = int(next()).is_some();
        let raw = text(next()).unwrap_or_default();
        e.enqueued_at = int(next());
        e.failed_at = int(next());
        if let Ok(Json::Object(map)) = serde_json::from_str::<Json>(&raw) {
            from_json(&mut e, &map);
        }
        e.raw = raw;
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn files_of_both_queues_are_read_with_their_state() {
        let t = tempfile::tempdir().unwrap();
        let q = t.path().join(OUTBOUND_DIR);
        write(
            &q,
            "a.json",
            r#"{"id":"a","enqueuedAt":10,"channel":"feishu","to":"user:ou_1","payloads":[{"text":"hi"}],"session":{"key":"agent:main:feishu:direct:ou_1"},"retryCount":2,"lastAttemptAt":20,"lastError":"Outbound not configured for channel: feishu"}"#,
        );
        write(&q, "b.delivered", "{}");
        write(&q, "c.json", "{not json");
        write(
            &q.join("failed"),
            "d.json",
            r#"{"id":"d","enqueuedAt":5,"channel":"telegram","to":"42","payloads":[{"text":"x"}],"retryCount":0,"recoveryState":"unknown_after_send","platformSendStartedAt":6}"#,
        );
        write(
            &t.path().join(SESSION_DIR),
            "e.json",
            r#"{"id":"e","kind":"systemEvent","sessionKey":"agent:main:main","text":"restarted","enqueuedAt":1,"retryCount":0}"#,
        );
        let got = read_files(t.path());
        assert_eq!(got.entries.len(), 3, "{got:?}");
        let a = &got.entries[0];
        assert_eq!((a.status, a.attempts), (Status::Pending, 2));
        assert_eq!(
            a.session_key.as_deref(),
            Some("agent:main:feishu:direct:ou_1")
        );
        assert_eq!(a.text.as_deref(), Some("hi"));
        assert!(a.last_error.as_deref().unwrap().starts_with("Outbound"));
        let d = &got.entries[1];
        assert_eq!(d.status, Status::Failed);
        assert!(d.send_started && d.has_payload);
        assert_eq!(got.entries[2].queue, Queue::Session);
        assert_eq!(
            got.entries[2].session_key.as_deref(),
            Some("agent:main:main")
        );
        assert_eq!(got.delivered_markers.len(), 1);
        assert_eq!(got.unreadable.len(), 1);
        assert!(got.unreadable[0].1.contains("not valid JSON"));
    }
}
