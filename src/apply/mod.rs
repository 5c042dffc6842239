//! Carry out a plan so that nothing can be lost: an exclusive run lock, a
//! complete backup with a manifest before the first change, every file re-read
//! and compared just before it is changed, atomic writes, the index before the
//! locks, each lock re-checked (content and inode) right before removal.

mod queue;
pub mod sqlite;
mod undo;

pub use undo::{check as check_undo, has_sqlite_edits, undo, FileCheck, Verdict};

use crate::backup::{self, absolute};
use crate::fsx::{self, Identity};
use crate::plan::Plan;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use crate::backup::MANIFEST;

/// A manifest entry as this writer records it (the SQLite payload typed).
pub type ManifestEntry = backup::ManifestEntry<sqlite::Undo>;
/// A run's manifest as this writer records it.
pub type Manifest = backup::Manifest<sqlite::Undo>;

#[derive(Debug, Default)]
pub struct Outcome {
    pub done: Vec<Change>,
    /// Files that changed since the plan was made: left alone.
    pub changed: Vec<Change>,
    pub backup_dir: Option<PathBuf>,
}

/// One change repair made, or one it did not make because the file changed
/// since the plan was made: a record for `--json`, a line of prose otherwise.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// `set-field`, `rewrite-strict`, `restore-index`, `cut`, `remove` or
    /// `write-index`.
    pub action: &'static str,
    pub path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The field's raw JSON before and after (absent: no such field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// For `cut`: the bytes cut off the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// What it was, or why it was not done.
    pub detail: String,
}

impl Change {
    fn new(action: &'static str, path: &Path, detail: String) -> Change {
        Change {
            action,
            path: path.to_path_buf(),
            key: None,
            field: None,
            before: None,
            after: None,
            bytes: None,
            detail,
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.path.display())?;
        match (self.action, &self.key, &self.field) {
            ("set-field", Some(key), Some(field)) => write!(
                f,
                "{key} {field}: {} -> {}",
                self.before.as_deref().unwrap_or("(absent)"),
                self.after.as_deref().unwrap_or("(removed)")
            ),
            _ => f.write_str(&self.detail),
        }
    }
}

pub fn sha256(b: &[u8]) -> String {
    fsx::sha256(&[b])
}

/// The index as the plan read it, read again; `None` when it changed since.
/// A restore of a missing index reads it as absent: empty bytes.
fn read_planned(w: &crate::plan::IndexWrite) -> Option<Vec<u8>> {
    if w.before_missing {
        return match std::fs::symlink_metadata(&w.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Vec::new()),
            _ => None,
        };
    }
    let (bytes, _) = fsx::read_regular(&w.path, crate::state::MAX_INDEX_BYTES).ok()?;
    w.is_before(&bytes).then_some(bytes)
}

/// The bytes the new index is spliced from: the intact copy a restore reads
/// (read again; `None` when it changed since the plan), else the index's own.
fn splice_source(w: &crate::plan::IndexWrite, before: Vec<u8>) -> Option<Vec<u8>> {
    let Some(r) = &w.restore_from else {
        return Some(before);
    };
    let (bytes, _) = fsx::read_regular(&r.path, crate::state::MAX_INDEX_BYTES).ok()?;
    r.is_copy(&bytes).then_some(bytes)
}

fn restore_source_changed(w: &crate::plan::IndexWrite) -> Change {
    Change::new(
        "write-index",
        w.restore_from.as_ref().map_or(&w.path, |r| &r.path),
        "the copy to restore from changed since the plan was made; not restored (its locks are left too)".into(),
    )
}

fn index_changed(w: &crate::plan::IndexWrite) -> Change {
    Change::new(
        "write-index",
        &w.path,
        "changed since the plan was made; not written (its locks are left too)".into(),
    )
}

/// One sessfix run per state dir, for the life of the value: an exclusive
/// `flock` on the state directory itself on Unix (no file is created for it,
/// so a run with nothing to do leaves the state dir exactly as it found it),
/// a lock on `.sessfix.lock` in it on Windows (`fsx::os`).
pub use fsx::os::RunLock;

