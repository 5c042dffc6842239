//! The command line: clap definitions only. Flags become option structs that
//! the library's commands take; completions and the man page come from here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// What a command's exit codes mean: its `--help` ends with them and its
/// man page has them as EXIT STATUS.
pub fn exit_codes(command: &str) -> &'static [(u8, &'static str)] {
    match command {
        "scan" => &[
            (0, "nothing wrong (info findings only)"),
            (1, "problems found (a warning or error finding)"),
            (2, "usage error"),
            (3, "the state could not be read (the message names the path)"),
        ],
        "repair" => &[
            (0, "the state was left consistent (repaired, or nothing to do)"),
            (1, "problems remain that need a person (each named on stderr), or the answer was no (--dry-run: a real run would leave such problems, or, without --detailed-exitcode, has a plan to carry out)"),
            (2, "usage error (a named SQLite edit that does not fit its session too), or not on a terminal without --yes"),
            (3, "the state could not be read or written (an agent whose index cannot be read is left alone)"),
            (4, "a gateway is live, or its liveness cannot be established: nothing was changed (--dry-run: a real run would refuse)"),
            (5, "a file changed while repair ran: that file was left alone"),
            (6, "starting the gateway now would lose data that repair could not save unattended (a lost index with an intact copy it did not restore, or an unparseable one): do not start it"),
            (7, "another sessfix run held this state dir's run lock for the whole --lock-wait: nothing was read or written"),
            (8, "--dry-run --detailed-exitcode only: the plan would change files and nothing else needs a person (0 there: nothing to change)"),
        ],
        "undo" => &[
            (0, "the backup was restored (or none of its changes was in place: nothing to restore); --list: listed; --dry-run: a real run would restore"),
            (1, "nothing restored: a file changed since the repair (restore it by hand, as the message says), a newer run not undone changed the same files (--run), or the answer was no; --dry-run: a real run would refuse so"),
            (2, "usage error (an unknown --run ID too), or not on a terminal without --yes"),
            (3, "no backup to undo (none, or every run undone already), or a file could not be read or written"),
            (4, "a gateway is live, or its liveness cannot be established: nothing was changed (--dry-run: a real run would refuse)"),
            (6, "restored, and the state put back would lose data at the gateway's start (the lost index a repair restored is back): do not start it"),
            (7, "another sessfix run held this state dir's run lock for the whole --lock-wait: nothing was changed"),
        ],
        "completions" | "man" => &[(0, "printed"), (2, "usage error")],
        _ => &[
            (0, "nothing wrong (scan); the state left consistent (repair); restored (undo)"),
            (1, "problems found (scan); problems remain that need a person (repair); nothing restored (undo)"),
            (2, "usage error"),
            (3, "operational error: the state could not be read or written (undo: no backup to undo)"),
            (4, "a gateway is live, or its liveness cannot be established: repair or undo changed nothing (their dry runs exit 4 too)"),
            (5, "a file changed while repair ran: that file was left alone"),
            (6, "repair or undo: starting the gateway now would lose data: do not start it"),
            (7, "repair or undo: another sessfix run held the run lock for the whole --lock-wait"),
            (8, "repair --dry-run --detailed-exitcode: the plan would change files and nothing else needs a person"),
        ],
    }
}

/// `sessfix --version`'s: the package's version, then the commit and its
/// date when built from a git checkout (`build.rs`): `0.1.0 (cbbfc01
/// 2026-12-04)`, else `0.1.0`.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("SESSFIX_BUILD_INFO"));

fn exit_codes_help(command: &str) -> String {
    let mut s = String::from("Exit codes:");
    for (code, what) in exit_codes(command) {
        s.push_str(&format!("\n  {code}  {what}"));
    }
    s
}

