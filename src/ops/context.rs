//! Reading the state for an operation: where it is, how it is analysed,
//! the progress line on stderr, and the run lock a writing operation takes.

use crate::analyze::{Analysis, Report, Settings};
use crate::exit::Exit;
use crate::render::Style;
use crate::state::process::{ProcFs, Processes};
use crate::state::{self, ReadOptions, Snapshot, TailCache};
use std::io::IsTerminal;
use std::sync::Arc;

/// An error that stops a command, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Fatal {
    pub exit: crate::exit::Exit,
    pub message: String,
}

impl Fatal {
    pub fn operational(message: impl Into<String>) -> Self {
        Fatal {
            exit: crate::exit::Exit::Operational,
            message: message.into(),
        }
    }

    /// The same error, each sessfix command it quotes carrying `options`
    /// (`Settings::action_options`), so that it can be pasted.
    #[must_use]
    pub fn pasteable(mut self, options: &str) -> Self {
        if let Some(t) = crate::text::pasteable(&self.message, options) {
            self.message = t;
        }
        self
    }
}

/// The phases a read names on its progress line: `read` while files are
/// read (`reading`, `checking`), `each` while a read agent is analysed and
/// planned (`planning`; `None`: the agent is only analysed, quickly).
#[derive(Debug, Clone, Copy)]
pub struct Phases {
    pub read: &'static str,
    pub each: Option<&'static str>,
}

impl Phases {
    pub const READ: Phases = Phases {
        read: "reading",
        each: None,
    };
}

/// What a read keeps beyond what is analysed, and what it reuses.
#[derive(Debug, Clone, Default)]
pub struct ReadMode {
    /// Keep each index's bytes and spans until `each` has had the agent
    /// (as a plan needs).
    pub keep_index: bool,
    /// The SQLite session rows a plan may edit (`ReadOptions::sqlite_edit_keys`).
    pub sqlite_edit_keys: Vec<String>,
    /// Tails read before, reused for transcripts unchanged since
    /// (`state::TailCache`).
    pub tails: Option<Arc<TailCache>>,
}

/// Everything a command needs to read the state.
pub struct Context {
    pub read: ReadOptions,
    pub settings: Settings,
    pub procs: ProcFs,
    /// Colour of stdout and of stderr (each on its own terminal or not).
    pub style: Style,
    pub err_style: Style,
    pub source: String,
    /// Show progress on stderr (when it is a terminal); `--quiet` turns it off.
    pub progress: bool,
}

impl Context {
    /// Refuse a command that writes (`what`: "repair", "undo") when no state
    /// dir is known (`ReadOptions::state_dir_unknown`), forced or not: its
    /// gateway lock, and where its backups go, are unknown. One line on
    /// stderr; `Some(Exit::GatewayLive)` (4), as for an unknown liveness.
    pub fn refuse_without_state_dir(&self, what: &str) -> Option<Exit> {
        let why = self.read.state_dir_unknown.as_deref()?;
        eprintln!("sessfix: refusing to {what}, --force or not: {why}");
        Some(Exit::GatewayLive)
    }

    /// Read the state and analyse it agent by agent, keeping no agent's
    /// state once it is analysed, and write the report as it is read: each
    /// agent's rows go to `sink` as soon as the agent is analysed
    /// (`pass_rows`). The report returned holds the head and the findings
    /// of no agent (`Report::streamed` keeps what its exit code needs of the
    /// rest). An error of `sink` (its temporary file) is fatal, once the
    /// read is over.
    pub fn report_into(&self, sink: &mut dyn crate::render::ReportSink) -> Result<Report, Fatal> {
        let mut failed = None;
        let (_, analysis) = self.read_each(
            false,
            |snap| Analysis::new(snap, self.settings),
            |analysis, agent| {
                analysis.add(&agent);
                drop(agent);
                pass_rows(analysis, sink, &mut failed);
            },
        )?;
        sink_result(failed)?;
        Ok(analysis.finish())
    }

    /// `state::read_each` with a progress line on stderr (agents, sessions
    /// and bytes read so far); `keep_index` keeps each index's bytes and
    /// spans until `each` has had the agent (as a plan needs).
    pub fn read_each<A>(
        &self,
        keep_index: bool,
        start: impl FnOnce(&Snapshot) -> A,
        each: impl FnMut(&mut A, state::Agent),
    ) -> Result<(Snapshot, A), Fatal> {
        let mode = ReadMode {
            keep_index,
            ..ReadMode::default()
        };
        self.read_each_in(Phases::READ, mode, start, each)
    }

