//! Every run folder under a backup root, as `undo --list` shows them and
//! as `undo` and repair's retention choose among them: its id, when it was
//! made, what it changed, its size and whether it was undone.

use super::{read_manifest, rebase, MANIFEST, UNDONE};
use crate::fsx;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How many files of each kind a run changed (its manifest's entries by
/// `action`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// `write`: indexes rewritten.
    pub indexes_rewritten: usize,
    /// `create`: indexes restored where none was.
    pub indexes_created: usize,
    /// `truncate`: transcripts cut.
    pub transcripts_cut: usize,
    /// `remove`: lock and temp files removed.
    pub files_removed: usize,
    /// `sqlite`: SQLite rows or leases edited.
    pub sqlite_edits: usize,
}

impl Counts {
    fn add(&mut self, action: &str) {
        match action {
            "write" => self.indexes_rewritten += 1,
            "create" => self.indexes_created += 1,
            "truncate" => self.transcripts_cut += 1,
            "remove" => self.files_removed += 1,
            "sqlite" => self.sqlite_edits += 1,
            _ => {}
        }
    }

    /// `1 index rewritten, 2 files removed`, or `nothing`.
    pub fn words(&self) -> String {
        let parts: Vec<String> = [
            (
                self.indexes_rewritten,
                "index rewritten",
                "indexes rewritten",
            ),
            (self.indexes_created, "index created", "indexes created"),
            (self.transcripts_cut, "transcript cut", "transcripts cut"),
            (self.files_removed, "file removed", "files removed"),
            (self.sqlite_edits, "SQLite edit", "SQLite edits"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect();
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

/// One run folder.
#[derive(Debug, Clone)]
pub struct Run {
    /// The folder's name (`<time>-<pid>`): what `undo --run` takes.
    pub id: String,
    pub dir: PathBuf,
    /// The manifest's `created` (RFC 3339), or `None` when it cannot be read.
    pub created: Option<String>,
    /// `created` in ms since the epoch.
    pub created_ms: Option<i64>,
    /// The state dir the manifest names, as written (before `rebase`).
    pub state_dir: Option<PathBuf>,
    /// Restored by `undo` (its manifest is `manifest.undone.json`).
    pub undone: bool,
    pub changes: Counts,
    /// Entries the manifest does not mark done (a run stopped in a phase,
    /// or a file that changed under it).
    pub unfinished: usize,
    /// The size of every file in the folder, in bytes.
    pub bytes: u64,
    /// Every file the run changed, rebased onto the state dir listed in.
    pub paths: Vec<PathBuf>,
    /// Why the manifest cannot be read, when it cannot.
    pub error: Option<String>,
}

/// A newer run, not yet undone, that changed a file of the run to undo:
/// its id and those files (none when its manifest cannot be read).
#[derive(Debug, Clone, Serialize)]
pub struct Blocking {
    #[serde(rename = "run")]
    pub id: String,
    pub paths: Vec<PathBuf>,
}

/// The order of run folders, oldest first: by the time in the name, then
/// by the pid after it (numerically), then by the name.
fn order_key(id: &str) -> (String, u64, String) {
    match id.rsplit_once('-') {
        Some((time, pid)) => (
            time.to_string(),
            pid.parse().unwrap_or(u64::MAX),
            id.to_string(),
        ),
        None => (id.to_string(), u64::MAX, id.to_string()),
    }
}

/// The total size of the files under `dir`, links not followed.
fn size_of(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// Read the run in `dir` (one with a manifest, or an undone manifest).
fn read_run(dir: PathBuf, id: String, state_dir: &Path) -> Run {
    let undone = !dir.join(MANIFEST).is_file();
    let path = dir.join(if undone { UNDONE } else { MANIFEST });
    let mut run = Run {
        bytes: size_of(&dir),
        id,
        dir,
        created: None,
        created_ms: None,
        state_dir: None,
        undone,
        changes: Counts::default(),
        unfinished: 0,
        paths: Vec::new(),
        error: None,
    };
    match read_manifest::<serde::de::IgnoredAny>(&path) {
        Ok(mut m) => {
            run.created_ms = chrono::DateTime::parse_from_rfc3339(&m.created)
                .ok()
                .map(|t| t.timestamp_millis());
            run.created = Some(m.created.clone());
            run.state_dir = Some(m.state_dir.clone());
            rebase(&mut m, state_dir);
            for e in m.entries {
                run.changes.add(&e.action);
                run.unfinished += usize::from(!e.done);
                run.paths.push(e.path);
            }
        }
        Err(e) => run.error = Some(e),
    }
    run
}

/// Every run folder under `root`, newest first: each directory (not a
/// link, its name not starting with `.`) holding `manifest.json` or
/// `manifest.undone.json`. A root that does not exist has none.
///
/// Errors: the root cannot be listed (in words, naming it).
pub fn list(root: &Path, state_dir: &Path) -> Result<Vec<Run>, String> {
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fsx::describe(root, &e)),
    };
    let mut runs: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(name, dir)| {
            !name.starts_with('.') && (dir.join(MANIFEST).is_file() || dir.join(UNDONE).is_file())
        })
        .collect();
    runs.sort_by_cached_key(|(name, _)| std::cmp::Reverse(order_key(name)));
    Ok(runs
        .into_iter()
        .map(|(id, dir)| read_run(dir, id, state_dir))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_ordered_by_time_then_pid() {
        let mut ids = vec![
            "20261124T030000.000Z-99",
            "20261124T030000.000Z-100",
            "20261123T030000.000Z-5",
        ];
        ids.sort_by_key(|i| std::cmp::Reverse(order_key(i)));
        assert_eq!(
            ids,
            [
                "20261124T030000.000Z-100",
                "20261124T030000.000Z-99",
                "20261123T030000.000Z-5"
            ]
        );
    }

    #[test]
    fn counts_in_words() {
        let mut c = Counts::default();
        assert_eq!(c.words(), "nothing");
        for a in ["write", "remove", "remove", "sqlite"] {
            c.add(a);
        }
        assert_eq!(
            c.words(),
            "1 index rewritten, 2 files removed, 1 SQLite edit"
        );
    }
}
