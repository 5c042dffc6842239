//! Undoing a repair: every file of one backup restored, if each is still
//! as that repair left it (`undo`).

use super::{sha256, sqlite, Manifest, ManifestEntry, MANIFEST};
use crate::backup;
use crate::fsx;
use std::io::Write;
use std::path::Path;

/// Whether the manifest in `dir` records SQLite edits.
pub fn has_sqlite_edits(dir: &Path) -> bool {
    backup::read_manifest::<serde::de::IgnoredAny>(&dir.join(MANIFEST))
        .is_ok_and(|m| m.entries.iter().any(|e| e.action == "sqlite"))
}

/// Whether the change of a manifest entry is in the file now: what `undo`
/// restores. `None`: the file is neither as repair left it nor as it was.
fn change_in_place(e: &ManifestEntry) -> Option<bool> {
    match e.action.as_str() {
        "sqlite" => match &e.sqlite {
            Some(u) => sqlite::change_in_place(&e.path, u),
            // Not recorded as committed: nothing to put back (a crash between
            // the commit and the manifest leaves the row as the plan made it,
            // which `undo` then reports as changed).
            None => Some(false),
        },
        "create" => {
            let cur =
                fsx::read_regular(&e.path, crate::state::MAX_INDEX_BYTES).map(|(b, _)| sha256(&b));
            match cur {
                Ok(c) if Some(&c) == e.after_sha256.as_ref() => Some(true),
                Err(x) if x.kind() == std::io::ErrorKind::NotFound => Some(false),
                _ => None,
            }
        }
        "write" => {
            let cur = fsx::read_regular(&e.path, crate::state::MAX_INDEX_BYTES)
                .map(|(b, _)| sha256(&b))
                .ok();
            if cur.is_some() && cur == e.after_sha256 {
                Some(true)
            } else if cur.as_ref() == Some(&e.before_sha256) {
                Some(false)
            } else {
                None
            }
        }
        "truncate" => {
            let len = std::fs::symlink_metadata(&e.path).map(|m| m.len()).ok();
            (len.is_some() && len == e.truncated_to).then_some(true)
        }
        _ => Some(std::fs::symlink_metadata(&e.path).is_err()),
    }
}

fn undo_what(u: &sqlite::Undo) -> String {
    match u {
        sqlite::Undo::Row(r) => format!("session {}", r.key),
        sqlite::Undo::Lease { before } => format!("lease {}/{}", before.scope, before.lease_key),
        sqlite::Undo::QueueRowsRemoved { rows } => format!("{} dead letters", rows.len()),
        sqlite::Undo::QueueRow { before, after } => {
            let (q, id) = sqlite::queue_key(before.as_ref().or(after.as_ref()).expect("one image"));
            format!("queue row {q}/{id}")
        }
    }
}

/// Remove the temps a run stopped between writing an index and renaming it
/// left beside that index (`.<name>.sessfix-<pid>-<n>.tmp`, `fsx::write_atomic`;
/// `<pid>` ends the backup folder's name): the state before the run had none,
/// and each holds only what the run computed from the index it backed up.
fn remove_run_temps(dir: &Path, entries: &[ManifestEntry]) -> Vec<String> {
    let Some(pid) = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.rsplit_once('-'))
        .and_then(|(_, p)| p.parse::<u32>().ok())
    else {
        return Vec::new();
    };
    let mut done = Vec::new();
    for e in entries
        .iter()
        .filter(|e| matches!(e.action.as_str(), "write" | "create"))
    {
        let (Some(parent), Some(target)) = (e.path.parent(), e.path.file_name()) else {
            continue;
        };
        let target = target.to_string_lossy();
        let Ok(list) = std::fs::read_dir(parent) else {
            continue;
        };
        for f in list.flatten() {
            let ours = f
                .file_name()
                .to_str()
                .and_then(|n| fsx::temp_pid(n, &target))
                == Some(pid);
            if ours
                && f.file_type().is_ok_and(|t| t.is_file())
                && std::fs::remove_file(f.path()).is_ok()
            {
                done.push(format!(
                    "{}: removed (the temp of that run, stopped before it replaced the index)",
                    f.path().display()
                ));
            }
        }
    }
    done
}

/// What `undo` does with one file of a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The change is in place: undo restores the file.
    Restore,
    /// The change was never made (a run stopped before it): nothing to do.
    NotMade,
    /// The file is neither as the repair left it nor as it was: undo
    /// refuses the whole backup (why, in words).
    Changed(&'static str),
    /// The change is in place, but the OS would not let undo restore the
    /// file now (Windows: read-only, open without delete sharing): undo
    /// refuses the whole backup (why, in words).
    Blocked(String),
}