pub fn lock_run(state_dir: &Path) -> Result<RunLock, String> {
    fsx::os::lock_run(state_dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::WouldBlock {
            format!(
                "{}: another sessfix run holds this state dir's lock",
                state_dir.display()
            )
        } else {
            fsx::describe(state_dir, &e)
        }
    })
}

/// Why the run lock was not taken by `lock_run_waiting`.
#[derive(Debug)]
pub enum LockError {
    /// Another run held it for the whole wait; its pid where the OS tells.
    Held { waited_ms: u64, holder: Option<u32> },
    /// It could not be tried at all (the message names the path).
    Other(String),
}

/// `lock_run`, waiting up to `wait_ms` for another run to let go (as cargo
/// waits for its package cache lock, but bounded): `waiting` is told once,
/// with the holder's pid where the OS tells (Linux), when the wait begins.
pub fn lock_run_waiting(
    state_dir: &Path,
    wait_ms: u64,
    waiting: &mut dyn FnMut(Option<u32>),
) -> Result<RunLock, LockError> {
    let start = std::time::Instant::now();
    let mut told = false;
    loop {
        match fsx::os::lock_run(state_dir) {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let waited_ms = start.elapsed().as_millis() as u64;
                if waited_ms >= wait_ms {
                    return Err(LockError::Held {
                        waited_ms,
                        holder: fsx::os::run_lock_holder(state_dir),
                    });
                }
                if !told {
                    waiting(fsx::os::run_lock_holder(state_dir));
                    told = true;
                }
                let left = wait_ms - waited_ms;
                std::thread::sleep(std::time::Duration::from_millis(left.min(100)));
            }
            Err(e) => return Err(LockError::Other(fsx::describe(state_dir, &e))),
        }
    }
}

pub use crate::fsx::checkpoint;

/// The folder a run of this process at `now_ms` backs up into.
pub fn backup_dir_for(backup_root: &Path, now_ms: i64) -> PathBuf {
    backup_root.join(backup_name(now_ms))
}

fn backup_name(now_ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    format!("{}-{}", t.format("%Y%m%dT%H%M%S%.3fZ"), std::process::id())
}

/// Write `m` to `dir`'s manifest, every path in it made absolute, as it is
/// serialised: a run of 100,000 entries holds no copy of it.
fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), String> {
    /// `Manifest`'s fields, in its order, its paths absolute.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Absolute<'a> {
        created: &'a str,
        state_dir: PathBuf,
        entries: Entries<'a>,
    }
    struct Entries<'a>(&'a [ManifestEntry]);
    impl serde::Serialize for Entries<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(|e| ManifestEntry {
                path: absolute(&e.path),
                ..e.clone()
            }))
        }
    }
    let view = Absolute {
        created: &m.created,
        state_dir: absolute(&m.state_dir),
        entries: Entries(&m.entries),
    };
    let p = dir.join(MANIFEST);
    fsx::write_atomic_with(
        &p,
        0o600,
        || {},
        |out| serde_json::to_writer_pretty(out, &view).map_err(std::io::Error::from),
    )
    .and_then(|_| fsx::os::own_like_parent(&p))
    .map_err(|e| fsx::describe_write(&p, &e))
}

/// Write a backup file, not yet synced (`Run::sync_backups` syncs it).
fn save_backup(dir: &Path, name: &str, bytes: &[u8]) -> Result<(PathBuf, std::fs::File), String> {
    let p = dir.join(name);
    let mut f = fsx::os::create_private(&p).map_err(|e| fsx::describe_write(&p, &e))?;
    f.write_all(bytes)
        .map_err(|e| fsx::describe_write(&p, &e))?;
    Ok((p, f))
}

