//! Reading one agent: its agent database, the files of its sessions dir,
//! its index (`sessions.json`, with the gateway's JSON5 salvage) and the
//! sessions listed in it.

use super::transcripts::attach_transcript;
use super::{
    copies, json, sqlite, Agent, AgentCtx, AgentTarget, Era, Leftover, LockFile, Problem, Session,
    StoreOrigin, StoreState, MAX_INDEX_BYTES, MAX_LOCK_BYTES,
};
use crate::fsx::{self, Identity, Kind};
use crate::rules::{self, FileKind, ProcState, SkipFields};
use rayon::prelude::*;

/// The agent database of `t`, if any: `Ok(None)` when there is no file.
fn read_agent_db(ctx: &AgentCtx, t: &AgentTarget) -> Result<Option<sqlite::AgentDb>, Problem> {
    if t.agent_dir.as_os_str().is_empty() {
        return Ok(None);
    }
    let path = t.agent_dir.join("agent").join("openclaw-agent.sqlite");
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    sqlite::read_agent_db(&path, ctx.real_state_dir, ctx.sqlite_edit_keys)
        .map(|mut db| {
            db.misplaced = db
                .owner
                .clone()
                .filter(|o| *o != t.id)
                .map(|owner| misplaced(ctx, t, &path, owner));
            Some(db)
        })
        .map_err(|message| Problem {
            message: format!(
                "{message}; sessfix cannot tell whether it is this agent's session store (OpenClaw 2026.8+) or only its auth/memory database (2026.6.5 to 2026.7.x)"
            ),
            path,
        })
}

/// The facts of an agent database at `path` in `t`'s dir that names agent
/// `owner`: the owner's own database is looked for in its agent dir beside
/// this one.
fn misplaced(
    ctx: &AgentCtx,
    t: &AgentTarget,
    path: &std::path::Path,
    owner: String,
) -> sqlite::Misplaced {
    let owner_db = t
        .agent_dir
        .with_file_name(&owner)
        .join("agent")
        .join("openclaw-agent.sqlite");
    let listed = match ctx.listed_agents {
        Some(list) => list.contains(&t.id),
        None => t.id == "main",
    };
    sqlite::Misplaced {
        copy_of_owner: sqlite::is_copy_of(path, &owner_db, &owner, ctx.real_state_dir),
        owner,
        listed,
        isolatable: listed
            && t.id != ctx.default_agent
            && Some(t.id.as_str()) != ctx.system_agent
            && !rules::RESERVED_AGENT_IDS.contains(&t.id.as_str()),
    }
}

pub(super) fn read_agent(ctx: &AgentCtx, t: &AgentTarget) -> Agent {
    let (agent_db, db_problem) = match read_agent_db(ctx, t) {
        Ok(db) => (db, None),
        Err(p) => (None, Some(p)),
    };
    let sqlite = agent_db
        .as_ref()
        .filter(|db| db.session_tables)
        .map(|db| db.path.clone());
    let era = match (&agent_db, &db_problem) {
        (_, Some(_)) => Era::Unknown,
        (Some(db), None) if db.session_tables => Era::Sqlite,
        _ => Era::File,
    };
    let mut agent = Agent {
        sqlite,
        era,
        agent_db,
        db_problem,
        ..Agent::unread(
            t.id.clone(),
            t.origin.clone(),
            t.sessions_dir.clone(),
            fsx::realpath_or_self(&t.sessions_dir),
            t.store_path.clone(),
        )
    };
    if let Some(why) = &t.refused {
        agent.store.state = StoreState::Unreadable { error: why.clone() };
        agent.problems.push(Problem {
            path: t.sessions_dir.clone(),
            message: why.clone(),
        });
        return agent;
    }
    read_dir_files(ctx, &mut agent);
    read_store(ctx, &mut agent);
    if matches!(agent.store.state, StoreState::Json5Only { .. })
        && agent.origin == StoreOrigin::Default
        && agent.id == ctx.default_agent
    {
        agent.json5_salvage = json5_salvage(ctx, &agent);
    }
    if agent.store.state == StoreState::Valid {
        let index = agent.store.bytes.as_deref();
        for l in &mut agent.leftovers {
            l.identical_to_index = l.complete && l.bytes.as_deref() == index;
        }
    }
    let (index_copies, restore) = copies::find(ctx, &agent, ctx.keep_index);
    let lost = copies::index_lost(&agent.store.state)
        && !(agent.store.state == StoreState::Missing && agent.transcript_names.is_empty());
    if lost && index_copies.is_empty() {
        agent.rebuild = copies::transcript_headers(&agent);
    }
    if agent.store.state == StoreState::Valid {
        agent.unlisted = copies::unlisted_transcripts(&agent);
    }
    agent.index_copies = index_copies;
    agent.restore = restore.map(Box::new);
    if !ctx.keep_index {
        agent.store.bytes = None;
        agent.store.doc = None;
    }
    agent
}

