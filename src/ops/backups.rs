//! Choosing among a backup root's runs (`backup::runs`): the run `undo`
//! restores (the newest not yet undone, or the one `--run` names) and the
//! newer runs that stand in its way; and the runs repair's retention
//! (`--keep-backups`, `--keep-backups-for`) prunes after a run.

use super::Fatal;
pub use crate::backup::runs::Blocking;
use crate::backup::runs::{self, Run};
use crate::exit::Exit;
use crate::fsx;
use std::path::{Path, PathBuf};

/// Runs `repair` keeps when `--keep-backups` is not given.
pub const DEFAULT_KEEP: usize = 10;

/// Every run under `root`, newest first (`backup::runs::list`).
///
/// Errors: the root cannot be listed (exit 3).
pub fn list(root: &Path, state_dir: &Path) -> Result<Vec<Run>, Fatal> {
    runs::list(root, state_dir).map_err(Fatal::operational)
}

/// The run `undo` restores, and the newer runs in its way.
#[derive(Debug, Clone)]
pub struct Target {
    pub run: Run,
    pub blocking: Vec<Blocking>,
}

/// `ids` of `runs`, `a, b, c`, the first 5 and how many more.
fn ids(runs: &[&Run]) -> String {
    let mut s: Vec<String> = runs.iter().take(5).map(|r| r.id.clone()).collect();
    if runs.len() > 5 {
        s.push(format!("and {} more", runs.len() - 5));
    }
    s.join(", ")
}

/// Choose the run to undo under `root`: `id` (`--run`), or the newest run
/// not yet undone. Every newer run depends on the state that run left, so
/// only after each newer one is undone is the newest one not undone safe to
/// restore; that is what `undo` without `--run` takes.
///
/// Errors: no run, every run undone, or the run named undone or its
/// manifest unreadable (exit 3); no run named `id` (exit 2).
pub fn choose(root: &Path, state_dir: &Path, id: Option<&str>) -> Result<Target, Fatal> {
    let runs = list(root, state_dir)?;
    if runs.is_empty() {
        return Err(Fatal::operational(format!(
            "{}: no sessfix backup to undo",
            root.display()
        )));
    }
    let at = match id {
        Some(id) => runs.iter().position(|r| r.id == id).ok_or_else(|| Fatal {
            exit: Exit::Usage,
            message: format!(
                "--run {id:?}: no backup run of that id in {} (`sessfix undo --list` lists them; the newest: {})",
                root.display(),
                ids(&runs.iter().collect::<Vec<_>>())
            ),
        })?,
        None => runs.iter().position(|r| !r.undone).ok_or_else(|| {
            Fatal::operational(format!(
                "{}: every sessfix backup there is undone already ({}): nothing to undo (`sessfix undo --list` lists them)",
                root.display(),
                ids(&runs.iter().collect::<Vec<_>>())
            ))
        })?,
    };
    let run = runs[at].clone();
    if run.undone {
        return Err(Fatal::operational(format!(
            "{}: run {} was undone already: nothing to undo",
            run.dir.display(),
            run.id
        )));
    }
    if let Some(e) = &run.error {
        return Err(Fatal::operational(e.clone()));
    }
    let blocking = runs[..at]
        .iter()
        .filter(|r| !r.undone)
        .filter_map(|r| {
            let paths: Vec<PathBuf> = r
                .paths
                .iter()
                .filter(|p| run.paths.contains(p))
                .cloned()
                .collect();
            (r.error.is_some() || !paths.is_empty()).then(|| Blocking {
                id: r.id.clone(),
                paths,
            })
        })
        .collect();
    Ok(Target { run, blocking })
}

/// Why `target` may not be undone now, in words: the newer runs that changed
/// the same files (undoing it would overwrite what they wrote). `None`: none.
pub fn blocked(target: &Target) -> Option<String> {
    if target.blocking.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    for b in &target.blocking {
        if b.paths.is_empty() {
            lines.push(format!(
                "{}: its manifest cannot be read, so it may have",
                b.id
            ));
        }
        for p in &b.paths {
            lines.push(format!("{}: {}", b.id, p.display()));
        }
    }
    Some(format!(
        "refusing to undo {id}: newer runs, not undone, changed the same files since:\n  {}\n  Restoring {id} now would overwrite what they wrote. Undo them first, newest first (`sessfix undo` takes the newest not yet undone), then this one.",
        lines.join("\n  "),
        id = target.run.id,
    ))
}

/// What repair keeps of a backup root (`--keep-backups`, `--keep-backups-for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The newest runs kept, the run just made counted; `None`: every run
    /// (nothing is pruned).
    pub runs: Option<usize>,
    /// Runs made less than this long ago (ms) are kept too.
    pub age_ms: Option<u64>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            runs: Some(DEFAULT_KEEP),
            age_ms: None,
        }
    }
}

/// What a prune did: the runs removed, and the ones it could not remove (why).
#[derive(Debug, Default)]
pub struct Pruned {
    pub removed: Vec<String>,
    pub failed: Vec<String>,
}

