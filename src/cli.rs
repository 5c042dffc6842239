//! The command line: clap definitions only. Flags become option structs that
//! the library's commands take; completions and the man page come from here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  nothing wrong (scan); state left consistent (repair)
  1  problems found (scan); problems remain that need a person (repair)
  2  usage error
  3  operational error: the state could not be read or written
  4  a gateway is live: repair changed nothing
  5  a file changed while repair ran: that file was left alone";

#[derive(Debug, Parser)]
#[command(
    name = "sessfix",
    version,
    about = "Diagnose and repair the on-disk session state of the OpenClaw gateway",
    long_about = "Diagnose and repair the on-disk session state of the OpenClaw gateway.\n\n\
        Reads agents/<id>/sessions/ offline, predicts what the next gateway boot does \
        with every session (with the rules of the OpenClaw release it runs, 2026.4.25 to \
        2026.7.x), and repairs sessions that would stay `running` forever.",
    after_help = EXIT_CODES
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
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Repair the state so the next boot resumes interrupted sessions.
    #[command(after_help = EXIT_CODES)]
    Repair(RepairArgs),
    /// Restore the files changed by the last repair, if they are still as it left them.
    Undo(UndoArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// Where the state is and how to judge it; shared by every command.
#[derive(Debug, Args, Clone)]
pub struct StateArgs {
    /// The OpenClaw state dir [default: as the gateway resolves it]
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Use ~/.openclaw-NAME, as `openclaw --profile NAME`
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "state_dir")]
    pub profile: Option<String>,
    /// Only this index (as `openclaw sessions --store`)
    #[arg(long, global = true, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Only this agent
    #[arg(long, global = true, value_name = "ID")]
    pub agent: Option<String>,
    /// Fix the clock (RFC 3339), for tests and reproducible reports
    #[arg(long, global = true, env = "SESSFIX_NOW", value_name = "TIME")]
    pub now: Option<String>,
    /// Transcript lock stale threshold in ms (2026.5.12's boot cleanup uses 30 min)
    #[arg(
        long,
        global = true,
        env = "OPENCLAW_SESSION_WRITE_LOCK_STALE_MS",
        value_name = "MS"
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
    #[arg(
        long,
        global = true,
        env = "SESSFIX_PROC_ROOT",
        hide = true,
        default_value = "/proc"
    )]
    pub proc_root: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    /// Print one JSON document instead of tables
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct RepairArgs {
    /// Show the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: a unified diff of each index
    #[arg(long)]
    pub diff: bool,
    /// Print the plan (and, when applied, the result) as JSON
    #[arg(long)]
    pub json: bool,
    /// Apply without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print nothing but errors (for cron and ExecStartPre)
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
    /// End stranded sessions last updated longer ago than this (e.g. 2d, 12h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub max_age: Option<u64>,
}

#[derive(Debug, Args, Clone)]
pub struct UndoArgs {
    /// Restore even though a gateway is live or its liveness is unknown
    #[arg(long)]
    pub force: bool,
    /// Where backups are [default: <state-dir>/sessfix-backups]
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Restore without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `90s`, `30m`, `12h`, `2d`, `1w` (a bare number is milliseconds).
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90s, 30m, 12h, 2d"))?;
    let mul = match unit {
        "" | "ms" => 1,
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

pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
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
        assert_eq!(parse_duration_ms("15"), Ok(15));
        assert!(parse_duration_ms("2 days").is_err());
        assert!(parse_duration_ms("x").is_err());
    }
}
