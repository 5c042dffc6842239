//! The repair protocol as one operation: refuse while a gateway is live (or
//! may be), lock, read and plan, show and ask, lock and plan again, compare,
//! apply, and verify by reading the state again. `--dry-run` stops after the
//! plan.
//!
//! Progress and what needs a person go to stderr; what the plan and its
//! result look like is the `Ui`'s (`Event`).

use super::{Context, Event, Fatal, Phases, ReadMode, Ui};
use crate::analyze::exit::Mode;
use crate::analyze::{self, Analysis};
use crate::apply;
use crate::exit::Exit;
use crate::plan::sqlite::{Refusal, SqliteRequest};
use crate::plan::{self, Plan, PlanOptions};
use crate::state::{self, Snapshot, TailCache};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `repair` was asked to do.
#[derive(Debug, Clone)]
pub struct RepairOptions {
    /// The file-era edits asked for (`--keep-transcripts`, `--max-age`, ...).
    pub plan: PlanOptions,
    /// The SQLite-era edits named by the operator.
    pub sqlite: SqliteRequest,
    /// Plan and show, never write (`--dry-run`).
    pub dry_run: bool,
    /// A dry run's exit tells a plan that needs no person apart
    /// (`--detailed-exitcode`: `Exit::WouldChange`, see `ops::remaining`).
    pub detailed_exitcode: bool,
    /// Write although a gateway looks live or a liveness is unknown (`--force`).
    pub force: bool,
    /// A live gateway is no error: exit 0, nothing written (`--if-stopped`).
    pub if_stopped: bool,
    /// Say nothing on stderr but what needs a person (`--quiet`).
    pub quiet: bool,
    /// Apply without asking (`--yes`).
    pub yes: bool,
    /// How long to wait for another sessfix run's run lock, in ms (`--lock-wait`).
    pub lock_wait_ms: u64,
    /// Where backups go (`--backup-dir`); `None`: `<state-dir>/sessfix-backups`.
    pub backup_dir: Option<PathBuf>,
    /// The backup runs kept after a run that changed something
    /// (`--keep-backups`, `--keep-backups-for`).
    pub retention: super::backups::Retention,
}

/// How a repair ended. `exit()` is its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairOutcome {
    /// Refused before anything was written (a live gateway, an unknown
    /// liveness, the run lock held), or, with `--if-stopped`, nothing to do
    /// while the gateway runs (`Exit::Ok`).
    Refused(Exit),
    /// A dry run: the exit a real run would end with.
    DryRun(Exit),
    /// Nothing to apply; the exit says what remains.
    NothingToDo(Exit),
    /// The person said no.
    Declined,
    /// The state changed after the plan was shown, or files changed since
    /// they were read: nothing (or not those) written.
    Changed,
    /// Applied and verified; the exit says what remains.
    Applied(Exit),
}

impl RepairOutcome {
    /// The exit code the run ends with.
    pub fn exit(self) -> Exit {
        match self {
            RepairOutcome::Refused(e)
            | RepairOutcome::DryRun(e)
            | RepairOutcome::NothingToDo(e)
            | RepairOutcome::Applied(e) => e,
            RepairOutcome::Declined => Exit::Problems,
            RepairOutcome::Changed => Exit::Changed,
        }
    }
}

/// What a read does with transcript tails beyond the analysis.
enum Tails {
    /// Read every transcript.
    Read,
    /// Read every transcript and keep its tail for a later read.
    Remember,
    /// Reuse the tails kept by an earlier read for unchanged transcripts.
    Reuse(Arc<TailCache>),
}

/// What `read_and_plan` gives: the snapshot, the report, the plan, and the
/// tails kept (`Tails::Remember`; empty otherwise).
type Planned = (Snapshot, analyze::Report, Plan, TailCache);

/// Keep in `near` the (at most 3) session keys of `agent`'s database closest
/// to a key `--untombstone` or `--resume` names (Jaro-Winkler 0.8 or more),
/// best first: bounded, whatever the number of rows.
fn note_near_keys(agent: &crate::state::Agent, req: &SqliteRequest, near: &mut Vec<(f64, String)>) {
    let Some(rows) = agent
        .agent_db
        .as_ref()
        .and_then(|db| db.sessions.as_ref())
        .map(|t| &t.rows)
    else {
        return;
    };
    for named in [&req.untombstone, &req.resume].into_iter().flatten() {
        for row in rows {
            let score = strsim::jaro_winkler(named, &row.key);
            if score >= 0.8 && row.key != *named && !near.iter().any(|(_, k)| *k == row.key) {
                near.push((score, row.key.clone()));
                near.sort_by(|a, b| b.0.total_cmp(&a.0));
                near.truncate(3);
            }
        }
    }
}

