//! The readers through the binary: the era per agent from the agent
//! database's content, configured session stores, release facts.

mod common;

use common::{codes, session, Env};
use std::path::Path;

/// The per-agent database of a 2026.6.6 to 7.x install, with the exact schema
/// of `/work/shared/cases/agent-db-not-session-store` (auth and memory index;
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
    let out = env
        .cmd()
        .env("SESSFIX_NOW", "2026-07-07T07:25:00Z")
        .args(["scan", "--json"])
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

#[test]
fn an_agent_db_that_is_not_sqlite_is_a_problem_and_the_agent_is_left_alone() {
    let env = agent_db_case();
    let db = env.state().join("agents/main/agent/openclaw-agent.sqlite");
    std::fs::write(&db, b"this is not a database, but it is long enough to have a header ....................................").unwrap();
    let r = scan(&env);
    assert_eq!(r["agents"][0]["era"], "unknown");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "agent-unreadable")
        .unwrap_or_else(|| panic!("no agent-unreadable finding: {r:#}"));
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("not an SQLite database"),
        "{f}"
    );
    // (repair keeps its own run lock, `.sessfix.lock`, in the state dir)
    let before = common::tree_digest(&env.state().join("agents"));
    env.cmd()
        .env("SESSFIX_NOW", "2026-07-07T07:25:00Z")
        .args(["repair", "--yes"])
        .output()
        .unwrap();
    assert_eq!(
        before,
        common::tree_digest(&env.state().join("agents")),
        "repair wrote"
    );
}
