//! Carrying out the delivery queues' edits (`plan::delivery`): queue rows in
//! `state/openclaw.sqlite` (within `sqlite::apply_edit`'s transaction), and
//! queue files (a new file written atomically, then the dead letter it
//! replaces removed, each checked against what the plan read).

use super::{sha256, Change, ManifestEntry, Run};
use crate::fsx;
use crate::plan::Plan;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

/// How many queue file edits go between two saves of the manifest.
const SAVE_EVERY: usize = 512;

/// A whole `delivery_queue_entries` row: its columns and values, in the
/// table's order (what `undo` puts back).
pub type QueueRow = Vec<(String, serde_json::Value)>;

fn to_json(v: ValueRef<'_>) -> serde_json::Value {
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => f.into(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        ValueRef::Blob(b) => b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
            .into(),
    }
}

fn to_sql(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

/// The row `(queue_name, id)` as it is now, or `None`.
pub fn read_row(
    conn: &Connection,
    queue_name: &str,
    id: &str,
) -> rusqlite::Result<Option<QueueRow>> {
    let mut stmt =
        conn.prepare("SELECT * FROM delivery_queue_entries WHERE queue_name = ?1 AND id = ?2")?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    stmt.query_row([queue_name, id], |r| {
        let mut row = Vec::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            row.push((n.clone(), to_json(r.get_ref(i)?)));
        }
        Ok(row)
    })
    .optional()
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Write `row` over the row of its key (every column), or insert it when
/// `insert`.
pub fn write_row(conn: &Connection, row: &QueueRow, insert: bool) -> rusqlite::Result<()> {
    let values: Vec<Value> = row.iter().map(|(_, v)| to_sql(v)).collect();
    let cols: Vec<String> = row.iter().map(|(n, _)| quoted(n)).collect();
    if insert {
        let marks: Vec<String> = (1..=row.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO delivery_queue_entries ({}) VALUES ({})",
            cols.join(", "),
            marks.join(", ")
        );
        conn.execute(&sql, rusqlite::params_from_iter(values))?;
        return Ok(());
    }
    let get = |k: &str| {
        row.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| to_sql(v))
            .unwrap_or(Value::Null)
    };
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE delivery_queue_entries SET {} WHERE queue_name = ?{} AND id = ?{}",
        sets.join(", "),
        row.len() + 1,
        row.len() + 2
    );
    let mut params = values;
    params.push(get("queue_name"));
    params.push(get("id"));
    conn.execute(&sql, rusqlite::params_from_iter(params))?;
    Ok(())
}

/// `row` with the columns of `set` replaced.
pub fn with_set(row: &QueueRow, set: &[(String, serde_json::Value)]) -> QueueRow {
    row.iter()
        .map(|(n, v)| {
            let new = set.iter().find(|(k, _)| k == n).map(|(_, x)| x.clone());
            (n.clone(), new.unwrap_or_else(|| v.clone()))
        })
        .collect()
}

/// Phase 6: the queue files. A new entry is written (atomically, mode 0600
/// as the gateway writes them) before the dead letter it replaces is
/// removed; each file is checked against what the plan read first.
pub(super) fn edit_files(run: &mut Run<'_>, plan: &Plan, first: usize) -> Result<(), String> {
    let mut i = first;
    // Removals are recorded and their dirs synced once, after the loop, as
    // the lock removals are (`remove_files`): a manifest saved per removal
    // made 10,000 dead letters take minutes (quadratic).
    let mut removed_from: Vec<&Path> = Vec::new();
    let mut edits = 0usize;
    for q in &plan.queues {
        // In place (a pending entry's retries reset): one write, nothing removed.
        let (write_at, remove_at) = match (&q.written, &q.removed_bytes, &q.from) {
            (Some(_), Some(_), Some(_)) => (Some(i), Some(i + 1)),
            (Some(_), _, None) => (Some(i), None),
            (None, _, _) => (None, Some(i)),
            (Some(_), None, Some(_)) => (Some(i), None),
        };
        i += usize::from(write_at.is_some()) + usize::from(remove_at.is_some());
        let source = q.from.as_deref().unwrap_or(&q.path);
        if let Some(old) = &q.removed_bytes {
            let now = fsx::read_regular(source, old.len() as u64).map(|(b, _)| b);
            if now.as_deref().ok() != Some(&old[..]) {
                run.out.changed.push(Change::new(
                    q.action,
                    source,
                    "changed since the plan was made; left alone".into(),
                ));
                continue;
            }
        }
        if let (Some(bytes), Some(k)) = (&q.written, write_at) {
            if std::fs::symlink_metadata(&q.path).is_ok() && q.from.is_some() {
                run.out.changed.push(Change::new(
                    q.action,
                    &q.path,
                    "exists already; the dead letter was left alone".into(),
                ));
                continue;
            }
            // A queue dir the gateway has not made yet is made as it makes
            // it (0700); an existing one keeps its mode.
            if let Some(dir) = q
                .path
                .parent()
                .filter(|d| std::fs::symlink_metadata(d).is_err())
            {
                fsx::os::mkdir_private(dir).map_err(|e| fsx::describe_write(dir, &e))?;
            }
            // Durable (file and dir synced) before the dead letter it
            // replaces is removed: a crash between leaves both, never none.
            fsx::write_atomic(&q.path, bytes, 0o600)
                .map_err(|e| fsx::describe_write(&q.path, &e))?;
            run.manifest.entries[k].done = true;
        }
        if let Some(k) = remove_at {
            std::fs::remove_file(source).map_err(|e| fsx::describe_write(source, &e))?;
            run.manifest.entries[k].done = true;
            if let Some(d) = source.parent().filter(|d| !removed_from.contains(d)) {
                removed_from.push(d);
            }
        }
        // The manifest is saved every `SAVE_EVERY` edits and at the end, not
        // after each (quadratic on 10,000 dead letters): `undo` restores an
        // edit not marked done when the files show it was made.
        edits += 1;
        if edits.is_multiple_of(SAVE_EVERY) {
            run.save()?;
        }
        let mut c = Change::new(q.action, &q.path, q.reason.clone());
        c.key = q.key.clone();
        run.out.done.push(c);
    }
    for d in &removed_from {
        let _ = fsx::sync_dir(d);
    }
    if !plan.queues.is_empty() {
        run.save()?;
    }
    Ok(())
}

/// Phase 1's part: the manifest entries of the queue files, each backed up
/// (a file written is a `create`, its backup empty; a file removed a
/// `remove`, its backup its bytes).
pub(super) fn back_up_files(run: &mut Run<'_>, plan: &Plan) -> Result<usize, String> {
    let first = run.manifest.entries.len();
    for q in &plan.queues {
        if let (Some(bytes), Some(old), None) = (&q.written, &q.removed_bytes, &q.from) {
            let e = run.backup(&q.path, "write", "queue-entry", old)?;
            run.manifest.entries.push(ManifestEntry {
                after_sha256: Some(sha256(bytes)),
                ..e
            });
            continue;
        }
        if let Some(bytes) = &q.written {
            let e = run.backup(&q.path, "create", "queue-entry", &[])?;
            run.manifest.entries.push(ManifestEntry {
                after_sha256: Some(sha256(bytes)),
                mode: 0o600,
                ..e
            });
        }
        if let Some(old) = &q.removed_bytes {
            let source: &Path = q.from.as_deref().unwrap_or(&q.path);
            let e = run.backup(source, "remove", "dead-letter", old)?;
            run.manifest.entries.push(e);
        }
    }
    Ok(first)
}