/// Read the state, analyse it and plan the repair, agent by agent: each agent
/// is planned from its rows of the analysis as soon as it is added, and then
/// dropped, so only a few agents' files are held at a time. The agent's
/// session and lock rows and findings then go to `rows_to` and leave the
/// report, which keeps what its exit needs (`Report::streamed`): a dry run
/// writes them as they come, a real run puts aside only what needs a person
/// (`PersonLines`), a second plan drops them (`render::Discard`).
///
/// An agent whose index could not be read is not planned at all: without its
/// index nothing tells which lock or temp file belongs to a running session.
fn read_and_plan(
    ctx: &Context,
    opts: PlanOptions,
    req: &SqliteRequest,
    rows_to: &mut dyn crate::render::ReportSink,
    tails: Tails,
) -> Result<Planned, Fatal> {
    let mut sink_failed = None;
    let mut refused: Option<Refusal> = None;
    // Agent databases that could not be read: a named session may be there.
    let mut unread_dbs: Vec<String> = Vec::new();
    // The SQLite-era keys closest to a named one, for a refusal's "did you mean".
    let mut near: Vec<(f64, String)> = Vec::new();
    let phases = Phases {
        read: "reading",
        each: Some("planning"),
    };
    let remember = matches!(tails, Tails::Remember);
    let mode = ReadMode {
        keep_index: true,
        sqlite_edit_keys: [&req.untombstone, &req.resume]
            .into_iter()
            .flatten()
            .cloned()
            .chain(
                opts.delivery
                    .send_unsent
                    .then(|| state::sqlite_era::KEEP_PENDING_FINAL.to_string()),
            )
            .collect(),
        tails: match tails {
            Tails::Reuse(t) => Some(t),
            Tails::Read | Tails::Remember => None,
        },
    };
    let mut kept = TailCache::default();
    let (snap, (analysis, mut plan)) = ctx.read_each_in(
        phases,
        mode,
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
            unread_dbs.extend(
                agent
                    .db_problem
                    .iter()
                    .map(|p| format!("{}: {}", p.path.display(), p.message)),
            );
            note_near_keys(&agent, req, &mut near);
            if agent.sqlite.is_some() && refused.is_none() {
                if let Err(r) =
                    plan::sqlite::plan_rows(plan, &agent, rows.sessions, req, opts.now_ms)
                {
                    refused = Some(r);
                }
            }
            if opts.delivery.send_unsent {
                let lines: Vec<_> = analysis.release().set.iter().collect();
                let state_dir = &ctx.read.state_dir;
                plan::delivery::plan_pending_final(plan, &agent, &lines, state_dir, opts.now_ms);
            }
            plan::add_agent(plan, &agent, rows, opts);
            super::pass_rows(analysis, rows_to, &mut sink_failed);
            // Done with the agent: its tails move into the kept ones.
            if remember {
                kept.take_from(&mut agent);
            }
        },
    )?;
    super::sink_result(sink_failed)?;
    let report = analysis.finish();
    let refusal = refused
        .map(Err)
        .unwrap_or(Ok(()))
        .and_then(|_| {
            let near: Vec<String> = near.into_iter().map(|(_, k)| k).collect();
            plan::sqlite::check_found(&plan, req, &unread_dbs, &near)
        })
        .and_then(|_| {
            if req.clear_dead_leases {
                plan::sqlite::plan_leases(&mut plan, &snap, &report, opts.now_ms)
            } else {
                Ok(())
            }
        })
        .and_then(|_| plan_deliveries(&mut plan, &snap, &report, opts));
    if let Err(Refusal(message)) = refusal {
        return Err(Fatal {
            exit: Exit::Usage,
            message,
        });
    }
    Ok((snap, report, plan, kept))
}