/// How many backup files are written before they are synced, together
/// (`fsx::sync_files`): a journaling filesystem then commits several in one
/// go, where writing and syncing each in turn commits once per file.
/// Measured on ext4 on this project's virtual disk, the 810 fsyncs of a
/// repair that backs up 724 locks took a median 0.43 s against 0.52 s one
/// by one (7 runs each, noisy), synced one after another; synced 16 at a
/// time, see the README's performance figures. The batch bounds the files
/// held open.
const SYNC_BATCH: usize = 128;

/// A backup at least this large is hashed on another thread while it is
/// written; a smaller one (a lock) is hashed on this one.
const HASH_ASIDE_BYTES: usize = 1 << 20;

/// The very file the plan read: same inode, size, mtime and ctime. Inode
/// numbers are reused at once on most filesystems, so the inode alone does not
/// tell a lock deleted and written again from the original.
fn same_file(id: Option<Identity>, meta: &std::fs::Metadata) -> bool {
    id.is_some_and(|id| id == Identity::of(meta))
}

/// Apply `plan`. The caller holds the run lock and has checked the gateway.
pub fn apply(
    plan: &Plan,
    state_dir: &Path,
    backup_root: &Path,
    now_ms: i64,
) -> Result<Outcome, String> {
    apply_with_progress(plan, state_dir, backup_root, now_ms, &|_| {})
}

/// How far `apply` is: `done` of `total` files in the step named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// `backed up`, `indexes written`, `transcripts cut`, `files removed` or
    /// `database edits`; `done` is 0 as a step begins.
    pub step: &'static str,
    pub done: usize,
    pub total: usize,
}

impl Progress {
    /// The phase a person watching is told: `backing up` (every backup,
    /// before any change), then `writing` (indexes, cuts, removals, database
    /// edits).
    pub fn phase(&self) -> &'static str {
        if self.step == "backed up" {
            "backing up"
        } else {
            "writing"
        }
    }
}

/// `apply`, telling `progress` as it starts to back up, then after each file
/// it backs up or writes, and before each cut or removal.
/// One run's state while it applies a plan: the backup folder and its
/// manifest, what was done so far, and the agents whose index changed since
/// the plan (nothing more of theirs is removed).
struct Run<'a> {
    dir: PathBuf,
    manifest: Manifest,
    out: Outcome,
    blocked_agents: std::collections::HashSet<String>,
    progress: &'a dyn Fn(Progress),
    /// The files of the plan, and how many were backed up so far.
    files: usize,
    backed_up: usize,
    /// Backups written and not yet synced (`sync_backups`).
    unsynced: Vec<(PathBuf, std::fs::File)>,
}

impl Run<'_> {
    fn tell(&self, step: &'static str, done: usize, total: usize) {
        (self.progress)(Progress { step, done, total });
    }

    fn save(&self) -> Result<(), String> {
        write_manifest(&self.dir, &self.manifest)
    }

    /// Sync every backup written so far (phase 1 ends with it: each copy is
    /// durable before anything is changed).
    fn sync_backups(&mut self) -> Result<(), String> {
        let (paths, files): (Vec<PathBuf>, Vec<std::fs::File>) = self.unsynced.drain(..).unzip();
        fsx::sync_files(&files).map_err(|(i, e)| fsx::describe(&paths[i], &e))
    }

    /// Copy `bytes` (what `path` holds) into the backup folder as the next
    /// numbered file named `what`: its manifest entry, not yet pushed.
    fn backup(
        &mut self,
        path: &Path,
        action: &str,
        what: &str,
        bytes: &[u8],
    ) -> Result<ManifestEntry, String> {
        self.backed_up += 1;
        self.tell("backed up", self.backed_up, self.files);
        let name = format!("{:04}-{what}", self.backed_up);
        let dir = &self.dir;
        // A large copy is hashed while it is written.
        let (before_sha256, written) = if bytes.len() >= HASH_ASIDE_BYTES {
            std::thread::scope(|s| {
                let digest = s.spawn(|| sha256(bytes));
                let written = save_backup(dir, &name, bytes)?;
                Ok::<_, String>((digest.join().expect("hashing does not panic"), written))
            })?
        } else {
            (sha256(bytes), save_backup(dir, &name, bytes)?)
        };
        self.unsynced.push(written);
        if self.unsynced.len() >= SYNC_BATCH {
            self.sync_backups()?;
        }
        let mode = std::fs::symlink_metadata(path)
            .map(|m| fsx::os::mode_of(&m))
            .unwrap_or(0o600);
        Ok(ManifestEntry {
            path: path.to_path_buf(),
            action: action.into(),
            backup: name,
            mode,
            before_sha256,
            after_sha256: None,
            truncated_to: None,
            done: false,
            sqlite: None,
        })
    }
}

