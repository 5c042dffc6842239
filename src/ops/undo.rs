//! `undo` as one operation: choose the backup run (the newest not yet
//! undone, or the one named), refuse while a newer run not undone changed
//! its files or a gateway is live (or may be), ask, take the run lock, and
//! restore every file if nothing changed since the repair. `--dry-run`
//! stops before the question and tells what a real run would do.

use super::backups::{self, Blocking, Target};
use super::{Context, Fatal, Ui};
use crate::apply;
use crate::backup::runs::Run;
use crate::exit::Exit;
use std::path::{Path, PathBuf};

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
    /// The run to undo (`--run`); `None`: the newest not yet undone.
    pub run: Option<String>,
    /// Tell what a real run would do, change nothing (`--dry-run`).
    pub dry_run: bool,
}

/// What `undo --dry-run` found: what a real run would do.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// The run a real undo would restore.
    pub run: Run,
    /// Each of its files, and what undo would do with it.
    pub files: Vec<apply::FileCheck>,
    /// The newer runs, not undone, that changed the same files.
    pub blocking: Vec<Blocking>,
    /// Why a real run would refuse for a gateway (exit 4), in words.
    pub gateway: Option<String>,
    /// The exit the real run would end with.
    pub exit: Exit,
}

/// How an undo ended.
#[derive(Debug, Clone)]
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
    /// Newer runs not undone changed files of the backup in `dir`: nothing
    /// restored (why, naming them, in `error`).
    Blocked { dir: PathBuf, error: String },
    /// `--dry-run`: what a real run would do.
    DryRun(Box<DryRun>),
}

impl UndoOutcome {
    /// The exit code the run ends with.
    pub fn exit(&self) -> Exit {
        match self {
            UndoOutcome::Refused(e) => *e,
            UndoOutcome::DryRun(d) => d.exit,
            UndoOutcome::Declined | UndoOutcome::Failed { .. } | UndoOutcome::Blocked { .. } => {
                Exit::Problems
            }
            UndoOutcome::Restored { .. } => Exit::Ok,
        }
    }
}

/// Why undo of the backup in `dir` must not write now, in words: a gateway
/// is live, or whether one is cannot be established. `None`: it may write
/// (or `force`).
///
/// Errors: the gateway facts cannot be read (exit 3).
fn gateway_refusal(ctx: &Context, dir: &Path, force: bool) -> Result<Option<String>, Fatal> {
    let state_dir = &ctx.read.state_dir;
    let mut gateway = crate::state::read_gateway(&ctx.read, &ctx.procs)
        .map(|g| crate::analyze::gateway_report(&g))
        .map_err(|e| Fatal::operational(e.to_string()))?;
    // A backup with SQLite edits needs the SQLite era's checks too: the
    // gateway-owner lease, and no process holding a database open.
    if apply::has_sqlite_edits(dir) {
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
    if !(gateway.live || gateway.liveness_unknown) || force {
        return Ok(None);
    }
    Ok(Some(format!(
        "{} {}",
        if gateway.live {
            "a gateway is live:"
        } else {
            "whether a gateway is live cannot be established here:"
        },
        gateway.evidence.as_deref().unwrap_or("")
    )))
}

/// `undo --dry-run`: what a real run would do with `target`, changing nothing.
fn dry_run(ctx: &Context, target: Target, force: bool) -> Result<UndoOutcome, Fatal> {
    let dir = &target.run.dir;
    let files = apply::check_undo(dir, &ctx.read.state_dir).map_err(Fatal::operational)?;
    let gateway = gateway_refusal(ctx, dir, force)?;
    let changed = files.iter().any(|f| {
        matches!(
            f.verdict,
            apply::Verdict::Changed(_) | apply::Verdict::Blocked(_)
        )
    });
    let exit = if !target.blocking.is_empty() {
        Exit::Problems
    } else if gateway.is_some() {
        Exit::GatewayLive
    } else if changed {
        Exit::Problems
    } else {
        Exit::Ok
    };
    Ok(UndoOutcome::DryRun(Box::new(DryRun {
        run: target.run,
        files,
        blocking: target.blocking,
        gateway,
        exit,
    })))
}

/// Run `undo` as `opts` asks, on the state dir `ctx` names: restore the
/// run `opts.run` names, or the newest not yet undone (`backups::choose`),
/// unless a newer run not undone changed the same files.
///
/// Errors: no backup to undo, every one undone, or the gateway facts cannot
/// be read (exit 3); no run of the id named, or nobody can answer the
/// question (exit 2).
pub fn undo(ctx: &Context, opts: &UndoOptions, ui: &mut dyn Ui) -> Result<UndoOutcome, Fatal> {
    let state_dir = &ctx.read.state_dir;
    let root = crate::backup::root(state_dir, opts.backup_dir.as_deref());
    let target = backups::choose(&root, state_dir, opts.run.as_deref())?;
    if opts.dry_run {
        return dry_run(ctx, target, opts.force);
    }
    let dir = target.run.dir.clone();
    if let Some(error) = backups::blocked(&target) {
        return Ok(UndoOutcome::Blocked { dir, error });
    }
    // Undo writes the state back: not while a gateway is live, or may be.
    if let Some(why) = gateway_refusal(ctx, &dir, opts.force)? {
        eprintln!("sessfix: refusing to undo: {why}\n  --force only if you know no gateway runs");
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
    // checks every file against the manifest under it, and the runs again:
    // one may have been made or undone meanwhile.
    let _lock = match super::take_run_lock(ctx, opts.lock_wait_ms) {
        Ok(l) => l,
        Err(exit) => return Ok(UndoOutcome::Refused(exit)),
    };
    let again = backups::choose(&root, state_dir, Some(&target.run.id))?;
    if let Some(error) = backups::blocked(&again) {
        return Ok(UndoOutcome::Blocked { dir, error });
    }
    Ok(match apply::undo(&dir, state_dir) {
        Ok(done) => UndoOutcome::Restored { dir, done },
        Err(error) => UndoOutcome::Failed { dir, error },
    })
}
