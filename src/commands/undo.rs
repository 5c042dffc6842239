//! `sessfix undo`: the flags mapped into `ops::undo`'s options, and its
//! outcome rendered; `--list` lists the backup runs. Like repair, it
//! refuses while a gateway is live and asks on a terminal.

use super::{Context, Fatal};
use crate::cli::UndoArgs;
use crate::exit::Exit;
use crate::ops::undo::{UndoOptions, UndoOutcome};
use crate::ops::{Event, Ui};
use crate::render::backups::{self, Preview};
use std::io::Write;
use std::path::Path;

/// Undo shows no plan: it only asks.
struct Terminal;

impl Ui for Terminal {
    fn show(&mut self, _event: Event<'_>) -> Result<(), Fatal> {
        Ok(())
    }

    fn ask(&mut self, question: &str, what: &str) -> Result<bool, Fatal> {
        super::ask(question, what)
    }
}

pub fn run(ctx: &Context, args: &UndoArgs) -> Result<Exit, Fatal> {
    if args.list {
        return list(ctx, args);
    }
    let opts = UndoOptions {
        force: args.force,
        yes: args.yes,
        lock_wait_ms: args.lock_wait,
        backup_dir: args.backup_dir.clone(),
        run: args.run.clone(),
        dry_run: args.dry_run,
    };
    let outcome = crate::ops::undo::undo(ctx, &opts, &mut Terminal)?;
    let mut out = crate::render::stdout();
    match &outcome {
        UndoOutcome::Restored { dir, done } => {
            if done.is_empty() {
                let _ = writeln!(
                    out,
                    "nothing to restore: none of the changes of the repair backed up in {} is in place (it was stopped before it made any); the backup is marked undone",
                    dir.display()
                );
            }
            for d in done {
                let _ = writeln!(out, "{d}");
            }
        }
        UndoOutcome::DryRun(d) => {
            let p = Preview {
                run: &d.run,
                files: &d.files,
                blocking: &d.blocking,
                gateway: d.gateway.as_deref(),
                exit: d.exit,
            };
            let r = if args.json {
                backups::preview_json(&p, &mut out)
            } else {
                backups::preview_text(&p, &mut out)
            };
            r.map_err(|e| Fatal::operational(format!("cannot write the output: {e}")))?;
        }
        UndoOutcome::Failed { dir, error } => eprintln!("sessfix: {error}\n{}", by_hand(dir)),
        UndoOutcome::Blocked { error, .. } => eprintln!(
            "sessfix: {}",
            crate::text::pasteable(error, ctx.settings.action_options)
                .as_deref()
                .unwrap_or(error)
        ),
        UndoOutcome::Refused(_) | UndoOutcome::Declined => {}
    }
    let _ = out.flush();
    if let UndoOutcome::Restored { .. } = &outcome {
        return Ok(outcome.exit().merge(unsafe_to_start(ctx)?));
    }
    Ok(outcome.exit())
}

/// What was put back may be a state a start loses data on (the lost index
/// a repair restored from an intact copy): read again, it is said as repair
/// says it (`DO NOT START THE GATEWAY` lines) and is exit 6.
fn unsafe_to_start(ctx: &Context) -> Result<Exit, Fatal> {
    let report = ctx.report_into(&mut crate::render::Discard)?;
    let exit = crate::ops::exit_telling(&report, crate::analyze::exit::Mode::Remaining);
    Ok(if exit == Exit::StartLosesData {
        exit
    } else {
        Exit::Ok
    })
}

/// `undo --list`: every backup run, newest first; changes nothing.
fn list(ctx: &Context, args: &UndoArgs) -> Result<Exit, Fatal> {
    let state_dir = &ctx.read.state_dir;
    let root = crate::backup::root(state_dir, args.backup_dir.as_deref());
    let runs = crate::ops::backups::list(&root, state_dir)?;
    let mut out = crate::render::stdout();
    let r = if args.json {
        backups::list_json(&root, &runs, &mut out)
    } else {
        backups::list_text(&root, &runs, &mut out)
    };
    r.and_then(|_| out.flush())
        .map_err(|e| Fatal::operational(format!("cannot write the output: {e}")))?;
    Ok(Exit::Ok)
}

/// How to restore a backup by hand, when `undo` will not: the copy and
/// append commands of this OS's shell (`cmd` on Windows).
fn by_hand(dir: &Path) -> String {
    let backup = dir.join("<backup>");
    let (copy, append) = if cfg!(windows) {
        (
            format!(
                "attrib -r <path>, then copy /y \"{}\" <path>",
                backup.display()
            ),
            format!("type \"{}\" >> <path>", backup.display()),
        )
    } else {
        (
            format!("cp {} <path>", backup.display()),
            format!("cat {} >> <path>", backup.display()),
        )
    };
    format!(
        "  To restore by hand, with the gateway stopped: {manifest} lists each file \
         (`path`), its copy in {dir} (`backup`) and what repair did (`action`): for \
         `write` and `remove`, copy the backup over the path ({copy}); \
         for `truncate`, append it ({append}); for `sqlite`, the \
         backup is a copy of the whole database made before the edit (`VACUUM INTO`), \
         and `sqlite` in the entry holds the row before and after: put the row back \
         with an UPDATE, or, to replace the whole database (losing what was written \
         since), move <path> and its -wal and -shm aside and copy the backup to <path>. \
         Check the files you keep first: undo found some changed since the repair, \
         or unable to be restored now.",
        manifest = dir.join(crate::backup::MANIFEST).display(),
        dir = dir.display(),
    )
}
