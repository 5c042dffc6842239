//! Reading the SQLite-era session state (OpenClaw 2026.8.1 and later): the
//! session rows of an agent database, and the leases, boots and migration
//! runs of the state database. Strictly read-only (`sqlite::open_read_only`).
//!
//! Tables and columns as made by the real 2026.8.2 and 2026.9.6 gateways
//! (`sqlite-era.md` §1.1): `session_nodes` (one row per session key, the
//! whole `SessionEntry` in `entry_json`, with projection columns
//! `updated_at` and `status`), `session_windows` (one row per session id),
//! and in `state/openclaw.sqlite`: `state_leases`, `gateway_boot_lifecycle`,
//! `agent_database_leases`. Columns a release does not have read as absent.
//!
//! Nothing here decides what the gateway does with a row; `boot::sqlite`
//! does.

use super::entry_parse::{self, Entry};
use super::sqlite::{self, columns, ReadDb};
use rusqlite::types::{Value, ValueRef};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// In `ReadOptions::sqlite_edit_keys`: also keep the `entry_json` of every
/// row holding a `pendingFinalDelivery` object (`repair
/// --send-unsent-replies` may edit them). Not a session key (a NUL byte).
pub const KEEP_PENDING_FINAL: &str = "\u{0}pendingFinalDelivery";

/// The session tables of one agent database.
#[derive(Debug, Clone, Default)]
pub struct SessionTables {
    /// `PRAGMA user_version` (19 in 2026.8.2, 23 in 2026.9.6).
    pub user_version: i64,
    /// `schema_meta.app_version` of the `primary` row: the release that
    /// made or last migrated the database.
    pub app_version: Option<String>,
    /// Every `session_nodes` row, in key order.
    pub rows: Vec<SessionRow>,
    /// The columns of `session_pending_inputs`, when the table exists.
    pub pending_input_columns: Option<Vec<String>>,
    /// The names of the indexes on `session_nodes`.
    pub session_node_indexes: Vec<String>,
}

/// One `session_nodes` row, with its `session_windows` row.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub key: String,
    pub current_session_id: String,
    /// `entry_valid`: 1 valid, 0 pending validation, -1 invalid (the
    /// gateway refuses to start); `None` when the column is absent.
    pub entry_valid: Option<i64>,
    /// The `updated_at` column (epoch ms).
    pub updated_at: Option<i64>,
    /// The `status` column.
    pub status: Option<String>,
    /// The fields of `entry_json` the rules read, or why it is not a JSON
    /// object.
    pub entry: Result<EntryFacts, String>,
    /// `entry_json` itself, kept only for a row a plan may edit
    /// (`ReadOptions::sqlite_edit_keys`).
    pub raw_entry: Option<String>,
    /// `entry_json` is exactly the text `{}`: how the runtime clears a key
    /// that keeps its window (`clearSqliteSessionEntryPreservingWindows`,
    /// `session-accessor.sqlite-entry-store-*.mjs`, 2026.9.6).
    pub entry_json_empty: bool,
    /// The `session_windows` row of `current_session_id`.
    pub window: Option<WindowRow>,
}

/// The `session_windows` columns an edit keeps in step with `session_nodes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRow {
    /// The window's own `session_key`.
    pub session_key: Option<String>,
    pub status: Option<String>,
    pub updated_at: Option<i64>,
    pub ended_at: Option<i64>,
}

