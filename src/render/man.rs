//! Man pages: sessfix(1) and one sessfix-COMMAND(1) per command, each with
//! its options (global ones under their own heading), EXIT STATUS,
//! ENVIRONMENT, FILES, EXAMPLES and SEE ALSO.

use std::io::Write;

const COMMANDS: [&str; 5] = ["scan", "repair", "undo", "completions", "man"];

/// What the state-reading commands look at in the environment.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("OPENCLAW_STATE_DIR, CLAWDBOT_STATE_DIR", "the state dir, when --state-dir and --profile are not given"),
    ("OPENCLAW_HOME, HOME", "the home dir whose ~/.openclaw (then ~/.clawdbot, ~/.moldbot, ~/.moltbot) is the default state dir"),
    ("OPENCLAW_CONFIG_PATH", "the gateway's config file [default: <state>/openclaw.json]"),
    ("SESSFIX_OPENCLAW_VERSION", "as --openclaw-version; empty counts as unset"),
    ("OPENCLAW_SESSION_WRITE_LOCK_STALE_MS", "as --stale-ms"),
    ("SESSFIX_NOW", "as --now"),
    ("NPM_CONFIG_PREFIX", "one of the npm prefixes searched for the installed openclaw package"),
    ("TMPDIR", "where the gateway keeps its singleton lock (openclaw-<uid>/gateway.*.lock)"),
    ("NO_COLOR", "when set to anything but the empty string, no colour (unless --color always)"),
    ("TERM", "dumb: no colour (unless --color always)"),
    ("COLUMNS", "the width tables fit when stdout is not a terminal"),
];

/// The files sessfix reads or writes, with what each is (FILES; the README's
/// "What it reads" names the same, a test checks).
pub const FILES: &[(&str, &str)] = &[
    (
        "~/.openclaw/agents/<id>/sessions/sessions.json",
        "each agent's session index",
    ),
    (
        "~/.openclaw/agents/<id>/sessions/*.jsonl, *.jsonl.lock",
        "transcripts and their write locks",
    ),
    (
        "~/.openclaw/agents/<id>/agent/openclaw-agent.sqlite",
        "from 2026.8.1, each agent's sessions (session_nodes, session_windows, transcript_events); earlier, auth and memory only",
    ),
    (
        "~/.openclaw/state/openclaw.sqlite",
        "from 2026.8.1, shared state: leases, the startup-migration record, the release that last used the state; from 2026.6.1, the delivery queues (delivery_queue_entries)",
    ),
    (
        "~/.openclaw/delivery-queue/<id>.json, failed/<id>.json",
        "through 2026.5.28, replies waiting to reach the chat, and dead letters (session-delivery-queue/ likewise)",
    ),
    (
        "~/.openclaw/openclaw.json",
        "the gateway's config: session.store, agents.list or agents.entries, meta.lastTouchedVersion",
    ),
    (
        "~/.openclaw/session-sqlite-migration-runs/*.json",
        "from 2026.8.1, the legacy-import manifests of openclaw doctor --session-sqlite import",
    ),
    (
        "$TMPDIR/openclaw-<uid>/gateway.<8 hex>.lock",
        "the singleton lock of a live gateway (2026.8 and later: under <state>/tmp/openclaw-<uid>/)",
    ),
    (
        "<state>/sessfix-backups/<time>-<pid>/manifest.json",
        "what a repair changed and the copies undo restores (mode 0700)",
    ),
];

fn examples(command: &str) -> &'static [(&'static str, &'static str)] {
    match command {
        "scan" => &[
            ("sessfix scan", "report on the gateway's own state dir"),
            (
                "sessfix --state-dir /home/openclaw/.openclaw scan --json > report.json",
                "the report for another tool",
            ),
            (
                "sessfix scan --severity warning",
                "only the warnings and errors (the exit code is the whole state's)",
            ),
            (
                "sessfix scan --code transcript-missing",
                "every finding of one code, none grouped",
            ),
            (
                "sessfix scan --quiet",
                "the exit code, and on stderr one line per warning or error",
            ),
        ],
        "repair" => &[
            (
                "sessfix repair --dry-run --diff",
                "the plan, as diffs; changes nothing",
            ),
            (
                "sessfix repair",
                "show the plan and its totals, ask, then repair",
            ),
            (
                "sessfix repair --yes --quiet",
                "from cron or ExecStartPre: stderr names what needs a person",
            ),
            (
                "sessfix repair --yes --max-age 2d",
                "also end stranded sessions idle for more than two days",
            ),
        ],
        "undo" => &[
            ("sessfix undo", "ask, then restore the last repair's backup"),
            ("sessfix undo --yes", "restore without asking"),
        ],
        "completions" => &[(
            "sessfix completions bash > /etc/bash_completion.d/sessfix",
            "install bash completion",
        )],
        "man" => &[(
            "sessfix man repair | man -l -",
            "read sessfix-repair(1) without installing it",
        )],
        _ => &[
            (
                "sessfix scan",
                "what the next boot will do with every session",
            ),
            ("sessfix repair --dry-run", "what repair would change"),
            (
                "sessfix repair --yes --quiet",
                "repair from cron or ExecStartPre",
            ),
            ("sessfix undo", "restore the last repair's backup"),
        ],
    }
}

