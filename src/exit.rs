//! Exit codes, merged across results: the worst one wins; and the one
//! mapping from a report to its exit code (`for_report`).

use crate::analyze::{Finding, Report, Severity};

/// What a run ended with. The numeric values are part of the interface
/// (README, `--help`); never renumber them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Nothing wrong (scan), or the state was left consistent (repair).
    Ok = 0,
    /// Problems found (scan), or problems remain that need a person (repair).
    Problems = 1,
    /// Bad command line (clap's own code).
    Usage = 2,
    /// A file changed between plan and write: that file was left alone.
    Changed = 5,
    /// A gateway is live: repair changed nothing.
    GatewayLive = 4,
    /// The state could not be read or written.
    Operational = 3,
    /// repair: starting the gateway now would lose data it could not save
    /// unattended (an index the next boot would overwrite while an intact
    /// copy, or its own bytes, are the only record of its sessions). The
    /// recipes in `examples/deploy/` do not start the gateway on it.
    StartLosesData = 6,
    /// Another sessfix run held the state dir's run lock for the whole wait
    /// (`--lock-wait`): nothing was read or written.
    RunLocked = 7,
}

impl Exit {
    /// Severity order used by `merge` (not the numeric order).
    fn rank(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Problems => 1,
            Exit::Changed => 2,
            Exit::StartLosesData => 3,
            Exit::GatewayLive => 4,
            Exit::RunLocked => 5,
            Exit::Operational => 6,
            Exit::Usage => 7,
        }
    }

    /// The worse of two results.
    pub fn merge(self, other: Exit) -> Exit {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

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

/// Whether finding `f` says part of the state could not be read (exit 3).
/// Keyed on the code's `-unreadable` suffix.
pub fn unreadable(f: &Finding) -> bool {
    f.severity == Severity::Error && f.code.ends_with("-unreadable")
}

/// Whether any finding of `report` says part of the state could not be read.
pub fn could_not_read(report: &Report) -> bool {
    report.findings.iter().any(unreadable)
}

/// The exit code `report` maps to in `mode`, and whether it tells the
/// indexes a start would lose (`Report::start_loses`, exit 6; the caller
/// prints them). The one place a report becomes an exit code:
///
/// - 4 (dry run, unless forced): a gateway is live, or a liveness is unknown
///   (a real run would refuse);
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

    #[test]
    fn codes_are_stable() {
        assert_eq!(
            [
                Exit::Ok,
                Exit::Problems,
                Exit::Usage,
                Exit::Operational,
                Exit::GatewayLive,
                Exit::Changed,
                Exit::StartLosesData,
                Exit::RunLocked
            ]
            .map(Exit::code),
            [0, 1, 2, 3, 4, 5, 6, 7]
        );
    }

    #[test]
    fn merge_keeps_the_worst() {
        assert_eq!(Exit::Ok.merge(Exit::Problems), Exit::Problems);
        assert_eq!(Exit::Problems.merge(Exit::Ok), Exit::Problems);
        assert_eq!(Exit::Changed.merge(Exit::Problems), Exit::Changed);
        assert_eq!(Exit::Problems.merge(Exit::GatewayLive), Exit::GatewayLive);
        assert_eq!(
            Exit::GatewayLive.merge(Exit::Operational),
            Exit::Operational
        );
        assert_eq!(Exit::Operational.merge(Exit::Changed), Exit::Operational);
        assert_eq!(
            Exit::Problems.merge(Exit::StartLosesData),
            Exit::StartLosesData
        );
        assert_eq!(
            Exit::StartLosesData.merge(Exit::Changed),
            Exit::StartLosesData
        );
        assert_eq!(
            Exit::StartLosesData.merge(Exit::Operational),
            Exit::Operational
        );
        let all = [Exit::Problems, Exit::Ok, Exit::Changed];
        assert_eq!(all.into_iter().fold(Exit::Ok, Exit::merge), Exit::Changed);
    }

    fn report(findings: &[(&'static str, Severity)], start_loses: bool) -> Report {
        let version = crate::rules::Version::parse("2026.1.1").unwrap();
        Report {
            openclaw: crate::release::Release::known(version, "option", String::new()),
            state_dir: "/state".into(),
            now: String::new(),
            stale_ms: 0,
            gateway: crate::analyze::GatewayReport {
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
                .map(|&(code, severity)| Finding {
                    code,
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
        }
    }

    const DRY: Mode = Mode::DryRun {
        plan_empty: true,
        force: false,
    };

    #[test]
    fn a_report_maps_to_its_exit_code() {
        let clean = report(&[("release-unknown", Severity::Info)], false);
        assert_eq!(for_report(&clean, Mode::Scan), Exit::Ok);
        assert_eq!(for_report(&clean, Mode::Remaining), Exit::Ok);
        assert_eq!(for_report(&clean, DRY), Exit::Ok);
        let planned = Mode::DryRun {
            plan_empty: false,
            force: false,
        };
        assert_eq!(for_report(&clean, planned), Exit::Problems);

        let warned = report(&[("session-stranded", Severity::Warning)], false);
        assert_eq!(for_report(&warned, Mode::Scan), Exit::Problems);
        assert_eq!(for_report(&warned, Mode::Remaining), Exit::Problems);

        let unreadable = report(&[("agent-unreadable", Severity::Error)], true);
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
        let mut live = report(&[("session-stranded", Severity::Warning)], true);
        live.gateway.live = true;
        assert_eq!(for_report_telling(&live, DRY), (Exit::GatewayLive, false));
        let forced = Mode::DryRun {
            plan_empty: true,
            force: true,
        };
        assert_eq!(for_report(&live, forced), Exit::StartLosesData);
        let unknown = report(&[("lock-owner-unknown", Severity::Warning)], false);
        assert_eq!(for_report(&unknown, DRY), Exit::GatewayLive);
        assert_eq!(for_report(&unknown, Mode::Scan), Exit::Problems);
    }
}