/// The delivery queues' edits the operator named (`plan::delivery`).
fn plan_deliveries(
    plan: &mut Plan,
    snap: &Snapshot,
    report: &analyze::Report,
    opts: PlanOptions,
) -> Result<(), Refusal> {
    if opts.delivery.is_empty() {
        return Ok(());
    }
    let rows = snap
        .sqlite
        .state_db
        .as_ref()
        .map_or(&[][..], |d| &d.deliveries[..]);
    let entries = plan::delivery::entries(&snap.queues.entries, rows);
    let lines: Vec<_> = report.openclaw.set.iter().collect();
    plan::delivery::plan(
        plan,
        &snap.state_dir,
        &entries,
        &report.unsent,
        &lines,
        &opts.delivery,
        opts.now_ms,
    )
    .map_err(Refusal)
}

/// SQLite edits need the third liveness check (no process has a database
/// open); where it cannot be made, they are refused unless forced.
///
/// With `state/openclaw.sqlite` unreadable its owner lease cannot be checked
/// either: SQLite edits are then refused, forced or not (exit 3).
fn refuse_if_holders_unknown(snap: &Snapshot, plan: &Plan, force: bool) -> Option<Exit> {
    let (exit, why) = sqlite_refusal(snap, plan, force)?;
    eprintln!("sessfix: refusing to edit an SQLite database: {why}");
    Some(exit)
}

/// Why a real run refuses the plan's SQLite edits, and its exit: with
/// `state/openclaw.sqlite` unreadable (exit 3, forced or not), or with no
/// way to tell whether a process has a database open (exit 4 unless
/// forced; on an OS without open-file facts, every such edit).
fn sqlite_refusal(snap: &Snapshot, plan: &Plan, force: bool) -> Option<(Exit, String)> {
    if plan.sqlite.is_empty() {
        return None;
    }
    if let Some(p) = &snap.sqlite.state_db_problem {
        return Some((
            Exit::Operational,
            format!(
                "{}: {}; its leases (the gateway-owner lease among them) cannot be checked",
                p.path.display(),
                p.message
            ),
        ));
    }
    let Err(why) = &snap.sqlite.holders else {
        return None;
    };
    if force {
        return None;
    }
    Some((
        Exit::GatewayLive,
        format!(
            "whether a process has it open cannot be established here ({why})\n  stop the gateway and run sessfix where it runs; --force only if you know no OpenClaw process runs"
        ),
    ))
}

/// The refusal to write while a gateway is live, unless forced. With
/// `--if-stopped` a live gateway is no error: exit 0, nothing written (a cron
/// run while the gateway serves); an unknown liveness still refuses.
fn refuse_if_live(gateway: &analyze::GatewayReport, opts: &RepairOptions) -> Option<Exit> {
    let evidence = gateway.evidence.as_deref().unwrap_or("");
    if gateway.liveness_unknown && !gateway.live && !opts.force {
        eprintln!(
            "sessfix: refusing to repair: whether a gateway is live cannot be established here: {evidence}\n  run sessfix where the gateway runs; --force only if you know no gateway runs"
        );
        return Some(Exit::GatewayLive);
    }
    if !gateway.live || opts.force {
        return None;
    }
    if opts.if_stopped {
        if !opts.quiet {
            eprintln!("sessfix: a gateway is live ({evidence}): --if-stopped: nothing to do while it runs");
        }
        return Some(Exit::Ok);
    }
    eprintln!(
        "sessfix: refusing to repair while a gateway is live: {evidence}\n  stop the gateway first; --force only if that verdict is wrong"
    );
    Some(Exit::GatewayLive)
}