    /// `read_each` whose progress line names `phases`: what reading is
    /// for, and what is done with each agent once it is read.
    pub fn read_each_in<A>(
        &self,
        phases: Phases,
        mode: ReadMode,
        start: impl FnOnce(&Snapshot) -> A,
        mut each: impl FnMut(&mut A, state::Agent),
    ) -> Result<(Snapshot, A), Fatal> {
        let opts = ReadOptions {
            keep_index: mode.keep_index,
            sqlite_edit_keys: mode.sqlite_edit_keys,
            tails: mode.tails,
            ..self.read.clone()
        };
        let dir = opts.state_dir.display();
        let bar = self.progress_bar(&format!("{} {dir}", phases.read));
        let (mut agents, mut sessions, mut bytes) = (0usize, 0usize, 0u64);
        let read = state::read_each(&opts, &self.procs, start, |acc, agent| {
            let Some(b) = &bar else {
                return each(acc, agent);
            };
            agents += 1;
            sessions += agent.sessions.len();
            bytes += agent.store.identity.map_or(0, |i| i.size);
            bytes += agent
                .sessions
                .iter()
                .filter_map(|s| s.transcript.as_ref()?.tail.as_ref().ok())
                .map(|t| t.size)
                .sum::<u64>();
            let counts = format!(
                "{}, {}, {}",
                crate::render::plural(agents, "agent", "agents"),
                crate::render::plural(sessions, "session", "sessions"),
                indicatif::HumanBytes(bytes)
            );
            let reading = format!("{} {dir}: {counts}", phases.read);
            match phases.each {
                Some(verb) => {
                    b.set_message(format!("{verb} agent {}: {counts} read", agent.id));
                    b.tick();
                    each(acc, agent);
                    // The next agent is being read.
                    b.set_message(reading);
                    b.tick();
                }
                None => {
                    b.set_message(reading);
                    b.tick();
                    each(acc, agent);
                }
            }
        })
        .map_err(|e| Fatal::operational(format!("{e} (state dir from {})", self.source)));
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        read
    }

    /// A spinner with `message` on stderr, only when stderr is a terminal
    /// and progress is wanted.
    pub fn progress_bar(&self, message: &str) -> Option<indicatif::ProgressBar> {
        (self.progress && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_message(message.to_string());
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        })
    }
}

/// Take the rows of the agent just added out of `analysis` and give them to
/// `sink`; its first error is kept in `failed` (`sink_result` ends the
/// command with it once the read is over), and rows after it are dropped.
pub fn pass_rows(
    analysis: &mut Analysis,
    sink: &mut dyn crate::render::ReportSink,
    failed: &mut Option<std::io::Error>,
) {
    let rows = analysis.take_rows();
    if failed.is_none() {
        *failed = sink.rows(&rows.sessions, &rows.locks, &rows.findings).err();
    }
}

/// The error `pass_rows` kept, as the command's.
pub fn sink_result(failed: Option<std::io::Error>) -> Result<(), Fatal> {
    match failed {
        Some(e) => Err(Fatal::operational(format!("cannot write the report: {e}"))),
        None => Ok(()),
    }
}

/// Take the state dir's run lock for a command that writes, waiting up to
/// `wait_ms` for another sessfix run (one line on stderr when the wait
/// begins, naming the holder). `Err(Exit::RunLocked)` when it was held the
/// whole time; the message names the holder and how long it was waited for.
pub fn take_run_lock(ctx: &Context, wait_ms: u64) -> Result<crate::apply::RunLock, Exit> {
    let dir = &ctx.read.state_dir;
    let who = |holder: Option<u32>| match holder {
        Some(pid) => match ctx.procs.state(u64::from(pid)) {
            crate::rules::ProcState::Alive {
                argv: Some(argv), ..
            } => format!("pid {pid}: {}", argv.join(" ")),
            _ => format!("pid {pid}"),
        },
        None => "its pid is not told on this OS".to_string(),
    };
    let mut waiting = |holder: Option<u32>| {
        eprintln!(
            "sessfix: waiting up to {} for another sessfix run on {} ({}) to finish",
            crate::text::duration(wait_ms),
            dir.display(),
            who(holder)
        );
    };
    match crate::apply::lock_run_waiting(dir, wait_ms, &mut waiting) {
        Ok(lock) => Ok(lock),
        Err(crate::apply::LockError::Held { waited_ms, holder }) => {
            eprintln!(
                "sessfix: another sessfix run ({}) has held the run lock of {} for the {} waited; nothing was read or written. Let it finish (an interactive one holds it only while it reads and writes, not at its prompt), or raise --lock-wait",
                who(holder),
                dir.display(),
                crate::text::duration(waited_ms),
            );
            Err(Exit::RunLocked)
        }
        Err(crate::apply::LockError::Other(message)) => {
            eprintln!("sessfix: {message}");
            Err(Exit::Operational)
        }
    }
}
