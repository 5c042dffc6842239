//! Operations as library functions, in the manner of cargo's `ops`: each takes
//! an options struct (what the command line asked for, already parsed) and a
//! `Ui` (how to show what it does and ask a person), and returns how it ended.
//! The commands in `crate::commands` map flags into the options, call the
//! operation and render.
//!
//! Refusals, warnings and what needs a person go to stderr from here, as
//! before: they are the protocol's own words, the same in every output format.

pub mod backups;
pub mod blocked;
mod context;
pub mod person;
pub mod remaining;
pub mod repair;
pub mod undo;

pub use context::{pass_rows, sink_result, take_run_lock, Context, Fatal, Phases, ReadMode};
pub use person::{say_what_needs_a_person, PersonLines};

use crate::analyze::Report;
use crate::plan::Plan;
use std::path::Path;

/// What an operation shows on the way: each is rendered by the command
/// (stdout, or the terminal on stderr for what comes before a question).
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// `repair --dry-run`: the report and the plan a real run would carry out.
    DryRun {
        report: &'a Report,
        plan: &'a Plan,
        backup_root: &'a Path,
    },
    /// A real run with nothing to do (`plan` is empty, `left_alone` may not be).
    NothingToDo {
        plan: &'a Plan,
        backup_root: &'a Path,
    },
    /// The plan, before the question whether to apply it (on the terminal).
    Asking {
        plan: &'a Plan,
        backup_root: &'a Path,
    },
    /// The person said no: nothing was applied.
    Declined { plan: &'a Plan },
    /// `--yes`: the plan, just before it is applied.
    Applying {
        plan: &'a Plan,
        backup_root: &'a Path,
    },
    /// The plan was applied (`outcome` says what was done, and what was
    /// left because it changed since the plan).
    Applied {
        plan: &'a Plan,
        outcome: &'a crate::apply::Outcome,
    },
}

/// How an operation talks to the person who runs it.
pub trait Ui {
    /// Show `event`.
    fn show(&mut self, event: Event<'_>) -> Result<(), Fatal>;
    /// Ask `question`; `what` says what a yes would do (for the error when
    /// nobody can answer). True for yes.
    fn ask(&mut self, question: &str, what: &str) -> Result<bool, Fatal>;
    /// Where a dry run's report rows go as each agent is planned, when this
    /// Ui writes them as they come (`repair --dry-run --json`); `None`: it
    /// shows none, and they are dropped. `Event::DryRun` then brings the
    /// report's head, the rest of it having gone here.
    fn report_sink(&mut self) -> Option<&mut dyn crate::render::ReportSink> {
        None
    }
}

/// The exit code of `report` in `mode` (`analyze::exit::for_report`), with one line
/// on stderr per index whose loss a start would make final when that code
/// tells it (printed with `--quiet` too: the journal says why the start
/// stopped).
pub fn exit_telling(report: &Report, mode: crate::analyze::exit::Mode) -> crate::exit::Exit {
    let (exit, tell) = crate::analyze::exit::for_report_telling(report, mode);
    if tell {
        for (path, why) in &report.start_loses {
            eprintln!("sessfix: DO NOT START THE GATEWAY: {path}: {why}");
        }
    }
    exit
}
