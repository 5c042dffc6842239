//! The readable report: the release and gateway, a sessions table, the
//! findings with their fixes, and the totals last (where a long listing ends).
//!
//! Widths are measured on the plain text and colour is added after padding,
//! so colour codes never count. Session keys, finding codes and paths are
//! never split: a key that does not fit beside the columns gets a line of its
//! own; only prose (`why`, messages, fixes) is wrapped, at spaces.

use super::{plural, severity_index, Renderer, ReportSink, Style, SEVERITIES};
use crate::analyze::{Finding, LockReport, NextBoot, Report, SessionReport, Severity};
use crate::fsx::spill::Spill;
use std::io::Write;

#[derive(Debug, Clone)]
pub struct Tables {
    pub style: Style,
    pub now_ms: i64,
    /// Columns to fit in.
    pub width: usize,
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
/// longer than that stays whole on its own line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && width_of(&line) + 1 + width_of(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
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
}

/// `scan`'s text written as the report is read (`ReportSink`): a session
/// not idle keeps its columns and key (the table is sorted and its columns
/// sized over every agent), and its `why:` lines and every finding are put
/// aside as text; idle sessions are counted.
pub struct TableSink {
    t: Tables,
    rows: Vec<Row>,
    why: Spill,
    sessions: usize,
    /// By severity, as `SEVERITIES`: the text, and how many.
    findings: [(Spill, usize); 3],
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

    /// A session's lines under its row: why, and each line's prediction.
    fn why(&self, s: &SessionReport, out: &mut dyn Write) -> std::io::Result<()> {
        let why = match s.waiting_ms {
            Some(w) => format!(
                "{}; waiting for an answer for {}",
                s.reason,
                relative(w as i64, 0.0).trim_end_matches(" ago")
            ),
            None => s.reason.clone(),
        };
        labelled(out, 2, "why: ", &why, self.width)?;
        for p in &s.next_boot_by_line {
            labelled(
                out,
                4,
                &format!("{}: {}: ", p.line, p.next_boot.as_str()),
                &p.reason,
                self.width,
            )?;
        }
        Ok(())
    }

    /// The listed sessions, sorted, each with its `why:` lines from `why`.
    fn sessions(
        &self,
        shown: &[&Row],
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
            out.write_all(&why.read_range(r.why_at, r.why_len)?)?;
        }
        Ok(())
    }

    /// One finding: severity and code, the message, its file, the action.
    fn finding(&self, f: &Finding, out: &mut dyn Write) -> std::io::Result<()> {
        let sev = self.style.paint(
            sev_color(f.severity),
            &format!("{:<7}", f.severity.as_str()),
        );
        writeln!(out, "{sev} {}", self.style.paint("1", f.kind.code()))?;
        let message = match &f.key {
            Some(k) if !f.message.contains(k.as_str()) => format!("{k}: {}", f.message),
            _ => f.message.clone(),
        };
        labelled(out, 8, "", &message, self.width)?;
        if let Some(p) = &f.path {
            writeln!(out, "        file: {p}")?;
        }
        labelled(out, 8, "action: ", &f.fix, self.width)
    }

    /// What comes before the sessions: the state dir, the release and its
    /// notes, the gateway, each agent's store.
    fn head(&self, r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "state dir: {}", r.state_dir)?;
        let o = &r.openclaw;
        match (&o.version, o.line) {
            (Some(v), Some(line)) => labelled(
                out,
                0,
                "openclaw:  ",
                &format!(
                    "{v} (from {}: {}); rules of the {line} release line",
                    o.source.unwrap_or("?"),
                    o.evidence.as_deref().unwrap_or("")
                ),
                self.width,
            )?,
            _ => writeln!(
                out,
                "openclaw:  {}; {}",
                self.style.paint("33", "release unknown"),
                match o.lines.as_slice() {
                    [one] => format!("predicting line {one}"),
                    [first, .., last] => format!("predicting lines {first} to {last}"),
                    [] => "no release line to predict".into(),
                }
            )?,
        }
        for n in &o.notes {
            labelled(out, 11, "note: ", n, self.width)?;
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
    pub fn new(t: Tables) -> Self {
        TableSink {
            t,
            rows: Vec::new(),
            why: Spill::default(),
            sessions: 0,
            findings: Default::default(),
        }
    }

    /// The totals, last: where a long listing ends.
    fn totals(
        &self,
        shown: &[&Row],
        counts: [usize; 3],
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
        writeln!(
            out,
            "Findings: {}, {}, {} info",
            plural(counts[0], "error", "errors"),
            plural(counts[1], "warning", "warnings"),
            counts[2]
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
        let mut text = Vec::new();
        for s in sessions.iter().filter(|s| s.next_boot != NextBoot::Idle) {
            text.clear();
            self.t.why(s, &mut text)?;
            self.rows.push(Row {
                next_boot: s.next_boot,
                cells: self.t.cells(s),
                key: s.key.clone(),
                why_at: self.why.len(),
                why_len: text.len(),
            });
            self.why.push(&text)?;
        }
        for f in findings {
            text.clear();
            self.t.finding(f, &mut text)?;
            let (spill, n) = &mut self.findings[severity_index(f)];
            spill.push(&text)?;
            *n += 1;
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
        writeln!(out)?;
        if !shown.is_empty() {
            self.t.sessions(&shown, &mut self.why, out)?;
            writeln!(out)?;
        }
        let mut counts = [0; 3];
        for (i, (sev, (spill, n))) in SEVERITIES.iter().zip(&mut self.findings).enumerate() {
            for f in head_findings.iter().filter(|f| f.severity == *sev) {
                self.t.finding(f, out)?;
                counts[i] += 1;
            }
            spill.copy_to(out)?;
            counts[i] += *n;
        }
        self.totals(&shown, counts, out)
    }
}

impl Renderer<Report> for Tables {
    fn render(&self, r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        super::render_whole(&mut TableSink::new(self.clone()), r, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        };
        let mut reports = testing::all();
        reports.push(testing::many_sessions(20_000));
        for report in reports {
            let (head, parts, expected) = testing::streamed(&report);
            let mut sink = TableSink::new(tables.clone());
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
