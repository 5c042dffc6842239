//! What needs a person, one line on stderr per warning or error finding, in
//! the manner of `e2fsck -p`: what, which file, what to do. Printed even with
//! `--quiet`, so the cron mail or the journal says why the run ended with 1
//! (or 3).

use crate::analyze::{Finding, LockReport, Report, SessionReport, Severity};
use crate::fsx::spill::Spill;
use crate::render::ReportSink;
use std::io::Write;

/// The line for finding `f` of a report of `state_dir` (as the report shows
/// it): `sessfix: NEEDS A PERSON: <place>: <kind>: <message>. Action: <fix>`,
/// on one line. The place is the finding's file, else its session key, else
/// its agent, else the state dir.
pub fn line(f: &Finding, state_dir: &str) -> String {
    let agent;
    let place = match (&f.path, &f.key, &f.agent) {
        (Some(p), _, _) => p.as_str(),
        (None, Some(k), _) => k.as_str(),
        (None, None, Some(a)) => {
            agent = format!("agent {a}");
            agent.as_str()
        }
        (None, None, None) => state_dir,
    };
    let line = format!(
        "sessfix: NEEDS A PERSON: {place}: {}: {}. Action: {}",
        f.kind, f.message, f.fix
    );
    line.replace('\n', " ")
}

/// One line on stderr (`line`) for each warning or error finding `report`
/// holds that `which` selects.
pub fn say_what_needs_a_person(report: &Report, which: impl Fn(&Finding) -> bool) {
    let mut err = std::io::stderr().lock();
    for f in report
        .held_findings()
        .filter(|f| f.severity >= Severity::Warning && which(f))
    {
        let _ = writeln!(err, "{}", line(f, &report.state_dir));
    }
}

/// The lines of a report read agent by agent, put aside as each agent's
/// findings come (`ReportSink::rows`; the rows themselves are dropped) and
/// written by `finish` in the order `say_what_needs_a_person` writes those
/// of the whole report: most severe first, the head's (the gateway's, the
/// release's) before the agents' of the same severity. A real repair names
/// 22,000 warnings on a state of 100,000 entries; it holds none of them.
pub struct PersonLines {
    state_dir: String,
    /// Lines of errors, then of warnings.
    spills: [Spill; 2],
}

impl PersonLines {
    /// Lines for the report of `state_dir` (as the report shows it).
    pub fn new(state_dir: String) -> Self {
        PersonLines {
            state_dir,
            spills: Default::default(),
        }
    }

    /// Write the lines to stderr, `report`'s own findings (its head) among
    /// them (`say`).
    pub fn say(mut self, report: &Report) {
        say(&mut self, report)
    }
}

/// Write the lines `lines` (a `PersonLines`, or one behind a filter) put
/// aside to stderr, `report`'s own findings (its head) among them. A
/// temporary file that cannot be read back is named instead of the lines
/// it held.
pub fn say(lines: &mut dyn ReportSink, report: &Report) {
    let mut err = std::io::stderr().lock();
    if let Err(e) = lines.finish(report, &report.findings, &mut err) {
        let _ = writeln!(
            err,
            "sessfix: some NEEDS A PERSON lines cannot be shown: {e}; `sessfix scan` lists every finding"
        );
    }
}

impl ReportSink for PersonLines {
    fn rows(
        &mut self,
        _: &[SessionReport],
        _: &[LockReport],
        findings: &[Finding],
    ) -> std::io::Result<()> {
        for f in findings.iter().filter(|f| f.severity >= Severity::Warning) {
            let mut l = line(f, &self.state_dir);
            l.push('\n');
            self.spills[crate::render::severity_index(f)].push(l.as_bytes())?;
        }
        Ok(())
    }

    fn finish(
        &mut self,
        _: &Report,
        head_findings: &[Finding],
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        for (i, severity) in [Severity::Error, Severity::Warning].into_iter().enumerate() {
            for f in head_findings.iter().filter(|f| f.severity == severity) {
                // stderr going away ends no repair.
                let _ = writeln!(out, "{}", line(f, &self.state_dir));
            }
            match self.spills[i].copy_to(out) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testing;

    /// Streamed agent by agent, the lines are those of the whole report, in
    /// the same order, past the spill's memory too.
    #[test]
    fn streamed_lines_are_those_of_the_whole_report() {
        let mut big = testing::many_sessions(400);
        let agents: Vec<_> = big
            .findings
            .iter()
            .filter(|f| f.agent.is_some())
            .cloned()
            .collect();
        for i in 0..6000 {
            let mut f = agents[i % agents.len()].clone();
            f.message = format!("{} ({i})", f.message);
            big.findings.push(f);
        }
        let mut reports = testing::all();
        reports.push(big);
        let mut said = 0;
        for report in reports {
            let (head, parts, expected) = testing::streamed(&report);
            let mut whole = Vec::new();
            for f in expected
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
            {
                writeln!(whole, "{}", line(f, &report.state_dir)).unwrap();
            }
            let mut lines = PersonLines::new(report.state_dir.clone());
            for p in &parts {
                lines.rows(&p.sessions, &p.locks, &p.findings).unwrap();
            }
            let mut out = Vec::new();
            lines.finish(&head, &head.findings, &mut out).unwrap();
            said += usize::from(!whole.is_empty());
            assert!(report.findings.len() < 100 || whole.len() > crate::fsx::spill::MEMORY_BYTES);
            assert!(out == whole, "{}", String::from_utf8_lossy(&out));
        }
        assert!(said >= 3);
    }

    #[test]
    fn a_finding_without_a_place_is_placed_in_the_state_dir() {
        let mut f = testing::many_sessions(4).findings.remove(0);
        (f.path, f.key, f.agent) = (None, None, Some("main".into()));
        assert!(line(&f, "/s").starts_with("sessfix: NEEDS A PERSON: agent main: "));
        f.agent = None;
        assert!(line(&f, "/s").starts_with("sessfix: NEEDS A PERSON: /s: "));
    }
}
