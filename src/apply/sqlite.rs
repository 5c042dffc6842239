//! Every write sessfix makes to an OpenClaw SQLite database, following the
//! rules measured on 2026.9.6 (`sqlite-era.md` §6):
//!
//! - the database is opened normally: no journal mode or locking mode
//!   change, `-wal` and `-shm` never touched by sessfix itself; a busy
//!   timeout of 30 s, as the gateway sets;
//! - a consistent backup first (`VACUUM INTO` a file in the backup folder: it
//!   reads the database through SQLite, with the commits still in `-wal`);
//! - one `BEGIN IMMEDIATE` transaction per edit, in which the row is read
//!   again and the edit goes on only while it is exactly as planned;
//!   `entry_json`, the `updated_at` and `status` columns and the
//!   `session_windows` row change together, so the row re-validates; the
//!   triggers set `entry_valid` themselves;
//! - `PRAGMA integrity_check` and a re-read of the row after the commit.
//!
//! A SQLite older than 3.43 is refused: the schema's CHECK constraints call
//! `octet_length()`.

use super::queue;
use crate::plan::sqlite::{RowEdit, RowImage, SqliteEdit, SqliteOp, WindowImage};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;

/// The SQLite OpenClaw's schema needs (`octet_length()`).
pub const MIN_SQLITE: i32 = 3_043_000;
/// The gateway's own busy timeout (`sqlite-era.md` §1).
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How an edit ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Edited {
    Done,
    /// The row (or lease) is no longer as planned: nothing was written.
    Changed(String),
}

fn err(path: &Path, what: &str, e: rusqlite::Error) -> String {
    format!("{}: {what}: {e}", path.display())
}

/// Open `path` for writing, as the gateway does.
pub fn open_rw(path: &Path) -> Result<Connection, String> {
    if rusqlite::version_number() < MIN_SQLITE {
        return Err(format!(
            "{}: the SQLite linked into sessfix is {}, older than 3.43, which OpenClaw's schema needs (octet_length); sessfix does not write with it",
            path.display(),
            rusqlite::version()
        ));
    }
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let c =
        Connection::open_with_flags(path, flags).map_err(|e| err(path, "cannot be opened", e))?;
    c.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| err(path, "cannot be opened", e))?;
    Ok(c)
}

/// Whether sessfix can write the database at `path` as SQLite must: the
/// file, its `-wal` and `-shm` when they exist, and its directory (where
/// SQLite creates them). Checked before anything is backed up or written:
/// a failed open for writing would leave a `-wal`/`-shm` the gateway's user
/// may not be able to write.
pub fn check_writable(path: &Path) -> Result<(), String> {
    let open = |p: &Path| std::fs::OpenOptions::new().write(true).open(p);
    open(path).map_err(|e| {
        format!(
            "{}: cannot be written ({e}); run repair as the gateway's user or root",
            path.display()
        )
    })?;
    for suffix in ["-wal", "-shm"] {
        let mut s = path.as_os_str().to_owned();
        s.push(suffix);
        let p = std::path::PathBuf::from(s);
        if p.exists() {
            open(&p).map_err(|e| {
                format!(
                    "{}: cannot be written ({e}); SQLite needs it to write {}",
                    p.display(),
                    path.display()
                )
            })?;
        }
    }
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
        // SAFETY: a valid NUL-terminated path.
        if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
            return Err(format!(
                "{}: its directory cannot be written ({}); SQLite creates the database's -wal and -shm there",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// A consistent copy of the database at `path` in `to` (which must not
/// exist), made through SQLite (`VACUUM INTO`).
pub fn backup(conn: &Connection, path: &Path, to: &Path) -> Result<(), String> {
    // VACUUM INTO writes into an empty file: made first, private.
    crate::fsx::os::create_private(to).map_err(|e| crate::fsx::describe(to, &e))?;
    let target = to.to_string_lossy().into_owned();
    conn.execute("VACUUM INTO ?1", [&target]).map_err(|e| {
        err(
            path,
            &format!("cannot be backed up into {}", to.display()),
            e,
        )
    })?;
    // Synced through a handle that may write: Windows' FlushFileBuffers
    // refuses a read-only one (every SQLite edit failed there).
    std::fs::OpenOptions::new()
        .write(true)
        .open(to)
        .and_then(|f| f.sync_all())
        .map_err(|e| crate::fsx::describe(to, &e))?;
    Ok(())
}

/// `PRAGMA integrity_check`: `ok`, or what it found.
pub fn integrity_check(conn: &Connection, path: &Path) -> Result<(), String> {
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| err(path, "integrity check", e))?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| err(path, "integrity check", e))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(path, "integrity check", e))?;
    if lines == ["ok"] {
        Ok(())
    } else {
        Err(format!(
            "{}: PRAGMA integrity_check reports: {}",
            path.display(),
            lines.join("; ")
        ))
    }
}

