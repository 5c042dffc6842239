//! `sessfix repair`: the flags mapped into `ops::repair`'s options, and its
//! events rendered.
//!
//! stdout carries only the result (the plan of a dry run, what was done, or
//! the JSON document); the plan shown before the prompt, the prompt itself,
//! progress and what needs a person go to stderr.

use super::{Context, Fatal};
use crate::apply::Outcome;
use crate::cli::RepairArgs;
use crate::exit::Exit;
use crate::ops::repair::RepairOptions;
use crate::ops::{Event, Ui};
use crate::plan::sqlite::SqliteRequest;
use crate::plan::{Plan, PlanOptions};
use crate::render::json::{self, Json, JsonSink};
use crate::render::{plan::PlanView, Renderer, RepairDoc, ReportSink, Style};
use std::io::Write;
use std::path::Path;

fn io(e: std::io::Error) -> Fatal {
    Fatal::operational(format!("cannot write output: {e}"))
}

/// The options `args` ask for.
fn options(ctx: &Context, args: &RepairArgs) -> RepairOptions {
    RepairOptions {
        plan: PlanOptions {
            keep_transcripts: args.keep_transcripts,
            max_age_ms: args.max_age,
            end_orphans: args.end_orphans,
            now_ms: ctx.settings.now_ms,
            restore_index: args.restore_index,
            rebuild_dropped: args.rebuild_dropped,
            delivery: crate::plan::delivery::DeliveryRequest {
                requeue: args.requeue_replies,
                may_duplicate: args.may_duplicate,
                send_unsent: args.send_unsent_replies,
                prune_older_than_ms: args.prune_dead_letters,
                dead_letter_failing: args.dead_letter_failing,
            },
        },
        sqlite: SqliteRequest {
            untombstone: args.untombstone.clone(),
            resume: args.resume.clone(),
            clear_dead_leases: args.clear_dead_leases,
        },
        dry_run: args.dry_run,
        detailed_exitcode: args.detailed_exitcode,
        force: args.force,
        if_stopped: args.if_stopped,
        quiet: args.quiet,
        yes: args.yes,
        lock_wait_ms: args.lock_wait,
        backup_dir: args.backup_dir.clone(),
        retention: crate::ops::backups::Retention {
            runs: match args.keep_backups {
                crate::cli::Keep::All => None,
                crate::cli::Keep::Runs(n) => Some(n),
            },
            age_ms: args.keep_backups_for,
        },
    }
}

/// How `repair` shows its events: `--json`, `--diff`, `--quiet`.
struct Terminal<'a> {
    args: &'a RepairArgs,
    style: Style,
    err_style: Style,
    /// The options a pasted command needs (`Settings::action_options`).
    actions: &'static str,
    /// `--dry-run --json`: the report's rows, written as they come.
    sink: Option<JsonSink>,
}

impl Terminal<'_> {
    /// Render `doc` on stdout as text (with `diff`) or, with `--json`, as JSON.
    fn stdout(&self, doc: RepairDoc<'_>, diff: bool, backup: &Path) -> Result<(), Fatal> {
        let mut out = crate::render::stdout();
        self.render(&mut out, self.style, doc, diff, backup)?;
        out.flush().map_err(io)
    }

    fn render(
        &self,
        out: &mut dyn Write,
        style: Style,
        doc: RepairDoc<'_>,
        diff: bool,
        backup: &Path,
    ) -> Result<(), Fatal> {
        if self.args.json {
            return Json.render(&doc, out).map_err(io);
        }
        let plan = match doc {
            RepairDoc::DryRun { plan, .. } | RepairDoc::Plan(plan) => Some(plan),
            RepairDoc::Applied { .. } => None,
        };
        let sources = plan.filter(|_| diff).map(Plan::read_diff_sources);
        let view = PlanView {
            style,
            diff: sources.as_ref(),
            backup,
            actions: self.actions,
            width: crate::render::table::output_width(),
        };
        view.render(&doc, out).map_err(io)
    }

    /// The document of a run that applied nothing (`--json` only).
    fn nothing_applied(&self, plan: &Plan) -> Result<(), Fatal> {
        let outcome = Outcome::default();
        let doc = RepairDoc::Applied {
            plan,
            applied: false,
            outcome: &outcome,
        };
        self.stdout(doc, false, Path::new(""))
    }
}

impl Ui for Terminal<'_> {
    fn report_sink(&mut self) -> Option<&mut dyn ReportSink> {
        self.sink.as_mut().map(|s| s as &mut dyn ReportSink)
    }

    fn show(&mut self, event: Event<'_>) -> Result<(), Fatal> {
        let args = self.args;
        match event {
            Event::DryRun { report, plan, .. } if self.sink.is_some() => {
                let mut out = crate::render::stdout();
                let sink = self.sink.as_mut().expect("checked");
                json::write_dry_run(sink, report, &report.findings, plan, &mut out)
                    .and_then(|()| out.flush())
                    .map_err(io)
            }
            Event::DryRun {
                report,
                plan,
                backup_root,
            } => self.stdout(RepairDoc::DryRun { report, plan }, args.diff, backup_root),
            Event::NothingToDo { plan, .. } if args.json => self.nothing_applied(plan),
            Event::NothingToDo { plan, backup_root } if !args.quiet => {
                self.stdout(RepairDoc::Plan(plan), false, backup_root)
            }
            Event::NothingToDo { .. } => crate::render::stdout().flush().map_err(io),
            Event::Asking { plan, backup_root } => {
                // Always text: the terminal is a person's.
                let sources = args.diff.then(|| plan.read_diff_sources());
                let view = PlanView {
                    style: self.err_style,
                    diff: sources.as_ref(),
                    backup: backup_root,
                    actions: self.actions,
                    width: crate::render::plan::stderr_width(),
                };
                view.render(&RepairDoc::Plan(plan), &mut std::io::stderr().lock())
                    .map_err(io)
            }
            Event::Declined { plan } if args.json => self.nothing_applied(plan),
            Event::Declined { .. } => Ok(()),
            Event::Applying { plan, backup_root } if args.diff && !args.quiet && !args.json => {
                self.stdout(RepairDoc::Plan(plan), true, backup_root)
            }
            Event::Applying { .. } => Ok(()),
            Event::Applied { plan, outcome } if args.quiet && !args.json => {
                // The journal, the container log or the cron mail still tells
                // what an unattended run changed, in one line.
                if let Some(b) = outcome
                    .backup_dir
                    .as_ref()
                    .filter(|_| !outcome.done.is_empty())
                {
                    eprintln!(
                        "sessfix: repaired: {}; backup {} ({} restores it)",
                        crate::render::plan::Totals::of(plan),
                        b.display(),
                        crate::render::plan::command("undo", self.actions)
                    );
                }
                crate::render::stdout().flush().map_err(io)
            }
            Event::Applied { plan, outcome } => {
                let doc = RepairDoc::Applied {
                    plan,
                    applied: true,
                    outcome,
                };
                self.stdout(doc, false, Path::new(""))
            }
        }
    }

    fn ask(&mut self, question: &str, what: &str) -> Result<bool, Fatal> {
        super::ask(question, what)
    }
}

pub fn run(ctx: &Context, args: &RepairArgs) -> Result<Exit, Fatal> {
    let mut ui = Terminal {
        args,
        style: ctx.style,
        err_style: ctx.err_style,
        actions: ctx.settings.action_options,
        sink: (args.dry_run && args.json).then(JsonSink::nested),
    };
    crate::ops::repair::repair(ctx, &options(ctx, args), &mut ui).map(|o| o.exit())
}