#[derive(Debug, Parser)]
#[command(
    name = "sessfix",
    version = VERSION,
    arg_required_else_help = true,
    about = "Diagnose and repair the on-disk session state of the OpenClaw gateway",
    long_about = "Diagnose and repair the on-disk session state of the OpenClaw gateway.\n\n\
        Reads the state offline (agents/<id>/sessions/sessions.json and transcripts; from \
        2026.8.1 agents/<id>/agent/openclaw-agent.sqlite and state/openclaw.sqlite), predicts \
        what the next gateway boot does with every session (with the rules of the OpenClaw \
        release it runs, file era and SQLite era; sessfix(1) lists the release lines), and \
        repairs what the gateway will not heal itself."
)]
pub struct Cli {
    #[command(flatten)]
    pub state: StateArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report every inconsistency and what the next boot will do with each session.
    Scan(ScanArgs),
    /// Repair the state so the next boot resumes interrupted sessions.
    Repair(RepairArgs),
    /// Restore the files changed by the last repair not yet undone, if they
    /// are still as it left them; list the backups (--list)
    Undo(UndoArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): sessfix(1), or sessfix-COMMAND(1); or
    /// install them all (--install).
    Man {
        /// The command whose page to print [default: the main page]
        #[arg(value_parser = ["scan", "repair", "undo", "completions", "man"])]
        command: Option<String>,
        /// Write every page into DIR/man1/ instead (e.g. ~/.local/share/man,
        /// or /usr/local/share/man as root), then `man sessfix` reads them
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        install: Option<PathBuf>,
    },
}

/// Where the state is and how to judge it; shared by every command, and
/// listed under their own heading in every command's help.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct StateArgs {
    /// The OpenClaw state dir [default: as the gateway resolves it]
    #[arg(long, global = true, value_name = "DIR", value_parser = plain_path)]
    pub state_dir: Option<PathBuf>,
    /// Use ~/.openclaw-NAME, as `openclaw --profile NAME`
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "state_dir")]
    pub profile: Option<String>,
    /// Only this index, a sessions.json file (as `openclaw sessions
    /// --store`); without a state dir, the one it sits in
    /// (<state>/agents/<id>/sessions/)
    #[arg(long, global = true, value_name = "PATH", value_parser = plain_path)]
    pub store: Option<PathBuf>,
    /// Only this agent
    #[arg(long, global = true, value_name = "ID")]
    pub agent: Option<String>,
    /// Fix the clock (RFC 3339), for tests and reproducible reports
    #[arg(long, global = true, env = "SESSFIX_NOW", value_name = "TIME")]
    pub now: Option<String>,
    /// Transcript lock stale threshold: ms as the gateway's variable takes
    /// it, or a duration (`30m`) (2026.5.12's boot cleanup uses 30 min)
    #[arg(
        long,
        global = true,
        env = "OPENCLAW_SESSION_WRITE_LOCK_STALE_MS",
        value_name = "MS",
        value_parser = parse_stale_ms
    )]
    pub stale_ms: Option<u64>,
    /// Predict boot cleanup for a gateway that will run as this pid (in a
    /// container it gets the same pid at every start, e.g. 1)
    #[arg(long, global = true, value_name = "PID", value_parser = clap::value_parser!(u64).range(1..))]
    pub gateway_pid: Option<u64>,
    /// The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2)
    /// [default: the installed openclaw package, else what last used the
    /// state; unknown: every release line is predicted]
    #[arg(
        long,
        global = true,
        env = "SESSFIX_OPENCLAW_VERSION",
        value_name = "VERSION"
    )]
    pub openclaw_version: Option<String>,
    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Read process facts from this proc filesystem (tests)
    #[arg(long, global = true, env = "SESSFIX_PROC_ROOT", hide = true)]
    #[cfg_attr(unix, arg(default_value = "/proc"))]
    pub proc_root: Option<PathBuf>,
}

