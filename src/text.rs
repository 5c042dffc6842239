//! Words for people, shared by the analysis and the renderers.

/// "1 lock", "2 locks", "0 locks".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `n` with a comma between each group of three digits: "99,900".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A duration in ms as the largest whole unit: "900ms", "30s", "5m", "2h", "3d".
pub fn duration(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms}ms"),
        1000..=59_999 => format!("{}s", ms / 1000),
        60_000..=3_599_999 => format!("{}m", ms / 60_000),
        3_600_000..=86_399_999 => format!("{}h", ms / 3_600_000),
        _ => format!("{}d", ms / 86_400_000),
    }
}

/// `; did you mean "x"?` naming the candidates closest to `typed` (Jaro-Winkler
/// similarity 0.8 or more, or every `-`-separated word of `typed` among a
/// candidate's, in any order: `stranded` for `session-stranded`; best first,
/// at most 3), else `; there are: a, b` (at most 10, sorted), else nothing.
pub fn did_you_mean(typed: &str, candidates: &[String]) -> String {
    let words = |s: &str| -> Vec<String> {
        s.split(['-', '_', ':', ' '])
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let typed_words = words(typed);
    let within = |c: &str| {
        let cw = words(c);
        !typed_words.is_empty() && typed_words.iter().all(|w| cw.contains(w))
    };
    let mut close: Vec<(f64, &String)> = candidates
        .iter()
        .map(|c| {
            let score = strsim::jaro_winkler(typed, c);
            (if within(c) { score.max(0.85) } else { score }, c)
        })
        .filter(|(s, _)| *s >= 0.8)
        .collect();
    close.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    if !close.is_empty() {
        let names: Vec<String> = close
            .iter()
            .take(3)
            .map(|(_, c)| format!("{c:?}"))
            .collect();
        return format!("; did you mean {}?", names.join(" or "));
    }
    let mut all: Vec<&String> = candidates.iter().collect();
    all.sort();
    match all.len() {
        0 => String::new(),
        n => format!(
            "; there {} {}{}",
            if n == 1 { "is" } else { "are" },
            all.iter()
                .take(10)
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if n > 10 { ", ..." } else { "" }
        ),
    }
}

/// `text` with `options` (say `--state-dir '/srv/my state'`) put after the
/// subcommand of every quoted sessfix command in it (`` `sessfix repair
/// --untombstone K` `` becomes `` `sessfix repair --state-dir ... --untombstone
/// K` ``), so that an action pasted runs on the state it was reported for.
/// `None` when nothing changes (no options, or no quoted sessfix command).
pub fn pasteable(text: &str, options: &str) -> Option<String> {
    if options.is_empty() || !text.contains("`sessfix ") {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 2 * options.len());
    let mut changed = false;
    // Odd pieces are inside backquotes.
    for (i, piece) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let sub = piece
            .strip_prefix("sessfix ")
            .map(|rest| rest.split(' ').next().unwrap_or(""))
            .filter(|sub| SUBCOMMANDS.contains(sub));
        match sub {
            Some(sub) if i % 2 == 1 => {
                let at = "sessfix ".len() + sub.len();
                out.push_str(&piece[..at]);
                out.push(' ');
                out.push_str(options);
                out.push_str(&piece[at..]);
                changed = true;
            }
            _ => out.push_str(piece),
        }
    }
    changed.then_some(out)
}

/// The subcommands an action may name.
const SUBCOMMANDS: [&str; 3] = ["scan", "repair", "undo"];

/// `arg` as one word of a shell command line: as it is when it holds only
/// characters no shell treats specially, else quoted (POSIX single quotes;
/// on Windows double quotes, as PowerShell and cmd.exe read them).
pub fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| {
            c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c) || (cfg!(windows) && c == '\\')
        });
    if plain {
        arg.to_string()
    } else if cfg!(windows) {
        format!("\"{}\"", arg.replace('"', "\"\""))
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// The shell commands a finding's fix may give, in this OS's shell: POSIX
/// `sh` on Unix, `cmd.exe` on Windows (`Shell::here`); each path quoted
/// with `shell_word`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Posix,
    Cmd,
}

impl Shell {
    /// The shell an operator of this build types into.
    pub fn here() -> Self {
        if cfg!(windows) {
            Shell::Cmd
        } else {
            Shell::Posix
        }
    }

    /// Show the differences of two files: `diff` / `fc`.
    pub fn compare(self, a: &str, b: &str) -> String {
        match self {
            Shell::Posix => format!("diff {} {}", shell_word(a), shell_word(b)),
            Shell::Cmd => format!("fc {} {}", shell_word(a), shell_word(b)),
        }
    }