/// The `SessionEntry` fields that lifecycle and restart recovery read
/// (`sqlite-era.md` §1.2). Every other field is left in `entry_json`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EntryFacts {
    pub session_id: Option<String>,
    pub updated_at: Option<serde_json::Number>,
    pub status: Option<String>,
    pub started_at: Option<serde_json::Number>,
    pub ended_at: Option<serde_json::Number>,
    pub aborted_last_run: Option<bool>,
    pub active_writer_run_id: Option<serde_json::Value>,
    pub lifecycle_run_id: Option<serde_json::Value>,
    pub last_run_id: Option<serde_json::Value>,
    pub main_restart_recovery: Option<serde_json::Value>,
    pub restart_recovery_runs: Option<serde_json::Value>,
    pub spawn_depth: Option<f64>,
    pub subagent_role: Option<serde_json::Value>,
    pub initialization_pending: Option<bool>,
    pub archived_at: Option<serde_json::Value>,
    pub provider_review: Option<serde_json::Value>,
    pub pending_project_git_url: Option<serde_json::Value>,
    pub pending_worktree: Option<serde_json::Value>,
    /// A final reply the run produced and did not deliver (2026.8+:
    /// `{kind: "replayable", text, context, intentId, deliveries: [{id,
    /// state}]}`, `pending-final-delivery-state-*.mjs` in 2026.9.6).
    pub pending_final_delivery: Option<serde_json::Value>,
}

/// What `state/openclaw.sqlite` holds that matters here.
#[derive(Debug, Clone, Default)]
pub struct StateDb {
    pub path: PathBuf,
    /// `PRAGMA user_version` (15 in 2026.8.2, 18 in 2026.9.6).
    pub user_version: i64,
    pub app_version: Option<String>,
    pub leases: Vec<Lease>,
    pub boots: Vec<Boot>,
    pub agent_db_leases: Vec<AgentDbLease>,
    /// Every `delivery_queue_entries` row (2026.6.1+): the replies waiting
    /// to reach the chat, and the dead letters (`state::delivery`).
    pub deliveries: Vec<super::delivery::QueueEntry>,
}

/// A `state_leases` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub scope: String,
    pub lease_key: String,
    pub owner: String,
    pub expires_at: Option<i64>,
    pub heartbeat_at: Option<i64>,
    /// `payload_json.owner.pid`, when the payload names one.
    pub owner_pid: Option<u64>,
    /// `payload_json.owner.startedAt`: the owner's start time (field 22 of
    /// `/proc/<pid>/stat`).
    pub owner_started_at: Option<f64>,
    pub owner_host: Option<String>,
    /// What is known now of the owner pid, on this host (set by
    /// `state::read_sqlite_shared`): unknown when the lease names another
    /// host, whose pids are not this host's.
    pub owner_state: Option<crate::rules::ProcState>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// A `gateway_boot_lifecycle` row (the crash-loop breaker's record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boot {
    pub boot_id: String,
    pub pid: Option<i64>,
    pub started_at_ms: i64,
    pub completed_at_ms: Option<i64>,
    pub outcome: Option<String>,
}

/// An `agent_database_leases` row: a process that has an agent database open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDbLease {
    pub agent_id: String,
    pub path: String,
    pub owner_pid: u64,
    pub owner_start_time: Option<i64>,
    /// `path` names a file of this state dir: spelled under it, or resolving
    /// under its real path. A lease copied with the state from another dir
    /// (a restored backup) names that dir's files instead.
    pub here: bool,
}

/// Whether `path` names a file of the state dir `state_dir` (real path
/// `real_state_dir`): spelled under either, or resolving under the real one.
fn names_a_file_here(path: &Path, state_dir: &Path, real_state_dir: &Path) -> bool {
    path.starts_with(state_dir)
        || path.starts_with(real_state_dir)
        || crate::fsx::resolves_inside(path, real_state_dir)
}

/// A legacy-import manifest `session-sqlite-migration-runs/*.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationRun {
    pub path: PathBuf,
    /// `startedAt` (ISO 8601).
    pub started_at: Option<String>,
    /// `completedAt` is present: the run finished (a run that is killed
    /// leaves its manifest without it, also after a later run finished the
    /// import; measured on 2026.8.2 and 2026.9.6).
    /// Each target: its legacy store, planned and completed moves.
    pub targets: Vec<MigrationTarget>,
    pub completed: bool,
    /// Why the manifest could not be read, if it could not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MigrationTarget {
    pub store_path: Option<String>,
    /// The legacy store named by `storePath` still exists.
    pub store_exists: bool,
    pub planned_moves: usize,
    pub completed_moves: usize,
}

fn describe(e: rusqlite::Error) -> String {
    format!("cannot be read as SQLite: {e}")
}

