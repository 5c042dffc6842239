//! The readable report: the release and gateway, a sessions table, the
//! findings with their fixes, and the totals last (where a long listing ends).
//!
//! Widths are measured on the plain text and colour is added after padding,
//! so colour codes never count. Session keys, finding codes and paths are
//! never split: a key that does not fit beside the columns gets a line of its
//! own; only prose (`why`, messages, fixes) is wrapped, at spaces.

use super::filter::Filter;
use super::listing::Listing;
use super::{plural, severity_index, Renderer, ReportSink, Style};
use crate::analyze::{Finding, Kind, LockReport, NextBoot, Report, SessionReport, Severity};
use crate::fsx::spill::Spill;
use crate::text::thousands;
use std::io::Write;

#[derive(Debug, Clone)]
pub struct Tables {
    pub style: Style,
    pub now_ms: i64,
    /// Columns to fit in.
    pub width: usize,
    /// `--verbose`: the release's notes in full, and every finding (none
    /// grouped by code).
    pub verbose: bool,
    /// The options a pasted command needs (`Settings::action_options`).
    pub actions: &'static str,
}

/// The width to lay tables out in: stdout's terminal, else `COLUMNS`, else
/// 100 (a file or a pipe); never under 40.
pub fn output_width() -> usize {
    let term = terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize);
    let cols = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok());
    term.filter(|&w| w > 0)
        .or(cols)
        .filter(|&w: &usize| w > 0)
        .unwrap_or(100)
        .max(40)
}

/// "3h ago" from epoch milliseconds.
pub fn relative(now_ms: i64, then_ms: f64) -> String {
    let Some(then) = chrono::DateTime::from_timestamp_millis(then_ms as i64) else {
        return "?".into();
    };
    let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    let d = now.signed_duration_since(then);
    let (n, unit) = if d.num_seconds().abs() < 60 {
        (d.num_seconds(), "s")
    } else if d.num_minutes().abs() < 60 {
        (d.num_minutes(), "m")
    } else if d.num_hours().abs() < 48 {
        (d.num_hours(), "h")
    } else {
        (d.num_days(), "d")
    };
    if n < 0 {
        format!("in {}{unit}", -n)
    } else {
        format!("{n}{unit} ago")
    }
}

fn boot_color(n: NextBoot) -> &'static str {
    match n {
        NextBoot::Stranded
        | NextBoot::Lost
        | NextBoot::Rejected
        | NextBoot::Tombstone
        | NextBoot::Halt => "1;31",
        NextBoot::Fail | NextBoot::Unknown => "33",
        NextBoot::Resume => "32",
        NextBoot::Skip | NextBoot::Idle => "2",
    }
}

fn sev_color(s: Severity) -> &'static str {
    match s {
        Severity::Error => "1;31",
        Severity::Warning => "33",
        Severity::Info => "36",
    }
}

/// Display width of plain text (one column per char: the report is ASCII
/// apart from names a user chose).
fn width_of(s: &str) -> usize {
    s.chars().count()
}

