//! The layout of sessfix's backup folder, in one place for its writer
//! (`apply`), its readers (`state::copies`, which finds earlier copies of an
//! index there) and `undo`.
//!
//! `<root>/<time>-<pid>/` holds one run: the copies of every file the run
//! changed, and `manifest.json` naming each (renamed `manifest.undone.json`
//! once undone). `<root>` is `<state-dir>/sessfix-backups` unless
//! `--backup-dir` names another.
//!
//! This module imports nothing from the rest of sessfix but `fsx`: the
//! payload an SQLite edit records (`apply::sqlite::Undo`) is a type
//! parameter of the manifest, so a reader needs no writer.

pub mod runs;

use crate::fsx;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The backup root's name inside the state dir, when `--backup-dir` is not given.
pub const DEFAULT_DIR: &str = "sessfix-backups";
/// A run's manifest, inside its run folder.
pub const MANIFEST: &str = "manifest.json";
/// A run's manifest once `undo` restored it.
pub const UNDONE: &str = "manifest.undone.json";

/// The backup root of `state_dir`: `backup_dir` when given, else
/// `<state_dir>/sessfix-backups`.
pub fn root(state_dir: &Path, backup_dir: Option<&Path>) -> PathBuf {
    backup_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| state_dir.join(DEFAULT_DIR))
}

/// One file a run changed. `U` is what an SQLite edit records
/// (`apply::sqlite::Undo` for its writer; `serde::de::IgnoredAny` for a
/// reader that only wants the files).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry<U> {
    pub path: PathBuf,
    /// `write`, `create` (a restored index that did not exist: undo removes
    /// it), `truncate`, `remove` or `sqlite`.
    pub action: String,
    /// The backup copy, relative to the backup folder.
    pub backup: String,
    pub mode: u32,
    pub before_sha256: String,
    /// The content repair leaves (`write`), or none.
    pub after_sha256: Option<String>,
    /// For `truncate`: the length repair leaves.
    pub truncated_to: Option<u64>,
    /// Set once the change was made. The manifest is rewritten after each
    /// phase (indexes, cuts, removals), so after a crash a change can be made
    /// and not yet marked: `undo` then tells from the file itself.
    pub done: bool,
    /// For `sqlite` (an edit of an SQLite database, whose `backup` is a
    /// `VACUUM INTO` copy of the whole database): the row before and after,
    /// which `undo` puts back. Recorded once the edit is committed.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub sqlite: Option<U>,
}

fn none<U>() -> Option<U> {
    None
}

/// A run's `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest<U> {
    pub created: String,
    pub state_dir: PathBuf,
    pub entries: Vec<ManifestEntry<U>>,
}

/// What a reader of earlier runs needs of one manifest entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupEntry {
    /// The file the run changed, rebased onto the state dir it was read in.
    pub path: PathBuf,
    /// Its copy, relative to the run folder.
    pub backup: String,
    /// What the run did to it (`ManifestEntry::action`).
    pub action: String,
}

/// `p` made absolute against this process's directory (no link resolved):
/// what the manifest keeps, so `undo` works from any directory.
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Read the manifest at `path` (at most 64 MiB). Errors are in words, naming the file.
pub fn read_manifest<U: serde::de::DeserializeOwned>(path: &Path) -> Result<Manifest<U>, String> {
    let (bytes, _) = fsx::read_regular(path, 1 << 26).map_err(|e| fsx::describe(path, &e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a sessfix manifest: {e}", path.display()))
}

/// The entries of the run in `run_dir`, from its manifest or, once undone,
/// its undone manifest, rebased onto `state_dir` (`rebase`). `None` when
/// the folder holds neither, or it cannot be read or parsed.
pub fn entries(run_dir: &Path, state_dir: &Path) -> Option<Vec<BackupEntry>> {
    let path = [MANIFEST, UNDONE]
        .iter()
        .map(|m| run_dir.join(m))
        .find(|p| p.is_file())?;
    let mut m = read_manifest::<serde::de::IgnoredAny>(&path).ok()?;
    rebase(&mut m, state_dir);
    Some(
        m.entries
            .into_iter()
            .map(|e| BackupEntry {
                path: e.path,
                backup: e.backup,
                action: e.action,
            })
            .collect(),
    )
}

/// A manifest's paths under its `stateDir` moved under `state_dir`, the
/// state dir the backup was found in: a state dir copied or moved since the
/// repair (a restored backup, a migration) is undone where it is now, never
/// where it was. A manifest of an older sessfix keeps paths as the repair was
/// given them (`"stateDir": "."`); those are moved the same way. A path
/// outside the manifest's `stateDir` (a `--store` elsewhere) is kept.
pub fn rebase<U>(m: &mut Manifest<U>, state_dir: &Path) {
    let here = absolute(state_dir);
    if m.state_dir == here {
        return;
    }
    for e in &mut m.entries {
        if let Ok(rest) = e.path.strip_prefix(&m.state_dir) {
            e.path = here.join(rest);
        }
    }
    m.state_dir = here;
}
