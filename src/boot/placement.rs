//! An agent database in another agent's dir (SQLite era): what each line's
//! start does when a database's `schema_meta.agent_id` names another agent
//! than the dir it sits in (`LineRules::misplaced_agent_db`; measured on
//! 2026.8.1 to 2026.9.6, `db-*` cases in `oracle/sqlite.py`).

use super::sqlite::RowVerdict;
use crate::rules::lines::MisplacedDb;
use crate::rules::LineRules;
use crate::state::sqlite::Misplaced;

/// What `line`'s start does with agent `agent`'s database that names another
/// agent (`m`): `None` when it is not checked (every row then takes its own
/// verdict); otherwise the verdict every row of it takes, `Refused` (the
/// gateway does not start) or `Unavailable` (it starts and refuses this
/// agent's sessions).
pub fn verdict(line: &LineRules, agent: &str, m: &Misplaced) -> Option<RowVerdict> {
    let belongs = format!(
        "\"OpenClaw agent database ... belongs to agent {}; requested agent {agent}\"",
        m.owner
    );
    match line.misplaced_agent_db {
        MisplacedDb::NotChecked => None,
        MisplacedDb::RefusesStart => Some(RowVerdict::Refused(belongs)),
        MisplacedDb::SetsApart {
            unlisted_refuses_start,
        } => {
            if m.isolatable {
                Some(RowVerdict::Unavailable(format!(
                    "{belongs}: agent {agent} is set apart (\"Sessions remain unavailable\")"
                )))
            } else if m.listed || unlisted_refuses_start {
                Some(RowVerdict::Refused(format!(
                    "{belongs}, and agent {agent} {}",
                    if m.listed {
                        "is the default or system agent, which the gateway does not set apart"
                    } else {
                        "is not in agents.list"
                    }
                )))
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::lines::{ALL, L2026_9_4, L2026_9_5, L2026_9_6};

    fn misplaced(listed: bool, isolatable: bool) -> Misplaced {
        Misplaced {
            owner: "main".into(),
            copy_of_owner: true,
            listed,
            isolatable,
        }
    }

    /// As measured: 8.1 to 9.4 refuse every misplaced database; 9.5 and 9.6
    /// set a listed non-default agent apart and refuse the default one; an
    /// unlisted agent's is not checked by 9.5 and refuses 9.6's start.
    #[test]
    fn each_line_treats_a_database_of_another_agent_as_measured() {
        let listed = misplaced(true, true);
        let default = misplaced(true, false);
        let unlisted = misplaced(false, false);
        for line in ALL
            .iter()
            .filter(|l| super::super::sqlite::is_sqlite_line(l))
        {
            let v = |m: &Misplaced| verdict(line, "work", m);
            if line.first <= L2026_9_4.first {
                for m in [&listed, &default, &unlisted] {
                    assert!(
                        matches!(v(m), Some(RowVerdict::Refused(_))),
                        "{}",
                        line.name
                    );
                }
                continue;
            }
            assert!(
                matches!(v(&listed), Some(RowVerdict::Unavailable(_))),
                "{}",
                line.name
            );
            assert!(matches!(v(&default), Some(RowVerdict::Refused(w)) if w.contains("default")));
            let unlisted_v = v(&unlisted);
            if line.first == L2026_9_5.first {
                assert_eq!(unlisted_v, None);
            } else {
                assert_eq!(line.first, L2026_9_6.first);
                assert!(
                    matches!(unlisted_v, Some(RowVerdict::Refused(w)) if w.contains("agents.list"))
                );
            }
        }
        for line in ALL
            .iter()
            .filter(|l| !super::super::sqlite::is_sqlite_line(l))
        {
            assert_eq!(verdict(line, "work", &listed), None, "{}", line.name);
        }
    }
}