/// Where phase 1 left the backups: the manifest entry of each index write
/// (`None`: it changed since the plan), the bytes of the first index (still
/// held), and the first entries of the cuts and of the removals.
struct BackedUp {
    index_entries: Vec<Option<usize>>,
    kept: Option<Vec<u8>>,
    first_cut: usize,
    first_removal: usize,
}

pub fn apply_with_progress(
    plan: &Plan,
    state_dir: &Path,
    backup_root: &Path,
    now_ms: i64,
    progress: &dyn Fn(Progress),
) -> Result<Outcome, String> {
    let files = plan.indexes.len()
        + plan.transcripts.len()
        + plan.removals.len()
        + plan.sqlite.len()
        + plan.queues.len();
    if plan.is_empty() {
        return Ok(Outcome::default());
    }
    for e in &plan.sqlite {
        sqlite::check_writable(&e.path)?;
    }
    // An index is written in its own place only where its owner and group
    // can be kept: found out before any backup is made or file changed.
    for w in &plan.indexes {
        if let Ok(meta) = std::fs::symlink_metadata(&w.path) {
            fsx::os::can_keep_owner(&meta).map_err(|why| {
                format!(
                    "{}: cannot be rewritten keeping its owner: {why}; nothing was changed",
                    w.path.display()
                )
            })?;
        }
    }
    checkpoint("planned");
    fsx::os::mkdir_private(backup_root).map_err(|e| fsx::describe_write(backup_root, &e))?;
    let dir = backup_dir_for(backup_root, now_ms);
    fsx::os::mkdir_private(&dir).map_err(|e| fsx::describe_write(&dir, &e))?;
    let mut run = Run {
        dir,
        manifest: Manifest {
            created: chrono::DateTime::from_timestamp_millis(now_ms)
                .unwrap_or_default()
                .to_rfc3339(),
            state_dir: state_dir.to_path_buf(),
            entries: Vec::new(),
        },
        out: Outcome::default(),
        blocked_agents: Default::default(),
        progress,
        files,
        backed_up: 0,
        unsynced: Vec::new(),
    };
    // 1. Backups of everything first, and the manifest, before any change.
    run.tell("backed up", 0, files);
    let backed_up = back_up(&mut run, plan)?;
    let first_queue_file = queue::back_up_files(&mut run, plan)?;
    run.save()?;
    run.out.backup_dir = Some(run.dir.clone());
    checkpoint("backed-up");
    write_indexes(&mut run, plan, backed_up.index_entries, backed_up.kept)?;
    cut_transcripts(&mut run, plan, backed_up.first_cut)?;
    remove_files(&mut run, plan, backed_up.first_removal)?;
    edit_databases(&mut run, plan)?;
    queue::edit_files(&mut run, plan, first_queue_file)?;
    Ok(run.out)
}