/// One file of a backup and what `undo` does with it (`check`).
#[derive(Debug, Clone)]
pub struct FileCheck {
    pub path: std::path::PathBuf,
    /// The manifest entry's `action`.
    pub action: String,
    pub verdict: Verdict,
}

fn verdict(e: &ManifestEntry) -> Verdict {
    match (change_in_place(e), e.done) {
        // Restored in place (a truncate's append, a database row) or by
        // replacing the file: only the read-only attribute blocks the first.
        (Some(true), _) => match crate::fsx::os::replace_blocked(
            &e.path,
            e.sqlite.is_none() && e.action != "truncate",
        ) {
            Some(why) => Verdict::Blocked(format!("cannot be restored now: {why}")),
            None => Verdict::Restore,
        },
        (_, false) => Verdict::NotMade,
        (_, true) if e.action == "remove" => Verdict::Changed("exists again since the repair"),
        (_, true) => Verdict::Changed("changed since the repair"),
    }
}

/// The manifest of the backup in `dir`, its paths under `state_dir`.
fn manifest(dir: &Path, state_dir: &Path) -> Result<Manifest, String> {
    let mut m: Manifest = backup::read_manifest(&dir.join(MANIFEST))?;
    backup::rebase(&mut m, state_dir);
    Ok(m)
}

/// What `undo` would do with each file of the backup in `dir`, changing
/// nothing (`undo --dry-run`): restore it, nothing, or refuse.
///
/// Errors: the manifest cannot be read (in words, naming it).
pub fn check(dir: &Path, state_dir: &Path) -> Result<Vec<FileCheck>, String> {
    Ok(manifest(dir, state_dir)?
        .entries
        .iter()
        .map(|e| FileCheck {
            path: e.path.clone(),
            action: e.action.clone(),
            verdict: verdict(e),
        })
        .collect())
}

/// Restore the files of one backup, if every one is still as repair left it.
/// A change the manifest marks done must still be in place; one it does not
/// mark (a run stopped in the middle of a phase) is restored when the file
/// shows it was made, and left alone otherwise.
///
/// `state_dir` is the state dir `undo` was given: the manifest's paths under
/// its `stateDir` are taken as under `state_dir` (`backup::rebase`).
pub fn undo(dir: &Path, state_dir: &Path) -> Result<Vec<String>, String> {
    let mp = dir.join(MANIFEST);
    let m = manifest(dir, state_dir)?;
    let mut problems = Vec::new();
    let mut restore = Vec::new();
    for e in &m.entries {
        match verdict(e) {
            Verdict::Restore => restore.push(e),
            Verdict::NotMade => {}
            Verdict::Changed(why) => problems.push(format!("{}: {why}", e.path.display())),
            Verdict::Blocked(why) => problems.push(format!("{}: {why}", e.path.display())),
        }
    }
    if !problems.is_empty() {
        return Err(format!(
            "refusing to undo {}:\n  {}",
            dir.display(),
            problems.join("\n  ")
        ));
    }
    let mut done = Vec::new();
    for e in restore {
        if let Some(u) = &e.sqlite {
            sqlite::restore(&e.path, u)?;
            done.push(format!("{}: {} restored", e.path.display(), undo_what(u)));
            continue;
        }
        let src = dir.join(&e.backup);
        let (b, _) = fsx::read_regular(&src, u64::MAX).map_err(|x| fsx::describe(&src, &x))?;
        match e.action.as_str() {
            "truncate" => {
                let mut f =
                    fsx::os::open_nofollow(&e.path, std::fs::OpenOptions::new().append(true))
                        .map_err(|x| fsx::describe_write(&e.path, &x))?;
                f.write_all(&b)
                    .and_then(|_| f.sync_all())
                    .map_err(|x| fsx::describe_write(&e.path, &x))?;
            }
            // The file did not exist before the repair made it.
            "create" => {
                std::fs::remove_file(&e.path).map_err(|x| fsx::describe_write(&e.path, &x))?;
                if let Some(parent) = e.path.parent() {
                    let _ = fsx::sync_dir(parent);
                }
            }
            _ => fsx::write_atomic(&e.path, &b, e.mode)
                .map_err(|x| fsx::describe_write(&e.path, &x))?,
        }
        done.push(format!("{}: restored", e.path.display()));
    }
    done.extend(remove_run_temps(dir, &m.entries));
    // Marked undone by one rename, synced: `undo --list` and the next `undo`
    // see it after a crash too.
    std::fs::rename(&mp, dir.join(backup::UNDONE)).map_err(|x| fsx::describe(&mp, &x))?;
    let _ = fsx::sync_dir(dir);
    Ok(done)
}