/// `column` if `cols` has it, else `NULL`.
fn col(cols: &[String], column: &str) -> String {
    if cols.iter().any(|c| c == column) {
        format!("\"{column}\"")
    } else {
        "NULL".into()
    }
}

fn text(v: Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t),
        _ => None,
    }
}

fn int(v: Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(i),
        Value::Real(f) if f.fract() == 0.0 => Some(f as i64),
        _ => None,
    }
}

pub fn user_version(conn: &ReadDb) -> Result<i64, String> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(describe)
}

/// The first line of `schema_meta.app_version` of row `key`.
pub fn app_version(conn: &ReadDb, tables: &[String], key: &str) -> Result<Option<String>, String> {
    let v = sqlite::schema_meta_value(conn, tables, Some(key), "app_version")?;
    Ok(v.and_then(text).and_then(|t| {
        t.lines()
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }))
}

/// The names of the indexes on `table`.
fn index_names(conn: &ReadDb, table: &str) -> Result<Vec<String>, String> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 ORDER BY name",
        )
        .map_err(describe)?;
    let names = stmt
        .query_map([table], |r| r.get::<_, String>(0))
        .map_err(describe)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(describe);
    names
}

/// Read the session tables of an agent database opened read-only; the rows
/// whose key is in `keep_raw` keep their `entry_json` (rows a plan may edit).
pub fn read_session_tables(
    conn: &ReadDb,
    tables: &[String],
    keep_raw: &[String],
) -> Result<SessionTables, String> {
    let mut out = SessionTables {
        user_version: user_version(conn)?,
        app_version: app_version(conn, tables, "primary")?,
        rows: Vec::new(),
        pending_input_columns: if tables.iter().any(|t| t == "session_pending_inputs") {
            Some(columns(conn, "session_pending_inputs")?)
        } else {
            None
        },
        session_node_indexes: index_names(conn, "session_nodes")?,
    };
    if !tables.iter().any(|t| t == "session_nodes") {
        return Ok(out);
    }
    let nodes = columns(conn, "session_nodes")?;
    if !nodes.iter().any(|c| c == "session_key") {
        return Ok(out);
    }
    let windows = tables.iter().any(|t| t == "session_windows");
    let wcols = if windows {
        columns(conn, "session_windows")?
    } else {
        Vec::new()
    };
    let wsel = |c: &str| {
        if windows && wcols.iter().any(|x| x == c) {
            format!("w.\"{c}\"")
        } else {
            "NULL".into()
        }
    };
    let join = if windows && wcols.iter().any(|c| c == "session_id") {
        "LEFT JOIN session_windows w ON w.session_id = n.current_session_id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT n.session_key, n.{}, n.{}, n.{}, n.{}, n.{}, {} IS NOT NULL, {}, {}, {}, {} FROM session_nodes n {join} ORDER BY n.session_key",
        col(&nodes, "current_session_id"),
        col(&nodes, "entry_json"),
        col(&nodes, "entry_valid"),
        col(&nodes, "updated_at"),
        col(&nodes, "status"),
        if join.is_empty() { "NULL".to_string() } else { "w.session_id".to_string() },
        wsel("status"),
        wsel("updated_at"),
        wsel("ended_at"),
        wsel("session_key"),
    )
    .replace("n.NULL", "NULL");
    let mut stmt = conn.prepare(&sql).map_err(describe)?;
    let mut rows = stmt.query([]).map_err(describe)?;
    // Each row's entry is parsed on another thread (`entry_parse`) and set
    // as it comes back, in row order.
    let read = entry_parse::parse_beside(|pipe| {
        let mut read: Vec<SessionRow> = Vec::new();
        let mut filled = 0;
        let mut fill = |read: &mut [SessionRow], (entry, raw): entry_parse::Parsed| {
            read[filled].entry = entry;
            read[filled].raw_entry = raw;
            filled += 1;
        };
        while let Some(r) = rows.next().map_err(describe)? {
            let get = |i: usize| r.get::<_, Value>(i).map_err(describe);
            let key = text(get(0)?).unwrap_or_default();
            let current_session_id = text(get(1)?).unwrap_or_default();
            let keep = keep_raw.contains(&key)
                || (keep_raw.iter().any(|k| k == KEEP_PENDING_FINAL)
                    && matches!(r.get_ref(2), Ok(ValueRef::Text(t)) if memchr::memmem::find(t, b"\"pendingFinalDelivery\"").is_some()));
            let done = |e: Result<EntryFacts, String>, raw| Entry::Done(Box::new((e, raw)));
            let entry_json = r.get_ref(2).map_err(describe)?;
            let entry_json_empty = matches!(entry_json, ValueRef::Text(b"{}"));
            // Read in place (a row of 2026.9.6 is 14 KB); copied only to keep.
            pipe.push(match entry_json {
                ValueRef::Text(t) => match std::str::from_utf8(t) {
                    Ok(s) => Entry::Text { text: s, keep },
                    // Not UTF-8: read as a value, which fails naming the column.
                    Err(_) => match text(get(2)?) {
                        Some(s) => done(parse_entry(&s), keep.then_some(s)),
                        None => done(Err("entry_json is not text".into()), None),
                    },
                },
                _ => done(Err("entry_json is not text".into()), None),
            });
            let has_window = matches!(get(6)?, Value::Integer(1));
            read.push(SessionRow {
                key,
                current_session_id,
                entry_valid: int(get(3)?),
                updated_at: int(get(4)?),
                status: text(get(5)?),
                entry: Err(String::new()),
                raw_entry: None,
                entry_json_empty,
                window: has_window
                    .then(|| -> Result<WindowRow, String> {
                        Ok(WindowRow {
                            session_key: text(get(10)?),
                            status: text(get(7)?),
                            updated_at: int(get(8)?),
                            ended_at: int(get(9)?),
                        })
                    })
                    .transpose()?,
            });
            pipe.take_parsed(|p| fill(&mut read, p));
        }
        pipe.finish(|p| fill(&mut read, p));
        Ok::<_, String>(read)
    })?;
    out.rows = read;
    Ok(out)
}