/// Phase 1: a copy of every file the plan changes, before any change.
fn back_up(run: &mut Run<'_>, plan: &Plan) -> Result<BackedUp, String> {
    // One index in memory at a time: each is read again here and below.
    // Backed up last to first, so the bytes kept are those written first.
    let mut index_entries = vec![None; plan.indexes.len()];
    let mut kept: Option<Vec<u8>> = None;
    for (k, w) in plan.indexes.iter().enumerate().rev() {
        // The index before this one is backed up: let its bytes go before
        // this one's are read.
        kept = None;
        let Some(before) = read_planned(w) else {
            run.out.changed.push(index_changed(w));
            run.blocked_agents.insert(w.agent.clone());
            continue;
        };
        // A restore splices the copy; its current file (if any) is backed up.
        let source = if w.restore_from.is_some() {
            match splice_source(w, Vec::new()) {
                Some(b) => Some(b),
                None => {
                    run.out.changed.push(restore_source_changed(w));
                    run.blocked_agents.insert(w.agent.clone());
                    continue;
                }
            }
        } else {
            None
        };
        let action = if w.before_missing { "create" } else { "write" };
        let (e, after_sha256) = std::thread::scope(|s| {
            let after =
                s.spawn(|| fsx::sha256(&w.after_pieces(source.as_deref().unwrap_or(&before))));
            let e = run.backup(&w.path, action, "sessions.json", &before);
            (e, after.join().expect("hashing does not panic"))
        });
        index_entries[k] = Some(run.manifest.entries.len());
        run.manifest.entries.push(ManifestEntry {
            after_sha256: Some(after_sha256),
            ..e?
        });
        kept = Some(before);
    }
    let first_cut = run.manifest.entries.len();
    for c in &plan.transcripts {
        let (tail, _, _) =
            fsx::read_tail(&c.path, c.size - c.at).map_err(|e| fsx::describe(&c.path, &e))?;
        let e = run.backup(&c.path, "truncate", "transcript-tail", &tail)?;
        run.manifest.entries.push(ManifestEntry {
            mode: 0,
            truncated_to: Some(c.at),
            ..e
        });
    }
    let first_removal = run.manifest.entries.len();
    for r in &plan.removals {
        let e = run.backup(&r.path, "remove", "removed", &r.bytes)?;
        run.manifest.entries.push(e);
    }
    run.sync_backups()?;
    Ok(BackedUp {
        index_entries,
        kept,
        first_cut,
        first_removal,
    })
}

/// Phase 2: the indexes.
fn write_indexes(
    run: &mut Run<'_>,
    plan: &Plan,
    index_entries: Vec<Option<usize>>,
    mut kept: Option<Vec<u8>>,
) -> Result<(), String> {
    // 2. Indexes, each re-read and compared first.
    let mut written = 0;
    if !plan.indexes.is_empty() {
        run.tell("indexes written", 0, plan.indexes.len());
    }
    for (w, i) in plan.indexes.iter().zip(index_entries) {
        let Some(i) = i else { continue };
        checkpoint("write");
        // The first index's bytes are still held: compare the file with them
        // in chunks rather than read and hash it again.
        let before = match kept.take() {
            _ if w.restore_from.is_some() => read_planned(w),
            Some(b) if fsx::has_content(&w.path, &b).unwrap_or(false) => Some(b),
            Some(_) => None,
            None => read_planned(w),
        };
        let Some(before) = before else {
            run.out.changed.push(index_changed(w));
            run.blocked_agents.insert(w.agent.clone());
            continue;
        };
        let Some(source) = splice_source(w, before) else {
            run.out.changed.push(restore_source_changed(w));
            run.blocked_agents.insert(w.agent.clone());
            continue;
        };
        fsx::write_atomic_pieces(&w.path, &w.after_pieces(&source), 0o600, || {
            checkpoint("temp-written")
        })
        .map_err(|e| fsx::describe_write(&w.path, &e))?;
        run.manifest.entries[i].done = true;
        checkpoint("written");
        written += 1;
        run.tell("indexes written", written, plan.indexes.len());
        if let Some(r) = &w.restore_from {
            run.out.done.push(Change::new(
                "restore-index",
                &w.path,
                format!(
                    "restored from {} ({})",
                    r.path.display(),
                    crate::text::plural(r.entries, "entry", "entries")
                ),
            ));
        }
        for e in &w.edits {
            for c in &e.changes {
                run.out.done.push(Change {
                    key: Some(e.key.clone()),
                    field: Some(c.field.to_string()),
                    before: c.before.clone(),
                    after: c.after.clone(),
                    ..Change::new("set-field", &w.path, e.reason.to_string())
                });
            }
        }
        if w.rewrite_strict {
            run.out.done.push(Change::new(
                "rewrite-strict",
                &w.path,
                "rewritten as strict JSON".into(),
            ));
        }
    }

    if !plan.indexes.is_empty() {
        run.save()?;
    }
    Ok(())
}

