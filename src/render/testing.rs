//! Scan reports built in memory for the renderers' snapshot tests: a clean
//! state, a stranded session beside a stale lock, an unparseable index with
//! an intact copy, an unknown release whose lines disagree, a SQLite-era
//! agent, and a live gateway or one whose liveness is unknown. Compiled for tests only; nothing here reads a file
//! or runs an analysis: each report is written out field by field, as
//! `scan` would have filled it at `NOW_MS`, so a snapshot changes only when a
//! renderer does.

use crate::analyze::Kind;
use crate::analyze::{
    AgentReport, CopyReport, DatabaseReport, Finding, GatewayReport, LinePrediction, LockReport,
    Recovery, Remedy, Report, SessionReport, Severity, StoreReport,
};
use crate::boot::NextBoot;
use crate::release::Release;
use crate::rules::lines::{self, LineSet, Version};
use crate::rules::StaleReason;
use crate::state::copies::CopySource;

/// 2026-11-24T03:00:00Z, in Unix ms: the clock of every report here.
pub const NOW_MS: i64 = 1_795_489_200_000;

/// The state dir every report is of.
pub const STATE: &str = "/state";

const SESSIONS: &str = "/state/agents/main/sessions";
const FEISHU: &str = "agent:main:feishu:direct:ou_63c1e2a9d3f04b1c8e7a";
const FEISHU_ID: &str = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50";

/// A finding: the one place a test report builds one.
pub fn finding(
    kind: Kind,
    severity: Severity,
    agent: Option<&str>,
    key: Option<&str>,
    path: Option<&str>,
    message: &str,
    fix: &str,
) -> Finding {
    Finding {
        kind,
        severity,
        agent: agent.map(str::to_string),
        key: key.map(str::to_string),
        path: path.map(str::to_string),
        message: message.into(),
        fix: fix.into(),
    }
}

/// The release `version`, named by `SESSFIX_OPENCLAW_VERSION`.
fn known(version: &str) -> Release {
    Release::known(
        Version::parse(version).expect("a release"),
        "env",
        "SESSFIX_OPENCLAW_VERSION".into(),
    )
}

/// The release unknown: every line with boot recovery out by `NOW_MS`
/// (written out, so a new line in the table does not change a snapshot).
fn unknown() -> Release {
    let names = [
        "2026.4.25",
        "2026.5.22",
        "2026.5.28",
        "2026.6.1",
        "2026.6.9",
        "2026.7.1",
        "2026.8.1",
        "2026.9.6",
    ];
    let set = LineSet(
        names
            .iter()
            .filter_map(|n| lines::by_name(n))
            .fold(0, |bits, l| bits | LineSet::one(l).0),
    );
    Release {
        version: None,
        source: None,
        evidence: None,
        line: None,
        lines: names.to_vec(),
        notes: vec![
            "no openclaw package found on PATH or in the usual global prefixes, and neither state/openclaw.sqlite nor openclaw.json names a release".into(),
            "predictions are given for every release line with boot recovery out by now, 2026.4.25 to 2026.9.6; pass --openclaw-version to choose one".into(),
        ],
        set,
    }
}

/// No singleton lock: no gateway.
fn no_gateway() -> GatewayReport {
    GatewayReport {
        live: false,
        liveness_unknown: false,
        pid: None,
        lock_path: None,
        evidence: None,
    }
}

/// Agent `main` with a file-era index in `state` (`valid`, `missing`, ...).
fn file_agent(state: &'static str) -> AgentReport {
    AgentReport {
        id: "main".into(),
        sessions_dir: SESSIONS.into(),
        era: "file",
        store: StoreReport {
            path: format!("{SESSIONS}/sessions.json"),
            state,
            error: None,
            recovery: None,
        },
        database: None,
        migration_input: false,
        unreadable_db_may_hold_sessions: false,
        stale_store_locks: Vec::new(),
    }
}

