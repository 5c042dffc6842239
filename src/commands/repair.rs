//! `sessfix repair`: the same plan for `--dry-run` and for real.
//!
//! stdout carries only the result (the plan of a dry run, what was done, or
//! the JSON document); the plan shown before the prompt, the prompt itself,
//! progress and what needs a person go to stderr.

use super::{Context, Fatal};
use crate::analyze::{self, Analysis, Severity};
use crate::apply;
use crate::cli::RepairArgs;
use crate::exit::Exit;
use crate::plan::sqlite::{Refusal, SqliteRequest};
use crate::plan::{self, Plan, PlanOptions};
use crate::render::{json, plan::PlanView};
use crate::state::{self, Snapshot};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// Read the state, analyse it and plan the repair, agent by agent: each agent
/// is planned from its rows of the analysis as soon as it is added, and then
/// dropped, so only a few agents' files are held at a time. Without
/// `keep_rows` the report keeps only its findings (a real run prints no rows).
///
/// An agent whose index could not be read is not planned at all: without its
/// index nothing tells which lock or temp file belongs to a running session.
fn read_and_plan(
    ctx: &Context,
    opts: PlanOptions,
    req: &SqliteRequest,
    keep_rows: bool,
) -> Result<(Snapshot, analyze::Report, Plan), Fatal> {
    let mut refused: Option<Refusal> = None;
    let phases = super::Phases {
        read: "reading",
        each: Some("planning"),
    };
    let (snap, (analysis, mut plan)) = ctx.read_each_in(
        phases,
        true,
        |snap| (Analysis::new(snap, ctx.settings), Plan::default()),
        |(analysis, plan), mut agent| {
            if opts.restore_index {
                agent.restore_index();
            }
            let (sessions, locks) = (analysis.sessions().len(), analysis.locks().len());
            analysis.add(&agent);
            let rows = plan::AgentRows {
                agent: analysis.agents().last().expect("just added"),
                sessions: &analysis.sessions()[sessions..],
                locks: &analysis.locks()[locks..],
            };
            if agent.sqlite.is_some() && refused.is_none() {
                if let Err(r) =
                    plan::sqlite::plan_rows(plan, &agent, rows.sessions, req, opts.now_ms)
                {
                    refused = Some(r);
                }
            }
            plan::add_agent(plan, &agent, rows, opts);
            if !keep_rows {
                analysis.forget_rows();
            }
        },
    )?;
    let report = analysis.finish();
    let refusal = refused
        .map(Err)
        .unwrap_or(Ok(()))
        .and_then(|_| plan::sqlite::check_found(&plan, req))
        .and_then(|_| {
            if req.clear_dead_leases {
                plan::sqlite::plan_leases(&mut plan, &snap, &report, opts.now_ms)
            } else {
                Ok(())
            }
        });
    if let Err(Refusal(message)) = refusal {
        return Err(Fatal {
            exit: Exit::Usage,
            message,
        });
    }
    Ok((snap, report, plan))
}

/// SQLite edits need the third liveness check (no process has a database
/// open); where it cannot be made, they are refused unless forced.
///
/// With `state/openclaw.sqlite` unreadable its owner lease cannot be checked
/// either: SQLite edits are then refused, forced or not (exit 3).
fn refuse_if_holders_unknown(snap: &Snapshot, plan: &Plan, force: bool) -> Option<Exit> {
    if plan.sqlite.is_empty() {
        return None;
    }
    if let Some(p) = &snap.sqlite.state_db_problem {
        eprintln!(
            "sessfix: refusing to edit an SQLite database: {}: {}; its leases (the gateway-owner lease among them) cannot be checked",
            p.path.display(),
            p.message
        );
        return Some(Exit::Operational);
    }
    let Err(why) = &snap.sqlite.holders else {
        return None;
    };
    if force {
        return None;
    }
    eprintln!(
        "sessfix: refusing to edit an SQLite database: whether a process has it open cannot be established here ({why})\n  stop the gateway and run sessfix where it runs; --force only if you know no OpenClaw process runs"
    );
    Some(Exit::GatewayLive)
}