/// Phase 3: the transcript cuts.
fn cut_transcripts(run: &mut Run<'_>, plan: &Plan, first_cut: usize) -> Result<(), String> {
    // 3. Transcript cuts, re-checked by identity.
    for (i, c) in (first_cut..).zip(&plan.transcripts) {
        checkpoint("cut");
        run.tell("transcripts cut", i - first_cut + 1, plan.transcripts.len());
        let f = fsx::os::open_nofollow(&c.path, std::fs::OpenOptions::new().write(true));
        let ok = f
            .as_ref()
            .ok()
            .and_then(|f| f.metadata().ok())
            .is_some_and(|m| m.is_file() && Identity::of(&m) == c.identity);
        if !ok {
            run.out.changed.push(Change::new(
                "cut",
                &c.path,
                "changed since the plan was made; not cut".into(),
            ));
            continue;
        }
        let f = f.map_err(|e| fsx::describe_write(&c.path, &e))?;
        f.set_len(c.at)
            .and_then(|_| f.sync_all())
            .map_err(|e| fsx::describe_write(&c.path, &e))?;
        run.manifest.entries[i].done = true;
        let n = c.size - c.at;
        run.out.done.push(Change {
            key: Some(c.key.clone()),
            bytes: Some(n),
            ..Change::new(
                "cut",
                &c.path,
                format!(
                    "cut {n} trailing {} ({} of {})",
                    if n == 1 { "byte" } else { "bytes" },
                    if c.reason.starts_with("torn") {
                        "a torn last line"
                    } else {
                        "restart artifacts"
                    },
                    c.key
                ),
            )
        });
    }

    if !plan.transcripts.is_empty() {
        run.save()?;
    }
    Ok(())
}

/// Phase 4: the removals.
fn remove_files(run: &mut Run<'_>, plan: &Plan, first_removal: usize) -> Result<(), String> {
    // 4. Lock and leftover removals, after the index, each re-checked.
    // Each directory once, in the order of the first removal from it.
    let mut removed_from = Vec::new();
    let mut seen_dirs = std::collections::HashSet::new();
    for (i, r) in (first_removal..).zip(&plan.removals) {
        if run.blocked_agents.contains(&r.agent) {
            continue;
        }
        checkpoint("remove");
        run.tell("files removed", i - first_removal + 1, plan.removals.len());
        // Anything larger than what the plan read has changed.
        let still = fsx::read_regular(&r.path, r.bytes.len() as u64);
        let unchanged = match &still {
            Ok((bytes, meta)) => bytes == &r.bytes && same_file(r.identity, meta),
            Err(_) => false,
        };
        if !unchanged {
            run.out.changed.push(Change::new(
                "remove",
                &r.path,
                "changed since the plan was made; not removed".into(),
            ));
            continue;
        }
        std::fs::remove_file(&r.path).map_err(|e| fsx::describe_write(&r.path, &e))?;
        if let Some(parent) = r.path.parent() {
            if seen_dirs.insert(parent) {
                removed_from.push(parent);
            }
        }
        run.manifest.entries[i].done = true;
        checkpoint("removed");
        run.out.done.push(Change::new(
            "remove",
            &r.path,
            format!("removed {} ({})", r.what, r.reason),
        ));
    }
    for d in removed_from {
        let _ = fsx::sync_dir(d);
    }
    if !plan.removals.is_empty() {
        run.save()?;
    }
    Ok(())
}