/// The rules' fields of one `entry_json`, or why it is not a JSON object.
/// One pass over the text when it is a valid object (the common case).
pub fn parse_entry(s: &str) -> Result<EntryFacts, String> {
    match serde_json::from_str::<EntryFacts>(s) {
        Ok(e) if s.trim_start().starts_with('{') => Ok(e),
        Ok(_) => Err("entry_json is not a JSON object".into()),
        Err(e) => match serde_json::from_str::<serde::de::IgnoredAny>(s) {
            Err(e) => Err(format!("entry_json is not valid JSON: {e}")),
            Ok(_) if !s.trim_start().starts_with('{') => {
                Err("entry_json is not a JSON object".into())
            }
            Ok(_) => Err(format!("entry_json has a field of the wrong type: {e}")),
        },
    }
}

/// Read `state/openclaw.sqlite` under `state_dir`: `Ok(None)` when there is
/// none. `real_state_dir` bounds symlinks.
pub fn read_state_db(state_dir: &Path, real_state_dir: &Path) -> Result<Option<StateDb>, String> {
    let path = state_dir.join("state").join("openclaw.sqlite");
    let meta = match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read: {e}")),
        Ok(m) => m,
    };
    let real = if meta.file_type().is_symlink() {
        if !crate::fsx::resolves_inside(&path, real_state_dir) {
            return Err(
                "is a symbolic link that points outside the state dir; sessfix does not follow it"
                    .into(),
            );
        }
        crate::fsx::canonicalize(&path).map_err(|e| format!("is a broken symbolic link: {e}"))?
    } else {
        path.clone()
    };
    let conn = sqlite::open_read_only(&real)?;
    let tables = sqlite::table_names(&conn)?;
    let has = |t: &str| tables.iter().any(|x| x == t);
    let mut db = StateDb {
        path: path.clone(),
        user_version: user_version(&conn)?,
        app_version: app_version(&conn, &tables, "primary")?.or(app_version(
            &conn,
            &tables,
            "startup-migrations",
        )?),
        ..StateDb::default()
    };
    if has("state_leases") {
        let c = columns(&conn, "state_leases")?;
        let sql = format!(
            "SELECT scope, lease_key, owner, {}, {}, {}, {}, {} FROM state_leases ORDER BY scope, lease_key",
            col(&c, "expires_at"),
            col(&c, "heartbeat_at"),
            col(&c, "payload_json"),
            col(&c, "created_at"),
            col(&c, "updated_at"),
        );
        let mut stmt = conn.prepare(&sql).map_err(describe)?;
        let mut rows = stmt.query([]).map_err(describe)?;
        while let Some(r) = rows.next().map_err(describe)? {
            let get = |i: usize| r.get::<_, Value>(i).map_err(describe);
            let payload: serde_json::Value = text(get(5)?)
                .and_then(|p| serde_json::from_str(&p).ok())
                .unwrap_or_default();
            let owner = payload.get("owner");
            db.leases.push(Lease {
                scope: text(get(0)?).unwrap_or_default(),
                lease_key: text(get(1)?).unwrap_or_default(),
                owner: text(get(2)?).unwrap_or_default(),
                expires_at: int(get(3)?),
                heartbeat_at: int(get(4)?),
                owner_pid: owner
                    .and_then(|o| o.get("pid"))
                    .and_then(serde_json::Value::as_u64),
                owner_started_at: owner
                    .and_then(|o| o.get("startedAt"))
                    .and_then(serde_json::Value::as_f64),
                owner_host: owner
                    .and_then(|o| o.get("host"))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string),
                owner_state: None,
                created_at: int(get(6)?),
                updated_at: int(get(7)?),
            });
        }
    }
    if has("gateway_boot_lifecycle") {
        let c = columns(&conn, "gateway_boot_lifecycle")?;
        let sql = format!(
            "SELECT boot_id, {}, started_at_ms, {}, {} FROM gateway_boot_lifecycle ORDER BY started_at_ms",
            col(&c, "pid"),
            col(&c, "completed_at_ms"),
            col(&c, "outcome"),
        );
        let mut stmt = conn.prepare(&sql).map_err(describe)?;
        let mut rows = stmt.query([]).map_err(describe)?;
        while let Some(r) = rows.next().map_err(describe)? {
            let get = |i: usize| r.get::<_, Value>(i).map_err(describe);
            db.boots.push(Boot {
                boot_id: text(get(0)?).unwrap_or_default(),
                pid: int(get(1)?),
                started_at_ms: int(get(2)?).unwrap_or(0),
                completed_at_ms: int(get(3)?),
                outcome: text(get(4)?),
            });
        }
    }
    if has("agent_database_leases") {
        let c = columns(&conn, "agent_database_leases")?;
        let sql = format!(
            "SELECT {}, {}, owner_pid, {} FROM agent_database_leases",
            col(&c, "agent_id"),
            col(&c, "path"),
            col(&c, "owner_start_time"),
        );
        let mut stmt = conn.prepare(&sql).map_err(describe)?;
        let mut rows = stmt.query([]).map_err(describe)?;
        while let Some(r) = rows.next().map_err(describe)? {
            let get = |i: usize| r.get::<_, Value>(i).map_err(describe);
            let Some(pid) = int(get(2)?).and_then(|p| u64::try_from(p).ok()) else {
                continue;
            };
            let path = text(get(1)?).unwrap_or_default();
            db.agent_db_leases.push(AgentDbLease {
                agent_id: text(get(0)?).unwrap_or_default(),
                here: names_a_file_here(Path::new(&path), state_dir, real_state_dir),
                path,
                owner_pid: pid,
                owner_start_time: int(get(3)?),
            });
        }
    }
    if has("delivery_queue_entries") {
        db.deliveries = super::delivery::read_rows(&conn, &path)
            .map_err(|e| format!("delivery_queue_entries cannot be read: {e}"))?;
    }
    Ok(Some(db))
}

