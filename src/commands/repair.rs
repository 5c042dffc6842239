//! `sessfix repair`: the same plan for `--dry-run` and for real.

use super::{Context, Fatal};
use crate::analyze::{self, Analysis, Severity};
use crate::apply;
use crate::cli::RepairArgs;
use crate::exit::Exit;
use crate::plan::{self, Plan, PlanOptions};
use crate::state::{self, Snapshot};
use std::io::{IsTerminal, Write};

fn render_plan(plan: &Plan, diff: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if plan.is_empty() {
        writeln!(out, "Nothing to repair.")?;
    }
    for w in &plan.indexes {
        writeln!(
            out,
            "index {}{}",
            w.path.display(),
            if w.rewrite_strict {
                " (rewrite as strict JSON)"
            } else {
                ""
            }
        )?;
        if let Some(r) = &w.restore_from {
            writeln!(
                out,
                "  restore from {} ({}, {} entries; the {} index goes into the backup)",
                r.path.display(),
                r.source.describe(),
                r.entries,
                r.replaces
            )?;
        }
        for e in &w.edits {
            writeln!(out, "  {} [{}]: {}", e.key, e.action, e.reason)?;
            for c in &e.changes {
                writeln!(
                    out,
                    "    {}: {} -> {}",
                    c.field,
                    c.before.as_deref().unwrap_or("(absent)"),
                    c.after.as_deref().unwrap_or("(removed)")
                )?;
            }
        }
        if diff {
            // The plan keeps no copy of the index: read it again.
            // A restore's diff is from the copy it restores.
            let source = w.restore_from.as_ref().map_or(&w.path, |r| &r.path);
            let Some(bytes) = crate::fsx::read_regular(source, crate::state::MAX_INDEX_BYTES)
                .ok()
                .map(|(b, _)| b)
                .filter(|b| match &w.restore_from {
                    Some(r) => r.is_copy(b),
                    None => w.is_before(b),
                })
            else {
                writeln!(out, "  (no diff: the file changed since it was read)")?;
                continue;
            };
            let before = String::from_utf8_lossy(&bytes);
            let after = w.after_pieces(&bytes).concat();
            let after = String::from_utf8_lossy(&after);
            let name = w.path.display().to_string();
            let d = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
            write!(
                out,
                "{}",
                d.unified_diff().context_radius(3).header(&name, &name)
            )?;
        }
    }
    for c in &plan.transcripts {
        writeln!(
            out,
            "transcript {}: cut {} byte(s) from offset {}: {}",
            c.path.display(),
            c.size - c.at,
            c.at,
            c.reason
        )?;
    }
    for r in &plan.removals {
        writeln!(
            out,
            "remove {} ({}): {}",
            r.path.display(),
            r.what,
            r.reason
        )?;
    }
    for l in &plan.left_alone {
        writeln!(out, "left alone: {l}")?;
    }
    Ok(())
}

/// What `repair --dry-run --json` prints.
#[derive(serde::Serialize)]
struct ReportAndPlan<'a> {
    report: &'a analyze::Report,
    plan: &'a plan::Plan,
}

/// Read the state, analyse it and plan the repair, agent by agent: each agent
/// is planned from its rows of the analysis as soon as it is added, and then
/// dropped, so only a few agents' files are held at a time. Without
/// `keep_rows` the report keeps only its findings (a real run prints no rows).
fn read_and_plan(
    ctx: &Context,
    opts: PlanOptions,
    keep_rows: bool,
) -> Result<(Snapshot, analyze::Report, Plan), Fatal> {
    let (snap, (analysis, plan)) = ctx.read_each(
        true,
        |snap| (Analysis::new(snap, ctx.settings), Plan::default()),
        |(analysis, plan), mut agent| {
            if opts.restore_index {
                agent.restore_index();
            }
            let (sessions, locks) = (analysis.sessions().len(), analysis.locks().len());
            analysis.add(&agent);
            plan::add_agent(
                plan,
                &agent,
                &analysis.sessions()[sessions..],
                &analysis.locks()[locks..],
                opts,
            );
            if !keep_rows {
                analysis.forget_rows();
            }
        },
    )?;
    Ok((snap, analysis.finish(), plan))
}