/// `scan --severity`: the least severe finding shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityChoice {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    /// Print one JSON document instead of tables (schema/scan.schema.json)
    #[arg(long)]
    pub json: bool,
    /// Print nothing on stdout and no progress (for cron and scripts): the
    /// exit code, and on stderr one line per warning or error finding, as
    /// `repair --quiet`
    #[arg(long, short = 'q', conflicts_with_all = ["json", "verbose"])]
    pub quiet: bool,
    /// Show the release's notes in full, and every finding (without it, a
    /// code found more than 3 times in a severity is shown once, with its
    /// count and first finding)
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Show only findings at least this severe (text, --json's findings
    /// array, --quiet's lines); the totals and the exit code stay those of
    /// the whole state
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub severity: Option<SeverityChoice>,
    /// Show only findings with this code, every one (repeatable; README's
    /// Findings lists the codes); the totals and the exit code stay those
    /// of the whole state
    #[arg(long, value_name = "CODE")]
    pub code: Vec<String>,
    /// A waiting turn (a stranded session, or one the next boot resumes)
    /// last updated longer ago than this is old: a warning
    /// (session-old-turn), as `repair --max-age` ends it [default: 3d]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub max_age: Option<u64>,
}

#[derive(Debug, Args, Clone)]
pub struct RepairArgs {
    /// Show the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: exit 0 when there is nothing to change and nothing
    /// needs a person, 1 when a person is needed (whatever the plan), 8 when
    /// the plan would change files and nothing else needs a person (as
    /// `terraform plan -detailed-exitcode`); 3, 4 and 6 as without it
    #[arg(long, requires = "dry_run")]
    pub detailed_exitcode: bool,
    /// Show the plan as unified diffs too (each index, and each transcript
    /// cut as removed lines)
    #[arg(long, conflicts_with_all = ["json", "quiet"])]
    pub diff: bool,
    /// Print the plan (and, when applied, the results) as one JSON document
    /// on stdout (schema/repair.schema.json)
    #[arg(long)]
    pub json: bool,
    /// Apply without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print nothing on stdout and no progress (for cron and ExecStartPre);
    /// stderr still has one line per thing that needs a person
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write even though a gateway looks live (only when that verdict is wrong)
    #[arg(long)]
    pub force: bool,
    /// Where backups go [default: <state-dir>/sessfix-backups]
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Never edit transcripts (no artifact removal, no torn-line cut)
    #[arg(long)]
    pub keep_transcripts: bool,
    /// End running rows that no boot ever ends: a key boot recovery skips
    /// (acp, cron, subagent) whose transcript is gone
    #[arg(long)]
    pub end_orphans: bool,
    /// Restore a missing, empty or unparseable sessions.json from its best
    /// intact copy (a complete temp file, sessions.json.bak.<ms> or a sessfix
    /// backup), backed up like every write, then repair the restored sessions
    #[arg(long)]
    pub restore_index: bool,
    /// File era: add an index entry for each session a rebuild of the index
    /// dropped (`session-dropped`: a recent plain transcript no entry names),
    /// keyed `agent:<id>:restored:<sessionId>`, so that clients list it again
    /// and a turn on that key continues it with its history
    #[arg(long)]
    pub rebuild_dropped: bool,
    /// SQLite era (OpenClaw 2026.8+): drop the restart-recovery cycle that
    /// rejects every turn of this session, keeping its history: a tombstone
    /// (restart recovery gave up), or a cycle and run fence left on a finished
    /// session ("changed while starting work. Retry.")
    #[arg(long, value_name = "KEY")]
    pub untombstone: Option<String>,
    /// SQLite era: re-queue the turn of this session that a stop dropped
    /// (`killed` with abortedLastRun); never automatic, as a user's /stop
    /// leaves the same state
    #[arg(long, value_name = "KEY")]
    pub resume: Option<String>,
    /// SQLite era: remove leases (state/openclaw.sqlite) whose owner is
    /// positively dead, such as the maintenance lease that keeps the gateway
    /// and `openclaw doctor --fix` from starting for a minute
    #[arg(long)]
    pub clear_dead_leases: bool,
    /// Delivery queue: put dead-lettered replies that were never sent, and
    /// pending ones that failed before, back as pending with their retries
    /// reset, so the next boot sends them (`delivery-queue/` files; 2026.6.1
    /// to 2026.7.x `outbound` rows, before a 2026.8.1+ upgrade deletes them)
    #[arg(long)]
    pub requeue_replies: bool,
    /// With --requeue-replies: sends that may have reached the chat too (a
    /// send a restart interrupted): the user may get them twice
    #[arg(long, requires = "requeue_replies")]
    pub may_duplicate: bool,
    /// Delivery queue: queue each restart-resumed turn's reply that is only
    /// in its transcript (2026.4.25 to 2026.5.28 resume with deliver: false)
    /// for the session's chat, as a delivery-queue/ file the next boot sends
    #[arg(long)]
    pub send_unsent_replies: bool,
    /// Delivery queue: make pending replies whose last error can never
    /// succeed ("No conversation reference found", "chat not found", ...)
    /// dead letters, kept whole, instead of replaying them at every boot
    #[arg(long)]
    pub dead_letter_failing: bool,
    /// Delivery queue: remove dead letters older than this (e.g. 30d), each
    /// backed up: payload-free tombstones, and dead letters that still hold
    /// a reply too (given with --requeue-replies, the requeue wins)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub prune_dead_letters: Option<u64>,
    /// End waiting turns (stranded sessions, and those the next boot
    /// resumes) last updated longer ago than this (e.g. 2d, 12h) instead of
    /// resuming them; without it, those older than 3d are a warning
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub max_age: Option<u64>,
    /// For cron: when a gateway is live, change nothing and exit 0 (one
    /// line on stderr unless --quiet) instead of refusing with exit 4
    #[arg(long, conflicts_with = "dry_run")]
    pub if_stopped: bool,
    /// How long to wait for another sessfix run's lock on this state dir
    /// before giving up with exit 7 (0s: do not wait)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms, default_value = "30s")]
    pub lock_wait: u64,
    /// After a run that changed something, prune this state dir's older
    /// backup runs but the N newest (the run just made counted, never
    /// pruned); `all` keeps every run
    #[arg(long, value_name = "N|all", value_parser = parse_keep, default_value = "10")]
    pub keep_backups: Keep,
    /// Keep backup runs made less than this long ago too (e.g. 30d), however
    /// many there are
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub keep_backups_for: Option<u64>,
}

