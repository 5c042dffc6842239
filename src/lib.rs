//! sessfix: diagnose and repair the on-disk session state of the OpenClaw gateway.
//!
//! The pipeline: [`state`] reads a snapshot → [`analyze`] applies the gateway's
//! [`rules`] to predict the next boot and list findings → `plan` turns that into
//! edits → [`render`] shows it, or `apply` carries it out.

pub mod analyze;
pub mod apply;
pub mod backup;
pub mod boot;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod fsx;
pub mod json;
pub mod ops;
pub mod plan;
pub mod release;
pub mod render;
pub mod rules;
pub mod state;
pub mod text;

use cli::{Cli, Command};
use exit::Exit;

/// glibc only: every allocation of 4 MiB or more (an index's bytes, the
/// field table of a big index) is mapped, and unmapped when freed. By
/// default glibc raises that threshold to the size of the first such block
/// freed, after which the next index is carved from the heap, where the one
/// before may stay resident beside it: a scan of 20 agents with 17 MB
/// indexes peaked at 47 or 66 MiB from one run to the next; with the
/// threshold fixed, at 49 MiB every run. (Other C libraries and OSes: as is.)
fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a tunable of the allocator; called before
    // any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

/// Run a parsed command line; errors are printed here.
pub fn run(cli: Cli) -> Exit {
    fix_mmap_threshold();
    let result = match &cli.command {
        Command::Completions { shell } => {
            let mut cmd = cli::command();
            let mut out = render::stdout();
            clap_complete::generate(*shell, &mut cmd, "sessfix", &mut out);
            std::io::Write::flush(&mut out)
                .map(|()| Exit::Ok)
                .map_err(|e| commands::Fatal::operational(format!("cannot write output: {e}")))
        }
        Command::Man {
            install: Some(dir), ..
        } => render::man::install(dir)
            .map(|written| {
                for p in written {
                    println!("{}", p.display());
                }
                Exit::Ok
            })
            .map_err(commands::Fatal::operational),
        Command::Man { command, .. } => {
            let mut out = render::stdout();
            render::man::render(command.as_deref(), &mut out)
                .and_then(|()| std::io::Write::flush(&mut out))
                .map(|_| Exit::Ok)
                .map_err(|e| commands::Fatal::operational(e.to_string()))
        }
        // A command an error quotes carries the options of this run's state.
        Command::Scan(args) => commands::scan::filter(args).and_then(|filter| {
            let mut ctx = commands::Context::new(&cli.state)?;
            ctx.progress = !args.quiet;
            ctx.settings.old_turn_ms = args.max_age.unwrap_or(ctx.settings.old_turn_ms);
            commands::scan::run(&ctx, args, filter)
                .map_err(|e| e.pasteable(ctx.settings.action_options))
        }),
        Command::Repair(args) => commands::Context::new(&cli.state).and_then(|mut ctx| {
            ctx.progress = !args.quiet;
            ctx.settings.old_turn_ms = args.max_age.unwrap_or(ctx.settings.old_turn_ms);
            commands::repair::run(&ctx, args).map_err(|e| e.pasteable(ctx.settings.action_options))
        }),
        Command::Undo(args) => commands::Context::new(&cli.state).and_then(|ctx| {
            match ctx.refuse_without_state_dir("undo") {
                Some(exit) => Ok(exit),
                None => commands::undo::run(&ctx, args)
                    .map_err(|e| e.pasteable(ctx.settings.action_options)),
            }
        }),
    };
    match result {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("sessfix: error: {}", e.message);
            e.exit
        }
    }
}