fn read_row(conn: &Connection, key: &str, session_id: &str) -> rusqlite::Result<Option<RowImage>> {
    let node = conn
        .query_row(
            "SELECT entry_json, updated_at, status, current_session_id FROM session_nodes WHERE session_key = ?1",
            [key],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((entry_json, updated_at, status, current)) = node else {
        return Ok(None);
    };
    if current != session_id {
        // Another session now lives under this key.
        return Ok(Some(RowImage {
            entry_json: String::new(),
            updated_at: None,
            status: Some(format!("(session {current})")),
            window: None,
        }));
    }
    let window = conn
        .query_row(
            "SELECT status, updated_at, ended_at FROM session_windows WHERE session_id = ?1",
            [session_id],
            |r| {
                Ok(WindowImage {
                    status: r.get(0)?,
                    updated_at: r.get(1)?,
                    ended_at: r.get(2)?,
                })
            },
        )
        .optional()?;
    Ok(Some(RowImage {
        entry_json,
        updated_at,
        status,
        window,
    }))
}

fn write_row(
    conn: &Connection,
    key: &str,
    session_id: &str,
    to: &RowImage,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE session_nodes SET entry_json = ?1, updated_at = ?2, status = ?3 WHERE session_key = ?4",
        params![to.entry_json, to.updated_at, to.status, key],
    )?;
    // The triggers mark the row pending validation (`entry_valid` 0); the
    // gateway's own writers then mark a row they wrote valid
    // (`markValid`, `session-accessor.sqlite-entry-store-*.mjs` in 2026.9.6),
    // and its canonical validation refuses a row that is not
    // (`validateCanonicalSessionRow`: "invalid persisted session row
    // requires repair", measured on 2026.9.6 with a finished row). An edit
    // writes only rows whose identity matches their columns (`sessionId`,
    // `updatedAt`), as theirs do.
    let has_valid: bool = conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('session_nodes') WHERE name = 'entry_valid'",
        [],
        |r| r.get::<_, i64>(0),
    )? > 0;
    if has_valid {
        conn.execute(
            "UPDATE session_nodes SET entry_valid = 1 WHERE session_key = ?1",
            [key],
        )?;
    }
    if let Some(w) = &to.window {
        conn.execute(
            "UPDATE session_windows SET status = ?1, updated_at = ?2, ended_at = ?3 WHERE session_id = ?4",
            params![w.status, w.updated_at, w.ended_at, session_id],
        )?;
    }
    Ok(())
}

/// A lease row, whole, as `undo` puts it back.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseRow {
    pub scope: String,
    pub lease_key: String,
    pub owner: String,
    pub expires_at: Option<i64>,
    pub heartbeat_at: Option<i64>,
    pub payload_json: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn read_lease(conn: &Connection, scope: &str, key: &str) -> rusqlite::Result<Option<LeaseRow>> {
    conn.query_row(
        "SELECT scope, lease_key, owner, expires_at, heartbeat_at, payload_json, created_at, updated_at FROM state_leases WHERE scope = ?1 AND lease_key = ?2",
        [scope, key],
        |r| {
            Ok(LeaseRow {
                scope: r.get(0)?,
                lease_key: r.get(1)?,
                owner: r.get(2)?,
                expires_at: r.get(3)?,
                heartbeat_at: r.get(4)?,
                payload_json: r.get(5)?,
                created_at: r.get(6)?,
                updated_at: r.get(7)?,
            })
        },
    )
    .optional()
}

/// The `(queue_name, id)` of a queue row image.
pub fn queue_key(row: &super::queue::QueueRow) -> (String, String) {
    let get = |k: &str| {
        row.iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    (get("queue_name"), get("id"))
}

/// What a done edit records for `undo`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Undo {
    Row(RowEdit),
    Lease {
        before: LeaseRow,
    },
    /// A `delivery_queue_entries` row as it was and as the edit left it
    /// (`None`: removed).
    QueueRow {
        before: Option<super::queue::QueueRow>,
        after: Option<super::queue::QueueRow>,
    },
    /// `delivery_queue_entries` rows as they were, all removed.
    QueueRowsRemoved {
        rows: Vec<super::queue::QueueRow>,
    },
}