fn read_dir_files(ctx: &AgentCtx, agent: &mut Agent) {
    let dir = &agent.sessions_dir;
    let mut listed: Vec<_> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .follow_links(false)
        .into_iter()
        .collect();
    // walkdir's `sort_by_file_name` order (errors first, then by name),
    // with each name taken once: its sort takes both names from their
    // paths at every comparison, 4% of a scan of 500 sessions per agent.
    listed.sort_by_cached_key(|e| e.as_ref().ok().map(|e| e.file_name().to_os_string()));
    for entry in listed {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if e.io_error()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
                    && e.depth() == 0
                {
                    return;
                }
                agent.problems.push(Problem {
                    path: e.path().unwrap_or(dir).to_path_buf(),
                    message: format!("cannot list: {e}"),
                });
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path().to_path_buf();
        // What is at the path (not following a link): looked at only for
        // the files kept with it, locks and leftovers, not for transcripts.
        let kind_and_identity = || {
            let meta = std::fs::symlink_metadata(&path).ok();
            let kind = meta.as_ref().map_or(Kind::Other, fsx::kind_of);
            (kind, meta.as_ref().map(Identity::of))
        };
        match rules::classify_file_name(&name) {
            FileKind::Transcript => agent.transcript_names.push(name),
            FileKind::TranscriptLock => {
                let (kind, identity) = kind_and_identity();
                let (bytes, read_error) = match fsx::read_regular(&path, MAX_LOCK_BYTES) {
                    Ok((b, _)) => (Some(b), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                let payload = bytes
                    .as_deref()
                    .map(rules::parse_lock_payload)
                    .unwrap_or_default();
                let proc_state = payload.pid.map_or(ProcState::Dead, |p| ctx.procs.state(p));
                agent.locks.push(LockFile {
                    path,
                    name,
                    kind,
                    identity,
                    bytes,
                    payload,
                    proc_state,
                    read_error,
                });
            }
            k @ (FileKind::StoreLock | FileKind::StoreTemp) => {
                let (kind, identity) = kind_and_identity();
                // A temp file is a (partial) copy of the index: as large.
                let limit = if k == FileKind::StoreTemp {
                    MAX_INDEX_BYTES
                } else {
                    MAX_LOCK_BYTES
                };
                let bytes = fsx::read_regular(&path, limit).ok().map(|(b, _)| b);
                let (pid, created_ms) = if k == FileKind::StoreLock {
                    store_lock_payload(bytes.as_deref())
                } else {
                    (None, None)
                };
                let complete = k == FileKind::StoreTemp
                    && bytes.as_deref().is_some_and(copies::is_complete_index);
                agent.leftovers.push(Leftover {
                    identical_to_index: false,
                    complete,
                    path,
                    kind: k,
                    file_kind: kind,
                    identity,
                    bytes,
                    proc_state: pid.map(|p| ctx.procs.state(p)),
                    pid,
                    created_ms,
                });
            }
            _ => {}
        }
    }
}

/// `sessions.json.lock` of older builds: `{pid, startedAt|createdAt}`.
fn store_lock_payload(bytes: Option<&[u8]>) -> (Option<u64>, Option<i64>) {
    let Some(v) = bytes.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok()) else {
        return (None, None);
    };
    let pid = v
        .get("pid")
        .and_then(serde_json::Value::as_u64)
        .filter(|&p| p > 0);
    let created = ["createdAt", "startedAt"]
        .iter()
        .find_map(|k| match v.get(*k)? {
            serde_json::Value::String(s) => rules::parse_js_date(s),
            serde_json::Value::Number(n) => n.as_f64().map(|f| f as i64),
            _ => None,
        });
    (pid, created)
}

/// Whether the startup state migration of 2026.6.9+ (`state-migrations-*.js`,
/// `detectLegacyStateMigrations`) fires on the default agent's JSON5-only
/// index, reading it with JSON5 and writing it back as strict JSON: when a
/// legacy `<state>/sessions/` holds `sessions.json` or a transcript, or an
/// entry's `sessionFile` is a stale legacy path (`resolveStaleLegacySessionFile`:
/// resolved against `<state>/sessions/` it is missing there, and the agent's
/// sessions dir holds a file of that name whose header names the entry's
/// session). Legacy key shapes, the third trigger, are not modelled.
fn json5_salvage(ctx: &AgentCtx, agent: &Agent) -> bool {
    let legacy_dir = ctx.state_dir.join("sessions");
    let legacy_entries: Vec<String> = std::fs::read_dir(&legacy_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if rules::legacy_sessions_dir_migrates(&legacy_entries) {
        return true;
    }
    agent.sessions.iter().any(|s| {
        let (Some(file), Some(id)) = (&s.session_file, &s.session_id) else {
            return false;
        };
        let legacy = fsx::normalize(&legacy_dir.join(file));
        if !legacy.starts_with(&legacy_dir) || legacy.exists() {
            return false;
        }
        let Some(name) = legacy.file_name() else {
            return false;
        };
        let target = agent.sessions_dir.join(name);
        let Ok(f) = std::fs::File::open(&target) else {
            return false;
        };
        let mut head = Vec::with_capacity(8192);
        if std::io::Read::read_to_end(&mut std::io::Read::take(f, 8192), &mut head).is_err() {
            return false;
        }
        let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
        rules::header_names_session(first, &name.to_string_lossy(), id)
    })
}

fn read_store(ctx: &AgentCtx, agent: &mut Agent) {
    let path = agent.store.path.clone();
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            agent.store.state = StoreState::Unreadable {
                error: fsx::describe(&path, &e),
            };
            return;
        }
        Ok(m) if m.file_type().is_symlink() => {
            if !fsx::resolves_inside(&path, ctx.real_state_dir) {
                agent.store.state = StoreState::Unreadable {
                    error: "is a symbolic link that points outside the state dir; sessfix does not follow it".into(),
                };
                return;
            }
        }
        Ok(_) => {}
    }
    // Follow an in-state-dir link for reading; writes refuse links anyway.
    let real = fsx::realpath_or_self(&path);
    let (bytes, meta) = match fsx::read_regular(&real, MAX_INDEX_BYTES) {
        Ok(x) => x,
        Err(e) => {
            agent.store.state = StoreState::Unreadable {
                error: e.to_string(),
            };
            return;
        }
    };
    agent.store.identity = Some(Identity::of(&meta));
    match json::parse(&bytes) {
        Ok(json::Parsed::Object(doc)) => {
            agent.store.state = StoreState::Valid;
            agent.sessions = sessions_from_doc(&bytes, &doc);
            agent.store.doc = Some(doc);
        }
        Ok(json::Parsed::Other(kind)) => {
            agent.store.state = StoreState::Invalid {
                error: format!("the root is {}, not an object", kind.describe()),
            };
        }
        Err(strict) => {
            let lenient = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| json5::from_str::<serde_json::Value>(s).ok());
            match lenient {
                Some(serde_json::Value::Object(map)) => {
                    agent.store.state = StoreState::Json5Only {
                        error: strict.to_string(),
                    };
                    agent.sessions = sessions_from_value(&map);
                }
                _ => {
                    agent.store.state = StoreState::Invalid {
                        error: strict.to_string(),
                    };
                }
            }
        }
    }
    agent.store.bytes = Some(bytes);
    // Each session's transcript on its own: in parallel (one agent may hold
    // most of a state's sessions).
    let (real_dir, id) = (&agent.real_sessions_dir, &agent.id);
    let lock_files = !agent.locks.is_empty();
    agent.sessions.par_iter_mut().for_each(|s| {
        s.boot_key = crate::rules::boot_key(&s.key, id);
        attach_transcript(ctx, real_dir, lock_files, s);
    });
    if let (Some(doc), Some(bytes)) = (&agent.store.doc, &agent.store.bytes) {
        attach_reply_routes(bytes, doc, &mut agent.sessions);
    }
}

