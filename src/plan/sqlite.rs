//! The SQLite era's edits: each one named by the operator (`repair
//! --untombstone KEY`, `--resume KEY`, `--clear-dead-leases`), never
//! automatic. A row edit changes `entry_json` by splicing the named fields
//! only (every other byte stays), and its projections (`updated_at`,
//! `status`, the `session_windows` row) with it (`sqlite-era.md` §6.4).

use super::{entry_splices, normalize, pieces, FieldChange, Op, Plan};
use crate::analyze::{NextBoot, Report, SessionReport};
use crate::boot::sqlite as rs;
use crate::state::json;
use crate::state::sqlite_era::{SessionRow, WindowRow};
use crate::state::{Agent, Snapshot};
use serde::Serialize;
use std::path::PathBuf;

/// What the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct SqliteRequest {
    /// `--untombstone KEY`.
    pub untombstone: Option<String>,
    /// `--resume KEY`.
    pub resume: Option<String>,
    /// `--clear-dead-leases`.
    pub clear_dead_leases: bool,
}

impl SqliteRequest {
    pub fn is_empty(&self) -> bool {
        self.untombstone.is_none() && self.resume.is_none() && !self.clear_dead_leases
    }
}

/// One edit of one SQLite database.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SqliteEdit {
    /// The agent (for a lease: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub path: PathBuf,
    /// `untombstone`, `resume` or `delete-lease`.
    pub action: &'static str,
    /// The session key, or `scope/lease_key`.
    pub key: String,
    pub reason: String,
    /// The `entry_json` fields and the columns it changes.
    pub changes: Vec<FieldChange>,
    #[serde(skip)]
    pub op: SqliteOp,
}

/// The rows an edit expects and leaves.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SqliteOp {
    Row(RowEdit),
    DeleteLease {
        scope: String,
        lease_key: String,
        owner: String,
        expires_at: Option<i64>,
    },
    /// A `delivery_queue_entries` row whose `entry_json` is still
    /// `before_entry_json`: its columns `set` (`entry_json` among them).
    UpdateQueueRow {
        queue_name: String,
        id: String,
        before_entry_json: String,
        set: Vec<(String, serde_json::Value)>,
    },
    /// Dead letters' `delivery_queue_entries` rows `(queue_name, id)`,
    /// removed together (`--prune-dead-letters`).
    DeleteQueueRows {
        keys: Vec<(String, String)>,
    },
    /// A new `delivery_queue_entries` row, its columns and values
    /// (`--send-unsent-replies` on 2026.9.6).
    InsertQueueRow {
        row: Vec<(String, serde_json::Value)>,
    },
}

/// A `session_nodes` row (and its window) as an edit finds it and leaves it;
/// `undo` swaps the two images back.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowEdit {
    pub key: String,
    pub session_id: String,
    pub before: RowImage,
    pub after: RowImage,
}

/// What an edit reads and writes of a `session_nodes` row and its window.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowImage {
    pub entry_json: String,
    pub updated_at: Option<i64>,
    pub status: Option<String>,
    pub window: Option<WindowImage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowImage {
    pub status: Option<String>,
    pub updated_at: Option<i64>,
    pub ended_at: Option<i64>,
}

impl From<&WindowRow> for WindowImage {
    fn from(w: &WindowRow) -> Self {
        WindowImage {
            status: w.status.clone(),
            updated_at: w.updated_at,
            ended_at: w.ended_at,
        }
    }
}

/// Why a requested edit cannot be planned; the command exits 2 with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// `entry_json` with `ops` applied by splicing, and the field changes.
pub(crate) fn splice_entry(raw: &str, ops: &[Op]) -> Result<(String, Vec<FieldChange>), String> {
    let doc = match json::parse(raw.as_bytes()) {
        Ok(json::Parsed::Object(doc)) => doc,
        Ok(_) => return Err("entry_json is not a JSON object".into()),
        Err(e) => return Err(format!("entry_json is not valid JSON: {e}")),
    };
    let (splices, changes) = entry_splices(raw.as_bytes(), &doc.as_fields(), doc.open, ops);
    let splices = normalize(splices);
    let out: Vec<u8> = pieces(raw.as_bytes(), &splices).concat();
    let out = String::from_utf8(out).map_err(|e| e.to_string())?;
    Ok((out, changes))
}

/// The `updatedAt` an edit writes: now, and always later than the row's.
fn next_updated_at(row: &SessionRow, now_ms: i64) -> i64 {
    now_ms.max(row.updated_at.unwrap_or(0) + 1)
}