/// The refusal to write while a gateway is live, unless forced.
fn refuse_if_live(gateway: &analyze::GatewayReport, force: bool) -> Option<Exit> {
    if gateway.liveness_unknown && !gateway.live && !force {
        eprintln!(
            "sessfix: refusing to repair: whether a gateway is live cannot be established here: {}\n  run sessfix where the gateway runs; --force only if you know no gateway runs",
            gateway.evidence.as_deref().unwrap_or("")
        );
        return Some(Exit::GatewayLive);
    }
    if !gateway.live || force {
        return None;
    }
    eprintln!(
        "sessfix: refusing to repair while a gateway is live: {}\n  stop the gateway first; --force only if that verdict is wrong",
        gateway.evidence.as_deref().unwrap_or("")
    );
    Some(Exit::GatewayLive)
}

/// The refusal to write while a lock owner's liveness is unknown, unless
/// forced (forced, such locks are still kept).
fn refuse_if_unknown(report: &analyze::Report, force: bool) -> Option<Exit> {
    let unknown = report.liveness_unknown();
    if unknown.is_empty() || force {
        return None;
    }
    eprintln!("sessfix: refusing to repair: liveness cannot be established here:");
    for f in unknown {
        eprintln!("  {}: {}", f.path.as_deref().unwrap_or("-"), f.message);
    }
    eprintln!("  run sessfix where those processes run; --force only if you know better (such locks are kept)");
    Some(Exit::GatewayLive)
}

/// What `repair --json` prints after a real run.
#[derive(serde::Serialize)]
struct Applied<'a> {
    plan: &'a Plan,
    done: &'a [String],
    changed: &'a [String],
    backup: Option<&'a std::path::Path>,
}

