//! Strictly read-only access to OpenClaw's SQLite files, and what the per-agent
//! database `agents/<id>/agent/openclaw-agent.sqlite` is.
//!
//! Opening an SQLite file "read-only" can still create or change files beside
//! it: a WAL-mode database opened with `mode=ro` gets a `-wal` and a `-shm`
//! (measured with SQLite 3.40 and the bundled 3.5x). So this module reads the
//! 100-byte header itself first and then opens the file in the one way that
//! writes nothing:
//!
//! | journal mode (header bytes 18-19) | `-wal` beside it | opened with |
//! |---|---|---|
//! | rollback (1) | any | `mode=ro` |
//! | WAL (2) | missing or 0 bytes | `mode=ro&immutable=1`: every commit is in the main file, so nothing is missed |
//! | WAL (2) | has frames, `-shm` present | `mode=ro&readonly_shm=1`: reads the WAL, opens `-shm` read-only (Unix VFS) |
//! | WAL (2) | has frames, no `-shm` | a private copy of the database and its `-wal` (in a temporary dir, removed after reading) is opened: SQLite would create `-shm` beside the original, and `immutable=1` would miss committed frames |
//!
//! The last case is what a `kill -9` of a 2026.9.6 gateway can leave when the
//! `-shm` is gone (copied state, a tmpfs): the whole database, schema
//! included, may be in the `-wal` (`sqlite-era.md` §6.2). The copy is checked
//! against the originals' size and modification time after it is made.
//!
//! Every failure is an error naming what is wrong, never a guess.

use crate::fsx;
use rusqlite::{Connection, OpenFlags};
use std::io::Read;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// What the per-agent database `agents/<id>/agent/openclaw-agent.sqlite` holds.
///
/// From OpenClaw 2026.6.5 file-era installs have this file for auth profiles
/// (2026.6.6) and the memory index (2026.6.9) only: `schema_meta` with
/// `schema_version` 1, `cache_entries`, `auth_profile_store`,
/// `auth_profile_state`, `memory_index_*`, `memory_embedding_cache`; sessions
/// are still in `sessions.json`. From 2026.8.1 the same file also holds the
/// session store (`session_nodes`, `transcript_events`, ...; `schema_version`
/// 19 in 2026.8.2, 23 in 2026.9.6).
#[derive(Debug, Clone)]
pub struct AgentDb {
    /// The database file (as found under the agent dir, not resolved).
    pub path: PathBuf,
    /// `schema_meta.schema_version` of the row `meta_key = 'primary'` (or of
    /// the only row, for a `schema_meta` without `meta_key`); `None` when the
    /// database has no `schema_meta` table or no such row (early 2026.6 files).
    pub schema_version: Option<i64>,
    /// The database has the SQLite-era session tables: `session_nodes` or
    /// `transcript_events`. Only then is it the agent's session store.
    pub session_tables: bool,
    /// The session rows, when `session_tables`.
    pub sessions: Option<super::sqlite_era::SessionTables>,
    /// The agent the database says it belongs to: `schema_meta.agent_id` of
    /// the row `meta_key = 'primary'` whose `role` is `agent` (2026.8.1+;
    /// what `inspectAgentDatabaseAdmission` of 2026.9.6 compares with the
    /// agent dir it sits in). `None` without such a row.
    pub owner: Option<String>,
    /// When `owner` names another agent than the dir's: what the gateway's
    /// ownership checks look at. Set by the agent reader.
    pub misplaced: Option<Misplaced>,
}

/// An agent database sitting in another agent's dir than the one its
/// `schema_meta` names, with the facts the gateway's checks use
/// (`inspectAgentDatabaseAdmission`, `canIsolateAgentDatabase`,
/// `recoverMisplacedAgentDatabaseCopies` of 2026.9.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misplaced {
    /// The agent it names (`schema_meta.agent_id`).
    pub owner: String,
    /// Its files (`-wal`, `-shm`, `-journal` included) are byte-identical
    /// to the owner's own database, which itself names the owner.
    pub copy_of_owner: bool,
    /// The dir's agent is in the config's `agents.list` (or is `main` with
    /// no list): only then do 2026.9.5+ check the database's owner.
    pub listed: bool,
    /// The dir's agent may be set apart (listed, not the default agent, not
    /// the system agent, not a reserved id): 2026.9.5+ then start and refuse
    /// only its sessions; otherwise the start is refused.
    pub isolatable: bool,
}

