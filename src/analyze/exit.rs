//! The one mapping from a report to its exit code (`for_report`): what each
//! finding's kind does to it is the registry's (`kinds::ExitClass`), the
//! codes themselves are `crate::exit`'s.

use super::{ExitClass, Finding, Report, Severity};
use crate::exit::Exit;

/// What a report's exit code answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `scan`: were problems found (1), could part of the state not be read (3)?
    Scan,
    /// `repair --dry-run`: what a real run would end with. `plan_empty`: the
    /// plan has nothing to do; `force`: `--force` was given.
    DryRun { plan_empty: bool, force: bool },
    /// After a repair, or with nothing to repair: what remains.
    Remaining,
}

/// Whether finding `f` says part of the state could not be read (exit 3):
/// its kind's class is `ExitClass::CouldNotRead` (the registry lets such a
/// kind be an error only).
pub fn unreadable(f: &Finding) -> bool {
    f.kind.exit_class() == ExitClass::CouldNotRead
}

/// Whether any finding of `report` says part of the state could not be read.
pub fn could_not_read(report: &Report) -> bool {
    report.held_findings().any(unreadable)
}

/// The exit code `report` maps to in `mode`, and whether it tells the
/// indexes a start would lose (`Report::start_loses`, exit 6; the caller
/// prints them). The one place a report becomes an exit code:
///
/// - 4 (dry run, unless forced): a gateway is live, or a liveness is unknown
///   (`ExitClass::LivenessUnknown`: a real run would refuse);
/// - 3: part of the state could not be read (`unreadable`);
/// - 1: a warning or error finding (or, in a dry run, a plan to carry out);
/// - 6 (not in `scan`): starting the gateway now loses data, merged with
///   the above by `Exit::merge`.
pub fn for_report_telling(report: &Report, mode: Mode) -> (Exit, bool) {
    if let Mode::DryRun { force: false, .. } = mode {
        let unknown = report.gateway.liveness_unknown || !report.liveness_unknown().is_empty();
        if report.gateway.live || unknown {
            return (Exit::GatewayLive, false);
        }
    }
    if could_not_read(report) {
        // A dry run tells the indexes a start would lose even then.
        return (Exit::Operational, matches!(mode, Mode::DryRun { .. }));
    }
    let problems = report.worst().is_some_and(|s| s >= Severity::Warning);
    let found = match mode {
        Mode::DryRun { plan_empty, .. } => problems || !plan_empty,
        Mode::Scan | Mode::Remaining => problems,
    };
    let exit = if found { Exit::Problems } else { Exit::Ok };
    if mode == Mode::Scan {
        return (exit, false);
    }
    let loses = !report.start_loses.is_empty();
    (
        exit.merge(if loses {
            Exit::StartLosesData
        } else {
            Exit::Ok
        }),
        true,
    )
}

/// `for_report_telling`'s exit code alone.
pub fn for_report(report: &Report, mode: Mode) -> Exit {
    for_report_telling(report, mode).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{GatewayReport, Kind};

    fn report(findings: &[(Kind, Severity)], start_loses: bool) -> Report {
        let version = crate::rules::Version::parse("2026.1.1").unwrap();
        Report {
            openclaw: crate::release::Release::known(version, "option", String::new()),
            state_dir: "/state".into(),
            now: String::new(),
            stale_ms: 0,
            gateway: GatewayReport {
                live: false,
                liveness_unknown: false,
                pid: None,
                lock_path: None,
                evidence: None,
            },
            agents: Vec::new(),
            sessions: Vec::new(),
            locks: Vec::new(),
            findings: findings
                .iter()
                .map(|&(kind, severity)| Finding {
                    kind,
                    severity,
                    agent: None,
                    key: None,
                    path: None,
                    message: String::new(),
                    fix: String::new(),
                })
                .collect(),
            start_loses: if start_loses {
                vec![("/state/sessions.json".into(), "lost".into())]
            } else {
                Vec::new()
            },
            streamed: Default::default(),
            unsent: Vec::new(),
        }
    }

    const DRY: Mode = Mode::DryRun {
        plan_empty: true,
        force: false,
    };

    #[test]
    fn a_report_maps_to_its_exit_code() {
        let clean = report(&[(Kind::ReleaseUnknown, Severity::Info)], false);
        assert_eq!(for_report(&clean, Mode::Scan), Exit::Ok);
        assert_eq!(for_report(&clean, Mode::Remaining), Exit::Ok);
        assert_eq!(for_report(&clean, DRY), Exit::Ok);
        let planned = Mode::DryRun {
            plan_empty: false,
            force: false,
        };
        assert_eq!(for_report(&clean, planned), Exit::Problems);

        let warned = report(&[(Kind::SessionStranded, Severity::Warning)], false);
        assert_eq!(for_report(&warned, Mode::Scan), Exit::Problems);
        assert_eq!(for_report(&warned, Mode::Remaining), Exit::Problems);

        let unreadable = report(&[(Kind::AgentUnreadable, Severity::Error)], true);
        assert_eq!(for_report(&unreadable, Mode::Scan), Exit::Operational);
        assert_eq!(
            for_report_telling(&unreadable, Mode::Remaining),
            (Exit::Operational, false)
        );
        // A dry run names the indexes a start would lose even then.
        assert_eq!(
            for_report_telling(&unreadable, DRY),
            (Exit::Operational, true)
        );

        let loses = report(&[], true);
        assert_eq!(for_report(&loses, Mode::Scan), Exit::Ok);
        assert_eq!(
            for_report_telling(&loses, Mode::Remaining),
            (Exit::StartLosesData, true)
        );
    }

    #[test]
    fn a_dry_run_tells_a_real_run_would_refuse() {
        let mut live = report(&[(Kind::SessionStranded, Severity::Warning)], true);
        live.gateway.live = true;
        assert_eq!(for_report_telling(&live, DRY), (Exit::GatewayLive, false));
        let forced = Mode::DryRun {
            plan_empty: true,
            force: true,
        };
        assert_eq!(for_report(&live, forced), Exit::StartLosesData);
        let unknown = report(&[(Kind::LockOwnerUnknown, Severity::Warning)], false);
        assert_eq!(for_report(&unknown, DRY), Exit::GatewayLive);
        assert_eq!(for_report(&unknown, Mode::Scan), Exit::Problems);
    }
}
