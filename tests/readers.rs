//! The readers through the binary: the era per agent from the agent
//! database's content, configured session stores, release facts.

mod common;

use common::{codes, session, Env};
use std::path::Path;

/// The per-agent database of a 2026.6.6 to 7.x install, with the exact schema
/// of the agent-db-not-session-store bug report (auth and memory index;
/// no session tables).
fn file_era_agent_db(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE memory_index_meta (key TEXT PRIMARY KEY, value TEXT);
         CREATE TABLE memory_index_sources (path TEXT PRIMARY KEY, hash TEXT, mtime INTEGER, size INTEGER);
         CREATE TABLE memory_index_chunks (id INTEGER PRIMARY KEY, path TEXT, text TEXT, embedding BLOB);
         CREATE TABLE memory_index_state (revision INTEGER);
         CREATE TABLE auth_profiles (id TEXT PRIMARY KEY, provider TEXT, data TEXT);",
    )
    .unwrap();
}

fn agent_db_case() -> Env {
    let env = Env::fixture("agent-db-not-session-store");
    file_era_agent_db(&env.state().join("agents/main/agent/openclaw-agent.sqlite"));
    env
}

fn scan(env: &Env) -> serde_json::Value {
    json_at(env, common::RELEASE, "2026-07-07T07:25:00Z", &["scan"])
}

#[test]
fn an_agent_db_without_session_tables_is_the_file_era() {
    let env = agent_db_case();
    let before = common::tree_digest(&env.state());
    let r = scan(&env);
    assert_eq!(r["agents"][0]["era"], "file");
    let s = session(&r, "agent:main:telegram:direct:7000000009");
    assert_eq!(s["status"], "running");
    assert!(!codes(&r).iter().any(|c| c == "sqlite-era"), "{r:#}");
    assert!(!codes(&r).iter().any(|c| c == "agent-unreadable"), "{r:#}");
    assert_eq!(before, common::tree_digest(&env.state()), "scan wrote");
}

#[test]
fn an_agent_db_with_session_tables_is_the_sqlite_era() {
    let env = agent_db_case();
    let db = env.state().join("agents/main/agent/openclaw-agent.sqlite");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY);")
        .unwrap();
    let r = scan(&env);
    assert_eq!(r["agents"][0]["era"], "sqlite");
    assert!(codes(&r).iter().any(|c| c == "sqlite-era"), "{r:#}");
}

fn not_sqlite_agent_db_case() -> (Env, std::path::PathBuf) {
    let env = agent_db_case();
    let db = env.state().join("agents/main/agent/openclaw-agent.sqlite");
    std::fs::write(&db, b"this is not a database, but it is long enough to have a header ....................................").unwrap();
    (env, db)
}

/// `repair --yes` at `version` and the case's clock; its exit code.
fn repair_at(env: &Env, version: &str) -> i32 {
    let out = env
        .cmd()
        .env("SESSFIX_NOW", "2026-07-07T07:25:00Z")
        .args(["--openclaw-version", version, "repair", "--yes"])
        .output()
        .unwrap();
    out.status.code().unwrap()
}

/// With a SQLite-era line predicted, an agent database that cannot be read
/// may be the agent's session store: an error, and nothing of the agent is
/// changed.
#[test]
fn an_agent_db_that_is_not_sqlite_is_a_problem_and_the_agent_is_left_alone() {
    let (env, _) = not_sqlite_agent_db_case();
    let r = json_at(&env, "2026.8.2", "2026-07-07T07:25:00Z", &["scan"]);
    assert_eq!(r["agents"][0]["era"], "unknown");
    let f = common::findings_with(&r, "agent-unreadable");
    assert_eq!(f.len(), 1, "{r:#}");
    assert_eq!(f[0]["severity"], "error");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("not an SQLite database"),
        "{}",
        f[0]
    );
    let before = common::tree_digest(&env.state().join("agents"));
    assert_eq!(repair_at(&env, "2026.8.2"), 3);
    assert_eq!(
        before,
        common::tree_digest(&env.state().join("agents")),
        "repair wrote"
    );
}

/// A release that keeps sessions in `sessions.json` (2026.5.12) never reads
/// sessions from the agent database: one that cannot be read is a warning,
/// and the store that release reads is repaired (its stranded row flagged),
/// the database left as it is.
#[test]
fn an_unreadable_agent_db_does_not_stop_the_repair_of_a_file_era_release() {
    const KEY: &str = "agent:main:telegram:direct:7000000009";
    let (env, db) = not_sqlite_agent_db_case();
    let r = json_at(&env, common::RELEASE, "2026-07-07T07:25:00Z", &["scan"]);
    assert_eq!(r["agents"][0]["era"], "file");
    assert!(!codes(&r).iter().any(|c| c == "agent-unreadable"), "{r:#}");
    let f = common::findings_with(&r, "agent-db-unreadable");
    assert_eq!(f.len(), 1, "{r:#}");
    assert_eq!(f[0]["severity"], "warning");
    assert!(
        f[0]["message"].as_str().unwrap().contains("2026.4.25"),
        "{}",
        f[0]
    );
    assert_eq!(session(&r, KEY)["nextBoot"], "stranded");
    let db_bytes = std::fs::read(&db).unwrap();
    assert_eq!(
        repair_at(&env, common::RELEASE),
        1,
        "the odd file stays a warning"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        db_bytes,
        "the database was touched"
    );
    let r = json_at(&env, common::RELEASE, "2026-07-07T07:25:00Z", &["scan"]);
    assert_eq!(session(&r, KEY)["nextBoot"], "resume");
    assert_eq!(session(&r, KEY)["abortedLastRun"], true);
}

