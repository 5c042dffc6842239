//! The merge across release lines: one row's predictions as one outcome or
//! one per line (`nextBootByLine`), and one agent's findings, each once,
//! saying on which lines it holds when not on all. What each line decides
//! is `boot`'s; nothing here reads a line's rules.

use super::{Finding, Kind, LinePrediction, NextBoot};
use crate::boot::file::RowFate;
use crate::rules::{self, LineRules};
use std::collections::HashMap;

/// One line's prediction for one row, and the file-era fate behind it
/// (`None` on a SQLite-era line).
pub(crate) type LinePred<'a> = (NextBoot, &'a str, Option<&'a RowFate>);

/// Findings of one agent, each with the lines it was found on.
pub(crate) struct LineFindings {
    all: rules::LineSet,
    found: Vec<(Finding, rules::LineSet)>,
    /// Where each distinct finding is in `found`.
    seen: HashMap<FindingKey, usize>,
}

/// What makes two findings the same (a finding's fields but its severity and
/// fix, which follow from these).
pub(crate) type FindingKey = (Kind, Option<String>, Option<String>, String);

impl LineFindings {
    /// No findings yet, on the lines `all`.
    pub(crate) fn new(all: rules::LineSet) -> LineFindings {
        LineFindings {
            all,
            found: Vec::new(),
            seen: HashMap::new(),
        }
    }

    pub(crate) fn add(&mut self, line: rules::LineSet, f: Finding) {
        let key = (f.kind, f.key.clone(), f.path.clone(), f.message.clone());
        match self.seen.get(&key) {
            Some(&i) if self.found[i].0 == f => self.found[i].1 .0 |= line.0,
            _ => {
                self.seen.insert(key, self.found.len());
                self.found.push((f, line));
            }
        }
    }

    /// One finding per distinct text; one seen on only some lines says which.
    pub(crate) fn finish(self, out: &mut Vec<Finding>) {
        for (mut f, set) in self.found {
            if set != self.all {
                let lines: Vec<&LineRules> = set.iter().collect();
                f.message = format!("on OpenClaw {}: {}", lines_label(&lines), f.message);
            }
            out.push(f);
        }
    }
}

/// `2026.4.25, 2026.5.22 lines` for a list of lines; one line with its
/// releases: `2026.8.1 line (2026.8.1 to before 2026.9.6)`.
pub(crate) fn lines_label(lines: &[&LineRules]) -> String {
    match lines {
        [one] => format!("{} line ({})", one.name, rules::lines::range_label(one)),
        _ => format!(
            "{} lines",
            lines.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// One row's predictions across `lines` (each line's, where it has one)
/// as the report shows them: the common outcome when they agree, else
/// `Unknown` with a summary of runs of lines and every line's prediction.
pub(crate) fn merge_lines(
    lines: &[&'static LineRules],
    preds: &[(&'static LineRules, NextBoot, &str)],
) -> (NextBoot, String, Vec<LinePrediction>) {
    let Some(&(_, first_next, first_reason)) = preds.first() else {
        return (NextBoot::Unknown, String::new(), Vec::new());
    };
    let agree = preds.iter().all(|(_, n, _)| *n == first_next);
    if agree {
        (first_next, first_reason.to_string(), Vec::new())
    } else {
        let by: Vec<LinePrediction> = preds
            .iter()
            .map(|(l, n, r)| LinePrediction {
                line: l.name,
                next_boot: *n,
                reason: r.to_string(),
            })
            .collect();
        // Runs of consecutive lines with the same outcome (a line with
        // no row, as a SQLite-era line that does not start, breaks one).
        let at = |name: &str| lines.iter().position(|l| l.name == name);
        let mut runs: Vec<(&str, &str, NextBoot)> = Vec::new();
        for p in &by {
            match runs.last_mut() {
                Some((_, last, n))
                    if *n == p.next_boot && at(last).map(|i| i + 1) == at(p.line) =>
                {
                    *last = p.line
                }
                _ => runs.push((p.line, p.line, p.next_boot)),
            }
        }
        let summary = runs
            .iter()
            .map(|(a, b, n)| {
                let span = if a == b {
                    a.to_string()
                } else {
                    format!("{a} to {b}")
                };
                format!("{span}: {}", n.as_str())
            })
            .collect::<Vec<_>>()
            .join("; ");
        (
            NextBoot::Unknown,
            format!("depends on the OpenClaw release line ({summary}); pass --openclaw-version"),
            by,
        )
    }
}