/// A row of agent `main`, predicted `next_boot` for `reason`.
fn session(key: &str, status: &str, next_boot: NextBoot, reason: &str) -> SessionReport {
    SessionReport {
        agent: "main".into(),
        key: key.into(),
        boot_key: None,
        session_id: Some(format!("{}-id", key.rsplit(':').next().unwrap_or(key))),
        status: Some(status.into()),
        aborted_last_run: Some(false),
        updated_at: Some((NOW_MS - 3 * 3_600_000) as f64),
        transcript: None,
        lock: None,
        next_boot,
        reason: reason.into(),
        next_boot_by_line: Vec::new(),
        restart_artifacts: 0,
        waiting_ms: None,
        remedy: Remedy::default(),
    }
}

fn report(openclaw: Release, gateway: GatewayReport, agents: Vec<AgentReport>) -> Report {
    Report {
        openclaw,
        state_dir: STATE.into(),
        now: "2026-11-24T03:00:00Z".into(),
        stale_ms: 1_800_000,
        gateway,
        agents,
        sessions: Vec::new(),
        locks: Vec::new(),
        findings: Vec::new(),
        start_loses: Vec::new(),
        streamed: Default::default(),
        unsent: Vec::new(),
    }
}

/// Nothing to say: one idle session on a known release, no lock, no finding.
pub fn clean() -> Report {
    let mut r = report(known("2026.6.1"), no_gateway(), vec![file_agent("valid")]);
    r.sessions = vec![session(
        "agent:main:main",
        "done",
        NextBoot::Idle,
        "status done: not running",
    )];
    r
}

/// The 2026.4.25 line: a session the next boot strands, one it resumes
/// after removing its stale (dead pid) lock, and an idle one.
pub fn stranded_and_stale_lock() -> Report {
    let mut r = report(known("2026.4.25"), no_gateway(), vec![file_agent("valid")]);
    let lock = format!("{SESSIONS}/{FEISHU_ID}.jsonl.lock");
    let index = format!("{SESSIONS}/sessions.json");
    let mut stranded = session(
        "agent:main:webchat:direct:u1",
        "running",
        NextBoot::Stranded,
        "running with abortedLastRun false and no transcript lock (a graceful restart): recovery never selects it",
    );
    stranded.updated_at = Some((NOW_MS - 3 * 86_400_000) as f64);
    stranded.remedy.flag = true;
    let mut resumed = session(
        FEISHU,
        "running",
        NextBoot::Resume,
        "boot cleanup removes its stale lock and marks it; the transcript ends with a resumable message",
    );
    resumed.session_id = Some(FEISHU_ID.into());
    resumed.updated_at = Some((NOW_MS - 720_000) as f64);
    resumed.transcript = Some(format!("{SESSIONS}/{FEISHU_ID}.jsonl"));
    resumed.lock = Some(lock.clone());
    resumed.waiting_ms = Some(720_000);
    let mut idle = session(
        "agent:main:main",
        "done",
        NextBoot::Idle,
        "status done: not running",
    );
    idle.aborted_last_run = None;
    r.sessions = vec![idle, resumed, stranded];
    r.locks = vec![LockReport {
        agent: "main".into(),
        path: lock.clone(),
        pid: Some(4_000_001),
        created_at: Some("2026-11-24T02:59:00.000Z".into()),
        stale: true,
        stale_reasons: vec![StaleReason::DeadPid],
        live_owner: false,
        owner_liveness_unknown: false,
        owner_argv: None,
        session: Some(FEISHU.into()),
        removed_at_boot: true,
        removable: true,
        names_next_gateway_pid: false,
    }];
    r.findings = vec![
        finding(
            Kind::SessionStranded,
            Severity::Error,
            Some("main"),
            Some("agent:main:webchat:direct:u1"),
            Some(&index),
            "agent:main:webchat:direct:u1: stays running after the next boot: running with abortedLastRun false and no transcript lock (a graceful restart): recovery never selects it",
            "`sessfix repair` sets abortedLastRun: true so the next boot resumes it",
        ),
        finding(
            Kind::LockStale,
            Severity::Warning,
            Some("main"),
            Some(FEISHU),
            Some(&lock),
            "stale transcript lock: dead-pid (its pid is not running); the next boot removes it",
            "`sessfix repair` removes it (after the index is written)",
        ),
    ];
    r
}