/// The refusal to start a repair the OS would stop halfway: a file of the
/// plan that cannot be changed now (`ops::blocked`), forced or not (exit 3).
fn refuse_if_blocked(plan: &Plan) -> Option<Exit> {
    let blocked = super::blocked::blocked(plan);
    if blocked.is_empty() {
        return None;
    }
    eprintln!("sessfix: refusing to repair: files it would change cannot be changed now; nothing was written:");
    for b in blocked {
        eprintln!("  {b}");
    }
    Some(Exit::Operational)
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

/// Run `repair` as `opts` asks, on the state `ctx` reads.
///
/// Errors: the state cannot be read or written (exit 3), a named SQLite
/// edit cannot be planned (exit 2), nobody can answer the question (exit 2).
pub fn repair(
    ctx: &Context,
    opts: &RepairOptions,
    ui: &mut dyn Ui,
) -> Result<RepairOutcome, Fatal> {
    if opts.dry_run {
        return dry_run(ctx, opts, ui);
    }
    if let Some(exit) = ctx.refuse_without_state_dir("repair") {
        return Ok(RepairOutcome::Refused(exit));
    }
    // A live gateway sees no write at all.
    let gateway = state::read_gateway(&ctx.read, &ctx.procs)
        .map_err(|e| Fatal::operational(format!("{e} (state dir from {})", ctx.source)))?;
    if let Some(exit) = refuse_if_live(&analyze::gateway_report(&gateway), opts) {
        return Ok(RepairOutcome::Refused(exit));
    }
    // Read and plan under the run lock, so no other sessfix run changes the
    // state between the plan and its application.
    // Held to the end of the run (let go only while a question is open).
    let mut lock = match super::take_run_lock(ctx, opts.lock_wait_ms) {
        Ok(l) => Some(l),
        Err(exit) => return Ok(RepairOutcome::Refused(exit)),
    };
    // What needs a person is put aside as each agent is planned.
    let mut lines = super::PersonLines::new(crate::boot::show(&ctx.read.state_dir));
    let (snap, report, plan, tails) =
        read_and_plan(ctx, opts.plan, &opts.sqlite, &mut lines, Tails::Remember)?;
    // What was read of each transcript is not read again if unchanged: not
    // after the question, nor to check the result.
    let tails = Arc::new(tails);
    if let Some(exit) = refuse_if_live(&report.gateway, opts)
        .or_else(|| refuse_if_unknown(&report, opts.force))
        .or_else(|| refuse_if_holders_unknown(&snap, &plan, opts.force))
        .or_else(|| refuse_if_blocked(&plan))
    {
        return Ok(RepairOutcome::Refused(exit));
    }
    if report.gateway.live {
        eprintln!("sessfix: warning: --force: writing although a gateway looks live");
    } else if report.gateway.liveness_unknown || !report.liveness_unknown().is_empty() {
        eprintln!("sessfix: warning: --force: writing although whether a gateway is live is unknown (locks of unknown owners are kept)");
    }
    let backup_root = crate::backup::root(&snap.state_dir, opts.backup_dir.as_deref());
    if plan.is_empty() {
        ui.show(Event::NothingToDo {
            plan: &plan,
            backup_root: &backup_root,
        })?;
        lines.say(&report);
        return Ok(RepairOutcome::NothingToDo(super::exit_telling(
            &report,
            Mode::Remaining,
        )));
    }
    let plan = if opts.yes {
        ui.show(Event::Applying {
            plan: &plan,
            backup_root: &backup_root,
        })?;
        plan
    } else {
        match ask_and_replan(ctx, opts, ui, &mut lock, plan, &backup_root, &tails)? {
            Ok(plan) => plan,
            Err(outcome) => return Ok(outcome),
        }
    };
    // Only the plan is needed from here: the report goes before apply.
    drop((report, lines));
    crate::fsx::os::trim_heap();
    let Some(outcome) = apply_shown(ctx, &plan, &snap.state_dir, &backup_root, ui)? else {
        return Ok(RepairOutcome::Changed);
    };
    let own = outcome.backup_dir.clone();
    drop(outcome);
    drop(plan);
    crate::fsx::os::trim_heap();
    let exit = verify(ctx, tails)?;
    // Only now, the run's own backup complete and synced, and under the run
    // lock still: older runs beyond the retention go. Not when the state
    // is left unsafe to start or partly unread: an older run may hold the
    // only intact copy of a lost index (`state::copies` finds copies there).
    let safe = matches!(exit, Exit::Ok | Exit::Problems);
    if let Some(own) = own.filter(|_| safe) {
        let shared = opts.backup_dir.is_some();
        super::backups::prune_telling(
            &backup_root,
            &snap.state_dir,
            &own,
            &opts.retention,
            ctx.settings.now_ms,
            shared,
        );
    }
    Ok(RepairOutcome::Applied(exit))
}

/// `repair --dry-run`: read and plan once, show the plan with its report,
/// and tell the exit a real run would end with.
fn dry_run(ctx: &Context, opts: &RepairOptions, ui: &mut dyn Ui) -> Result<RepairOutcome, Fatal> {
    // The rows go to the Ui as they come, or nowhere: a dry run's text shows
    // the plan alone (and names only unreadable files, which are kept).
    let mut discard = crate::render::Discard;
    let sink: &mut dyn crate::render::ReportSink = match ui.report_sink() {
        Some(s) => s,
        None => &mut discard,
    };
    let max_age = opts.plan.max_age_ms.is_some();
    let mut person = super::remaining::PersonNeeded::new(sink, opts.detailed_exitcode, max_age);
    let (snap, report, plan, _) =
        read_and_plan(ctx, opts.plan, &opts.sqlite, &mut person, Tails::Read)?;
    let person = person.needs_a_person(&report.findings, &plan);
    let backup_root = crate::backup::root(&snap.state_dir, opts.backup_dir.as_deref());
    ui.show(Event::DryRun {
        report: &report,
        plan: &plan,
        backup_root: &backup_root,
    })?;
    if let Some(why) = &ctx.read.state_dir_unknown {
        eprintln!(
            "sessfix: a real run would refuse and change nothing (exit 4), --force or not: {why}"
        );
        return Ok(RepairOutcome::DryRun(Exit::GatewayLive));
    }
    if report.gateway.live && !opts.force {
        eprintln!(
            "sessfix: a gateway is live ({}): a real run would refuse and change nothing (exit 4); stop the gateway first",
            report.gateway.evidence.as_deref().unwrap_or("")
        );
    } else if (report.gateway.liveness_unknown || !report.liveness_unknown().is_empty())
        && !opts.force
    {
        eprintln!(
            "sessfix: whether a gateway is live cannot be established here ({}): a real run would refuse and change nothing (exit 4)",
            report
                .gateway
                .evidence
                .as_deref()
                .filter(|_| report.gateway.liveness_unknown)
                .unwrap_or("see the findings")
        );
    } else if let Some(b) = Some(super::blocked::blocked(&plan)).filter(|b| !b.is_empty()) {
        eprintln!("sessfix: a real run would refuse and change nothing (exit 3): files it would change cannot be changed now:");
        for line in b {
            eprintln!("  {line}");
        }
        return Ok(RepairOutcome::DryRun(Exit::Operational));
    } else if let Some((exit, why)) = sqlite_refusal(&snap, &plan, opts.force) {
        eprintln!(
            "sessfix: a real run would refuse to edit an SQLite database and change nothing (exit {}): {why}",
            exit.code()
        );
        return Ok(RepairOutcome::DryRun(exit));
    } else {
        // What the plan shows is enough, but an exit 3 names its files here.
        super::say_what_needs_a_person(&report, crate::analyze::exit::unreadable);
    }
    let mode = Mode::DryRun {
        plan_empty: plan.is_empty(),
        force: opts.force,
    };
    let exit = super::exit_telling(&report, mode);
    let exit = if opts.detailed_exitcode {
        super::remaining::detailed(exit, person, plan.is_empty())
    } else {
        exit
    };
    if exit == Exit::Problems && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        // Exit 1 says why to a person at a terminal (a script reads the code,
        // and --detailed-exitcode): the plan's changes, or what it leaves.
        let scan =
            crate::render::plan::command("scan --severity warning", ctx.settings.action_options);
        eprintln!(
            "sessfix: exit 1: {}; {scan} lists what needs a person",
            if plan.is_empty() {
                "the warnings and errors found are not settled by any repair made without naming it"
            } else if opts.detailed_exitcode {
                "besides this plan, a warning or error needs a person"
            } else {
                "this plan has changes to make, or a warning or error needs a person (--detailed-exitcode tells them apart: 8 for changes alone)"
            }
        );
    }
    Ok(RepairOutcome::DryRun(exit))
}

