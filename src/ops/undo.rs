//! `undo` as one operation: find the last repair's backup, refuse while a
//! gateway is live (or may be), ask, take the run lock, and restore every
//! file if nothing changed since the repair.

use super::{Context, Fatal, Ui};
use crate::apply;
use crate::exit::Exit;
use std::path::PathBuf;

/// What `undo` was asked to do.
#[derive(Debug, Clone)]
pub struct UndoOptions {
    /// Restore although a gateway looks live or its liveness is unknown (`--force`).
    pub force: bool,
    /// Restore without asking (`--yes`).
    pub yes: bool,
    /// How long to wait for another sessfix run's run lock, in ms (`--lock-wait`).
    pub lock_wait_ms: u64,
    /// Where backups are (`--backup-dir`); `None`: `<state-dir>/sessfix-backups`.
    pub backup_dir: Option<PathBuf>,
}

/// How an undo ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoOutcome {
    /// Refused before anything was written (a live gateway, an unknown
    /// liveness, the run lock held).
    Refused(Exit),
    /// The person said no.
    Declined,
    /// The backup in `dir` was restored: one line per file (none when no
    /// change of that repair was in place); the backup is marked undone.
    Restored { dir: PathBuf, done: Vec<String> },
    /// `undo` would not restore the backup in `dir`: why.
    Failed { dir: PathBuf, error: String },
}

impl UndoOutcome {
    /// The exit code the run ends with.
    pub fn exit(&self) -> Exit {
        match self {
            UndoOutcome::Refused(e) => *e,
            UndoOutcome::Declined | UndoOutcome::Failed { .. } => Exit::Problems,
            UndoOutcome::Restored { .. } => Exit::Ok,
        }
    }
}

/// Run `undo` as `opts` asks, on the state dir `ctx` names.
///
/// Errors: no backup to undo, or the gateway facts cannot be read (exit 3);
/// nobody can answer the question (exit 2).
pub fn undo(ctx: &Context, opts: &UndoOptions, ui: &mut dyn Ui) -> Result<UndoOutcome, Fatal> {
    let state_dir = &ctx.read.state_dir;
    let root = crate::backup::root(state_dir, opts.backup_dir.as_deref());
    let Some(dir) = crate::backup::latest(&root) else {
        return Err(Fatal::operational(format!(
            "{}: no sessfix backup to undo",
            root.display()
        )));
    };
    // Undo writes the state back: not while a gateway is live, or may be.
    let mut gateway = crate::state::read_gateway(&ctx.read, &ctx.procs)
        .map(|g| crate::analyze::gateway_report(&g))
        .map_err(|e| Fatal::operational(e.to_string()))?;
    // A backup with SQLite edits needs the SQLite era's checks too: the
    // gateway-owner lease, and no process holding a database open.
    if apply::has_sqlite_edits(&dir) {
        let shared = crate::state::read_sqlite_shared(
            state_dir,
            &crate::fsx::realpath_or_self(state_dir),
            &ctx.procs,
        );
        crate::analyze::state_db::liveness(&shared, &mut gateway);
        if let (Err(why), false) = (&shared.holders, gateway.live) {
            gateway.liveness_unknown = true;
            gateway.evidence = Some(format!(
                "whether a process has an SQLite database of this state dir open cannot be established here ({why})"
            ));
        }
    }
    if (gateway.live || gateway.liveness_unknown) && !opts.force {
        eprintln!(
            "sessfix: refusing to undo: {} {}\n  --force only if you know no gateway runs",
            if gateway.live {
                "a gateway is live:"
            } else {
                "whether a gateway is live cannot be established here:"
            },
            gateway.evidence.as_deref().unwrap_or("")
        );
        return Ok(UndoOutcome::Refused(Exit::GatewayLive));
    }
    if !opts.yes {
        eprintln!(
            "Restore the files changed by the repair backed up in {}?",
            dir.display()
        );
        if !ui.ask("Restore?", "restore this backup")? {
            eprintln!("Nothing changed.");
            return Ok(UndoOutcome::Declined);
        }
    }
    // Taken after the question: nobody waits on a person's answer. `undo`
    // checks every file against the manifest under it.
    let _lock = match super::take_run_lock(ctx, opts.lock_wait_ms) {
        Ok(l) => l,
        Err(exit) => return Ok(UndoOutcome::Refused(exit)),
    };
    Ok(match apply::undo(&dir, state_dir) {
        Ok(done) => UndoOutcome::Restored { dir, done },
        Err(error) => UndoOutcome::Failed { dir, error },
    })
}