/// In the open transaction `tx`: if the row of `r` reads `from`, write `to`
/// and return true; otherwise change nothing and return false.
fn swap_row(
    tx: &Connection,
    path: &Path,
    r: &RowEdit,
    from: &RowImage,
    to: &RowImage,
) -> Result<bool, String> {
    let now = read_row(tx, &r.key, &r.session_id).map_err(|e| err(path, "read", e))?;
    if now.as_ref() != Some(from) {
        return Ok(false);
    }
    write_row(tx, &r.key, &r.session_id, to).map_err(|e| err(path, "write", e))?;
    Ok(true)
}

/// Carry out one edit on `conn` (the database at `path`): re-read, compare,
/// write, commit, check. Returns what `undo` needs.
pub fn apply_edit(
    conn: &mut Connection,
    path: &Path,
    edit: &SqliteEdit,
) -> Result<(Edited, Option<Undo>), String> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| err(path, "BEGIN IMMEDIATE", e))?;
    let undo = match &edit.op {
        SqliteOp::Row(r) => {
            if !swap_row(&tx, path, r, &r.before, &r.after)? {
                return Ok((
                    Edited::Changed(format!(
                        "{} changed since the plan was made; not edited",
                        r.key
                    )),
                    None,
                ));
            }
            Undo::Row(r.clone())
        }
        SqliteOp::DeleteLease {
            scope,
            lease_key,
            owner,
            expires_at,
        } => {
            let now = read_lease(&tx, scope, lease_key).map_err(|e| err(path, "read", e))?;
            let Some(row) = now.filter(|r| r.owner == *owner && r.expires_at == *expires_at) else {
                return Ok((
                    Edited::Changed(format!(
                        "lease {scope}/{lease_key} changed since the plan was made; not removed"
                    )),
                    None,
                ));
            };
            tx.execute(
                "DELETE FROM state_leases WHERE scope = ?1 AND lease_key = ?2",
                [scope, lease_key],
            )
            .map_err(|e| err(path, "write", e))?;
            Undo::Lease { before: row }
        }
        SqliteOp::UpdateQueueRow {
            queue_name,
            id,
            before_entry_json,
            set,
        } => {
            let now = queue::read_row(&tx, queue_name, id).map_err(|e| err(path, "read", e))?;
            let entry_json = |r: &queue::QueueRow| {
                r.iter()
                    .find(|(n, _)| n == "entry_json")
                    .and_then(|(_, v)| v.as_str().map(str::to_string))
            };
            let Some(row) = now.filter(|r| entry_json(r).as_deref() == Some(before_entry_json))
            else {
                return Ok((
                    Edited::Changed(format!(
                        "queue row {queue_name}/{id} changed since the plan was made; not edited"
                    )),
                    None,
                ));
            };
            let after = queue::with_set(&row, set);
            queue::write_row(&tx, &after, false).map_err(|e| err(path, "write", e))?;
            Undo::QueueRow {
                before: Some(row),
                after: Some(after),
            }
        }
        SqliteOp::DeleteQueueRows { keys } => {
            let mut rows = Vec::with_capacity(keys.len());
            for (q, id) in keys {
                let Some(row) = queue::read_row(&tx, q, id).map_err(|e| err(path, "read", e))?
                else {
                    return Ok((
                        Edited::Changed(format!(
                            "queue row {q}/{id} is gone since the plan was made; no dead letter of this database removed"
                        )),
                        None,
                    ));
                };
                tx.execute(
                    "DELETE FROM delivery_queue_entries WHERE queue_name = ?1 AND id = ?2",
                    [q, id],
                )
                .map_err(|e| err(path, "write", e))?;
                rows.push(row);
            }
            Undo::QueueRowsRemoved { rows }
        }
        SqliteOp::InsertQueueRow { row } => {
            let (q, id) = queue_key(row);
            if queue::read_row(&tx, &q, &id)
                .map_err(|e| err(path, "read", e))?
                .is_some()
            {
                return Ok((
                    Edited::Changed(format!("queue row {q}/{id} exists already; not written")),
                    None,
                ));
            }
            queue::write_row(&tx, row, true).map_err(|e| err(path, "write", e))?;
            let after = queue::read_row(&tx, &q, &id).map_err(|e| err(path, "read", e))?;
            Undo::QueueRow {
                before: None,
                after,
            }
        }
    };
    tx.commit().map_err(|e| err(path, "COMMIT", e))?;
    integrity_check(conn, path)?;
    if change_in(conn, path, &undo)? != Some(true) {
        return Err(format!(
            "{}: after the commit, {} does not read back as written",
            path.display(),
            edit.key
        ));
    }
    Ok((Edited::Done, Some(undo)))
}