/// Show the plan and ask. The run lock is let go while the question is open
/// (nobody waits on a person) and taken again after it; the state is then
/// read and planned again, and only the plan that was shown is applied.
/// `Err` is how the run ends instead.
fn ask_and_replan(
    ctx: &Context,
    opts: &RepairOptions,
    ui: &mut dyn Ui,
    lock: &mut Option<apply::RunLock>,
    plan: Plan,
    backup_root: &Path,
    tails: &Arc<TailCache>,
) -> Result<Result<Plan, RepairOutcome>, Fatal> {
    // The plan, its totals and the question go to the terminal (stderr),
    // never into stdout, which may be a file (`repair --json > plan.json`).
    ui.show(Event::Asking {
        plan: &plan,
        backup_root,
    })?;
    // A pre-start run goes ahead meanwhile.
    drop(lock.take());
    if !ui.ask("Apply these changes?", "apply this plan")? {
        eprintln!("Nothing changed.");
        ui.show(Event::Declined { plan: &plan })?;
        return Ok(Err(RepairOutcome::Declined));
    }
    // The answer may have taken long (a gateway started, a run ended):
    // lock again, read again and apply only the plan that was shown.
    match super::take_run_lock(ctx, opts.lock_wait_ms) {
        Ok(l) => lock.replace(l),
        Err(exit) => return Ok(Err(RepairOutcome::Refused(exit))),
    };
    let reuse = Tails::Reuse(Arc::clone(tails));
    // Only the refusals and the plan are needed of this read.
    let discard = &mut crate::render::Discard;
    let (_, report, replanned, _) = read_and_plan(ctx, opts.plan, &opts.sqlite, discard, reuse)?;
    if let Some(exit) =
        refuse_if_live(&report.gateway, opts).or_else(|| refuse_if_unknown(&report, opts.force))
    {
        return Ok(Err(RepairOutcome::Refused(exit)));
    }
    if serde_json::to_value(&replanned).ok() != serde_json::to_value(&plan).ok() {
        eprintln!(
            "sessfix: the state changed after the plan was shown; nothing was written. Run again."
        );
        return Ok(Err(RepairOutcome::Changed));
    }
    Ok(Ok(replanned))
}