/// Every manifest in `<state>/session-sqlite-migration-runs/`, by name.
pub fn read_migration_runs(state_dir: &Path) -> Vec<MigrationRun> {
    let dir = state_dir.join("session-sqlite-migration-runs");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let read = crate::fsx::read_regular(&path, 1 << 26)
                .map_err(|e| e.to_string())
                .and_then(|(b, _)| {
                    serde_json::from_slice::<serde_json::Value>(&b)
                        .map_err(|e| format!("not valid JSON: {e}"))
                });
            match read {
                Ok(v) => MigrationRun {
                    started_at: v
                        .get("startedAt")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_string),
                    completed: v.get("completedAt").is_some_and(|c| !c.is_null()),
                    targets: v
                        .get("targets")
                        .and_then(serde_json::Value::as_array)
                        .map(|ts| ts.iter().map(migration_target).collect())
                        .unwrap_or_default(),
                    path,
                    error: None,
                },
                Err(e) => MigrationRun {
                    path,
                    started_at: None,
                    completed: false,
                    targets: Vec::new(),
                    error: Some(e),
                },
            }
        })
        .collect()
}

/// A count of moves: the length of an array, or a number.
fn moves(v: Option<&serde_json::Value>) -> usize {
    match v {
        Some(serde_json::Value::Array(a)) => a.len(),
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0) as usize,
        _ => 0,
    }
}