/// `--keep-backups`: how many backup runs repair keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every run: nothing is pruned.
    All,
    /// The N newest runs (N >= 1).
    Runs(usize),
}

/// `all`, or a count of at least 1 (the run just made is always kept, so 0
/// would mean 1: it is refused rather than guessed).
pub fn parse_keep(s: &str) -> Result<Keep, String> {
    match s.trim() {
        "all" => Ok(Keep::All),
        n => match n.parse::<usize>() {
            Ok(0) => Err("0: the run just made is always kept; give 1 to keep only it, or all to keep every run".into()),
            Ok(n) => Ok(Keep::Runs(n)),
            Err(_) => Err(format!("{s:?} is neither a number of runs (e.g. 10) nor all")),
        },
    }
}

#[derive(Debug, Args, Clone)]
#[command(group(clap::ArgGroup::new("view").args(["list", "dry_run"])))]
pub struct UndoArgs {
    /// List every backup run, newest first: its id, when it was made, what it
    /// changed, its size and whether it was undone; changes nothing
    #[arg(long, conflicts_with_all = ["dry_run", "run", "yes", "force"])]
    pub list: bool,
    /// Show what undo would restore, file by file, and what it would refuse;
    /// changes nothing (exits as the real run would)
    #[arg(long)]
    pub dry_run: bool,
    /// Print --list or --dry-run as one JSON document (schema/undo.schema.json)
    #[arg(long, requires = "view")]
    pub json: bool,
    /// Undo this run (an id from --list) instead of the newest not yet undone;
    /// refused while a newer run not undone changed the same files
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Restore even though a gateway is live or its liveness is unknown
    #[arg(long)]
    pub force: bool,
    /// Where backups are [default: <state-dir>/sessfix-backups]
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Restore without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How long to wait for another sessfix run's lock on this state dir
    /// before giving up with exit 7 (0s: do not wait)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms, default_value = "30s")]
    pub lock_wait: u64,
}