fn find_row<'a>(a: &'a Agent, key: &str) -> Option<(&'a Agent, &'a SessionRow, PathBuf)> {
    a.sqlite.as_ref()?;
    let db = a.agent_db.as_ref()?;
    let t = db.sessions.as_ref()?;
    let row = t.rows.iter().find(|r| r.key == key)?;
    Some((a, row, db.path.clone()))
}

/// The row edit for `--untombstone KEY` or `--resume KEY`, when `agent`
/// has the session.
fn row_edit(
    agent: &Agent,
    rows: &[SessionReport],
    key: &str,
    action: &'static str,
    now_ms: i64,
) -> Option<Result<SqliteEdit, Refusal>> {
    let (agent, row, path) = find_row(agent, key)?;
    // The analysis's verdict on this row (its first row of the key, as `find_row`).
    let next_boot = rows
        .iter()
        .find(|r| r.agent == agent.id && r.key == key)
        .map_or(NextBoot::Unknown, |r| r.next_boot);
    Some(row_edit_of(
        agent, row, next_boot, path, key, action, now_ms,
    ))
}

/// The row edit that takes `row`'s undelivered `pendingFinalDelivery` off it
/// once `repair --send-unsent-replies` queues the reply (`plan::delivery`).
pub(crate) fn pending_final_edit(
    agent: &Agent,
    row: &SessionRow,
    path: PathBuf,
    now_ms: i64,
) -> Result<SqliteEdit, Refusal> {
    row_edit_of(
        agent,
        row,
        NextBoot::Idle,
        path,
        &row.key,
        "send-unsent",
        now_ms,
    )
}

fn row_edit_of(
    agent: &Agent,
    row: &SessionRow,
    verdict: NextBoot,
    path: PathBuf,
    key: &str,
    action: &'static str,
    now_ms: i64,
) -> Result<SqliteEdit, Refusal> {
    let flag = format!("--{action}");
    let tables = agent
        .agent_db
        .as_ref()
        .and_then(|d| d.sessions.as_ref())
        .expect("found in it");
    if tables.user_version > rs::NEWEST_AGENT_SCHEMA {
        return Err(Refusal(format!(
            "{flag} {key}: {} has schema {}, newer than sessfix knows ({}); it edits nothing there",
            path.display(),
            tables.user_version,
            rs::NEWEST_AGENT_SCHEMA
        )));
    }
    let Some(raw) = row.raw_entry.as_deref() else {
        return Err(Refusal(format!(
            "{flag} {key}: its entry_json was not read"
        )));
    };
    let entry = match &row.entry {
        Ok(e) => e,
        Err(e) => {
            return Err(Refusal(format!(
                "{flag} {key}: in {}: {e}; the gateway refuses to start on it (`openclaw doctor --fix` repairs it), and sessfix does not edit it",
                path.display()
            )))
        }
    };
    let updated = next_updated_at(row, now_ms).to_string();
    let (ops, reason, status) = row_ops(row, entry, raw, verdict, key, action, &updated)
        .map_err(|Refusal(why)| Refusal(format!("{why} (in {})", path.display())))?;
    let (after_entry, mut changes) =
        splice_entry(raw, &ops).map_err(|e| Refusal(format!("{flag} {key}: {e}")))?;
    // The new entry must still be what the gateway validates.
    let check = crate::state::sqlite_era::parse_entry(&after_entry).map_err(|e| {
        Refusal(format!(
            "{flag} {key}: the edited entry_json would not parse: {e}"
        ))
    })?;
    debug_assert_eq!(check.status, status);
    let after_updated = updated.parse::<i64>().expect("a number");
    let window_after = row.window.as_ref().map(|w| WindowImage {
        status: status.clone(),
        updated_at: Some(after_updated),
        ended_at: match status.as_deref() {
            Some("running") => w.ended_at,
            _ => check
                .ended_at
                .as_ref()
                .and_then(serde_json::Number::as_i64)
                .or(w.ended_at),
        },
    });
    column_changes(row, &status, &updated, window_after.as_ref(), &mut changes);
    Ok(SqliteEdit {
        agent: Some(agent.id.clone()),
        path,
        action,
        key: key.to_string(),
        reason,
        changes,
        op: SqliteOp::Row(RowEdit {
            key: key.to_string(),
            session_id: row.current_session_id.clone(),
            before: RowImage {
                entry_json: raw.to_string(),
                updated_at: row.updated_at,
                status: row.status.clone(),
                window: row.window.as_ref().map(WindowImage::from),
            },
            after: RowImage {
                entry_json: after_entry,
                updated_at: Some(after_updated),
                status,
                window: window_after,
            },
        }),
    })
}

