//! One file per subcommand. Each takes the parsed options and returns an exit code.

pub mod repair;
pub mod scan;
pub mod undo;

pub use crate::ops::{say_what_needs_a_person, take_run_lock, Context, Fatal, Phases};

use crate::analyze::Settings;
use crate::cli::StateArgs;
use crate::render::Style;
use crate::state::discover::{self, Env};
use crate::state::process::{ProcFs, Processes};
use crate::state::ReadOptions;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// The state dir: as the gateway resolves it; when that finds none and
/// `--store` alone names an index in `<state>/agents/<id>/sessions/`, that
/// `<state>` (as `openclaw sessions --store` reads the index where it is).
/// An index anywhere else names no state dir: the index's own dir stands in
/// for it, with why none is known (`ReadOptions::state_dir_unknown`: the
/// gateway's liveness is then unknown, and nothing is written).
fn resolve(args: &StateArgs, env: &Env) -> Result<(discover::Resolved, Option<String>), Fatal> {
    let resolved =
        discover::resolve_state_dir(args.state_dir.as_deref(), args.profile.as_deref(), env);
    let exists = |r: &discover::Resolved| std::fs::symlink_metadata(&r.dir).is_ok();
    let named = |r: &discover::Resolved| {
        args.state_dir.is_some() || args.profile.is_some() || !r.source.starts_with('~')
    };
    match (resolved, &args.store) {
        (Ok(r), _) if exists(&r) => Ok((r, None)),
        (Ok(r), _) if named(&r) => Err(Fatal::operational(no_state_dir(args, &r, env))),
        (_, Some(store)) => {
            let cwd = std::env::current_dir().map_err(|e| {
                Fatal::operational(format!("the current directory cannot be read: {e}"))
            })?;
            if let Some(dir) = discover::state_dir_of_store(store, &cwd) {
                let source = "--store (the state dir its index sits in)".to_string();
                return Ok((discover::Resolved { dir, source }, None));
            }
            let index = discover::absolute(store, &cwd);
            let dir = index.parent().map(Path::to_path_buf).unwrap_or_default();
            let why = format!(
                "no state dir is known: none was found the gateway's way, and --store {} is not in <state>/agents/<id>/sessions/, so its gateway lock, config and backups cannot be found; name the state dir with --state-dir",
                store.display()
            );
            let source = "--store (no state dir known: the index's own dir)".to_string();
            Ok((discover::Resolved { dir, source }, Some(why)))
        }
        (Ok(r), None) => Err(Fatal::operational(no_state_dir(args, &r, env))),
        (Err(e), None) => Err(Fatal::operational(e)),
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

/// The options a pasted action needs to run on the state this run read, as
/// one shell-quoted string (`Settings::action_options`): `--profile NAME`, or
/// `--state-dir DIR` (absolute) when the dir came from `--state-dir` or a
/// variable, then `--store`, `--agent`, and the options given on the command
/// line that change what repair decides (`--openclaw-version`,
/// `--gateway-pid`, `--stale-ms`). Empty when the state dir is the default
/// one and nothing else was named.
pub fn action_options(args: &StateArgs, resolved: &discover::Resolved) -> String {
    let word = |p: &std::path::Path| {
        let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        crate::text::shell_word(&abs.to_string_lossy())
    };
    let on_command_line = |name: &str| std::env::args().any(|a| a.starts_with(name));
    let mut out = Vec::new();
    if resolved.source.starts_with("--store (no state dir") {
        // Nothing is written without one: the operator names it.
        out.push("--state-dir DIR".to_string());
    }
    if let Some(name) = &args.profile {
        out.push(format!("--profile {}", crate::text::shell_word(name)));
    } else if !resolved.source.starts_with('~') && !resolved.source.starts_with("--store") {
        // (A state dir found from --store alone is found so again.)
        out.push(format!("--state-dir {}", word(&resolved.dir)));
    }
    if let Some(store) = &args.store {
        out.push(format!("--store {}", word(store)));
    }
    if let Some(agent) = &args.agent {
        out.push(format!("--agent {}", crate::text::shell_word(agent)));
    }
    if let Some(v) = args
        .openclaw_version
        .as_deref()
        .filter(|_| on_command_line("--openclaw-version"))
    {
        out.push(format!(
            "--openclaw-version {}",
            crate::text::shell_word(v.trim())
        ));
    }
    if let Some(pid) = args.gateway_pid {
        out.push(format!("--gateway-pid {pid}"));
    }
    if let Some(ms) = args.stale_ms.filter(|_| on_command_line("--stale-ms")) {
        out.push(format!("--stale-ms {ms}"));
    }
    out.join(" ")
}

/// `--store PATH` names an index that is there and not a directory (the
/// sessions dir itself is a common slip: the index in it is suggested).
fn check_store(store: &std::path::Path) -> Result<(), Fatal> {
    if let Err(e) = std::fs::symlink_metadata(store) {
        return Err(Fatal::operational(
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("--store {}: no such file", store.display())
            } else {
                crate::fsx::describe(store, &e)
            },
        ));
    }
    if !store.is_dir() {
        return Ok(());
    }
    let inside = store.join("sessions.json");
    let hint = if inside.is_file() {
        format!(": did you mean --store {}?", inside.display())
    } else {
        String::new()
    };
    Err(Fatal::operational(format!(
        "--store {}: is a directory; --store takes the index file (sessions.json){hint}",
        store.display()
    )))
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

impl Context {
    pub fn new(args: &StateArgs) -> Result<Self, Fatal> {
        let env = Env::from_process();
        if let Some(store) = &args.store {
            check_store(store)?;
        }
        let (resolved, state_dir_unknown) = resolve(args, &env)?;
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
        // No proc filesystem named (Windows' default): the OS answers.
        let procs = ProcFs::new(args.proc_root.clone().unwrap_or_default());
        let action_options: &'static str =
            Box::leak(action_options(args, &resolved).into_boxed_str());
        Ok(Context {
            read: ReadOptions {
                state_dir: resolved.dir,
                agent: args.agent.clone(),
                store: args.store.clone(),
                home: env.home_dir(),
                tmp_dir: env.tmp_dir(),
                config_path: env.openclaw_config_path.as_deref().map(Into::into),
                keep_index: true,
                sqlite_edit_keys: Vec::new(),
                tails: None,
                state_dir_unknown,
            },
            settings: Settings {
                now_ms,
                stale_ms: args
                    .stale_ms
                    .filter(|&s| s > 0)
                    .unwrap_or(crate::rules::DEFAULT_STALE_MS),
                requested,
                old_turn_ms: crate::analyze::DEFAULT_OLD_TURN_MS,
                action_options,
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
            source: resolved.source.clone(),
            progress: true,
        })
    }
}