/// Tables whose presence makes an agent database the session store
/// (2026.8.1+, `sqlite-era.md` §1.1).
pub const SESSION_TABLES: &[&str] = &["session_nodes", "transcript_events"];

const HEADER_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// `path` with `suffix` appended to its file name (`x.sqlite` -> `x.sqlite-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// An SQLite URI for `path` with query `params` (`%`, `?` and `#` escaped).
fn uri(path: &Path, params: &str) -> Result<String, String> {
    let abs = std::path::absolute(path).map_err(|e| format!("cannot be made absolute: {e}"))?;
    let mut s = abs.to_string_lossy().replace('\\', "/");
    if !s.starts_with('/') {
        // A Windows drive path: file:///C:/...
        s.insert(0, '/');
    }
    let mut out = String::from("file://");
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out.push('?');
    out.push_str(params);
    Ok(out)
}

/// A database opened by `open_read_only`: the connection, and the private
/// copy it reads when the original could not be opened without writing.
pub struct ReadDb {
    conn: Connection,
    /// Dropped after `conn` (field order): the copy is removed once closed.
    _copy: Option<tempfile::TempDir>,
}

impl Deref for ReadDb {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// Open an SQLite database without creating or changing any file (see the
/// module table). `real` must be the file itself (not a symlink). The error
/// says what is wrong with the file, without the path.
pub fn open_read_only(real: &Path) -> Result<ReadDb, String> {
    let (mut f, meta) = fsx::open_regular(real).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".to_string(),
        _ => e.to_string(),
    })?;
    let mut header = Vec::with_capacity(100);
    (&mut f)
        .take(100)
        .read_to_end(&mut header)
        .map_err(|e| format!("cannot be read: {e}"))?;
    drop(f);
    let wal_mode = if meta.len() == 0 {
        // SQLite treats an empty file as an empty database.
        false
    } else if header.len() < 100 || &header[..16] != HEADER_MAGIC {
        return Err(format!(
            "is not an SQLite database (no SQLite header; {} bytes)",
            meta.len()
        ));
    } else {
        header[18] == 2 || header[19] == 2
    };
    let params = if !wal_mode {
        "mode=ro"
    } else {
        let wal = with_suffix(real, "-wal");
        let wal_len = match std::fs::symlink_metadata(&wal) {
            Ok(m) => Some(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("its write-ahead log {}: {e}", wal.display())),
        };
        match wal_len {
            None | Some(0) => "mode=ro&immutable=1",
            Some(_) => {
                let shm = with_suffix(real, "-shm");
                if std::fs::symlink_metadata(&shm).is_err() {
                    return open_private_copy(real, &wal);
                }
                "mode=ro&readonly_shm=1"
            }
        }
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri(real, params)?, flags)
        .map_err(|e| format!("cannot be opened read-only as SQLite: {e}"))?;
    conn.busy_timeout(std::time::Duration::from_secs(2))
        .map_err(|e| format!("cannot be opened read-only as SQLite: {e}"))?;
    Ok(ReadDb { conn, _copy: None })
}

/// Size and modification time, to tell that a file did not change while it
/// was copied.
fn stamp(p: &Path) -> Result<(u64, Option<std::time::SystemTime>), String> {
    let m = std::fs::metadata(p).map_err(|e| format!("cannot be read: {e}"))?;
    Ok((m.len(), m.modified().ok()))
}