/// `text` wrapped at spaces into lines of at most `width` columns (a word
/// longer than that stays whole on its own line), but not inside
/// backquotes: a quoted command is one word, to be pasted (split at its own
/// spaces only when it is longer than a line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in text.trim().chars() {
        if c.is_whitespace() && !quoted {
            words.push(std::mem::take(&mut word));
            continue;
        }
        quoted ^= c == '`';
        word.push(c);
    }
    words.push(word);
    let mut lines = Vec::new();
    let mut line = String::new();
    let too_long = |w: &String| w.contains(' ') && w.chars().count() > width;
    for w in words.iter().flat_map(|w| {
        if too_long(w) {
            w.split(' ').collect::<Vec<_>>()
        } else {
            vec![w.as_str()]
        }
    }) {
        if w.is_empty() {
            continue;
        }
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Write `label` then `text` wrapped to `width`, continuation lines indented
/// to line up after the label.
fn labelled(
    out: &mut dyn Write,
    indent: usize,
    label: &str,
    text: &str,
    width: usize,
) -> std::io::Result<()> {
    let pad = indent + width_of(label);
    // A quoted command stays on one line where it fits: it is pasted.
    for (i, l) in wrap(text, width.saturating_sub(pad).max(20))
        .iter()
        .enumerate()
    {
        if i == 0 {
            writeln!(out, "{:indent$}{label}{l}", "")?;
        } else {
            writeln!(out, "{:pad$}{l}", "")?;
        }
    }
    Ok(())
}

const HEADERS: [&str; 6] = [
    "NEXT BOOT",
    "STATUS",
    "ABORTED",
    "UPDATED",
    "AGENT",
    "SESSION",
];

/// A listed session (one not idle) as the table needs it once its rows have
/// gone: its columns and key, and where its `why:` lines were put aside.
struct Row {
    next_boot: NextBoot,
    cells: [String; 5],
    key: String,
    why_at: u64,
    why_len: usize,
    /// When a finding shown below says the row's reason word for word: its
    /// severity's place in `SEVERITIES` and its kind, and the length of
    /// the `why:` lines that point to it instead, put aside right after
    /// the others.
    repeats: Option<(usize, Kind, usize)>,
}

/// `scan`'s text written as the report is read (`ReportSink`): a session
/// not idle keeps its columns and key (the table is sorted and its columns
/// sized over every agent), and its `why:` lines and every finding are put
/// aside as text; idle sessions are counted.
pub struct TableSink {
    t: Tables,
    filter: Filter,
    rows: Vec<Row>,
    why: Spill,
    sessions: usize,
    /// By severity, as `SEVERITIES`: the findings shown, and how many
    /// findings there are (shown or not).
    findings: [Listing; 3],
    counts: [usize; 3],
}

impl Tables {
    fn cells(&self, s: &SessionReport) -> [String; 5] {
        [
            s.next_boot.as_str().to_string(),
            s.status.clone().unwrap_or_else(|| "-".into()),
            s.aborted_last_run.map_or("-".into(), |b| b.to_string()),
            s.updated_at
                .map_or("-".into(), |u| relative(self.now_ms, u)),
            s.agent.clone(),
        ]
    }

    /// A session's lines under its row: why (or, when finding `repeats`
    /// below says it word for word, a pointer to it), and each line's
    /// prediction, lines in a row that predict the same said once
    /// (`2026.4.25 to 2026.7.1: fail: ...`).
    fn why(
        &self,
        s: &SessionReport,
        repeats: Option<Kind>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let reason = match repeats {
            Some(k) => format!("as its {k} finding below says"),
            // Each line's prediction follows: the why does not list them too
            // (the JSON's reason keeps the summary).
            None if s.next_boot == NextBoot::Unknown && !s.next_boot_by_line.is_empty() => {
                "depends on the OpenClaw release line (each below); pass --openclaw-version"
                    .to_string()
            }
            None => s.reason.clone(),
        };
        let why = match s.waiting_ms {
            Some(w) => format!(
                "{reason}; waiting for an answer for {}",
                relative(w as i64, 0.0).trim_end_matches(" ago")
            ),
            None => reason,
        };
        labelled(out, 2, "why: ", &why, self.width)?;
        let by_line = &s.next_boot_by_line;
        let mut i = 0;
        while i < by_line.len() {
            let p = &by_line[i];
            let same = by_line[i..]
                .iter()
                .take_while(|q| q.next_boot == p.next_boot && q.reason == p.reason)
                .count();
            let lines = match same {
                1 => p.line.to_string(),
                n => format!("{} to {}", p.line, by_line[i + n - 1].line),
            };
            labelled(
                out,
                4,
                &format!("{lines}: {}: ", p.next_boot.as_str()),
                &p.reason,
                self.width,
            )?;
            i += same;
        }
        Ok(())
    }

    /// The listed sessions, sorted, each with its `why:` lines from `why`.
    /// A row whose reason a finding says word for word points to it,
    /// unless its code is among those `grouped` (by severity) and so may
    /// not be shown in full.
    fn sessions(
        &self,
        shown: &[&Row],
        grouped: &[Vec<Kind>],
        why: &mut Spill,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let mut widths = [0usize; 5];
        for (i, w) in widths.iter_mut().enumerate() {
            *w = shown
                .iter()
                .map(|r| width_of(&r.cells[i]))
                .chain([width_of(HEADERS[i])])
                .max()
                .unwrap_or(0);
        }
        let lead: usize = widths.iter().map(|w| w + 2).sum();
        // Keys go beside the columns only when every one fits there; else
        // each gets a line of its own (the same layout for every row).
        let inline = shown.iter().all(|r| lead + width_of(&r.key) <= self.width);
        let header: String = HEADERS[..5]
            .iter()
            .zip(widths)
            .map(|(h, w)| format!("{h:<w$}  "))
            .collect();
        let header = if inline {
            format!("{header}{}", HEADERS[5])
        } else {
            format!("{}\n  {}", header.trim_end(), HEADERS[5])
        };
        writeln!(out, "{}", self.style.paint("1", &header))?;
        for r in shown {
            let mut line = String::new();
            for (i, (cell, w)) in r.cells.iter().zip(widths).enumerate() {
                let padded = format!("{cell:<w$}  ");
                line.push_str(&if i == 0 {
                    self.style.paint(boot_color(r.next_boot), &padded)
                } else {
                    padded
                });
            }
            if inline {
                writeln!(out, "{line}{}", r.key)?;
            } else {
                writeln!(out, "{}", line.trim_end())?;
                writeln!(out, "  {}", r.key)?;
            }
            let text = match r.repeats {
                Some((i, kind, len)) if !grouped[i].contains(&kind) => {
                    why.read_range(r.why_at + r.why_len as u64, len)?
                }
                _ => why.read_range(r.why_at, r.why_len)?,
            };
            out.write_all(&text)?;
        }
        Ok(())
    }

    /// One finding: severity and code, the message, its file, the action.
    /// With a `count` over 1, the first of that many of its code, shown for
    /// them all: the count after the code, and how to list the others last.
    pub(super) fn finding(
        &self,
        f: &Finding,
        count: usize,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let sev = self.style.paint(
            sev_color(f.severity),
            &format!("{:<7}", f.severity.as_str()),
        );
        let code = self.style.paint("1", f.kind.code());
        if count > 1 {
            writeln!(
                out,
                "{sev} {code}: {} findings, the first:",
                thousands(count)
            )?;
        } else {
            writeln!(out, "{sev} {code}")?;
        }
        let message = match &f.key {
            Some(k) if !f.message.contains(k.as_str()) => format!("{k}: {}", f.message),
            _ => f.message.clone(),
        };
        labelled(out, 8, "", &message, self.width)?;
        if let Some(p) = &f.path {
            writeln!(out, "        file: {p}")?;
        }
        labelled(out, 8, "action: ", &f.fix, self.width)?;
        if count > 1 {
            // `wrap` keeps the quoted command on a line where it fits one.
            let command =
                crate::render::plan::command(&format!("scan --code {}", f.kind), self.actions);
            let text = format!(
                "... and {} more: {command} lists them",
                thousands(count - 1)
            );
            labelled(out, 8, "", &text, self.width)?;
        }
        Ok(())
    }

    /// What comes before the sessions: the state dir, the release and its
    /// notes, the gateway, each agent's store.
    fn head(&self, r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "state dir: {}", r.state_dir)?;
        let o = &r.openclaw;
        // The notes in one clause, unless asked for in full.
        let notes = match o.notes.len() {
            0 => String::new(),
            _ if self.verbose => String::new(),
            1 => "; 1 note (--verbose shows it)".into(),
            n => format!("; {n} notes (--verbose shows them)"),
        };
        match (&o.version, o.line) {
            (Some(v), Some(line)) => labelled(
                out,
                0,
                "openclaw:  ",
                &format!(
                    "{v} (from {}: {}); rules of the {line} release line{notes}",
                    o.source.unwrap_or("?"),
                    o.evidence.as_deref().unwrap_or("")
                ),
                self.width,
            )?,
            _ => {
                let lines = match o.lines.as_slice() {
                    [one] => format!("predicting line {one}"),
                    [first, .., last] => format!("predicting lines {first} to {last}"),
                    [] => "no release line to predict".into(),
                };
                let mut text = Vec::new();
                let unknown = "release unknown";
                labelled(
                    &mut text,
                    0,
                    "openclaw:  ",
                    &format!("{unknown}; {lines}{notes}"),
                    self.width,
                )?;
                // Painted once wrapped: colour codes take no columns.
                let text = String::from_utf8_lossy(&text).replacen(
                    unknown,
                    &self.style.paint("33", unknown),
                    1,
                );
                out.write_all(text.as_bytes())?;
            }
        }
        if self.verbose {
            for n in &o.notes {
                labelled(out, 11, "note: ", n, self.width)?;
            }
        }
        match (&r.gateway.live, &r.gateway.evidence) {
            (true, Some(e)) => writeln!(
                out,
                "gateway:   {}",
                self.style.paint("1;31", &format!("LIVE: {e}"))
            )?,
            (false, Some(e)) => labelled(
                out,
                0,
                "gateway:   ",
                &if r.gateway.liveness_unknown {
                    format!("UNKNOWN whether one is running ({e})")
                } else {
                    format!("not running ({e})")
                },
                self.width,
            )?,
            _ => writeln!(out, "gateway:   not running (no singleton lock)")?,
        }
        for a in &r.agents {
            if let Some(db) = &a.database {
                writeln!(
                    out,
                    "agent {}: SQLite store {} (schema {}{}), {}",
                    a.id,
                    db.path,
                    db.schema_version,
                    db.app_version
                        .as_deref()
                        .map(|v| format!(", OpenClaw {v}"))
                        .unwrap_or_default(),
                    crate::text::plural(db.sessions, "session", "sessions")
                )?;
                continue;
            }
            writeln!(
                out,
                "agent {}: {} index {}{}",
                a.id,
                a.era,
                a.store.state,
                a.store
                    .error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

impl TableSink {
    /// A sink showing the findings `filter` admits: grouped by code, or
    /// every one in full with `--verbose` or when codes are named.
    pub fn new(t: Tables, filter: Filter) -> Self {
        let all = t.verbose || !filter.codes.is_empty();
        TableSink {
            t,
            filter,
            rows: Vec::new(),
            why: Spill::default(),
            sessions: 0,
            findings: [Listing::new(all), Listing::new(all), Listing::new(all)],
            counts: [0; 3],
        }
    }

    /// The finding of `findings` shown below that says `s`'s reason word
    /// for word, by key; its severity's place and kind.
    fn repeated(
        &self,
        s: &SessionReport,
        by_key: &std::collections::HashMap<&str, Vec<&Finding>>,
    ) -> Option<(usize, Kind)> {
        if s.reason.is_empty() {
            return None;
        }
        by_key
            .get(s.key.as_str())?
            .iter()
            .find(|f| {
                f.agent.as_deref() == Some(s.agent.as_str())
                    && self.filter.admits(f)
                    && f.message.contains(&s.reason)
            })
            .map(|f| (severity_index(f), f.kind))
    }

    /// The totals, last: where a long listing ends.
    fn totals(
        &self,
        shown: &[&Row],
        shown_findings: usize,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let mut by_boot: Vec<(NextBoot, usize)> = Vec::new();
        for r in shown {
            match by_boot.iter_mut().find(|(n, _)| *n == r.next_boot) {
                Some((_, c)) => *c += 1,
                None => by_boot.push((r.next_boot, 1)),
            }
        }
        let idle = self.sessions - shown.len();
        let mut parts: Vec<String> = by_boot
            .iter()
            .map(|(n, c)| format!("{c} {}", n.as_str()))
            .collect();
        parts.push(format!("{idle} idle"));
        labelled(
            out,
            0,
            "Sessions: ",
            &format!(
                "{} in all: {}{}",
                self.sessions,
                parts.join(", "),
                if idle > 0 {
                    " (not listed; --json lists all)"
                } else {
                    ""
                }
            ),
            self.t.width,
        )?;
        let hidden = self.counts.iter().sum::<usize>() - shown_findings;
        writeln!(
            out,
            "Findings: {}, {}, {} info{}",
            plural(self.counts[0], "error", "errors"),
            plural(self.counts[1], "warning", "warnings"),
            self.counts[2],
            match hidden {
                0 => String::new(),
                n => format!(" ({} not shown: {})", thousands(n), self.filter.options()),
            }
        )
    }
}

impl ReportSink for TableSink {
    fn rows(
        &mut self,
        sessions: &[SessionReport],
        _locks: &[LockReport],
        findings: &[Finding],
    ) -> std::io::Result<()> {
        self.sessions += sessions.len();
        // Sessions that are running or need attention are listed; idle ones counted.
        let mut by_key: std::collections::HashMap<&str, Vec<&Finding>> = Default::default();
        for f in findings {
            if let Some(k) = &f.key {
                by_key.entry(k.as_str()).or_default().push(f);
            }
        }
        let mut text = Vec::new();
        for s in sessions.iter().filter(|s| s.next_boot != NextBoot::Idle) {
            text.clear();
            self.t.why(s, None, &mut text)?;
            let why_len = text.len();
            let repeats = match self.repeated(s, &by_key) {
                Some((i, kind)) => {
                    self.t.why(s, Some(kind), &mut text)?;
                    Some((i, kind, text.len() - why_len))
                }
                None => None,
            };
            self.rows.push(Row {
                next_boot: s.next_boot,
                cells: self.t.cells(s),
                key: s.key.clone(),
                why_at: self.why.len(),
                why_len,
                repeats,
            });
            self.why.push(&text)?;
        }
        for f in findings {
            let i = severity_index(f);
            self.counts[i] += 1;
            if self.filter.admits(f) {
                self.findings[i].push(&self.t, f)?;
            }
        }
        Ok(())
    }

    fn finish(
        &mut self,
        r: &Report,
        head_findings: &[Finding],
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        self.t.head(r, out)?;
        let mut shown: Vec<&Row> = self.rows.iter().collect();
        shown.sort_by(|a, b| {
            (a.next_boot, &a.cells[4], &a.key).cmp(&(b.next_boot, &b.cells[4], &b.key))
        });
        let mut heads: [Vec<&Finding>; 3] = Default::default();
        for f in head_findings {
            self.counts[severity_index(f)] += 1;
            if self.filter.admits(f) {
                heads[severity_index(f)].push(f);
            }
        }
        let grouped: Vec<Vec<Kind>> = (0..3)
            .map(|i| self.findings[i].grouped(&heads[i]))
            .collect();
        writeln!(out)?;
        if !shown.is_empty() {
            self.t.sessions(&shown, &grouped, &mut self.why, out)?;
            writeln!(out)?;
        }
        let mut shown_findings = 0;
        for (listing, head) in self.findings.iter_mut().zip(&heads) {
            shown_findings += listing.write(&self.t, head, out)?;
        }
        self.totals(&shown, shown_findings, out)
    }
}

impl Renderer<Report> for Tables {
    fn render(&self, r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        super::render_whole(&mut TableSink::new(self.clone(), Filter::default()), r, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::render_whole;
    use crate::render::testing::{self, NOW_MS};

    #[test]
    fn relative_times() {
        let now = 1_000_000_000_000;
        assert_eq!(relative(now, (now - 3 * 3_600_000) as f64), "3h ago");
        assert_eq!(relative(now, (now - 5_000) as f64), "5s ago");
        assert_eq!(relative(now, (now - 3 * 86_400_000) as f64), "3d ago");
        assert_eq!(relative(now, (now + 120_000) as f64), "in 2m");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("a agent:main:x:y b", 4), ["a", "agent:main:x:y", "b"]);
        assert_eq!(wrap("", 10), [""]);
    }

    /// The report as `scan` prints it, `width` columns wide; colour codes
    /// shown as `\e[...m` so a snapshot stays readable.
    fn scan_text(report: &Report, width: usize, color: bool) -> String {
        let tables = Tables {
            style: Style { color },
            now_ms: NOW_MS,
            width,
            verbose: false,
            actions: "",
        };
        let mut out = Vec::new();
        tables.render(report, &mut out).unwrap();
        String::from_utf8(out).unwrap().replace('\x1b', "\\e")
    }

    /// Streamed agent by agent, and past what a spill holds in memory, the
    /// text is what the report held whole gives.
    #[test]
    fn streamed_text_is_the_whole_reports() {
        let tables = Tables {
            style: Style { color: true },
            now_ms: NOW_MS,
            width: 80,
            verbose: false,
            actions: "",
        };
        let mut reports = testing::all();
        reports.push(testing::many_sessions(20_000));
        for report in reports {
            let (head, parts, expected) = testing::streamed(&report);
            let mut sink = TableSink::new(tables.clone(), Filter::default());
            for p in &parts {
                sink.rows(&p.sessions, &p.locks, &p.findings).unwrap();
            }
            let mut streamed = Vec::new();
            sink.finish(&head, &head.findings, &mut streamed).unwrap();
            let mut whole = Vec::new();
            tables.render(&expected, &mut whole).unwrap();
            assert!(streamed == whole, "{}", report.state_dir);
            assert!(!whole.is_empty());
        }
    }

    /// The text of `report` (80 columns, no colour) with `filter`, and
    /// with `--verbose` or not.
    fn text_with(report: &Report, verbose: bool, filter: Filter) -> String {
        let tables = Tables {
            style: Style { color: false },
            now_ms: NOW_MS,
            width: 80,
            verbose,
            actions: "",
        };
        let mut out = Vec::new();
        render_whole(&mut TableSink::new(tables, filter), report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// `stranded_and_stale_lock` with `n` more info findings of one code
    /// (transcript-missing), each of its own session.
    fn with_missing_transcripts(n: usize) -> Report {
        let mut r = testing::stranded_and_stale_lock();
        for i in 0..n {
            r.findings.push(testing::finding(
                Kind::TranscriptMissing,
                Severity::Info,
                Some("main"),
                Some(&format!("agent:main:cron:{i}")),
                Some(&format!("/state/agents/main/sessions/{i}.jsonl")),
                "the transcript is missing; the next boot has nothing to read",
                "nothing required",
            ));
        }
        r
    }

    /// A code found more than `GROUP_OVER` times is one group: its count,
    /// its first finding, how to list the rest; `--verbose` and `--code`
    /// list every one; at `GROUP_OVER` or fewer each is listed.
    #[test]
    fn repeated_codes_are_grouped_with_their_count() {
        let report = with_missing_transcripts(99_900);
        let text = text_with(&report, false, Filter::default());
        insta::assert_snapshot!("scan_text_grouped", text);
        assert_eq!(text.matches("transcript-missing").count(), 2, "{text}");
        assert!(text.contains("info    transcript-missing: 99,900 findings, the first:"));
        assert!(text.contains(
            "        ... and 99,899 more: `sessfix scan --code transcript-missing` lists them\n"
        ));
        assert!(
            text.ends_with("Findings: 1 error, 1 warning, 99900 info\n"),
            "{text}"
        );
        let small = with_missing_transcripts(100);
        let verbose = text_with(&small, true, Filter::default());
        assert_eq!(verbose.matches("info    transcript-missing\n").count(), 100);
        let named = Filter::parse(None, &["transcript-missing".into()]).unwrap();
        let listed = text_with(&small, false, named);
        assert_eq!(listed.matches("info    transcript-missing\n").count(), 100);
        assert!(!listed.contains("lock-stale"));
        assert!(
            listed.ends_with(
                "Findings: 1 error, 1 warning, 100 info (2 not shown: --code transcript-missing)\n"
            ),
            "{listed}"
        );
        let few = text_with(&with_missing_transcripts(3), false, Filter::default());
        assert_eq!(few.matches("info    transcript-missing\n").count(), 3);
        assert!(!few.contains("findings, the first"));
    }

    /// Narrow, a group's last line wraps before the command, never in it.
    #[test]
    fn a_groups_command_is_never_split() {
        let tables = Tables {
            style: Style { color: false },
            now_ms: NOW_MS,
            width: 50,
            verbose: false,
            actions: "",
        };
        let mut out = Vec::new();
        let report = with_missing_transcripts(10);
        render_whole(
            &mut TableSink::new(tables, Filter::default()),
            &report,
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("        ... and 9 more:\n        `sessfix scan --code transcript-missing`\n        lists them\n"),
            "{text}"
        );
    }

    /// `--severity` hides the less severe findings; the totals still count
    /// them, and say how many are not shown and why.
    #[test]
    fn a_severity_floor_hides_findings_but_not_from_the_totals() {
        let report = testing::stranded_and_stale_lock();
        let filter = Filter::parse(Some(Severity::Error), &[]).unwrap();
        let text = text_with(&report, false, filter);
        assert!(text.contains("error   session-stranded"));
        assert!(!text.contains("lock-stale"), "{text}");
        assert!(text
            .ends_with("Findings: 1 error, 1 warning, 0 info (1 not shown: --severity error)\n"));
    }

    /// A row's reason that a finding shown below says word for word is said
    /// once, in the finding; a finding not shown (filtered, or grouped
    /// behind another) leaves the row its reason.
    #[test]
    fn a_rows_why_is_not_repeated_by_its_finding() {
        let reason = "running with abortedLastRun false and no transcript lock (a graceful restart): recovery never selects it";
        let report = testing::stranded_and_stale_lock();
        let text = text_with(&report, false, Filter::default());
        assert_eq!(text.matches(reason).count(), 0, "wrapped: {text}");
        assert!(text.contains("  why: as its session-stranded finding below says\n"));
        let errors_hidden = Filter::parse(None, &["lock-stale".into()]).unwrap();
        let text = text_with(&report, false, errors_hidden);
        assert!(!text.contains("as its session-stranded finding"), "{text}");
        let mut many = testing::stranded_and_stale_lock();
        let f = many.findings[0].clone();
        many.findings.extend(std::iter::repeat_n(f, 4));
        let text = text_with(&many, false, Filter::default());
        assert!(!text.contains("as its session-stranded finding"), "{text}");
    }

    /// The release's notes are one clause unless `--verbose`; each line's
    /// prediction is said once for lines in a row that agree.
    #[test]
    fn notes_in_one_clause_and_agreeing_lines_folded() {
        let report = testing::unknown_release_lines_disagree();
        let short = text_with(&report, false, Filter::default());
        assert!(
            short.contains("; 2 notes\n           (--verbose shows them)\n"),
            "{short}"
        );
        assert!(!short.contains("note: "));
        assert!(short.contains("    2026.4.25 to 2026.7.1: fail: "));
        assert_eq!(short.matches(": fail: ").count(), 1);
        let verbose = text_with(&report, true, Filter::default());
        assert_eq!(verbose.matches("           note: ").count(), 2, "{verbose}");
        assert!(!verbose.contains("--verbose shows"));
    }

    #[test]
    fn scan_text_clean() {
        insta::assert_snapshot!(scan_text(&testing::clean(), 80, false));
    }

    #[test]
    fn scan_text_stranded_and_stale_lock() {
        let report = testing::stranded_and_stale_lock();
        insta::assert_snapshot!(scan_text(&report, 80, false));
        // Too narrow for keys beside the columns: each gets a line of its own.
        insta::assert_snapshot!(
            "scan_text_stranded_and_stale_lock_narrow",
            scan_text(&report, 60, false)
        );
        insta::assert_snapshot!(
            "scan_text_stranded_and_stale_lock_color",
            scan_text(&report, 80, true)
        );
    }

    #[test]
    fn scan_text_unparseable_index() {
        insta::assert_snapshot!(scan_text(&testing::unparseable_index(), 80, false));
    }

    #[test]
    fn scan_text_unknown_release_lines_disagree() {
        insta::assert_snapshot!(scan_text(
            &testing::unknown_release_lines_disagree(),
            80,
            false
        ));
    }

    #[test]
    fn scan_text_sqlite_agent() {
        insta::assert_snapshot!(scan_text(&testing::sqlite_agent(), 80, false));
    }

    #[test]
    fn scan_text_gateway_live_and_liveness_unknown() {
        insta::assert_snapshot!(
            "scan_text_gateway_live",
            scan_text(&testing::gateway(false), 80, true)
        );
        insta::assert_snapshot!(
            "scan_text_gateway_liveness_unknown",
            scan_text(&testing::gateway(true), 80, false)
        );
    }
}