/// The reply route of each row whose transcript ends with a resumed turn's
/// reply (few: it is read from the index only for them).
fn attach_reply_routes(src: &[u8], doc: &json::ObjectDoc, sessions: &mut [Session]) {
    for s in sessions.iter_mut() {
        let resumed = s
            .transcript
            .as_ref()
            .and_then(|t| t.tail.as_ref().ok())
            .is_some_and(|t| t.resumed_reply.is_some());
        if !resumed {
            continue;
        }
        let member = &doc.members[s.member];
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&src[member.value_span.clone()])
        {
            s.reply_route = super::ReplyRoute::of_entry(&v).map(Box::new);
        }
    }
}

/// Read a raw field value as the types the rules need.
fn field<'a>(src: &'a [u8], fields: &[json::Field], name: &str) -> Option<&'a [u8]> {
    // The last occurrence wins, as in JSON.parse.
    fields
        .iter()
        .rev()
        .find(|f| f.key_is(src, name))
        .map(|f| &src[f.value_span()])
}

fn as_str(raw: Option<&[u8]>) -> Option<String> {
    raw.filter(|r| r.first() == Some(&b'"'))
        .and_then(json::decode_string)
}

fn as_number(raw: Option<&[u8]>) -> Option<f64> {
    let r = raw?;
    if !matches!(r.first(), Some(b'-' | b'0'..=b'9')) {
        return None;
    }
    std::str::from_utf8(r).ok()?.parse::<f64>().ok()
}