/// The field operations of `--untombstone` or `--resume` on `row` (whose
/// entry is `entry`, read from `raw`), why, and the status the row is left
/// with; refused when the row is not what the flag is for (`verdict` is the
/// analysis's next boot of the row).
fn row_ops(
    row: &SessionRow,
    entry: &crate::state::sqlite_era::EntryFacts,
    raw: &str,
    verdict: NextBoot,
    key: &str,
    action: &str,
    updated: &str,
) -> Result<(Vec<Op>, String, Option<String>), Refusal> {
    let flag = format!("--{action}");
    Ok(match action {
        "send-unsent" => (
            vec![
                Op::Remove("pendingFinalDelivery".into()),
                Op::Set("updatedAt", updated.to_string()),
            ],
            "its undelivered final reply is queued for its chat (the row below): the row no longer holds it".to_string(),
            entry.status.clone(),
        ),
        "untombstone" => {
            // Tombstoned, or a leftover cycle (`rs::leftover_recovery`): both
            // reject every turn, and dropping the same fields ends it. Not a
            // row rejected for another reason (`RowVerdict::Unavailable`).
            let cycle = rs::tombstone(entry).is_some() || rs::leftover_recovery(key, entry);
            if !cycle {
                return Err(Refusal(format!(
                    "{flag} {key}: it is neither tombstoned nor left with a restart-recovery cycle (status {}, next boot: {}); nothing to untombstone",
                    entry.status.as_deref().unwrap_or("(absent)"),
                    verdict.as_str()
                )));
            }
            if verdict != NextBoot::Rejected {
                return Err(Refusal(format!(
                    "{flag} {key}: its recovery cycle is not what the next boot stops at (next boot: {}; `sessfix scan` says why); it is left as it is",
                    verdict.as_str()
                )));
            }
            let doc = match json::parse(raw.as_bytes()) {
                Ok(json::Parsed::Object(doc)) => doc,
                _ => {
                    return Err(Refusal(format!(
                        "{flag} {key}: entry_json is not an object"
                    )))
                }
            };
            let mut ops: Vec<Op> = doc
                .members
                .iter()
                .filter(|m| rs::untombstone_removes(&m.key))
                .map(|m| Op::Remove(m.key.clone().into()))
                .collect();
            ops.push(Op::Set("abortedLastRun", "false".into()));
            ops.push(Op::Set("updatedAt", updated.to_string()));
            let what = if rs::tombstone(entry).is_some() {
                "the restart-recovery cycle and its tombstone"
            } else {
                "the leftover restart-recovery cycle and its run fence"
            };
            (
                ops,
                format!(
                    "drop {what}: the next turn is answered on the same session, with its history"
                ),
                entry.status.clone(),
            )
        }
        _ => {
            if !rs::dropped_turn(row, entry) {
                return Err(Refusal(format!(
                    "{flag} {key}: its last turn was not dropped by a stop (status {}, abortedLastRun {}, next boot: {}); only a killed or timed-out turn with abortedLastRun is re-queued",
                    entry.status.as_deref().unwrap_or("(absent)"),
                    entry.aborted_last_run.map_or("(absent)".into(), |b| b.to_string()),
                    verdict.as_str()
                )));
            }
            let mut ops = vec![
                Op::Set("status", "\"running\"".into()),
                Op::Set("abortedLastRun", "true".into()),
            ];
            ops.extend(rs::RESUME_CLEARS.iter().map(|f| Op::Remove((*f).into())));
            ops.push(Op::Set("updatedAt", updated.to_string()));
            (
                ops,
                "mark the dropped turn interrupted, as a restart does: the next boot resumes it"
                    .to_string(),
                Some("running".to_string()),
            )
        }
    })
}

