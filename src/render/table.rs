//! The readable report: a sessions table, then findings with their fixes.

use super::{ReportRenderer, Style};
use crate::analyze::{NextBoot, Report, Severity};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use std::io::Write;

pub struct Tables {
    pub style: Style,
    pub now_ms: i64,
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
        NextBoot::Stranded | NextBoot::Lost => "1;31",
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

impl ReportRenderer for Tables {
    fn render(&self, r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "state dir: {}", r.state_dir)?;
        let o = &r.openclaw;
        match (&o.version, o.line) {
            (Some(v), Some(line)) => writeln!(
                out,
                "openclaw:  {v} (from {}: {}); rules of the {line} release line",
                o.source.unwrap_or("?"),
                o.evidence.as_deref().unwrap_or("")
            )?,
            _ => writeln!(
                out,
                "openclaw:  {}; predicting for every file-era release line ({})",
                self.style.paint("33", "release unknown"),
                o.lines.join(", ")
            )?,
        }
        for n in &o.notes {
            writeln!(out, "           note: {n}")?;
        }
        match (&r.gateway.live, &r.gateway.evidence) {
            (true, Some(e)) => writeln!(
                out,
                "gateway:   {}",
                self.style.paint("1;31", &format!("LIVE: {e}"))
            )?,
            (false, Some(e)) => writeln!(out, "gateway:   not running ({e})")?,
            _ => writeln!(out, "gateway:   not running (no singleton lock)")?,
        }
        for a in &r.agents {
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
        // Sessions that are running or need attention first; idle ones counted.
        let mut shown: Vec<_> = r
            .sessions
            .iter()
            .filter(|s| s.next_boot != NextBoot::Idle)
            .collect();
        shown.sort_by_key(|s| (s.next_boot, s.agent.clone(), s.key.clone()));
        let idle = r.sessions.len() - shown.len();
        writeln!(out)?;
        if shown.is_empty() {
            writeln!(out, "No running sessions ({idle} idle).")?;
        } else {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec![
                    "agent",
                    "session",
                    "status",
                    "aborted",
                    "updated",
                    "next boot",
                    "why",
                ]);
            if let Some((w, _)) = terminal_width() {
                t.set_width(w);
            } else {
                t.set_width(200);
            }
            for s in &shown {
                t.add_row(vec![
                    s.agent.clone(),
                    s.key.clone(),
                    s.status.clone().unwrap_or_else(|| "-".into()),
                    s.aborted_last_run.map_or("-".into(), |b| b.to_string()),
                    s.updated_at
                        .map_or("-".into(), |u| relative(self.now_ms, u)),
                    self.style
                        .paint(boot_color(s.next_boot), s.next_boot.as_str()),
                    s.reason.clone(),
                ]);
            }
            writeln!(out, "{t}")?;
            if idle > 0 {
                writeln!(out, "({idle} idle session(s) not shown; --json lists all)")?;
            }
        }
        writeln!(out)?;
        if r.findings.is_empty() {
            writeln!(out, "No findings.")?;
            return Ok(());
        }
        let count = |s| r.findings.iter().filter(|f| f.severity == s).count();
        writeln!(
            out,
            "Findings: {} error(s), {} warning(s), {} info",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        )?;
        for f in &r.findings {
            let sev = self.style.paint(
                sev_color(f.severity),
                &format!("{:<7}", f.severity.as_str()),
            );
            writeln!(out, "{sev} {:<22} {}", f.code, f.message)?;
            if let Some(p) = &f.path {
                writeln!(out, "        {:<22} file: {p}", "")?;
            }
            writeln!(out, "        {:<22} fix:  {}", "", f.fix)?;
        }
        Ok(())
    }
}

fn terminal_width() -> Option<(u16, u16)> {
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col > 0).then_some((ws.ws_col, ws.ws_row))
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn relative_times() {
        let now = 1_000_000_000_000;
        assert_eq!(relative(now, (now - 3 * 3_600_000) as f64), "3h ago");
        assert_eq!(relative(now, (now - 5_000) as f64), "5s ago");
        assert_eq!(relative(now, (now - 3 * 86_400_000) as f64), "3d ago");
        assert_eq!(relative(now, (now + 120_000) as f64), "in 2m");
    }
}