/// Open a private copy of `real` and its `wal` (no `-shm`): SQLite rebuilds
/// the WAL index beside the copy, and the originals are only read.
fn open_private_copy(real: &Path, wal: &Path) -> Result<ReadDb, String> {
    let dir = tempfile::Builder::new()
        .prefix("sessfix-read-")
        .tempdir()
        .map_err(|e| format!("has committed changes in its write-ahead log {} but no -shm, and a private copy to read them cannot be made: {e}", wal.display()))?;
    let copy = dir.path().join("db.sqlite");
    let before = (stamp(real)?, stamp(wal)?);
    let copied =
        std::fs::copy(real, &copy).and_then(|_| std::fs::copy(wal, with_suffix(&copy, "-wal")));
    if let Err(e) = copied {
        return Err(format!(
            "has committed changes in its write-ahead log {} but no -shm, and a private copy to read them cannot be made: {e}",
            wal.display()
        ));
    }
    if (stamp(real)?, stamp(wal)?) != before {
        return Err(format!(
            "changed while it was read (with its write-ahead log {}): a process is writing it",
            wal.display()
        ));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&copy, flags).map_err(|e| {
        format!("cannot be opened as SQLite (a private copy with its write-ahead log): {e}")
    })?;
    Ok(ReadDb {
        conn,
        _copy: Some(dir),
    })
}

/// Names of the tables in `sqlite_master`, sorted.
pub fn table_names(conn: &Connection) -> Result<Vec<String>, String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .map_err(describe)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(describe)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(describe)
}

/// The columns of `table` (which must be a known table name).
pub fn columns(conn: &Connection, table: &str) -> Result<Vec<String>, String> {
    let mut stmt = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .map_err(describe)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(describe)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(describe)
}

/// One column of the `schema_meta` row `meta_key = key`, when the table, the
/// column and the row exist. With `key` `None`: of the only row of a
/// `schema_meta` without a `meta_key` column.
pub fn schema_meta_value(
    conn: &Connection,
    tables: &[String],
    key: Option<&str>,
    column: &str,
) -> Result<Option<rusqlite::types::Value>, String> {
    if !tables.iter().any(|t| t == "schema_meta") {
        return Ok(None);
    }
    let cols = columns(conn, "schema_meta")?;
    if !cols.iter().any(|c| c == column) {
        return Ok(None);
    }
    let has_key = cols.iter().any(|c| c == "meta_key");
    let rows: Vec<rusqlite::types::Value> = if has_key {
        let Some(key) = key else { return Ok(None) };
        let mut stmt = conn
            .prepare(&format!(
                "SELECT \"{column}\" FROM schema_meta WHERE meta_key = ?1"
            ))
            .map_err(describe)?;
        let r = stmt.query_map([key], |r| r.get(0)).map_err(describe)?;
        r.collect::<Result<_, _>>().map_err(describe)?
    } else {
        let mut stmt = conn
            .prepare(&format!("SELECT \"{column}\" FROM schema_meta LIMIT 2"))
            .map_err(describe)?;
        let r = stmt.query_map([], |r| r.get(0)).map_err(describe)?;
        r.collect::<Result<_, _>>().map_err(describe)?
    };
    Ok(if rows.len() == 1 {
        rows.into_iter().next()
    } else {
        None
    })
}

/// The agent a database says it belongs to: `schema_meta.agent_id` of the
/// row `meta_key = 'primary'` whose `role` is `agent`, normalised.
fn owner_of(conn: &Connection, tables: &[String]) -> Result<Option<String>, String> {
    use rusqlite::types::Value;
    if !matches!(schema_meta_value(conn, tables, Some("primary"), "role")?, Some(Value::Text(r)) if r == "agent")
    {
        return Ok(None);
    }
    Ok(
        match schema_meta_value(conn, tables, Some("primary"), "agent_id")? {
            Some(Value::Text(id)) if !id.trim().is_empty() => {
                Some(super::discover::normalize_agent_id(&id))
            }
            _ => None,
        },
    )
}