/// The 2026.6.1 line: agent `main`'s index is empty (unparseable), and an
/// interrupted write left a complete copy that `--restore-index` restores.
pub fn unparseable_index() -> Report {
    let index = format!("{SESSIONS}/sessions.json");
    let copy = format!("{index}.6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b.tmp");
    let mut agent = file_agent("invalid");
    agent.store.error =
        Some("unexpected end of input (the file is empty) at line 1, column 1".into());
    agent.store.recovery = Some(Recovery {
        copies: vec![CopyReport {
            path: copy.clone(),
            source: CopySource::Temp,
            modified: Some("2026-11-24T02:30:00Z".into()),
            age: Some("30m".into()),
            entries: 4,
            newest_updated_at: Some((NOW_MS - 720_000) as f64),
            transcripts_present: 4,
        }],
        restore: Some(copy.clone()),
        restored: false,
        rebuildable: Vec::new(),
        not_rebuildable: None,
    });
    let mut r = report(known("2026.6.1"), no_gateway(), vec![agent]);
    r.findings = vec![finding(
        Kind::IndexInvalid,
        Severity::Error,
        Some("main"),
        None,
        Some(&index),
        "the index cannot be parsed (unexpected end of input (the file is empty) at line 1, column 1). The gateway loads it as empty and its next write replaces it",
        &format!("an intact copy exists: {copy} (temp file of an interrupted write, modified 30m ago; 4 entries). Before the gateway starts, run `sessfix repair --dry-run --restore-index` to see the restore, then `sessfix repair --restore-index`"),
    )];
    r
}

/// The release unknown, and the lines disagree on a row: each line's
/// prediction (`nextBootByLine`), and findings that name their lines.
pub fn unknown_release_lines_disagree() -> Report {
    let mut r = report(unknown(), no_gateway(), vec![file_agent("valid")]);
    let index = format!("{SESSIONS}/sessions.json");
    let transcript = format!("{SESSIONS}/{FEISHU_ID}.jsonl");
    let fail = "abortedLastRun is true; transcript tail is not resumable (last message is assistant): recovery marks it failed";
    let mut row = session(
        FEISHU,
        "running",
        NextBoot::Unknown,
        "depends on the OpenClaw release line (2026.4.25 to 2026.7.1: fail; 2026.9.6: resume); pass --openclaw-version",
    );
    row.session_id = Some(FEISHU_ID.into());
    row.aborted_last_run = Some(true);
    row.updated_at = Some((NOW_MS - 720_000) as f64);
    row.transcript = Some(transcript.clone());
    row.next_boot_by_line = ["2026.4.25", "2026.5.22", "2026.7.1"]
        .into_iter()
        .map(|line| LinePrediction {
            line,
            next_boot: NextBoot::Fail,
            reason: fail.into(),
        })
        .chain([LinePrediction {
            line: "2026.9.6",
            next_boot: NextBoot::Resume,
            reason: "imported into SQLite at the next start; then running: the boot marks it interrupted and resumes the turn; nothing to repair".into(),
        }])
        .collect();
    r.sessions = vec![row];
    r.findings = vec![
        finding(
            Kind::TailUnresumable,
            Severity::Warning,
            Some("main"),
            Some(FEISHU),
            Some(&transcript),
            &format!("on OpenClaw 2026.4.25, 2026.5.22, 2026.7.1 lines: {FEISHU}: the next boot marks it failed: {fail}"),
            "nothing to repair: the turn cannot be resumed; the user must send the message again",
        ),
        finding(
            Kind::StoreUnmigrated,
            Severity::Warning,
            Some("main"),
            None,
            Some(&index),
            "on OpenClaw 2026.8.1 line (2026.8.1 to before 2026.9.6): the gateway does not start while this file-era index is not imported (\"Legacy session store requires migration\"), even an empty one; it is the only copy of its 1 session",
            "with the gateway stopped, run `openclaw doctor --session-sqlite import --session-sqlite-all-agents`",
        ),
        finding(
            Kind::ReleaseUnknown,
            Severity::Info,
            None,
            None,
            None,
            "the OpenClaw release the next boot runs is not known: no openclaw package found on PATH or in the usual global prefixes, and neither state/openclaw.sqlite nor openclaw.json names a release",
            "pass --openclaw-version VERSION (or set SESSFIX_OPENCLAW_VERSION)",
        ),
    ];
    r
}

