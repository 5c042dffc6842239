//! `sessfix undo`: restore the last repair's backup if nothing changed since.
//! Like repair, it refuses while a gateway is live and asks on a terminal.

use super::{Context, Fatal};
use crate::apply;
use crate::cli::UndoArgs;
use crate::exit::Exit;
use std::io::Write;
use std::path::Path;

pub fn run(ctx: &Context, args: &UndoArgs) -> Result<Exit, Fatal> {
    let state_dir = &ctx.read.state_dir;
    let root = crate::backup::root(state_dir, args.backup_dir.as_deref());
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
        let state_dir = &ctx.read.state_dir;
        let shared = crate::state::read_sqlite_shared(
            state_dir,
            &crate::fsx::realpath_or_self(state_dir),
            &ctx.procs,
        );
        crate::analyze::sqlite::liveness(&shared, &mut gateway);
        if let (Err(why), false) = (&shared.holders, gateway.live) {
            gateway.liveness_unknown = true;
            gateway.evidence = Some(format!(
                "whether a process has an SQLite database of this state dir open cannot be established here ({why})"
            ));
        }
    }
    if (gateway.live || gateway.liveness_unknown) && !args.force {
        eprintln!(
            "sessfix: refusing to undo: {} {}\n  --force only if you know no gateway runs",
            if gateway.live {
                "a gateway is live:"
            } else {
                "whether a gateway is live cannot be established here:"
            },
            gateway.evidence.as_deref().unwrap_or("")
        );
        return Ok(Exit::GatewayLive);
    }
    if !args.yes {
        eprintln!(
            "Restore the files changed by the repair backed up in {}?",
            dir.display()
        );
        if !super::ask("Restore?", "restore this backup")? {
            eprintln!("Nothing changed.");
            return Ok(Exit::Problems);
        }
    }
    // Taken after the question: nobody waits on a person's answer. `undo`
    // checks every file against the manifest under it.
    let _lock = match super::take_run_lock(ctx, args.lock_wait) {
        Ok(l) => l,
        Err(exit) => return Ok(exit),
    };
    let mut out = crate::render::stdout();
    match apply::undo(&dir, state_dir) {
        Ok(done) => {
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
            let _ = out.flush();
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!("sessfix: {e}\n{}", by_hand(&dir));
            Ok(Exit::Problems)
        }
    }
}

/// How to restore a backup by hand, when `undo` will not.
fn by_hand(dir: &Path) -> String {
    format!(
        "  To restore by hand, with the gateway stopped: {manifest} lists each file \
         (`path`), its copy in {dir} (`backup`) and what repair did (`action`): for \
         `write` and `remove`, copy the backup over the path (cp {dir}/<backup> <path>); \
         for `truncate`, append it (cat {dir}/<backup> >> <path>); for `sqlite`, the \
         backup is a copy of the whole database made before the edit (`VACUUM INTO`), \
         and `sqlite` in the entry holds the row before and after: put the row back \
         with an UPDATE, or, to replace the whole database (losing what was written \
         since), move <path> and its -wal and -shm aside and copy the backup to <path>. \
         Check the files you keep first: they changed since the repair.",
        manifest = dir.join(crate::backup::MANIFEST).display(),
        dir = dir.display(),
    )
}