/// The runs `keep` prunes of `runs` (newest first): every run of this state
/// dir (`ours`) that is neither among the `keep.runs` newest (`own`, the run
/// just made, counted first and never pruned) nor made less than
/// `keep.age_ms` before `now_ms` (or later). A run whose manifest cannot
/// be read, or whose time is unknown, is kept.
fn to_prune<'a>(
    runs: &'a [Run],
    own: &Path,
    keep: &Retention,
    now_ms: i64,
    ours: &dyn Fn(&Run) -> bool,
) -> Vec<&'a Run> {
    let Some(n) = keep.runs else {
        return Vec::new();
    };
    let mut kept = 1;
    let mut out = Vec::new();
    for r in runs.iter().filter(|r| r.dir != own && ours(r)) {
        let young = match (r.created_ms, keep.age_ms) {
            (None, _) => true,
            (Some(t), Some(age)) => now_ms.saturating_sub(t) < age as i64,
            (Some(_), None) => false,
        };
        if r.error.is_some() || young || kept < n {
            kept += usize::from(r.error.is_none());
            continue;
        }
        out.push(r);
    }
    out
}

/// Prune the backup root `root` of `state_dir` after the repair whose
/// backup is `own` (complete and synced): see `to_prune`. With a shared
/// root (`--backup-dir`), only runs whose manifest names this state dir are
/// ours. Each run is first renamed to `.<id>.pruning` (so no reader ever
/// sees half a run), then removed; such a leftover of an earlier prune is
/// removed too.
pub fn prune(
    root: &Path,
    state_dir: &Path,
    own: &Path,
    keep: &Retention,
    now_ms: i64,
    shared: bool,
) -> Pruned {
    let mut out = Pruned::default();
    let runs = match runs::list(root, state_dir) {
        Ok(r) => r,
        Err(e) => {
            out.failed.push(e);
            return out;
        }
    };
    let here = crate::backup::absolute(state_dir);
    let ours = |r: &Run| !shared || r.state_dir.as_deref() == Some(here.as_path());
    for r in to_prune(&runs, own, keep, now_ms, &ours) {
        let aside = root.join(format!(".{}.pruning", r.id));
        match std::fs::rename(&r.dir, &aside) {
            Ok(()) => out.removed.push(r.id.clone()),
            Err(e) => out.failed.push(fsx::describe(&r.dir, &e)),
        }
    }
    let _ = fsx::sync_dir(root);
    let leftovers = std::fs::read_dir(root).into_iter().flatten().flatten();
    for e in leftovers.filter(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.starts_with('.')
            && name.ends_with(".pruning")
            && e.file_type().is_ok_and(|t| t.is_dir())
    }) {
        if let Err(x) = std::fs::remove_dir_all(e.path()) {
            out.failed.push(fsx::describe(&e.path(), &x));
        }
    }
    out
}

/// `prune`, and one line on stderr naming the runs it removed (with
/// `--quiet` too: the journal says what went), and one for each it could
/// not remove (a warning: the repair stands).
pub fn prune_telling(
    root: &Path,
    state_dir: &Path,
    own: &Path,
    keep: &Retention,
    now_ms: i64,
    shared: bool,
) {
    let pruned = prune(root, state_dir, own, keep, now_ms, shared);
    if !pruned.removed.is_empty() {
        eprintln!(
            "sessfix: pruned {} of {} (--keep-backups {}{}): {}",
            crate::text::plural(
                pruned.removed.len(),
                "older backup run",
                "older backup runs"
            ),
            root.display(),
            keep.runs.map_or("all".into(), |n| n.to_string()),
            keep.age_ms.map(|_| ", --keep-backups-for").unwrap_or(""),
            pruned.removed.join(", ")
        );
    }
    for f in &pruned.failed {
        eprintln!("sessfix: warning: a backup run could not be pruned: {f}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, created_ms: i64) -> Run {
        Run {
            id: id.into(),
            dir: PathBuf::from(id),
            created: None,
            created_ms: Some(created_ms),
            state_dir: None,
            undone: false,
            changes: Default::default(),
            unfinished: 0,
            bytes: 0,
            paths: Vec::new(),
            error: None,
        }
    }

    const DAY: i64 = 86_400_000;

    #[test]
    fn retention_keeps_the_newest_runs_and_the_young_ones() {
        let now = 100 * DAY;
        let runs: Vec<Run> = (0..5)
            .map(|i| run(&format!("r{i}"), now - i * DAY))
            .collect();
        let ids = |keep: Retention, own: &str| -> Vec<String> {
            to_prune(&runs, Path::new(own), &keep, now, &|_| true)
                .iter()
                .map(|r| r.id.clone())
                .collect()
        };
        let keep = |runs, age_ms| Retention { runs, age_ms };
        assert_eq!(ids(keep(Some(2), None), "r0"), ["r2", "r3", "r4"]);
        // the run just made counts, wherever it sorts
        assert_eq!(ids(keep(Some(2), None), "r4"), ["r1", "r2", "r3"]);
        assert_eq!(
            ids(keep(Some(1), Some(2 * DAY as u64 + 1)), "r0"),
            ["r3", "r4"]
        );
        assert!(ids(keep(None, None), "r0").is_empty());
        assert!(ids(keep(Some(10), None), "r0").is_empty());
    }
}