/// Roff-escape text: backslashes, and hyphens as minus signs.
fn esc(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    // A line starting with . or ' would be a request.
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

fn section(out: &mut dyn Write, title: &str, items: &[(String, String)]) -> std::io::Result<()> {
    writeln!(out, ".SH \"{title}\"")?;
    for (tag, text) in items {
        writeln!(out, ".TP\n{}\n{}", esc(tag), esc(text))?;
    }
    Ok(())
}

fn owned(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The page of `command` (`None`: the main page), as roff.
pub fn render(command: Option<&str>, out: &mut dyn Write) -> std::io::Result<()> {
    // `sessfix help` is clap's, not a page of its own.
    let mut root = crate::cli::command().disable_help_subcommand(true);
    root.build();
    let name = command.unwrap_or("");
    let cmd = match command {
        // The pages name the release alone, not the commit they were made at.
        None => root.clone().version(env!("CARGO_PKG_VERSION")),
        Some(c) => {
            // The state's options are global to the commands that read it;
            // the others' pages leave them out (clap propagates them to
            // every command when it builds the tree).
            let tree = if reads_state(c) {
                root.clone()
            } else {
                crate::cli::command()
            };
            tree.find_subcommand(c)
                .expect("a known command")
                .clone()
                .display_name(format!("sessfix-{c}"))
                .bin_name(format!("sessfix {c}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let man =
        clap_mangen::Man::new(cmd.clone()).source(format!("sessfix {}", env!("CARGO_PKG_VERSION")));
    man.render_title(out)?;
    man.render_name_section(out)?;
    // No hyphenation: an option is typed as it is shown.
    writeln!(
        out,
        ".SH SYNOPSIS\n.nh\n.ad l\n{}\n.ad b\n.hy",
        synopsis(&cmd, command)
    )?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    if command.is_none() {
        man.render_subcommands_section(out)?;
    }
    let exit: Vec<(String, String)> = crate::cli::exit_codes(name)
        .iter()
        .map(|(c, w)| (c.to_string(), w.to_string()))
        .collect();
    section(out, "EXIT STATUS", &exit)?;
    if command.is_none() {
        section(out, "RELEASE LINES", &release_lines())?;
    }
    // What a state-reading command looks at; the others read neither.
    if command.is_none_or(reads_state) {
        section(out, "ENVIRONMENT", &owned(ENVIRONMENT))?;
        section(out, "FILES", &owned(FILES))?;
    }
    section(out, "EXAMPLES", &owned(examples(name)))?;
    let see: Vec<String> = std::iter::once("sessfix".to_string())
        .chain(COMMANDS.iter().map(|c| format!("sessfix-{c}")))
        .filter(|p| *p != command.map_or("sessfix".into(), |c| format!("sessfix-{c}")))
        .map(|p| format!("\\fB{}\\fR(1)", esc(&p)))
        .collect();
    writeln!(out, ".SH \"SEE ALSO\"\n{}", see.join(", "))?;
    man.render_version_section(out)
}

/// Whether `command` reads a state dir (and so takes the global options).
fn reads_state(command: &str) -> bool {
    matches!(command, "scan" | "repair" | "undo")
}

/// The SYNOPSIS, as roff: `sessfix [GLOBAL OPTIONS] COMMAND ...` on the main
/// page; on a command's, its own options with their value names (the
/// global ones, where it takes them, as `[GLOBAL OPTIONS]`).
fn synopsis(cmd: &clap::Command, command: Option<&str>) -> String {
    let Some(name) = command else {
        return "\\fBsessfix\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]".into();
    };
    let mut words = vec![format!("\\fBsessfix\\fR")];
    if reads_state(name) {
        words.push("[\\fIGLOBAL OPTIONS\\fR]".into());
    }
    words.push(format!("\\fB{}\\fR", esc(name)));
    for a in cmd.get_arguments() {
        if a.is_global_set() || a.is_hide_set() || matches!(a.get_id().as_str(), "help" | "version")
        {
            continue;
        }
        let value = a
            .get_value_names()
            .and_then(|v| v.first())
            .map(|v| format!("\\fI{}\\fR", esc(v)));
        let word = match (a.get_long(), a.get_short()) {
            (Some(long), short) => {
                let flag = match short {
                    Some(c) => format!("\\fB\\-{c}\\fR|\\fB\\-\\-{}\\fR", esc(long)),
                    None => format!("\\fB\\-\\-{}\\fR", esc(long)),
                };
                let takes = a.get_action().takes_values();
                match value.filter(|_| takes) {
                    // Unbreakable: an option and its value on one line.
                    Some(v) => format!("{flag}\\ {v}"),
                    None => flag,
                }
            }
            (None, _) => value
                .unwrap_or_else(|| format!("\\fI{}\\fR", esc(a.get_id().as_str()).to_uppercase())),
        };
        words.push(if a.is_required_set() {
            word
        } else {
            format!("[{word}]")
        });
    }
    words.join(" ")
}

/// Write every page into `dir/man1/` (created), each atomically; returns
/// the files written. `man -M DIR sessfix`, or DIR on the MANPATH, reads
/// them.
///
/// # Errors
/// The first directory or file that cannot be written, named.
pub fn install(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, String> {
    let man1 = dir.join("man1");
    std::fs::create_dir_all(&man1).map_err(|e| format!("{}: {e}", man1.display()))?;
    let mut written = Vec::new();
    for (file, command) in pages() {
        let path = man1.join(file);
        let mut page = Vec::new();
        render(command, &mut page).map_err(|e| format!("{}: {e}", path.display()))?;
        crate::fsx::write_atomic(&path, &page, 0o644)
            .map_err(|e| format!("{}: cannot be written: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The release lines sessfix has rules for, each with its releases
/// (`rules::lines::ALL`): the range `--openclaw-version` is predicted with.
fn release_lines() -> Vec<(String, String)> {
    crate::rules::lines::ALL
        .iter()
        .map(|l| (l.name.to_string(), crate::rules::lines::range_label(l)))
        .collect()
}

/// Every page: its file name and the command it documents.
pub fn pages() -> impl Iterator<Item = (String, Option<&'static str>)> {
    std::iter::once(("sessfix.1".to_string(), None)).chain(
        COMMANDS
            .iter()
            .map(|c| (format!("sessfix-{c}.1"), Some(*c))),
    )
}

#[cfg(test)]
mod tests {
    //! `--help` of every command as snapshots (the version written as
    //! `<version>`, so a release does not change them). The man pages
    //! themselves are kept in `completions/` and checked by
    //! `tests/generated.rs`.
    use super::*;

    /// The main page lists every release line sessfix has rules for, with
    /// its releases, and the SQLite era's files; the help points at it and
    /// names no superseded range.
    #[test]
    fn the_main_page_lists_the_release_lines_and_the_files_of_both_eras() {
        let mut page = Vec::new();
        super::render(None, &mut page).unwrap();
        let page = String::from_utf8(page).unwrap().replace("\\-", "-");
        let lines = &page[page
            .find(".SH \"RELEASE LINES\"")
            .expect("a RELEASE LINES section")..];
        for l in crate::rules::lines::ALL {
            assert!(lines.contains(&format!(".TP\n{}\n", l.name)), "{}", l.name);
        }
        assert!(page.contains("openclaw-agent.sqlite") && page.contains("state/openclaw.sqlite"));
        let help = crate::cli::command().render_long_help().to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            help.contains("sessfix(1) lists the release lines"),
            "{help}"
        );
        assert!(!help.contains("2026.7.x"), "{help}");
    }

    fn versionless(text: &[u8]) -> String {
        String::from_utf8(text.to_vec())
            .unwrap()
            .replace(env!("CARGO_PKG_VERSION"), "<version>")
    }

    /// What `sessfix ARGS --help` prints, 100 columns wide. Environment
    /// variables are named without their values (`[env: SESSFIX_NOW]`, not
    /// `[env: SESSFIX_NOW=...]`): clap reads them from this process, so a
    /// shell that sets one would otherwise change the snapshot.
    fn help_of(args: &[&str]) -> String {
        let hide = |a: clap::Arg| a.hide_env_values(true);
        let mut cmd = crate::cli::command().term_width(100).mut_args(hide);
        for name in COMMANDS {
            cmd = cmd.mut_subcommand(name, |c| c.mut_args(hide));
        }
        let err = cmd
            .try_get_matches_from(["sessfix"].iter().chain(args).chain(&["--help"]))
            .expect_err("--help ends parsing");
        versionless(err.render().to_string().as_bytes())
    }

    #[test]
    fn help() {
        insta::assert_snapshot!("help", help_of(&[]));
        for name in COMMANDS {
            insta::assert_snapshot!(format!("help_{name}"), help_of(&[name]));
        }
    }
}
