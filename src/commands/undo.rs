//! `sessfix undo`: restore the last repair's backup if nothing changed since.

use super::{Context, Fatal};
use crate::apply;
use crate::cli::UndoArgs;
use crate::exit::Exit;

pub fn run(ctx: &Context, args: &UndoArgs) -> Result<Exit, Fatal> {
    let state_dir = &ctx.read.state_dir;
    let root = args
        .backup_dir
        .clone()
        .unwrap_or_else(|| state_dir.join("sessfix-backups"));
    let Some(dir) = apply::latest_backup(&root) else {
        return Err(Fatal::operational(format!(
            "{}: no sessfix backup to undo",
            root.display()
        )));
    };
    // Undo writes the state back: not while a gateway is live, or may be.
    let gateway = crate::state::read_gateway(&ctx.read, &ctx.procs)
        .map(|g| crate::analyze::gateway_report(&g))
        .map_err(|e| Fatal::operational(e.to_string()))?;
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
    let _lock = apply::lock_run(state_dir).map_err(Fatal::operational)?;
    match apply::undo(&dir) {
        Ok(done) => {
            for d in done {
                println!("{d}");
            }
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!("sessfix: {e}");
            Ok(Exit::Problems)
        }
    }
}