/// Apply `plan` with a progress line, show what was done, and name each
/// file left because it changed since it was read. `None`: some were.
fn apply_shown(
    ctx: &Context,
    plan: &Plan,
    state_dir: &Path,
    backup_root: &Path,
    ui: &mut dyn Ui,
) -> Result<Option<apply::Outcome>, Fatal> {
    let totals = crate::render::plan::Totals::of(plan).to_string();
    let progress = ctx.progress_bar(&format!("applying {totals}"));
    let outcome =
        apply::apply_with_progress(plan, state_dir, backup_root, ctx.settings.now_ms, &|p| {
            if let Some(b) = &progress {
                b.set_message(format!(
                    "{}: {} {} of {}; applying {totals}",
                    p.phase(),
                    p.step,
                    p.done,
                    p.total
                ));
            }
        })
        .map_err(Fatal::operational);
    if let Some(b) = progress {
        b.finish_and_clear();
    }
    let outcome = outcome?;
    ui.show(Event::Applied {
        plan,
        outcome: &outcome,
    })?;
    for c in &outcome.changed {
        eprintln!("sessfix: {c}");
    }
    Ok(outcome.changed.is_empty().then_some(outcome))
}

/// Check the result by reading the state again: the exit says what remains.
/// A transcript unchanged since the first read is not read again (`tails`).
fn verify(ctx: &Context, tails: Arc<TailCache>) -> Result<Exit, Fatal> {
    // Only the warnings and errors are needed: rows and notes are not kept.
    let checking = Phases {
        read: "checking",
        ..Phases::READ
    };
    // The last read of them: each kept tail is moved into it, not copied.
    let tails = Arc::try_unwrap(tails).map_or_else(|shared| shared, |t| Arc::new(t.for_last_use()));
    let mode = ReadMode {
        tails: Some(tails),
        ..ReadMode::default()
    };
    let mut lines = super::PersonLines::new(crate::boot::show(&ctx.read.state_dir));
    let mut failed = None;
    let (_, after) = ctx.read_each_in(
        checking,
        mode,
        |snap| Analysis::new(snap, ctx.settings),
        |analysis, agent| {
            analysis.add(&agent);
            drop(agent);
            super::pass_rows(analysis, &mut lines, &mut failed);
        },
    )?;
    super::sink_result(failed)?;
    let after = after.finish();
    lines.say(&after);
    Ok(super::exit_telling(&after, Mode::Remaining))
}