/// The custom-session-store case with `setup.sh` applied: `session.store` is
/// the absolute path of this copy's `sessions/store.json`, or `store` with
/// `@STATE_DIR@` replaced.
fn custom_store_case(store: Option<&str>) -> Env {
    let env = Env::fixture("custom-session-store");
    let cfg = env.state().join("openclaw.json");
    let text = match store {
        Some(s) => format!("{{ session: {{ store: {s:?} }} }}"),
        None => std::fs::read_to_string(&cfg).unwrap(),
    };
    std::fs::write(
        &cfg,
        // inside a JSON5 string: a Windows path's `\` escaped
        text.replace(
            "@STATE_DIR@",
            &env.state().display().to_string().replace('\\', "\\\\"),
        ),
    )
    .unwrap();
    env
}

const CODER_MAIN: &str = "agent:coder:main";
const MAIN_FEISHU: &str = "agent:main:feishu:direct:ou_7c8d9e0f1a2b3c4d5e6f";

fn read_units(env: &Env, store: Option<&Path>) -> Vec<sessfix::state::Agent> {
    let opts = sessfix::state::ReadOptions {
        state_dir: env.state(),
        agent: None,
        store: store.map(Path::to_path_buf),
        home: Some(env.dir.path().join("home")),
        tmp_dir: env.dir.path().join("tmp"),
        config_path: None,
        keep_index: false,
        sqlite_edit_keys: Vec::new(),
        tails: None,
        state_dir_unknown: None,
    };
    let procs = sessfix::state::process::ProcFs::new(env.dir.path().join("proc"));
    let (_, units) = sessfix::state::read_each(
        &opts,
        &procs,
        |_| Vec::new(),
        |v: &mut Vec<sessfix::state::Agent>, a| v.push(a),
    )
    .unwrap();
    units
}

#[test]
fn a_shared_configured_store_is_read_and_rows_name_their_agents() {
    use sessfix::state::{stores::SHARED_STORE_ID, StoreOrigin};
    let env = custom_store_case(None);
    let units = read_units(&env, None);
    let ids: Vec<&str> = units.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["coder", "main", SHARED_STORE_ID]);
    let shared = &units[2];
    assert_eq!(
        shared.origin,
        StoreOrigin::Configured {
            setting: format!("{}/sessions/store.json", env.state().display())
        }
    );
    assert!(units[..2].iter().all(|u| u.origin == StoreOrigin::Default));
    let rows: Vec<(&str, Option<&str>)> = shared
        .sessions
        .iter()
        .map(|s| (s.key.as_str(), s.agent_id.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [(MAIN_FEISHU, Some("main")), (CODER_MAIN, Some("coder"))]
    );
    assert!(shared
        .sessions
        .iter()
        .all(|s| s.transcript.as_ref().is_some_and(|t| t.tail.is_ok())));

    // Through the binary: both rows are listed.
    let out = env
        .cmd()
        .env("SESSFIX_NOW", "2026-05-18T10:00:00Z")
        .args(["scan", "--json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(session(&r, CODER_MAIN)["status"], "running");
    assert_eq!(session(&r, MAIN_FEISHU)["status"], "running");

    // `--store` names the same index: one explicit unit.
    let units = read_units(&env, Some(&env.state().join("sessions/store.json")));
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].origin, StoreOrigin::Explicit);
    assert_eq!(units[0].sessions[1].agent_id.as_deref(), Some("coder"));
}