pub fn run(ctx: &Context, args: &RepairArgs) -> Result<Exit, Fatal> {
    let opts = PlanOptions {
        keep_transcripts: args.keep_transcripts,
        max_age_ms: args.max_age,
        end_orphans: args.end_orphans,
        now_ms: ctx.settings.now_ms,
        restore_index: args.restore_index,
    };
    let mut stdout = std::io::stdout().lock();
    let io = |e: std::io::Error| Fatal::operational(format!("cannot write output: {e}"));
    let json_err = |e: serde_json::Error| Fatal::operational(e.to_string());

    if args.dry_run {
        let (_, report, plan) = read_and_plan(ctx, opts, true)?;
        if args.json {
            let mut out = std::io::BufWriter::new(&mut stdout);
            serde_json::to_writer_pretty(
                &mut out,
                &ReportAndPlan {
                    report: &report,
                    plan: &plan,
                },
            )
            .map_err(json_err)?;
            writeln!(out).and_then(|()| out.flush()).map_err(io)?;
        } else {
            render_plan(&plan, args.diff, &mut stdout).map_err(io)?;
        }
        let problems = report.worst().is_some_and(|s| s >= Severity::Warning);
        return Ok(if plan.is_empty() && !problems {
            Exit::Ok
        } else {
            Exit::Problems
        });
    }

    // A live gateway sees no write at all, not even the run lock's file.
    let gateway = state::read_gateway(&ctx.read, &ctx.procs)
        .map_err(|e| Fatal::operational(format!("{e} (state dir from {})", ctx.source)))?;
    if let Some(exit) = refuse_if_live(&analyze::gateway_report(&gateway), args.force) {
        return Ok(exit);
    }
    // Read and plan under the run lock, so no other sessfix run changes the
    // state between the plan and its application.
    let _lock = apply::lock_run(&ctx.read.state_dir).map_err(Fatal::operational)?;
    let (snap, report, mut plan) = read_and_plan(ctx, opts, false)?;
    if let Some(exit) = refuse_if_live(&report.gateway, args.force)
        .or_else(|| refuse_if_unknown(&report, args.force))
    {
        return Ok(exit);
    }
    if report.gateway.live {
        eprintln!("sessfix: warning: --force: writing although a gateway looks live");
    } else if report.gateway.liveness_unknown || !report.liveness_unknown().is_empty() {
        eprintln!("sessfix: warning: --force: writing although a liveness is unknown (locks of unknown owners are kept)");
    }
    if plan.is_empty() {
        if args.json {
            let applied = Applied {
                plan: &plan,
                done: &[],
                changed: &[],
                backup: None,
            };
            serde_json::to_writer_pretty(&mut stdout, &applied).map_err(json_err)?;
            writeln!(stdout).map_err(io)?;
        } else if !args.quiet {
            render_plan(&plan, false, &mut stdout).map_err(io)?;
        }
        return Ok(remaining_exit(&report));
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            render_plan(&plan, false, &mut stdout).map_err(io)?;
            return Err(Fatal {
                exit: Exit::Usage,
                message: "not on a terminal: re-run with --yes to apply this plan".into(),
            });
        }
        render_plan(&plan, false, &mut stdout).map_err(io)?;
        write!(stdout, "Apply these changes? [y/N] ").map_err(io)?;
        stdout.flush().map_err(io)?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).map_err(io)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            writeln!(stdout, "Nothing changed.").map_err(io)?;
            return Ok(Exit::Problems);
        }
        // The answer may have taken long (a gateway started, a run ended):
        // read again and apply only the plan that was shown.
        let (_, report, replanned) = read_and_plan(ctx, opts, false)?;
        if let Some(exit) = refuse_if_live(&report.gateway, args.force)
            .or_else(|| refuse_if_unknown(&report, args.force))
        {
            return Ok(exit);
        }
        if serde_json::to_value(&replanned).ok() != serde_json::to_value(&plan).ok() {
            eprintln!(
                "sessfix: the state changed after the plan was shown; nothing was written. Run again."
            );
            return Ok(Exit::Changed);
        }
        plan = replanned;
    }
    // Only the plan is needed from here: the report goes before apply.
    drop(report);
    let backup_root = args
        .backup_dir
        .clone()
        .unwrap_or_else(|| snap.state_dir.join("sessfix-backups"));
    let outcome = apply::apply(&plan, &snap.state_dir, &backup_root, ctx.settings.now_ms)
        .map_err(Fatal::operational)?;
    if args.json {
        let applied = Applied {
            plan: &plan,
            done: &outcome.done,
            changed: &outcome.changed,
            backup: outcome.backup_dir.as_deref(),
        };
        serde_json::to_writer_pretty(&mut stdout, &applied).map_err(json_err)?;
        writeln!(stdout).map_err(io)?;
    } else if !args.quiet {
        for d in &outcome.done {
            writeln!(stdout, "{d}").map_err(io)?;
        }
        if let Some(b) = &outcome.backup_dir {
            writeln!(
                stdout,
                "backup: {} (`sessfix undo` restores it)",
                b.display()
            )
            .map_err(io)?;
        }
    }
    for c in &outcome.changed {
        eprintln!("sessfix: {c}");
    }
    if !outcome.changed.is_empty() {
        return Ok(Exit::Changed);
    }
    // Check the result by reading the state again.
    drop(plan);
    // Only the findings are needed: rows are not kept.
    let (_, after) = ctx.read_each(
        false,
        |snap| Analysis::new(snap, ctx.settings),
        |analysis, agent| {
            analysis.add(&agent);
            analysis.forget_rows();
        },
    )?;
    Ok(remaining_exit(&after.finish()))
}

/// 0 when the state is consistent, 1 when a warning or an error remains:
/// something repair did not fix needs a person.
fn remaining_exit(report: &analyze::Report) -> Exit {
    if report
        .findings
        .iter()
        .any(|f| f.severity >= Severity::Warning)
    {
        Exit::Problems
    } else {
        Exit::Ok
    }
}