/// The 2026.9.6 line, installed: agent `main` keeps its sessions in SQLite
/// (no `sessions.json` left), one row tombstoned, a dead lease.
pub fn sqlite_agent() -> Report {
    let mut release = known("2026.9.6");
    release.source = Some("installed");
    release.evidence = Some("/usr/lib/node_modules/openclaw".into());
    let db = "/state/agents/main/agent/openclaw-agent.sqlite";
    let mut agent = file_agent("missing");
    agent.era = "sqlite";
    agent.migration_input = true;
    agent.database = Some(DatabaseReport {
        path: db.into(),
        schema_version: 23,
        schema_release: Some("2026.9.6"),
        app_version: Some("2026.9.6".into()),
        sessions: 1,
    });
    let mut r = report(release, no_gateway(), vec![agent]);
    let mut row = session(
        "agent:main:feishu:direct:ou_live",
        "failed",
        NextBoot::Rejected,
        "tombstoned by restart recovery: every turn is rejected until /new or /reset (or `repair --untombstone`)",
    );
    row.session_id = Some("ca7c7b30-140f-40d1-ac36-51bae5a33ed0".into());
    r.sessions = vec![row];
    r.findings = vec![
        finding(
            Kind::SqliteTombstoned,
            Severity::Warning,
            Some("main"),
            Some("agent:main:feishu:direct:ou_live"),
            Some(db),
            "every turn on agent:main:feishu:direct:ou_live is rejected (\"ended during restart recovery. Use /new or /reset\"): restart recovery tombstoned it (3 attempts charged, 0 started)",
            "`sessfix repair --untombstone agent:main:feishu:direct:ou_live` keeps the session and its history",
        ),
        finding(
            Kind::SqliteLeaseDead,
            Severity::Info,
            None,
            None,
            Some("/state/state/openclaw.sqlite"),
            "lease gateway-owner/global is held by pid 5723, which is not alive; it holds until 2026-11-30T09:54:43Z",
            "nothing required: the next boot takes it over (`sessfix repair --clear-dead-leases` removes it)",
        ),
    ];
    r
}

/// A gateway whose singleton lock names a live pid (`unknown` false), or a
/// pid whose liveness cannot be established here (`unknown` true).
pub fn gateway(unknown: bool) -> Report {
    let lock = "/tmp/openclaw-1000/gateway.e9db8a35.lock";
    let (evidence, code, message, fix) = if unknown {
        (
            format!("singleton lock {lock} names pid 5723, whose liveness is unknown here"),
            Kind::GatewayLivenessUnknown,
            "whether a gateway is running on this state dir cannot be established here",
            "run sessfix where the gateway runs (same host, same container: `docker exec`), as the gateway's user or root",
        )
    } else {
        (
            format!("singleton lock {lock} names pid 5723, which is alive (openclaw gateway)"),
            Kind::GatewayLive,
            "a gateway is running on this state dir",
            "stop the gateway before `sessfix repair` (it refuses to write while a gateway is live); predictions assume its next boot",
        )
    };
    let gateway = GatewayReport {
        live: !unknown,
        liveness_unknown: unknown,
        pid: Some(5723),
        lock_path: Some(lock.into()),
        evidence: Some(evidence.clone()),
    };
    let mut r = report(known("2026.7.1"), gateway, vec![file_agent("valid")]);
    r.findings = vec![finding(
        code,
        Severity::Error,
        None,
        None,
        Some(lock),
        &format!("{message}: {evidence}"),
        fix,
    )];
    r
}

/// Every report above.
pub fn all() -> Vec<Report> {
    vec![
        clean(),
        stranded_and_stale_lock(),
        unparseable_index(),
        unknown_release_lines_disagree(),
        sqlite_agent(),
        gateway(false),
        gateway(true),
    ]
}