#[test]
fn an_agent_id_template_gives_one_unit_per_agent() {
    use sessfix::state::StoreOrigin;
    let env = custom_store_case(Some("@STATE_DIR@/stores/{agentId}/sessions.json"));
    // Split the shared store into one store per agent, transcripts beside.
    let src = env.state().join("sessions");
    let all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(src.join("store.json")).unwrap()).unwrap();
    for (agent, key) in [("main", MAIN_FEISHU), ("coder", CODER_MAIN)] {
        let dir = env.state().join("stores").join(agent);
        std::fs::create_dir_all(&dir).unwrap();
        let entry = &all[key];
        let mut one = serde_json::Map::new();
        one.insert(key.to_string(), entry.clone());
        std::fs::write(
            dir.join("sessions.json"),
            serde_json::to_string_pretty(&one).unwrap(),
        )
        .unwrap();
        let t = format!("{}.jsonl", entry["sessionId"].as_str().unwrap());
        std::fs::rename(src.join(&t), dir.join(&t)).unwrap();
    }
    std::fs::remove_dir_all(&src).unwrap();
    let units = read_units(&env, None);
    let configured: Vec<(&str, &str, Option<&str>)> = units
        .iter()
        .filter(|u| matches!(u.origin, StoreOrigin::Configured { .. }))
        .map(|u| {
            (
                u.id.as_str(),
                u.sessions[0].key.as_str(),
                u.sessions[0].agent_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        configured,
        [
            ("coder", CODER_MAIN, Some("coder")),
            ("main", MAIN_FEISHU, Some("main"))
        ]
    );
    assert!(units
        .iter()
        .filter(|u| matches!(u.origin, StoreOrigin::Configured { .. }))
        .all(|u| u.sessions[0].transcript.is_some() && u.problems.is_empty()));
}

#[test]
fn a_relative_configured_store_is_a_problem_not_a_guess() {
    let env = custom_store_case(Some("sessions/store.json"));
    let units = read_units(&env, None);
    let u = units.last().unwrap();
    assert_eq!(u.id, sessfix::state::stores::SHARED_STORE_ID);
    assert!(u.sessions.is_empty());
    assert!(
        u.problems[0].message.contains("working directory"),
        "{:?}",
        u.problems
    );
}

/// `sessfix <args> --json` at a release and a clock, parsed.
fn json_at(env: &Env, version: &str, now: &str, args: &[&str]) -> serde_json::Value {
    let out = env
        .cmd()
        .env("SESSFIX_NOW", now)
        .env("SESSFIX_OPENCLAW_VERSION", version)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn the_agent_db_case_is_repaired_on_6_5_and_left_to_the_boot_from_6_9() {
    const KEY: &str = "agent:main:telegram:direct:7000000009";
    const NOW: &str = "2026-07-07T07:25:00Z";
    let env = agent_db_case();
    let r = json_at(&env, "2026.6.5", NOW, &["scan"]);
    assert_eq!(session(&r, KEY)["nextBoot"], "stranded");
    let plan = &json_at(&env, "2026.6.5", NOW, &["repair", "--dry-run"])["plan"];
    assert_eq!(plan["indexes"][0]["edits"][0]["action"], "flag", "{plan}");
    let r = json_at(&env, "2026.6.11", NOW, &["scan"]);
    assert_eq!(session(&r, KEY)["nextBoot"], "resume");
    let plan = &json_at(&env, "2026.6.11", NOW, &["repair", "--dry-run"])["plan"];
    assert!(plan["indexes"].as_array().unwrap().is_empty(), "{plan}");
    // repaired for 6.5, the next boot resumes it
    let out = env
        .cmd()
        .env("SESSFIX_NOW", NOW)
        .args([
            "--openclaw-version",
            "2026.6.5",
            "repair",
            "--yes",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_at(&env, "2026.6.5", NOW, &["scan"]);
    assert_eq!(session(&r, KEY)["nextBoot"], "resume");
}

#[test]
fn a_configured_store_is_never_visited_by_5_12_and_is_from_5_22() {
    const NOW: &str = "2026-05-18T10:00:00Z";
    let env = custom_store_case(None);
    let store = env.state().join("sessions/store.json");
    let before = std::fs::read(&store).unwrap();
    let r = json_at(&env, "2026.5.12", NOW, &["scan"]);
    for key in [CODER_MAIN, MAIN_FEISHU] {
        let s = session(&r, key);
        assert_eq!(s["nextBoot"], "stranded", "{key}");
        assert!(s["reason"].as_str().unwrap().contains("never visit"), "{s}");
    }
    // flagging does not help on 5.12: nothing written, the person is told why
    let plan = &json_at(&env, "2026.5.12", NOW, &["repair", "--dry-run"])["plan"];
    assert!(plan["indexes"].as_array().unwrap().is_empty(), "{plan}");
    assert_eq!(plan["leftAlone"].as_array().unwrap().len(), 2, "{plan}");
    assert!(plan["leftAlone"][0].as_str().unwrap().contains("--max-age"));
    let code = env
        .cmd()
        .env("SESSFIX_NOW", NOW)
        .args(["repair", "--yes", "--quiet"])
        .output()
        .unwrap()
        .status
        .code();
    assert_eq!(code, Some(1), "a person is needed");
    assert_eq!(std::fs::read(&store).unwrap(), before);
    // 5.28 visits it: flagging makes the boot resume both
    let plan = &json_at(&env, "2026.5.28", NOW, &["repair", "--dry-run"])["plan"];
    assert_eq!(
        plan["indexes"][0]["edits"].as_array().unwrap().len(),
        2,
        "{plan}"
    );
    // 7.35 marks orphans itself, and refuses an agent missing from the config
    let r = json_at(&env, "2026.7.35", NOW, &["scan"]);
    assert_eq!(session(&r, MAIN_FEISHU)["nextBoot"], "resume");
    assert_eq!(session(&r, CODER_MAIN)["nextBoot"], "stranded");
}
