//! The gateway's liveness as the report shows it: from the facts gathered
//! about its lock and process (`state::GatewayFacts`) to `GatewayReport`.
//! Not the SQLite-era leases (`analyze::state_db::liveness`).

use super::GatewayReport;
use crate::boot::show;
use crate::rules::{self, ProcState};
use crate::state::GatewayFacts;

pub(crate) fn argv_of(s: &ProcState) -> Option<Vec<String>> {
    match s {
        ProcState::Alive { argv, .. } => argv.clone(),
        _ => None,
    }
}

/// Whether the gateway whose singleton lock was found is live, and why.
/// Judged by the host's rules (`rules::Platform::host`).
pub fn gateway_report(g: &GatewayFacts) -> GatewayReport {
    gateway_report_on(g, rules::Platform::host())
}

/// `gateway_report` by the rules of `platform`.
pub fn gateway_report_on(g: &GatewayFacts, platform: rules::Platform) -> GatewayReport {
    use rules::GatewayOwner as O;
    let owner = g
        .proc_state
        .as_ref()
        .map(|s| rules::gateway_owner(g.payload_starttime, s, platform));
    let live = matches!(owner, Some(O::Alive | O::Unknown));
    // A lock whose pid cannot be checked, or a place a lock may be that
    // cannot be read (when no live one was found).
    let liveness_unknown = owner == Some(O::LivenessUnknown) || (!live && !g.unchecked.is_empty());
    let unchecked = || {
        g.unchecked
            .iter()
            .map(|(p, why)| format!("{} ({why})", p.display()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let evidence = g.lock_path.as_ref().map(|p| {
        let argv = g.proc_state.as_ref().and_then(argv_of).map(|a| a.join(" "));
        match (owner, g.pid) {
            (Some(O::Alive), Some(pid)) => format!(
                "singleton lock {} names pid {pid}, which is alive{}{}",
                p.display(),
                if g.payload_starttime.is_some() && platform == rules::Platform::Linux { " with the same start time" } else { "" },
                argv.map(|a| format!(" ({a})")).unwrap_or_default()
            ),
            (Some(O::Unknown), Some(pid)) => format!(
                "singleton lock {} names pid {pid}, which is alive but cannot be inspected; treated as live",
                p.display()
            ),
            (Some(O::LivenessUnknown), Some(pid)) => format!(
                "singleton lock {} names pid {pid}, whose liveness is unknown here: {}",
                p.display(),
                g.proc_state.as_ref().and_then(ProcState::unknown_why).unwrap_or("")
            ),
            (_, Some(pid)) => format!("singleton lock {} names pid {pid}, which is not a live gateway", p.display()),
            (_, None) => format!("singleton lock {} names no pid", p.display()),
        }
    });
    let evidence = match (evidence, liveness_unknown && !g.unchecked.is_empty()) {
        (Some(e), true) => Some(format!(
            "{e}; and these places a lock may be cannot be read: {}",
            unchecked()
        )),
        (None, true) => Some(format!(
            "no singleton lock found, but these places a lock may be cannot be read: {}",
            unchecked()
        )),
        (e, false) => e,
    };
    // Places that cannot be read but were shown to hold no live lock.
    let evidence = if live || liveness_unknown || g.cleared.is_empty() {
        evidence
    } else {
        let cleared = g
            .cleared
            .iter()
            .map(|(p, why)| format!("{} cannot be read ({why})", p.display()))
            .collect::<Vec<_>>()
            .join(", ");
        Some(match evidence {
            Some(e) => format!("{e}; {cleared}"),
            None => format!("no singleton lock found; {cleared}"),
        })
    };
    GatewayReport {
        live,
        liveness_unknown,
        pid: if live || liveness_unknown {
            g.pid
        } else {
            None
        },
        lock_path: g.lock_path.as_deref().map(show),
        evidence,
    }
}

/// The action of `gateway-liveness-unknown`: where the fact can be
/// established, or, with no state dir known (`--store` alone), naming it.
pub(crate) fn liveness_unknown_fix(no_state_dir: bool) -> &'static str {
    if no_state_dir {
        "name the state dir with --state-dir DIR (the dir that holds agents/, whose config names the gateway's lock); until then sessfix reads this index but writes nothing, even with --force"
    } else {
        "run sessfix where the gateway runs (same host, same container: `docker exec`), as the gateway's user or root; `sessfix repair` and `undo` refuse to write until then (--force only if you know no gateway runs)"
    }
}
