//! Exit codes, merged across results: the worst one wins. A leaf: what a
//! report's findings map to is `analyze::exit`'s.

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
    /// `repair --dry-run --detailed-exitcode` only: the plan would change
    /// files, and nothing else needs a person (without the option such a
    /// dry run exits 1).
    WouldChange = 8,
}

impl Exit {
    /// Every exit code, in numeric order (the README's table and `--help`
    /// list these).
    pub const ALL: [Exit; 9] = [
        Exit::Ok,
        Exit::Problems,
        Exit::Usage,
        Exit::Operational,
        Exit::GatewayLive,
        Exit::Changed,
        Exit::StartLosesData,
        Exit::RunLocked,
        Exit::WouldChange,
    ];

    /// Severity order used by `merge` (not the numeric order).
    fn rank(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::WouldChange => 1,
            Exit::Problems => 2,
            Exit::Changed => 3,
            Exit::StartLosesData => 4,
            Exit::GatewayLive => 5,
            Exit::RunLocked => 6,
            Exit::Operational => 7,
            Exit::Usage => 8,
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

    /// The process's exit status (0 to 8; see the variants).
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
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
                Exit::RunLocked,
                Exit::WouldChange
            ]
            .map(Exit::code),
            [0, 1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(Exit::ALL.map(Exit::code), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
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
        // A person needed outweighs a plan that would change files.
        assert_eq!(Exit::WouldChange.merge(Exit::Problems), Exit::Problems);
        assert_eq!(Exit::Ok.merge(Exit::WouldChange), Exit::WouldChange);
        let all = [Exit::Problems, Exit::Ok, Exit::Changed];
        assert_eq!(all.into_iter().fold(Exit::Ok, Exit::merge), Exit::Changed);
    }
}
