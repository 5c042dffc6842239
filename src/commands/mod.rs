//! One file per subcommand. Each takes the parsed options and returns an exit code.

pub mod repair;
pub mod scan;
pub mod undo;

use crate::analyze::{Analysis, Report, Settings};
use crate::cli::StateArgs;
use crate::exit::Exit;
use crate::render::Style;
use crate::state::discover::{self, Env};
use crate::state::process::{ProcFs, Processes};
use crate::state::{self, ReadOptions, Snapshot};
use std::io::{IsTerminal, Write};

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

/// One line on stderr per warning or error finding, in the manner of `e2fsck -p`: what,
/// which file, what to do. Printed even with `--quiet`, so the cron mail or
/// the journal says why the run ended with 1 (or 3).
pub fn say_what_needs_a_person(report: &Report, which: impl Fn(&crate::analyze::Finding) -> bool) {
    let mut err = std::io::stderr().lock();
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity >= crate::analyze::Severity::Warning && which(f))
    {
        let place = match (&f.path, &f.key, &f.agent) {
            (Some(p), _, _) => p.clone(),
            (None, Some(k), _) => k.clone(),
            (None, None, Some(a)) => format!("agent {a}"),
            (None, None, None) => report.state_dir.clone(),
        };
        let line = format!(
            "sessfix: NEEDS A PERSON: {place}: {}: {}. Action: {}",
            f.code, f.message, f.fix
        );
        let _ = writeln!(err, "{}", line.replace('\n', " "));
    }
}

/// Why there is no state dir: where it was looked for, and how to name it.
fn no_state_dir(args: &StateArgs, resolved: &discover::Resolved, env: &Env) -> String {
    let dir = resolved.dir.display();
    // Named (an option or a variable): only that one was looked at.
    if args.state_dir.is_some() || args.profile.is_some() || !resolved.source.starts_with('~') {
        return format!(
            "{dir}: the state dir does not exist (from {}); check the path, or name the state dir with --state-dir DIR",
            resolved.source
        );
    }
    // The gateway's own order (`discover::resolve_state_dir`).
    let mut tried = vec![
        "  --state-dir, --profile: not given".to_string(),
        "  OPENCLAW_STATE_DIR, CLAWDBOT_STATE_DIR: not set".to_string(),
    ];
    match env.home_dir() {
        Some(home) => tried.extend(
            [".openclaw", ".clawdbot", ".moldbot", ".moltbot"]
                .iter()
                .map(|n| format!("  {}: does not exist", home.join(n).display())),
        ),
        None => tried.push("  ~/.openclaw: no home (HOME and OPENCLAW_HOME not set)".into()),
    }
    format!(
        "no OpenClaw state dir found. Tried:\n{}\nName it with --state-dir DIR (or --profile NAME, or OPENCLAW_STATE_DIR)",
        tried.join("\n")
    )
}

/// Ask `question` on the terminal (stderr) and read the answer from stdin:
/// true for y or yes. Without a terminal on stdin nobody can answer: a usage
/// error that names `--yes`, with `what` the answer would do.
pub fn ask(question: &str, what: &str) -> Result<bool, Fatal> {
    if !std::io::stdin().is_terminal() {
        return Err(Fatal {
            exit: crate::exit::Exit::Usage,
            message: format!("not on a terminal: re-run with --yes to {what}"),
        });
    }
    let io = |e: std::io::Error| Fatal::operational(format!("cannot ask: {e}"));
    let mut err = std::io::stderr().lock();
    write!(err, "{question} [y/N] ").map_err(io)?;
    err.flush().map_err(io)?;
    drop(err);
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(io)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Finding codes that mean part of the state could not be read: exit 3.
pub fn could_not_read(report: &Report) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.severity == crate::analyze::Severity::Error && f.code.ends_with("-unreadable"))
}

impl Context {
    pub fn new(args: &StateArgs) -> Result<Self, Fatal> {
        let env = Env::from_process();
        let resolved =
            discover::resolve_state_dir(args.state_dir.as_deref(), args.profile.as_deref(), &env)
                .map_err(Fatal::operational)?;
        if std::fs::symlink_metadata(&resolved.dir).is_err() {
            return Err(Fatal::operational(no_state_dir(args, &resolved, &env)));
        }
        let now_ms = match &args.now {
            Some(t) => chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|e| Fatal {
                    exit: crate::exit::Exit::Usage,
                    message: format!("--now {t:?} is not an RFC 3339 time ({e})"),
                })?
                .timestamp_millis(),
            None => chrono::Utc::now().timestamp_millis(),
        };
        // An empty SESSFIX_OPENCLAW_VERSION counts as unset.
        let from_option = std::env::args().any(|a| a.starts_with("--openclaw-version"));
        let requested = match args.openclaw_version.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let from = if from_option {
                    "--openclaw-version"
                } else {
                    "SESSFIX_OPENCLAW_VERSION"
                };
                let version = crate::rules::Version::parse(text).map_err(|e| Fatal {
                    exit: crate::exit::Exit::Usage,
                    message: format!("{from}: {e}"),
                })?;
                Some(crate::release::Requested { version, from })
            }
        };
        let procs = ProcFs::new(&args.proc_root);
        if let Some(store) = &args.store {
            if let Err(e) = std::fs::symlink_metadata(store) {
                return Err(Fatal::operational(
                    if e.kind() == std::io::ErrorKind::NotFound {
                        format!("--store {}: no such file", store.display())
                    } else {
                        crate::fsx::describe(store, &e)
                    },
                ));
            }
        }
        Ok(Context {
            read: ReadOptions {
                state_dir: resolved.dir,
                agent: args.agent.clone(),
                store: args.store.clone(),
                home: env.home_dir(),
                tmp_dir: env.tmp_dir(),
                config_path: env.openclaw_config_path.as_deref().map(Into::into),
                keep_index: true,
            },
            settings: Settings {
                now_ms,
                stale_ms: args
                    .stale_ms
                    .filter(|&s| s > 0)
                    .unwrap_or(crate::rules::DEFAULT_STALE_MS),
                requested,
                old_turn_ms: crate::analyze::DEFAULT_OLD_TURN_MS,
                next_gateway: args.gateway_pid.map(|pid| crate::rules::NextGateway {
                    pid,
                    starttime: match procs.state(pid) {
                        crate::rules::ProcState::Alive { starttime, .. } => starttime,
                        _ => None,
                    },
                }),
            },
            procs,
            style: Style::for_stream(args.color, std::io::stdout().is_terminal()),
            err_style: Style::for_stream(args.color, std::io::stderr().is_terminal()),
            source: resolved.source,
            progress: true,
        })
    }

    /// Read the state and analyse it agent by agent, keeping no agent's
    /// state once it is analysed (a report needs no plan).
    pub fn report(&self) -> Result<Report, Fatal> {
        let (_, analysis) = self.read_each(
            false,
            |snap| Analysis::new(snap, self.settings),
            |analysis, agent| analysis.add(&agent),
        )?;
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
        self.read_each_in(Phases::READ, keep_index, start, each)
    }

    /// `read_each` whose progress line names `phases`: what reading is
    /// for, and what is done with each agent once it is read.
    pub fn read_each_in<A>(
        &self,
        phases: Phases,
        keep_index: bool,
        start: impl FnOnce(&Snapshot) -> A,
        mut each: impl FnMut(&mut A, state::Agent),
    ) -> Result<(Snapshot, A), Fatal> {
        let opts = ReadOptions {
            keep_index,
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