/// The refusal to write while a gateway is live, unless forced. With
/// `--if-stopped` a live gateway is no error: exit 0, nothing written (a cron
/// run while the gateway serves); an unknown liveness still refuses.
fn refuse_if_live(gateway: &analyze::GatewayReport, args: &RepairArgs) -> Option<Exit> {
    let evidence = gateway.evidence.as_deref().unwrap_or("");
    if gateway.liveness_unknown && !gateway.live && !args.force {
        eprintln!(
            "sessfix: refusing to repair: whether a gateway is live cannot be established here: {evidence}\n  run sessfix where the gateway runs; --force only if you know no gateway runs"
        );
        return Some(Exit::GatewayLive);
    }
    if !gateway.live || args.force {
        return None;
    }
    if args.if_stopped {
        if !args.quiet {
            eprintln!("sessfix: a gateway is live ({evidence}): --if-stopped: nothing to do while it runs");
        }
        return Some(Exit::Ok);
    }
    eprintln!(
        "sessfix: refusing to repair while a gateway is live: {evidence}\n  stop the gateway first; --force only if that verdict is wrong"
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

fn io(e: std::io::Error) -> Fatal {
    Fatal::operational(format!("cannot write output: {e}"))
}

fn json_err(e: serde_json::Error) -> Fatal {
    Fatal::operational(e.to_string())
}

/// The `repair --json` document of a real run (also when nothing was
/// applied: `applied` is false and `results` empty).
fn applied_doc(
    plan: &Plan,
    applied: bool,
    outcome: &apply::Outcome,
    out: &mut dyn Write,
) -> Result<(), Fatal> {
    let doc = json!({
        "applied": applied,
        "plan": json::plan_value(plan).map_err(json_err)?,
        "results": json::results_value(outcome).map_err(json_err)?,
        "backup": outcome.backup_dir,
    });
    json::write_document(doc, out).map_err(io)
}

pub fn run(ctx: &Context, args: &RepairArgs) -> Result<Exit, Fatal> {
    let opts = PlanOptions {
        keep_transcripts: args.keep_transcripts,
        max_age_ms: args.max_age,
        end_orphans: args.end_orphans,
        now_ms: ctx.settings.now_ms,
        restore_index: args.restore_index,
    };
    let req = SqliteRequest {
        untombstone: args.untombstone.clone(),
        resume: args.resume.clone(),
        clear_dead_leases: args.clear_dead_leases,
    };
    let mut stdout = crate::render::stdout();
    let backup_root = |state_dir: &std::path::Path| -> PathBuf {
        crate::backup::root(state_dir, args.backup_dir.as_deref())
    };

    if args.dry_run {
        let (snap, report, plan) = read_and_plan(ctx, opts, &req, true)?;
        if args.json {
            #[derive(serde::Serialize)]
            struct DryRun<'a> {
                report: &'a analyze::Report,
                plan: serde_json::Value,
            }
            let doc = DryRun {
                report: &report,
                plan: json::plan_value(&plan).map_err(json_err)?,
            };
            json::write_streamed(&doc, &mut stdout).map_err(io)?;
        } else {
            let view = PlanView {
                style: ctx.style,
                diff: args.diff,
                backup: &backup_root(&snap.state_dir),
            };
            view.render(&plan, &mut stdout).map_err(io)?;
        }
        stdout.flush().map_err(io)?;
        if report.gateway.live && !args.force {
            eprintln!(
                "sessfix: a gateway is live ({}): a real run would refuse and change nothing (exit 4); stop the gateway first",
                report.gateway.evidence.as_deref().unwrap_or("")
            );
            return Ok(Exit::GatewayLive);
        }
        let unknown = report.gateway.liveness_unknown || !report.liveness_unknown().is_empty();
        if unknown && !args.force {
            eprintln!(
                "sessfix: a liveness cannot be established here ({}): a real run would refuse and change nothing (exit 4)",
                report
                    .gateway
                    .evidence
                    .as_deref()
                    .filter(|_| report.gateway.liveness_unknown)
                    .unwrap_or("see the findings")
            );
            return Ok(Exit::GatewayLive);
        }
        // What the plan shows is enough, but an exit 3 names its files here.
        super::say_what_needs_a_person(&report, |f| f.code.ends_with("-unreadable"));
        let problems = report.worst().is_some_and(|s| s >= Severity::Warning);
        return Ok(unreadable_exit(&report).unwrap_or(
            if plan.is_empty() && !problems {
                Exit::Ok
            } else {
                Exit::Problems
            }
            .merge(start_loses_exit(&report)),
        ));
    }

    // A live gateway sees no write at all.
    let gateway = state::read_gateway(&ctx.read, &ctx.procs)
        .map_err(|e| Fatal::operational(format!("{e} (state dir from {})", ctx.source)))?;
    if let Some(exit) = refuse_if_live(&analyze::gateway_report(&gateway), args) {
        return Ok(exit);
    }
    // Read and plan under the run lock, so no other sessfix run changes the
    // state between the plan and its application.
    // Held to the end of the run (let go only while a question is open).
    let mut lock = match super::take_run_lock(ctx, args.lock_wait) {
        Ok(l) => Some(l),
        Err(exit) => return Ok(exit),
    };
    let (snap, report, mut plan) = read_and_plan(ctx, opts, &req, false)?;
    if let Some(exit) = refuse_if_live(&report.gateway, args)
        .or_else(|| refuse_if_unknown(&report, args.force))
        .or_else(|| refuse_if_holders_unknown(&snap, &plan, args.force))
    {
        return Ok(exit);
    }
    if report.gateway.live {
        eprintln!("sessfix: warning: --force: writing although a gateway looks live");
    } else if report.gateway.liveness_unknown || !report.liveness_unknown().is_empty() {
        eprintln!("sessfix: warning: --force: writing although a liveness is unknown (locks of unknown owners are kept)");
    }
    let backup_root = backup_root(&snap.state_dir);
    if plan.is_empty() {
        if args.json {
            applied_doc(&plan, false, &apply::Outcome::default(), &mut stdout)?;
        } else if !args.quiet {
            let view = PlanView {
                style: ctx.style,
                diff: false,
                backup: &backup_root,
            };
            view.render(&plan, &mut stdout).map_err(io)?;
        }
        stdout.flush().map_err(io)?;
        super::say_what_needs_a_person(&report, |_| true);
        return Ok(remaining_exit(&report));
    }
    if !args.yes {
        // The plan, its totals and the question go to the terminal (stderr),
        // never into stdout, which may be a file (`repair --json > plan.json`).
        let view = PlanView {
            style: ctx.err_style,
            diff: args.diff,
            backup: &backup_root,
        };
        view.render(&plan, &mut std::io::stderr().lock())
            .map_err(io)?;
        // Nobody waits on a person: the lock is let go while the question is
        // open (a pre-start run goes ahead meanwhile), and taken again below.
        drop(lock.take());
        if !super::ask("Apply these changes?", "apply this plan")? {
            eprintln!("Nothing changed.");
            if args.json {
                applied_doc(&plan, false, &apply::Outcome::default(), &mut stdout)?;
                stdout.flush().map_err(io)?;
            }
            return Ok(Exit::Problems);
        }
        // The answer may have taken long (a gateway started, a run ended):
        // lock again, read again and apply only the plan that was shown.
        match super::take_run_lock(ctx, args.lock_wait) {
            Ok(l) => lock.replace(l),
            Err(exit) => return Ok(exit),
        };
        let (_, report, replanned) = read_and_plan(ctx, opts, &req, false)?;
        if let Some(exit) =
            refuse_if_live(&report.gateway, args).or_else(|| refuse_if_unknown(&report, args.force))
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
    } else if args.diff && !args.quiet && !args.json {
        let view = PlanView {
            style: ctx.style,
            diff: true,
            backup: &backup_root,
        };
        view.render(&plan, &mut stdout).map_err(io)?;
    }
    // Only the plan is needed from here: the report goes before apply.
    drop(report);
    let totals = crate::render::plan::Totals::of(&plan).to_string();
    let progress = ctx.progress_bar(&format!("applying {totals}"));
    let outcome = apply::apply_with_progress(
        &plan,
        &snap.state_dir,
        &backup_root,
        ctx.settings.now_ms,
        &|p| {
            if let Some(b) = &progress {
                b.set_message(format!(
                    "{}: {} {} of {}; applying {totals}",
                    p.phase(),
                    p.step,
                    p.done,
                    p.total
                ));
            }
        },
    )
    .map_err(Fatal::operational);
    if let Some(b) = progress {
        b.finish_and_clear();
    }
    let outcome = outcome?;
    if args.json {
        applied_doc(&plan, true, &outcome, &mut stdout)?;
    } else if args.quiet {
        // The journal, the container log or the cron mail still tells what
        // an unattended run changed, in one line.
        if let Some(b) = outcome
            .backup_dir
            .as_ref()
            .filter(|_| !outcome.done.is_empty())
        {
            eprintln!(
                "sessfix: repaired: {totals}; backup {} (`sessfix undo` restores it)",
                b.display()
            );
        }
    } else {
        for d in &outcome.done {
            writeln!(stdout, "{d}").map_err(io)?;
        }
        if let Some(b) = outcome
            .backup_dir
            .as_ref()
            .filter(|_| !outcome.done.is_empty())
        {
            writeln!(
                stdout,
                "backup: {} (`sessfix undo` restores it)",
                b.display()
            )
            .map_err(io)?;
        }
    }
    stdout.flush().map_err(io)?;
    for c in &outcome.changed {
        eprintln!("sessfix: {c}");
    }
    if !outcome.changed.is_empty() {
        return Ok(Exit::Changed);
    }
    // Check the result by reading the state again.
    drop(plan);
    // Only the findings are needed: rows are not kept.
    let checking = super::Phases {
        read: "checking",
        ..super::Phases::READ
    };
    let (_, after) = ctx.read_each_in(
        checking,
        false,
        |snap| Analysis::new(snap, ctx.settings),
        |analysis, agent| {
            analysis.add(&agent);
            analysis.forget_rows();
        },
    )?;
    let after = after.finish();
    super::say_what_needs_a_person(&after, |_| true);
    Ok(remaining_exit(&after))
}

/// Exit 3 when part of the state could not be read.
pub fn unreadable_exit(report: &analyze::Report) -> Option<Exit> {
    super::could_not_read(report).then_some(Exit::Operational)
}

/// 0 when the state is consistent, 1 when errors remain that need a person,
/// 6 when starting the gateway now loses data, 3 when part of it could not
/// be read.
fn remaining_exit(report: &analyze::Report) -> Exit {
    if let Some(e) = unreadable_exit(report) {
        return e;
    }
    let problems = if report
        .findings
        .iter()
        .any(|f| f.severity >= Severity::Warning)
    {
        Exit::Problems
    } else {
        Exit::Ok
    };
    problems.merge(start_loses_exit(report))
}

/// Exit 6, with one line on stderr per index whose loss a start would make
/// final (printed with `--quiet` too: the journal says why the start stopped).
fn start_loses_exit(report: &analyze::Report) -> Exit {
    for (path, why) in &report.start_loses {
        eprintln!("sessfix: DO NOT START THE GATEWAY: {path}: {why}");
    }
    if report.start_loses.is_empty() {
        Exit::Ok
    } else {
        Exit::StartLosesData
    }
}