/// Phase 5: the SQLite edits.
fn edit_databases(run: &mut Run<'_>, plan: &Plan) -> Result<(), String> {
    // 5. SQLite edits: per database a consistent copy first, then each edit
    // in its own transaction.
    let mut copies: std::collections::HashMap<PathBuf, String> = Default::default();
    for (k, e) in plan.sqlite.iter().enumerate() {
        checkpoint("sqlite");
        let mut conn = sqlite::open_rw(&e.path)?;
        let copy = match copies.get(&e.path) {
            Some(name) => name.clone(),
            None => {
                let name = format!(
                    "{:04}-{}",
                    run.manifest.entries.len() + 1,
                    e.path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "database.sqlite".into())
                );
                sqlite::backup(&conn, &e.path, &run.dir.join(&name))?;
                copies.insert(e.path.clone(), name.clone());
                name
            }
        };
        run.tell("backed up", run.backed_up + k + 1, run.files);
        let i = run.manifest.entries.len();
        run.manifest.entries.push(ManifestEntry {
            path: e.path.clone(),
            action: "sqlite".into(),
            backup: copy,
            mode: std::fs::symlink_metadata(&e.path)
                .map(|m| fsx::os::mode_of(&m))
                .unwrap_or(0o600),
            before_sha256: sha256(&serde_json::to_vec(&e.op).map_err(|x| x.to_string())?),
            after_sha256: None,
            truncated_to: None,
            done: false,
            sqlite: None,
        });
        run.save()?;
        run.out.backup_dir = Some(run.dir.clone());
        match sqlite::apply_edit(&mut conn, &e.path, e)? {
            (sqlite::Edited::Changed(why), _) => {
                run.out.changed.push(Change::new("sqlite", &e.path, why));
            }
            (sqlite::Edited::Done, undo) => {
                run.manifest.entries[i].done = true;
                run.manifest.entries[i].sqlite = undo;
                run.save()?;
                for c in &e.changes {
                    run.out.done.push(Change {
                        key: Some(e.key.clone()),
                        field: Some(c.field.to_string()),
                        before: c.before.clone(),
                        after: c.after.clone(),
                        ..Change::new("set-field", &e.path, e.reason.to_string())
                    });
                }
                if e.changes.is_empty() {
                    run.out.done.push(Change {
                        key: Some(e.key.clone()),
                        ..Change::new(
                            "sqlite",
                            &e.path,
                            format!("{} {}: {}", e.action, e.key, e.reason),
                        )
                    });
                }
                run.tell("database edits", k + 1, plan.sqlite.len());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifest written as it is serialised is the one a copy with
    /// absolute paths serialises to, byte for byte.
    #[test]
    fn the_manifest_is_written_with_absolute_paths() {
        let dir = tempfile::tempdir().unwrap();
        let entry = |path: &str, action: &str| ManifestEntry {
            path: PathBuf::from(path),
            action: action.into(),
            backup: format!("{action}.bak"),
            mode: 0o600,
            before_sha256: "ab".into(),
            after_sha256: None,
            truncated_to: Some(7),
            done: true,
            sqlite: None,
        };
        let m = Manifest {
            created: "2026-12-01T00:00:00Z".into(),
            state_dir: PathBuf::from("state"),
            entries: vec![
                entry("state/agents/main/sessions/sessions.json", "write"),
                entry("/abs/x.jsonl.lock", "remove"),
            ],
        };
        write_manifest(dir.path(), &m).unwrap();
        let mut copy = m.clone();
        copy.state_dir = absolute(&copy.state_dir);
        for e in &mut copy.entries {
            e.path = absolute(&e.path);
        }
        let written = std::fs::read(dir.path().join(MANIFEST)).unwrap();
        assert_eq!(written, serde_json::to_vec_pretty(&copy).unwrap());
        assert!(copy.entries[0].path.is_absolute() && copy.entries[0].path != m.entries[0].path);
    }
}