/// The column changes of a row edit (the `session_nodes` projections and
/// the `session_windows` row) after its `entry_json` changes.
fn column_changes(
    row: &SessionRow,
    status: &Option<String>,
    updated: &str,
    window_after: Option<&WindowImage>,
    changes: &mut Vec<FieldChange>,
) {
    let column = |name: &'static str, before: Option<String>, after: Option<String>| FieldChange {
        field: name.into(),
        before,
        after,
    };
    let q = |s: &Option<String>| s.as_ref().map(|v| format!("\"{v}\""));
    if row.status != *status {
        changes.push(column("(column) status", q(&row.status), q(status)));
    }
    changes.push(column(
        "(column) updated_at",
        row.updated_at.map(|v| v.to_string()),
        Some(updated.to_string()),
    ));
    if let (Some(before), Some(after)) = (&row.window, window_after) {
        if before.status != after.status {
            changes.push(column(
                "(session_windows) status",
                q(&before.status),
                q(&after.status),
            ));
        }
        changes.push(column(
            "(session_windows) updated_at",
            before.updated_at.map(|v| v.to_string()),
            after.updated_at.map(|v| v.to_string()),
        ));
        if before.ended_at != after.ended_at {
            changes.push(column(
                "(session_windows) ended_at",
                before.ended_at.map(|v| v.to_string()),
                after.ended_at.map(|v| v.to_string()),
            ));
        }
    }
}

/// Plan the session edits the operator named that are in `agent` (read with
/// its rows' `entry_json` kept), from `rows`, the analysis's rows of it.
pub fn plan_rows(
    plan: &mut Plan,
    agent: &Agent,
    rows: &[SessionReport],
    req: &SqliteRequest,
    now_ms: i64,
) -> Result<(), Refusal> {
    if let (Some(a), Some(b)) = (&req.untombstone, &req.resume) {
        if a == b {
            return Err(Refusal(format!(
                "--untombstone and --resume name the same session {a}; one edit at a time"
            )));
        }
    }
    for (key, action) in [(&req.untombstone, "untombstone"), (&req.resume, "resume")] {
        let Some(key) = key else { continue };
        if let Some(edit) = row_edit(agent, rows, key, action, now_ms) {
            plan.sqlite.push(edit?);
        }
    }
    Ok(())
}

/// After every agent is planned: a named session no agent has is refused,
/// naming the agent databases that could not be read (`unread`: each
/// file and what is wrong with it), where it may be.
/// `near`: the keys closest to the one named, best first.
pub fn check_found(
    plan: &Plan,
    req: &SqliteRequest,
    unread: &[String],
    near: &[String],
) -> Result<(), Refusal> {
    for (key, action) in [(&req.untombstone, "untombstone"), (&req.resume, "resume")] {
        let Some(key) = key else { continue };
        if !plan
            .sqlite
            .iter()
            .any(|e| e.action == action && e.key == *key)
        {
            let unread = if unread.is_empty() {
                String::new()
            } else {
                format!(
                    "; it may be in an agent database that cannot be read: {}",
                    unread.join("; ")
                )
            };
            return Err(Refusal(format!(
                "--{action} {key}: no SQLite-era session has this key in this state dir{} (`sessfix scan` lists them){unread}",
                if near.is_empty() { String::new() } else { crate::text::did_you_mean(key, near) }
            )));
        }
    }
    Ok(())
}

/// Plan `--clear-dead-leases`: every lease the report found held by a dead
/// owner (`sqlite-lease-dead`), never one whose owner is alive or unknown.
pub fn plan_leases(
    plan: &mut Plan,
    snap: &Snapshot,
    report: &Report,
    now_ms: i64,
) -> Result<(), Refusal> {
    let Some(db) = &snap.sqlite.state_db else {
        return Ok(());
    };
    if db.user_version > rs::NEWEST_STATE_SCHEMA {
        return Err(Refusal(format!(
            "--clear-dead-leases: {} has schema {}, newer than sessfix knows ({}); it edits nothing there",
            db.path.display(),
            db.user_version,
            rs::NEWEST_STATE_SCHEMA
        )));
    }
    let leases = crate::analyze::state_db::lease_owners(&snap.sqlite, &report.gateway, now_ms);
    for (l, owner) in leases {
        if owner != rs::LeaseOwner::Dead {
            continue;
        }
        let name = format!("{}/{}", l.scope, l.lease_key);
        plan.sqlite.push(SqliteEdit {
            agent: None,
            path: db.path.clone(),
            action: "delete-lease",
            key: name.clone(),
            reason: match l.owner_pid {
                Some(pid) => format!("its owner, pid {pid}, is not alive"),
                None => "no OpenClaw process is alive to own it".into(),
            },
            changes: Vec::new(),
            op: SqliteOp::DeleteLease {
                scope: l.scope.clone(),
                lease_key: l.lease_key.clone(),
                owner: l.owner.clone(),
                expires_at: l.expires_at,
            },
        });
    }
    Ok(())
}