/// `500ms`, `90s`, `30m`, `12h`, `2d`, `1w`. A bare number is refused: its
/// unit would be a guess (`2` meant as two days must not end everything
/// older than 2 ms).
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90s, 30m, 12h, 2d"))?;
    let mul = match unit {
        "" => {
            return Err(format!(
                "{s:?} has no unit: write {n}d for {n} days (or {n}h, {n}m, {n}s, {n}ms, {n}w)"
            ))
        }
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?} (use ms, s, m, h, d or w)"
            ))
        }
    };
    n.checked_mul(mul)
        .ok_or_else(|| format!("{s:?} is too long"))
}

/// `--stale-ms` / `OPENCLAW_SESSION_WRITE_LOCK_STALE_MS`: a bare number is
/// milliseconds (the gateway's variable is read so), anything else the
/// duration syntax of `parse_duration_ms` (`30m`).
pub fn parse_stale_ms(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(ms) => Ok(ms),
        Err(_) => parse_duration_ms(s),
    }
}

/// The command line with each command's exit codes at the end of its help.
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command().after_help(exit_codes_help(""));
    for name in ["scan", "repair", "undo", "completions", "man"] {
        cmd = cmd.mut_subcommand(name, |c| c.after_help(exit_codes_help(name)));
    }
    cmd
}

/// Parse the process's arguments (clap prints help and usage errors). A
/// bare `sessfix` (no argument at all) prints the help on stdout, so that
/// it pages (`sessfix | less`), and exits 2: no command is a usage error
/// (`arg_required_else_help`, whatever `SESSFIX_*` variables are set).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    if std::env::args_os().len() <= 1 {
        let help = command().render_help();
        if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            print!("{}", help.ansi());
        } else {
            print!("{help}");
        }
        let _ = std::io::Write::flush(&mut std::io::stdout());
        std::process::exit(2);
    }
    Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit())
}

/// A path as given, but on Windows without a verbatim prefix where the
/// plain spelling names the same file (`\\?\C:\w` is `C:\w`, `dunce`):
/// what sessfix shows and suggests is then what the gateway is given.
fn plain_path(s: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(dunce::simplified(std::path::Path::new(s)).to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("2d"), Ok(172_800_000));
        assert_eq!(parse_duration_ms("90s"), Ok(90_000));
        assert_eq!(parse_duration_ms("15ms"), Ok(15));
        assert!(parse_duration_ms("15").unwrap_err().contains("15d"));
        assert!(parse_duration_ms("2 days").is_err());
        assert!(parse_duration_ms("x").is_err());
    }

    /// Windows has no proc filesystem: `--proc-root` names none there, so
    /// process facts come from the OS (under Wine, `/proc` would be the
    /// Linux host's table); elsewhere `/proc`.
    #[test]
    fn the_proc_root_is_none_on_windows() {
        let m = command().get_matches_from(["sessfix", "scan"]);
        let root = m.get_one::<std::path::PathBuf>("proc_root");
        assert_eq!(root.is_none(), cfg!(windows), "{root:?}");
        if !cfg!(windows) {
            assert_eq!(root.unwrap(), std::path::Path::new("/proc"));
        }
    }

    /// A path given verbatim (`\\?\C:\...`) is taken plain on Windows.
    #[test]
    fn paths_are_taken_without_a_verbatim_prefix() {
        let m = command().get_matches_from(["sessfix", "--store", r"\\?\C:\w\s.json", "scan"]);
        let store = m.get_one::<PathBuf>("store").unwrap();
        let want = if cfg!(windows) {
            r"C:\w\s.json"
        } else {
            r"\\?\C:\w\s.json"
        };
        assert_eq!(store, std::path::Path::new(want));
    }

    /// `--stale-ms` takes the gateway's milliseconds and the duration syntax.
    #[test]
    fn stale_thresholds() {
        assert_eq!(parse_stale_ms("1800000"), Ok(1_800_000));
        assert_eq!(parse_stale_ms("30m"), Ok(1_800_000));
        assert!(parse_stale_ms("30 minutes").is_err());
    }
}