fn as_bool(raw: Option<&[u8]>) -> Option<bool> {
    match raw? {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    }
}

pub(super) fn sessions_from_doc(src: &[u8], doc: &json::ObjectDoc) -> Vec<Session> {
    let mut last_index = std::collections::HashMap::new();
    for (i, m) in doc.members.iter().enumerate() {
        last_index.insert(m.key.as_str(), i);
    }
    doc.members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let fields: &[json::Field] = m.fields.as_deref().unwrap_or(&[]);
            let f = |name| field(src, fields, name);
            let role = f("subagentRole").filter(|r| *r != b"null");
            Session {
                key: m.key.clone(),
                agent_id: rules::parse_agent_session_key(&m.key).map(|(a, _)| a),
                boot_key: String::new(),
                member: i,
                is_object: m.fields.is_some(),
                shadowed: last_index[m.key.as_str()] != i,
                session_id: as_str(f("sessionId")),
                status: as_str(f("status")),
                aborted_last_run: as_bool(f("abortedLastRun")),
                session_file: as_str(f("sessionFile")),
                skip: SkipFields {
                    spawn_depth: as_number(f("spawnDepth")),
                    subagent_role: role.map(|r| String::from_utf8_lossy(r).into_owned()),
                },
                updated_at: as_number(f("updatedAt")),
                transcript: None,
                lock_paths: Vec::new(),
                transcript_outside: false,
                reply_route: None,
            }
        })
        .collect()
}

fn sessions_from_value(map: &serde_json::Map<String, serde_json::Value>) -> Vec<Session> {
    use serde_json::Value;
    map.iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let s = |n: &str| v.get(n).and_then(Value::as_str).map(str::to_string);
            Session {
                key: k.clone(),
                agent_id: rules::parse_agent_session_key(k).map(|(a, _)| a),
                boot_key: String::new(),
                member: i,
                is_object: v.is_object(),
                shadowed: false,
                session_id: s("sessionId"),
                status: s("status"),
                aborted_last_run: v.get("abortedLastRun").and_then(Value::as_bool),
                session_file: s("sessionFile"),
                skip: SkipFields {
                    spawn_depth: v.get("spawnDepth").and_then(Value::as_f64),
                    subagent_role: v
                        .get("subagentRole")
                        .filter(|r| !r.is_null())
                        .map(|r| r.to_string()),
                },
                updated_at: v.get("updatedAt").and_then(Value::as_f64),
                transcript: None,
                lock_paths: Vec::new(),
                transcript_outside: false,
                reply_route: None,
            }
        })
        .collect()
}
