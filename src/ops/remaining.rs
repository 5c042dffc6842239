//! `repair --dry-run --detailed-exitcode`: whether anything would still need
//! a person once the plan is carried out, told from the dry run's findings
//! as they pass (`PersonNeeded`, a `ReportSink` in front of the Ui's).
//!
//! A warning or error is taken as what the plan repairs only when its kind
//! is one repair repairs (`repaired_by_plan`) and the plan acts at its place
//! (its file, or its agent's session key); anything else needs a person, as
//! does each thing the plan leaves alone. Where unsure, a person is needed:
//! exit 8 is a promise that a real run ends with 0.

use crate::analyze::{Finding, Kind, LockReport, Report, SessionReport, Severity};
use crate::exit::Exit;
use crate::plan::Plan;
use crate::render::ReportSink;
use std::collections::HashSet;
use std::io::Write;

/// Where a finding is: its agent, session key and file.
type Place = (Option<String>, Option<String>, Option<String>);

/// Whether a real run's plan repairs a finding of `kind` when it acts at
/// the finding's place. `max_age`: `--max-age` was given (old turns are
/// then ended; without it they stay a warning).
fn repaired_by_plan(kind: Kind, max_age: bool) -> bool {
    match kind {
        Kind::SessionOldTurn => max_age,
        Kind::SessionStranded
        | Kind::LockStale
        | Kind::StoreLockStale
        | Kind::RestartArtifacts
        | Kind::TranscriptTorn
        | Kind::IndexMissing
        | Kind::IndexInvalid
        | Kind::IndexJson5
        | Kind::SessionDropped
        | Kind::SqliteTombstoned
        | Kind::SqliteRecoveryLeftover
        | Kind::SqliteRecoveryExhausted
        | Kind::SqliteStatusMismatch
        | Kind::SqliteLeaseDead => true,
        _ => false,
    }
}

/// A `ReportSink` that passes rows on to `inner` and tells whether any
/// warning or error among them needs a person (`needs_a_person`). It keeps
/// the places of the findings the plan may repair until the plan is done,
/// and none once one needs a person.
pub struct PersonNeeded<'a> {
    inner: &'a mut dyn ReportSink,
    /// Asked for (`--detailed-exitcode`); otherwise rows only pass.
    asked: bool,
    max_age: bool,
    found: bool,
    maybe_repaired: Vec<Place>,
}

impl<'a> PersonNeeded<'a> {
    /// Rows go on to `inner`; `asked`: tell (else nothing is kept, and
    /// `needs_a_person` is false); `max_age`: `--max-age` was given.
    pub fn new(inner: &'a mut dyn ReportSink, asked: bool, max_age: bool) -> Self {
        PersonNeeded {
            inner,
            asked,
            max_age,
            found: false,
            maybe_repaired: Vec::new(),
        }
    }

    fn note(&mut self, findings: &[Finding]) {
        if !self.asked {
            return;
        }
        for f in findings.iter().filter(|f| f.severity >= Severity::Warning) {
            if self.found {
                return;
            }
            if repaired_by_plan(f.kind, self.max_age) {
                self.maybe_repaired
                    .push((f.agent.clone(), f.key.clone(), f.path.clone()));
            } else {
                self.found = true;
                self.maybe_repaired = Vec::new();
            }
        }
    }

    /// Whether a person is needed once `plan` is carried out: a warning or
    /// error among the rows passed or `head` (the report's own findings)
    /// that the plan does not repair, or something the plan leaves alone.
    pub fn needs_a_person(mut self, head: &[Finding], plan: &Plan) -> bool {
        if !self.asked {
            return false;
        }
        self.note(head);
        if self.found || !plan.left_alone.is_empty() {
            return true;
        }
        let acted = places_acted_on(plan);
        self.maybe_repaired.iter().any(|(agent, key, path)| {
            let at_path = path.as_ref().is_some_and(|p| acted.paths.contains(p));
            let at_key = key
                .as_ref()
                .is_some_and(|k| acted.keys.contains(&(agent.clone(), k.clone())));
            !(at_path || at_key)
        })
    }
}

/// The files and session keys a plan changes.
struct Acted {
    paths: HashSet<String>,
    keys: HashSet<(Option<String>, String)>,
}

fn places_acted_on(plan: &Plan) -> Acted {
    let mut acted = Acted {
        paths: HashSet::new(),
        keys: HashSet::new(),
    };
    let path = |p: &std::path::Path| p.display().to_string();
    for w in &plan.indexes {
        acted.paths.insert(path(&w.path));
        for e in &w.edits {
            acted.keys.insert((Some(w.agent.clone()), e.key.clone()));
        }
    }
    for c in &plan.transcripts {
        acted.paths.insert(path(&c.path));
        acted.keys.insert((Some(c.agent.clone()), c.key.clone()));
    }
    for r in &plan.removals {
        acted.paths.insert(path(&r.path));
    }
    for e in &plan.sqlite {
        acted.paths.insert(path(&e.path));
        acted.keys.insert((e.agent.clone(), e.key.clone()));
    }
    acted
}

impl ReportSink for PersonNeeded<'_> {
    fn rows(
        &mut self,
        sessions: &[SessionReport],
        locks: &[LockReport],
        findings: &[Finding],
    ) -> std::io::Result<()> {
        self.note(findings);
        self.inner.rows(sessions, locks, findings)
    }

    fn finish(
        &mut self,
        report: &Report,
        head_findings: &[Finding],
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        self.inner.finish(report, head_findings, out)
    }
}

/// The exit of `repair --dry-run --detailed-exitcode` from the dry run's
/// own (`exit`): a plan to carry out that nothing else needs a person
/// beside is `Exit::WouldChange`; every other exit stays.
pub fn detailed(exit: Exit, person: bool, plan_empty: bool) -> Exit {
    match exit {
        Exit::Problems if !person && !plan_empty => Exit::WouldChange,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plan_alone_is_would_change() {
        assert_eq!(detailed(Exit::Problems, false, false), Exit::WouldChange);
        assert_eq!(detailed(Exit::Problems, true, false), Exit::Problems);
        assert_eq!(detailed(Exit::Problems, false, true), Exit::Problems);
        assert_eq!(detailed(Exit::Ok, false, true), Exit::Ok);
        for e in [Exit::GatewayLive, Exit::Operational, Exit::StartLosesData] {
            assert_eq!(detailed(e, false, false), e);
        }
    }
}