fn migration_target(t: &serde_json::Value) -> MigrationTarget {
    let store_path = t
        .get("storePath")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    MigrationTarget {
        store_exists: store_path
            .as_deref()
            .is_some_and(|p| std::fs::symlink_metadata(p).is_ok()),
        store_path,
        planned_moves: moves(t.get("plannedMoves")),
        completed_moves: moves(t.get("completedMoves")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `entry_json` is read in place: an object's fields, its text kept only
    /// for a plan, "not text" for another type, and text that is not UTF-8
    /// fails the read with the error reading it as a value gives.
    #[test]
    fn entry_json_is_read_in_place_and_kept_only_for_a_plan() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("openclaw-agent.sqlite");
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch(
            r#"CREATE TABLE session_nodes (session_key TEXT, current_session_id TEXT, entry_json, entry_valid INTEGER, updated_at INTEGER, status TEXT);
               INSERT INTO session_nodes VALUES ('a', 's1', '{"sessionId":"s1","status":"running","x":"é"}', 1, 5, 'running');
               INSERT INTO session_nodes VALUES ('b', 's2', 42, 1, 5, 'done');"#,
        )
        .unwrap();
        drop(c);
        let db = sqlite::open_read_only(&p).unwrap();
        let tables = sqlite::table_names(&db).unwrap();
        // Only the rows named keep their text ('b' is not text: nothing).
        for keep in [false, true] {
            let named = if keep {
                vec!["a".to_string(), "b".to_string()]
            } else {
                Vec::new()
            };
            let t = read_session_tables(&db, &tables, &named).unwrap();
            let (a, b) = (&t.rows[0], &t.rows[1]);
            let facts = a.entry.as_ref().unwrap();
            assert_eq!(facts.status.as_deref(), Some("running"));
            assert_eq!(
                a.raw_entry.as_deref(),
                keep.then_some(r#"{"sessionId":"s1","status":"running","x":"é"}"#)
            );
            assert_eq!(b.entry, Err("entry_json is not text".to_string()));
            assert_eq!(b.raw_entry, None);
        }
        drop(db);
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch(
            "INSERT INTO session_nodes VALUES ('c', 's3', CAST(x'7bff7d' AS TEXT), 1, 5, 'done');",
        )
        .unwrap();
        let expected = c
            .query_row(
                "SELECT session_key, current_session_id, entry_json FROM session_nodes WHERE session_key = 'c'",
                [],
                |r| r.get::<_, Value>(2),
            )
            .map(|_| ())
            .map_err(describe);
        drop(c);
        let db = sqlite::open_read_only(&p).unwrap();
        let got = read_session_tables(&db, &tables, &[]).map(|_| ());
        assert!(expected.is_err(), "{expected:?}");
        assert_eq!(got, expected);
    }
}