    /// Copy `from` over `to`, keeping `to`'s mode and owner where the OS has
    /// them: `cp --preserve=mode,ownership` / `copy /y`.
    pub fn copy_over(self, from: &str, to: &str) -> String {
        match self {
            Shell::Posix => format!(
                "cp --preserve=mode,ownership {} {}",
                shell_word(from),
                shell_word(to)
            ),
            Shell::Cmd => format!("copy /y {} {}", shell_word(from), shell_word(to)),
        }
    }

    /// Move `path` aside as `<path>.corrupt-<ms since the epoch>` (the
    /// gateway's own name for a database it moves aside), never over an
    /// existing file: `mv -n` / `move` (which asks before replacing).
    pub fn move_aside(self, path: &str) -> String {
        match self {
            Shell::Posix => format!(
                "mv -n -- {} {}.corrupt-$(date +%s%3N)",
                shell_word(path),
                shell_word(path)
            ),
            Shell::Cmd => format!(
                "move {} {}",
                shell_word(path),
                shell_word(&format!("{path}.corrupt-<ms since 1970>"))
            ),
        }
    }

    /// Only the command's name, for prose: `mv -n` / `move`.
    pub fn move_word(self) -> &'static str {
        match self {
            Shell::Posix => "mv -n",
            Shell::Cmd => "move",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Shell;

    #[test]
    fn fix_commands_are_in_each_shells_words() {
        assert_eq!(Shell::Posix.compare("a", "b"), "diff a b");
        assert_eq!(Shell::Cmd.compare("a", "b"), "fc a b");
        assert!(Shell::Cmd.copy_over("a", "b").starts_with("copy /y a b"));
        assert!(Shell::Posix
            .copy_over("a", "b")
            .starts_with("cp --preserve"));
        assert!(Shell::Posix
            .move_aside("x.sqlite")
            .starts_with("mv -n -- x.sqlite x.sqlite.corrupt-"));
        assert!(Shell::Cmd
            .move_aside("x.sqlite")
            .starts_with("move x.sqlite "));
        assert_eq!(Shell::here() == Shell::Cmd, cfg!(windows));
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(super::duration(250), "250ms");
        assert_eq!(super::duration(30_000), "30s");
        assert_eq!(super::duration(90_000), "1m");
        assert_eq!(super::duration(7_200_000), "2h");
        assert_eq!(super::duration(3 * 86_400_000), "3d");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(99_900), "99,900");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn did_you_mean_names_the_closest_or_lists_what_there_is() {
        let names = vec!["main".to_string(), "work".into()];
        assert_eq!(
            super::did_you_mean("mian", &names),
            "; did you mean \"main\"?"
        );
        assert_eq!(super::did_you_mean("zzz", &names), "; there are main, work");
        assert_eq!(super::did_you_mean("x", &[]), "");
        let codes = vec![
            "session-stranded".to_string(),
            "lock-stale".into(),
            "sqlite-tombstoned".into(),
        ];
        for typed in ["stranded", "stranded-session"] {
            assert_eq!(
                super::did_you_mean(typed, &codes),
                "; did you mean \"session-stranded\"?",
                "{typed}"
            );
        }
    }
    #[test]
    fn pasteable_puts_the_options_after_each_quoted_subcommand() {
        let opts = "--state-dir /srv/oc";
        assert_eq!(
            super::pasteable("`sessfix repair --untombstone k` keeps it; or `sessfix repair`; `openclaw doctor`", opts).unwrap(),
            "`sessfix repair --state-dir /srv/oc --untombstone k` keeps it; or `sessfix repair --state-dir /srv/oc`; `openclaw doctor`"
        );
        assert_eq!(
            super::pasteable("`sessfix undo` restores it, `sessfix scan` lists", opts).unwrap(),
            "`sessfix undo --state-dir /srv/oc` restores it, `sessfix scan --state-dir /srv/oc` lists"
        );
        // Outside backquotes, or not a subcommand: left alone.
        assert_eq!(
            super::pasteable("sessfix repair sets it, `sessfix man`", opts),
            None
        );
        assert_eq!(super::pasteable("`sessfix repair`", ""), None);
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(super::shell_word("/srv/oc-1/state"), "/srv/oc-1/state");
        #[cfg(unix)]
        {
            assert_eq!(super::shell_word("/srv/my state"), "'/srv/my state'");
            assert_eq!(super::shell_word("it's"), "'it'\\''s'");
            assert_eq!(super::shell_word(""), "''");
        }
    }
}