/// `n` sessions over four agents on an unknown release (each row with
/// every line's prediction), a lock and findings of each severity per agent
/// beside the release's own finding: a report far past what a
/// `fsx::spill::Spill` holds in memory.
pub fn many_sessions(n: usize) -> Report {
    let ids = ["a1", "a2", "a3", "a4"];
    let agents = ids
        .iter()
        .map(|id| AgentReport {
            id: (*id).into(),
            sessions_dir: format!("/state/agents/{id}/sessions"),
            ..file_agent("valid")
        })
        .collect();
    let mut r = report(unknown(), no_gateway(), agents);
    let release = finding(
        Kind::ReleaseUnknown,
        Severity::Info,
        None,
        None,
        None,
        "the OpenClaw release the next boot runs is not known",
        "pass --openclaw-version VERSION",
    );
    let mut findings = vec![release];
    for (a, id) in ids.iter().enumerate() {
        for i in 0..n / ids.len() {
            let key = format!("agent:{id}:telegram:direct:{i}");
            let boot = [NextBoot::Idle, NextBoot::Unknown, NextBoot::Resume][(i + a) % 3];
            let mut s = session(
                &key,
                "running",
                boot,
                "running with abortedLastRun true and a resumable last message",
            );
            s.agent = (*id).into();
            if boot == NextBoot::Unknown {
                s.next_boot_by_line = r
                    .openclaw
                    .lines
                    .iter()
                    .map(|&line| LinePrediction {
                        line,
                        next_boot: NextBoot::Stranded,
                        reason: format!("{line} never selects {key}: a graceful restart"),
                    })
                    .collect();
            }
            r.sessions.push(s);
            if i % 50 == 0 {
                let sev = [Severity::Error, Severity::Warning, Severity::Info][i % 3];
                findings.push(finding(
                    Kind::SessionStranded,
                    sev,
                    Some(id),
                    Some(&key),
                    None,
                    &format!("{key}: stays running"),
                    "`sessfix repair` sets abortedLastRun: true",
                ));
            }
        }
        r.locks.push(LockReport {
            agent: (*id).into(),
            path: format!("/state/agents/{id}/sessions/x.jsonl.lock"),
            pid: Some(4_000_001),
            created_at: None,
            stale: true,
            stale_reasons: vec![StaleReason::DeadPid],
            live_owner: false,
            owner_liveness_unknown: false,
            owner_argv: None,
            session: None,
            removed_at_boot: true,
            removable: true,
            names_next_gateway_pid: false,
        });
    }
    // As `Analysis::finish` orders them.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    r.findings = findings;
    r
}

/// `report` as a streamed scan gives it to a `ReportSink`: its head (the
/// report with no sessions or locks, and only the findings of no agent),
/// each agent's rows in the order of `report.agents` (as `Analysis::
/// take_rows` gives them), and the report a scan that held them all would
/// have made of the same (its findings in the order `Analysis::finish`
/// gives: by severity, the head's then each agent's).
pub fn streamed(report: &Report) -> (Report, Vec<crate::analyze::Rows>, Report) {
    let mut head = report.clone();
    head.sessions.clear();
    head.locks.clear();
    head.findings.retain(|f| f.agent.is_none());
    let parts: Vec<crate::analyze::Rows> = report
        .agents
        .iter()
        .map(|a| {
            let of = |agent: &String| *agent == a.id;
            crate::analyze::Rows {
                sessions: report
                    .sessions
                    .iter()
                    .filter(|s| of(&s.agent))
                    .cloned()
                    .collect(),
                locks: report
                    .locks
                    .iter()
                    .filter(|l| of(&l.agent))
                    .cloned()
                    .collect(),
                findings: report
                    .findings
                    .iter()
                    .filter(|f| f.agent.as_ref().is_some_and(of))
                    .cloned()
                    .collect(),
            }
        })
        .collect();
    let mut expected = head.clone();
    for p in &parts {
        expected.sessions.extend(p.sessions.iter().cloned());
        expected.locks.extend(p.locks.iter().cloned());
        expected.findings.extend(p.findings.iter().cloned());
    }
    expected
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    (head, parts, expected)
}
