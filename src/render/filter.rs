//! Which findings a scan shows (`scan --severity`, `scan --code`), and a
//! sink that passes only those on. The totals and the exit code are never
//! filtered: they stay those of the whole state.

use super::ReportSink;
use crate::analyze::{Finding, Kind, LockReport, Report, SessionReport, Severity};
use std::io::Write;

/// The findings shown: at least `min` severe and, when `codes` is not
/// empty, of one of those kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub min: Severity,
    /// The kinds asked for by name, in the order given; empty: every kind.
    pub codes: Vec<Kind>,
}

impl Default for Filter {
    /// Every finding.
    fn default() -> Self {
        Filter {
            min: Severity::Info,
            codes: Vec::new(),
        }
    }
}

impl Filter {
    /// The filter of `--severity LEVEL` (`None`: info, every finding) and
    /// `--code CODE...`. An unknown code is an error naming the closest
    /// known codes (or listing them): `--code "x": no such finding code; ...`.
    pub fn parse(min: Option<Severity>, codes: &[String]) -> Result<Filter, String> {
        let known: Vec<String> = Kind::ALL.iter().map(|k| k.code().to_string()).collect();
        let mut kinds = Vec::new();
        for c in codes {
            match Kind::ALL.iter().find(|k| k.code() == c.trim()) {
                Some(k) if !kinds.contains(k) => kinds.push(*k),
                Some(_) => {}
                None => {
                    return Err(format!(
                        "--code {c:?}: no such finding code{}",
                        crate::text::did_you_mean(c.trim(), &known)
                    ))
                }
            }
        }
        Ok(Filter {
            min: min.unwrap_or(Severity::Info),
            codes: kinds,
        })
    }

    /// Whether `f` is shown.
    pub fn admits(&self, f: &Finding) -> bool {
        f.severity >= self.min && (self.codes.is_empty() || self.codes.contains(&f.kind))
    }

    /// Whether every finding is shown.
    pub fn is_all(&self) -> bool {
        self.min == Severity::Info && self.codes.is_empty()
    }

    /// The options that make this filter, as typed: `--severity warning
    /// --code lock-stale`; empty for every finding.
    pub fn options(&self) -> String {
        let mut parts = Vec::new();
        if self.min != Severity::Info {
            parts.push(format!("--severity {}", self.min.as_str()));
        }
        parts.extend(self.codes.iter().map(|k| format!("--code {k}")));
        parts.join(" ")
    }
}

/// A sink that passes on only the findings `filter` admits (its rows all):
/// `scan --json`'s findings array, and the lines of `scan --quiet`.
pub struct Filtered<S> {
    pub inner: S,
    pub filter: Filter,
}

impl<S> Filtered<S> {
    fn admitted(&self, findings: &[Finding]) -> Option<Vec<Finding>> {
        (!self.filter.is_all()).then(|| {
            findings
                .iter()
                .filter(|f| self.filter.admits(f))
                .cloned()
                .collect()
        })
    }
}

impl<S: ReportSink> ReportSink for Filtered<S> {
    fn rows(
        &mut self,
        sessions: &[SessionReport],
        locks: &[LockReport],
        findings: &[Finding],
    ) -> std::io::Result<()> {
        match self.admitted(findings) {
            Some(shown) => self.inner.rows(sessions, locks, &shown),
            None => self.inner.rows(sessions, locks, findings),
        }
    }

    fn finish(
        &mut self,
        report: &Report,
        head_findings: &[Finding],
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        match self.admitted(head_findings) {
            Some(shown) => self.inner.finish(report, &shown, out),
            None => self.inner.finish(report, head_findings, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{json::JsonSink, testing};

    #[test]
    fn codes_are_checked_and_severity_is_a_floor() {
        let f = Filter::parse(Some(Severity::Warning), &["lock-stale".into()]).unwrap();
        assert_eq!(f.options(), "--severity warning --code lock-stale");
        assert!(!f.is_all());
        let e = Filter::parse(None, &["lock-stal".into()]).unwrap_err();
        assert!(e.contains("did you mean \"lock-stale\""), "{e}");
        let e = Filter::parse(None, &["zzzz".into()]).unwrap_err();
        assert!(e.contains("no such finding code; there are "), "{e}");
        assert!(Filter::parse(None, &[]).unwrap().is_all());
    }

    /// Filtered, the JSON's findings are those admitted, in the same order;
    /// its sessions stay whole.
    #[test]
    fn a_filtered_json_keeps_the_admitted_findings() {
        let report = testing::stranded_and_stale_lock();
        let filter = Filter::parse(Some(Severity::Error), &[]).unwrap();
        let mut sink = Filtered {
            inner: JsonSink::default(),
            filter: filter.clone(),
        };
        let mut out = Vec::new();
        crate::render::render_whole(&mut sink, &report, &mut out).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let codes: Vec<&str> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| filter.admits(f))
            .map(|f| f.kind.code())
            .collect();
        assert!(!expected.is_empty() && expected.len() < report.findings.len());
        assert_eq!(codes, expected);
        assert_eq!(
            doc["sessions"].as_array().unwrap().len(),
            report.sessions.len()
        );
    }
}