/// Whether the database at `copy` is a byte-identical copy of `owner_db`,
/// the database of agent `owner` that itself names `owner`: every file of
/// the set (the database, `-wal`, `-shm`, `-journal`) present in both or in
/// neither, with the same bytes (`assertEqualFileSets` of 2026.9.6, which
/// also compares the transcript archives; not compared here). Read only;
/// any error is `false`.
pub fn is_copy_of(copy: &Path, owner_db: &Path, owner: &str, real_state_dir: &Path) -> bool {
    // The owner's database must name the owner (read as `read_agent_db`
    // opens it, without its session rows).
    let names_owner = || -> Result<bool, String> {
        let meta = std::fs::symlink_metadata(owner_db).map_err(|e| e.to_string())?;
        if meta.file_type().is_symlink() && !fsx::resolves_inside(owner_db, real_state_dir) {
            return Ok(false);
        }
        let conn = open_read_only(&crate::fsx::canonicalize(owner_db).map_err(|e| e.to_string())?)?;
        let tables = table_names(&conn)?;
        Ok(owner_of(&conn, &tables)?.as_deref() == Some(owner))
    };
    if !names_owner().unwrap_or(false) {
        return false;
    }
    ["", "-wal", "-shm", "-journal"].iter().all(|side| {
        let (a, b) = (with_suffix(copy, side), with_suffix(owner_db, side));
        match (std::fs::symlink_metadata(&a), std::fs::symlink_metadata(&b)) {
            (Err(x), Err(y)) => {
                x.kind() == std::io::ErrorKind::NotFound && y.kind() == std::io::ErrorKind::NotFound
            }
            (Ok(x), Ok(y)) => {
                x.is_file()
                    && y.is_file()
                    && x.len() == y.len()
                    && same_bytes(&a, &b).unwrap_or(false)
            }
            _ => false,
        }
    })
}

/// Whether two files hold the same bytes, read in 64 KiB chunks.
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (mut a, mut b) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut x, mut y) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    loop {
        let n = a.read(&mut x)?;
        if n == 0 {
            return Ok(b.read(&mut y[..1])? == 0);
        }
        b.read_exact(&mut y[..n])?;
        if x[..n] != y[..n] {
            return Ok(false);
        }
    }
}

fn describe(e: rusqlite::Error) -> String {
    format!("cannot be read as SQLite: {e}")
}