/// Whether the change `undo` records is in the database on `conn`:
/// `Some(true)` as the repair left it, `Some(false)` as it was before, `None`
/// neither.
fn change_in(conn: &Connection, path: &Path, undo: &Undo) -> Result<Option<bool>, String> {
    Ok(match undo {
        Undo::Row(r) => {
            let now = read_row(conn, &r.key, &r.session_id).map_err(|e| err(path, "read", e))?;
            if now.as_ref() == Some(&r.after) {
                Some(true)
            } else if now.as_ref() == Some(&r.before) {
                Some(false)
            } else {
                None
            }
        }
        Undo::QueueRow { before, after } => {
            let (q, id) = queue_key(before.as_ref().or(after.as_ref()).expect("one image"));
            let now = queue::read_row(conn, &q, &id).map_err(|e| err(path, "read", e))?;
            if now == *after {
                Some(true)
            } else if now == *before {
                Some(false)
            } else {
                None
            }
        }
        Undo::QueueRowsRemoved { rows } => {
            let mut now = Vec::with_capacity(rows.len());
            for r in rows {
                let (q, id) = queue_key(r);
                now.push(queue::read_row(conn, &q, &id).map_err(|e| err(path, "read", e))?);
            }
            if now.iter().all(Option::is_none) {
                Some(true)
            } else if now.iter().zip(rows).all(|(n, r)| n.as_ref() == Some(r)) {
                Some(false)
            } else {
                None
            }
        }
        Undo::Lease { before } => {
            match read_lease(conn, &before.scope, &before.lease_key)
                .map_err(|e| err(path, "read", e))?
            {
                None => Some(true),
                Some(r) if r == *before => Some(false),
                Some(_) => None,
            }
        }
    })
}

/// `change_in` the database at `path`; `None` also when it cannot be read.
pub fn change_in_place(path: &Path, undo: &Undo) -> Option<bool> {
    change_in(&open_rw(path).ok()?, path, undo).ok()?
}

/// Put back what a repair changed, in one transaction, if it is still as the
/// repair left it.
pub fn restore(path: &Path, undo: &Undo) -> Result<(), String> {
    let mut conn = open_rw(path)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| err(path, "BEGIN IMMEDIATE", e))?;
    match undo {
        Undo::Row(r) => {
            if !swap_row(&tx, path, r, &r.after, &r.before)? {
                return Err(format!(
                    "{}: {} changed since the repair",
                    path.display(),
                    r.key
                ));
            }
        }
        Undo::QueueRow { before, after } => {
            let (q, id) = queue_key(before.as_ref().or(after.as_ref()).expect("one image"));
            let now = queue::read_row(&tx, &q, &id).map_err(|e| err(path, "read", e))?;
            if now != *after {
                return Err(format!(
                    "{}: queue row {q}/{id} changed since the repair",
                    path.display()
                ));
            }
            match before {
                Some(b) => queue::write_row(&tx, b, after.is_none()),
                None => tx
                    .execute(
                        "DELETE FROM delivery_queue_entries WHERE queue_name = ?1 AND id = ?2",
                        [&q, &id],
                    )
                    .map(|_| ()),
            }
            .map_err(|e| err(path, "write", e))?;
        }
        Undo::QueueRowsRemoved { rows } => {
            for r in rows {
                let (q, id) = queue_key(r);
                if queue::read_row(&tx, &q, &id)
                    .map_err(|e| err(path, "read", e))?
                    .is_some()
                {
                    return Err(format!(
                        "{}: queue row {q}/{id} exists again since the repair",
                        path.display()
                    ));
                }
                queue::write_row(&tx, r, true).map_err(|e| err(path, "write", e))?;
            }
        }
        Undo::Lease { before: b } => {
            if read_lease(&tx, &b.scope, &b.lease_key)
                .map_err(|e| err(path, "read", e))?
                .is_some()
            {
                return Err(format!(
                    "{}: lease {}/{} exists again since the repair",
                    path.display(),
                    b.scope,
                    b.lease_key
                ));
            }
            tx.execute(
                "INSERT INTO state_leases (scope, lease_key, owner, expires_at, heartbeat_at, payload_json, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![b.scope, b.lease_key, b.owner, b.expires_at, b.heartbeat_at, b.payload_json, b.created_at, b.updated_at],
            )
            .map_err(|e| err(path, "write", e))?;
        }
    }
    tx.commit().map_err(|e| err(path, "COMMIT", e))?;
    integrity_check(&conn, path)
}
