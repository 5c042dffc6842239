//! One file per subcommand. Each takes the parsed options and returns an exit code.

pub mod repair;
pub mod scan;
pub mod undo;

use crate::analyze::{Analysis, Report, Settings};
use crate::cli::{ColorChoice, StateArgs};
use crate::render::Style;
use crate::state::discover::{self, Env};
use crate::state::process::{ProcFs, Processes};
use crate::state::{self, ReadOptions, Snapshot};
use std::io::IsTerminal;

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

/// Everything a command needs to read the state.
pub struct Context {
    pub read: ReadOptions,
    pub settings: Settings,
    pub procs: ProcFs,
    pub style: Style,
    pub source: String,
}

impl Context {
    pub fn new(args: &StateArgs) -> Result<Self, Fatal> {
        let env = Env::from_process();
        let resolved =
            discover::resolve_state_dir(args.state_dir.as_deref(), args.profile.as_deref(), &env)
                .map_err(Fatal::operational)?;
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
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
            }
        };
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
                next_gateway: args.gateway_pid.map(|pid| crate::rules::NextGateway {
                    pid,
                    starttime: match procs.state(pid) {
                        crate::rules::ProcState::Alive { starttime, .. } => starttime,
                        _ => None,
                    },
                }),
            },
            procs,
            style: Style { color },
            source: resolved.source,
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

    /// `state::read_each` with a spinner; `keep_index` keeps each index's
    /// bytes and spans until `each` has had the agent (as a plan needs).
    pub fn read_each<A>(
        &self,
        keep_index: bool,
        start: impl FnOnce(&Snapshot) -> A,
        each: impl FnMut(&mut A, state::Agent),
    ) -> Result<(Snapshot, A), Fatal> {
        let opts = ReadOptions {
            keep_index,
            ..self.read.clone()
        };
        self.with_spinner(&opts, |opts| {
            state::read_each(opts, &self.procs, start, each)
        })
    }

    fn with_spinner<T>(
        &self,
        opts: &ReadOptions,
        read: impl FnOnce(&ReadOptions) -> Result<T, state::ReadError>,
    ) -> Result<T, Fatal> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_message(format!("reading {}", opts.state_dir.display()));
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        let snap = read(opts)
            .map_err(|e| Fatal::operational(format!("{e} (state dir from {})", self.source)));
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        snap
    }
}