/// Read what the agent database at `path` is. `real_state_dir` bounds
/// symlinks: a link that resolves outside it is not followed.
///
/// Errors (as a message without the path): not a regular file, a symlink out
/// of the state dir, unreadable, not SQLite, corrupt, or a WAL that cannot be
/// read without writing (see the module table).
/// The session rows whose key is in `keep_raw` keep their `entry_json` (rows a
/// plan may edit).
pub fn read_agent_db(
    path: &Path,
    real_state_dir: &Path,
    keep_raw: &[String],
) -> Result<AgentDb, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("cannot be read: {e}"))?;
    let real = if meta.file_type().is_symlink() {
        if !fsx::resolves_inside(path, real_state_dir) {
            return Err(
                "is a symbolic link that points outside the state dir; sessfix does not follow it"
                    .into(),
            );
        }
        crate::fsx::canonicalize(path).map_err(|e| format!("is a broken symbolic link: {e}"))?
    } else {
        path.to_path_buf()
    };
    let conn = open_read_only(&real)?;
    let tables = table_names(&conn)?;
    let session_tables = tables.iter().any(|t| SESSION_TABLES.contains(&t.as_str()));
    let version = match schema_meta_value(&conn, &tables, Some("primary"), "schema_version")? {
        Some(v) => Some(v),
        None => schema_meta_value(&conn, &tables, None, "schema_version")?,
    };
    let schema_version = match version {
        Some(rusqlite::types::Value::Integer(i)) => Some(i),
        _ => None,
    };
    let sessions = if session_tables {
        Some(super::sqlite_era::read_session_tables(
            &conn, &tables, keep_raw,
        )?)
    } else {
        None
    };
    let owner = owner_of(&conn, &tables)?;
    Ok(AgentDb {
        path: path.to_path_buf(),
        schema_version,
        session_tables,
        sessions,
        owner,
        misplaced: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                let m = e.metadata().unwrap();
                (e.file_name().to_string_lossy().into_owned(), m.len())
            })
            .collect();
        v.sort();
        v
    }

    fn file_era_db(p: &Path, wal: bool) {
        let c = Connection::open(p).unwrap();
        if wal {
            c.pragma_update(None, "journal_mode", "WAL").unwrap();
        }
        c.execute_batch(
            "CREATE TABLE schema_meta (meta_key TEXT NOT NULL PRIMARY KEY, role TEXT NOT NULL, schema_version INTEGER NOT NULL, agent_id TEXT, app_version TEXT);
             INSERT INTO schema_meta VALUES ('primary', 'agent', 1, 'main', '2026.6.11');
             CREATE TABLE cache_entries (k TEXT);
             CREATE TABLE auth_profile_store (k TEXT);
             CREATE TABLE memory_index_meta (key TEXT PRIMARY KEY, value TEXT);",
        )
        .unwrap();
    }

    #[test]
    fn file_era_db_has_no_session_tables_and_nothing_is_created() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        for wal in [false, true] {
            let p = root.join(format!("a{wal}.sqlite"));
            file_era_db(&p, wal);
            let before = listing(&root);
            let db = read_agent_db(&p, &root, &[]).unwrap();
            assert_eq!(db.schema_version, Some(1));
            assert!(!db.session_tables);
            assert_eq!(listing(&root), before, "nothing created (wal={wal})");
        }
    }

    #[test]
    fn wal_with_frames_is_read_through_a_read_only_shm() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        let p = root.join("openclaw-agent.sqlite");
        file_era_db(&p, true);
        // A live writer whose session tables are only in the WAL.
        let w = Connection::open(&p).unwrap();
        w.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        w.execute_batch(
            "CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY);
             UPDATE schema_meta SET schema_version = 23;",
        )
        .unwrap();
        assert!(std::fs::metadata(with_suffix(&p, "-wal")).unwrap().len() > 0);
        let before = listing(&root);
        let db = read_agent_db(&p, &root, &[]).unwrap();
        assert!(db.session_tables);
        assert_eq!(db.schema_version, Some(23));
        assert_eq!(listing(&root), before);
        drop(w);
    }

    #[test]
    fn wal_frames_without_shm_are_read_from_a_private_copy() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        let p = root.join("live.sqlite");
        file_era_db(&p, true);
        let w = Connection::open(&p).unwrap();
        w.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        w.execute_batch("CREATE TABLE session_nodes (k TEXT);")
            .unwrap();
        // A crashed gateway's files, copied without the -shm.
        let c = root.join("copy");
        std::fs::create_dir(&c).unwrap();
        std::fs::copy(&p, c.join("x.sqlite")).unwrap();
        std::fs::copy(with_suffix(&p, "-wal"), c.join("x.sqlite-wal")).unwrap();
        drop(w);
        let before = listing(&c);
        let db = read_agent_db(&c.join("x.sqlite"), &root, &[]).unwrap();
        assert!(db.session_tables, "the table only in the WAL is seen");
        assert_eq!(listing(&c), before, "nothing created or changed beside it");
    }

    #[test]
    fn not_sqlite_corrupt_and_empty() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        let p = root.join("x.sqlite");
        std::fs::write(&p, b"{\"not\": \"sqlite\"}").unwrap();
        let e = read_agent_db(&p, &root, &[]).unwrap_err();
        assert!(e.contains("not an SQLite database"), "{e}");
        // A valid header followed by garbage.
        let mut bytes = HEADER_MAGIC.to_vec();
        bytes.extend([0x10, 0x00, 1, 1, 0, 64, 32, 32]);
        bytes.resize(4096, 0xAB);
        std::fs::write(&p, &bytes).unwrap();
        let e = read_agent_db(&p, &root, &[]).unwrap_err();
        assert!(e.contains("SQLite"), "{e}");
        std::fs::write(&p, b"").unwrap();
        let db = read_agent_db(&p, &root, &[]).unwrap();
        assert!(!db.session_tables);
        assert_eq!(db.schema_version, None);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 0);
    }

    #[test]
    fn uris_escape_query_characters() {
        // An absolute path on each OS: a drive path on Windows (file:///C:/...).
        let (path, want) = if cfg!(windows) {
            (
                r"C:\a b\x?y#z%.sqlite",
                "file:///C:/a b/x%3fy%23z%25.sqlite?mode=ro",
            )
        } else {
            (
                "/a b/x?y#z%.sqlite",
                "file:///a b/x%3fy%23z%25.sqlite?mode=ro",
            )
        };
        assert_eq!(uri(Path::new(path), "mode=ro").unwrap(), want);
    }
}
