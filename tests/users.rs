//! Liveness for any user: sessfix run as the gateway's own non-root user on a
//! host where root (or another user) once ran OpenClaw. The binary really
//! runs as another uid (privileges dropped in `pre_exec`), so file
//! permissions really stop its reads; the state is chowned to that uid.
#![cfg(unix)] // runs sessfix as other uids (setuid in pre_exec) on chowned state

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The gateway's user in these tests (`nobody` on most systems).
const USER: u32 = 65534;
/// Another user with its own gateway on this host.
const OTHER: u32 = 1000;

/// `sessfix --state-dir <state> <args>` as `uid` (gid the same, no
/// supplementary groups; without root the test fails: `run_as`).
fn as_uid(env: &Env, uid: u32, args: &[&str]) -> std::process::Command {
    let mut c = env.std_bare();
    c.arg("--state-dir").arg(env.state()).args(args);
    run_as(&mut c, uid);
    c
}

fn chown_tree(root: &Path, uid: u32) {
    for e in walkdir::WalkDir::new(root) {
        let p = e.unwrap().into_path();
        std::os::unix::fs::lchown(&p, Some(uid), Some(uid)).unwrap();
    }
}

/// A dir under the run's TMPDIR as OpenClaw makes it: 0700, owned by `uid`.
fn private_dir(env: &Env, name: &str, uid: u32) -> PathBuf {
    let d = env.dir.path().join("tmp").join(name);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::lchown(&d, Some(uid), Some(uid)).unwrap();
    d
}

/// A gateway lock for this state dir (the hash name the gateway gives it)
/// in `dir`, naming `pid`.
fn lock_in(env: &Env, dir: &Path, pid: u64) -> PathBuf {
    use sha2::Digest;
    let config = env.state().join("openclaw.json");
    let hash = sha2::Sha256::digest(config.to_string_lossy().as_bytes());
    let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("gateway.{hex}.lock"));
    let payload = serde_json::json!({"pid": pid, "createdAt": "2026-11-24T02:00:00.000Z", "configPath": config, "startTime": 555});
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

/// A gateway process (`node .../openclaw.mjs gateway run`) of `uid` in the
/// run's fake /proc.
fn gateway_process(env: &Env, pid: u64, uid: u32) {
    env.process(
        pid,
        &[
            "node",
            "/usr/lib/node_modules/openclaw/openclaw.mjs",
            "gateway",
            "run",
        ],
        555,
    );
    let status = format!("Name:\tnode\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n");
    std::fs::write(
        env.dir
            .path()
            .join("proc")
            .join(pid.to_string())
            .join("status"),
        status,
    )
    .unwrap();
}

/// `graceful-restart` (one stranded row: repair sets its flag) belonging to
/// `USER`, with what root left in the temp dir when it once ran OpenClaw:
/// its lock dir `openclaw-0/` holding this state dir's lock of a gateway
/// that is gone, its log dir `openclaw/` and `openclaw-state-locks-0/`, all
/// 0700. `gateway`: root's gateway (pid 4242) is running now.
fn host_where_root_ran_openclaw(gateway: bool) -> (Env, PathBuf) {
    let env = Env::fixture("graceful-restart");
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(env.state().join("openclaw.json"), "{}").unwrap();
    if gateway {
        gateway_process(&env, 4242, 0);
    }
    chown_tree(env.dir.path(), USER);
    let root_locks = private_dir(&env, "openclaw-0", 0);
    lock_in(&env, &root_locks, 4242);
    private_dir(&env, "openclaw", 0);
    private_dir(&env, "openclaw-state-locks-0", 0);
    (env, root_locks)
}

/// `repair --yes` as `USER`: exit 4 and nothing written; what it said.
fn refused(env: &Env) -> String {
    let mut repair = as_uid(env, USER, &["repair", "--yes"]);
    let before = tree_digest(&env.state());
    let out = repair.output().unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert_eq!(before, tree_digest(&env.state()), "nothing written");
    said
}

fn flag(env: &Env) -> serde_json::Value {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.sessions("main").join("sessions.json")).unwrap())
            .unwrap();
    index[FEISHU]["abortedLastRun"].clone()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `host_where_root_ran_openclaw` without root's lock dir, where OTHER
/// wrote too (owns the agent's dir): OTHER's gateway may be this state
/// dir's.
fn other_user_wrote_here() -> Env {
    let (env, _) = host_where_root_ran_openclaw(false);
    std::fs::remove_dir_all(env.dir.path().join("tmp/openclaw-0")).unwrap();
    std::os::unix::fs::lchown(env.state().join("agents/main"), Some(OTHER), Some(OTHER)).unwrap();
    env
}

/// `refused`, saying that `place` blocked and to run sessfix as OTHER.
fn refused_naming(env: &Env, place: &Path) -> String {
    let said = refused(env);
    assert!(said.contains(&place.display().to_string()), "{said}");
    assert!(
        said.contains(&format!("as uid {OTHER} (its owner) or as root")),
        "{said}"
    );
    said
}

#[test]
fn the_gateways_own_user_repairs_past_roots_unreadable_openclaw_dirs() {
    let (env, root_locks) = host_where_root_ran_openclaw(false);
    let mut scan = as_uid(&env, USER, &["scan"]);
    let out = scan.output().unwrap();
    let said = text(&out);
    assert!(said.contains("gateway:   not running"), "{said}");
    // It says why root's lock dir, which it cannot read, does not matter.
    assert!(
        said.contains(&root_locks.display().to_string())
            && said.contains("no OpenClaw gateway process of any user is running"),
        "{said}"
    );
    assert_eq!(flag(&env), false);
    let out = as_uid(&env, USER, &["repair", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(flag(&env), true, "the stranded row is marked");
}

#[test]
fn a_live_gateway_of_root_whose_lock_dir_cannot_be_read_refuses_naming_it() {
    let (env, root_locks) = host_where_root_ran_openclaw(true);
    let said = refused(&env);
    assert!(said.contains(&root_locks.display().to_string()), "{said}");
    assert!(said.contains("pid 4242 uid 0"), "{said}");
    assert!(said.contains("run sessfix as root"), "{said}");
    // Root sees the lock itself: live.
    let out = env.cmd().args(["scan"]).output().unwrap();
    assert!(text(&out).contains("LIVE"), "{}", text(&out));
}

#[test]
fn another_users_gateway_on_another_state_dir_is_not_evidence() {
    // The host also runs OTHER's gateway, on OTHER's own state dir: its
    // lock dir cannot be read by USER, and OTHER owns nothing here.
    let (env, _) = host_where_root_ran_openclaw(false);
    std::fs::remove_dir_all(env.dir.path().join("tmp/openclaw-0")).unwrap();
    gateway_process(&env, 5151, OTHER);
    let theirs = private_dir(&env, &format!("openclaw-{OTHER}"), OTHER);
    std::fs::write(
        theirs.join("gateway.0a1b2c3d.lock"),
        r#"{"pid":5151,"configPath":"/home/other/.openclaw/openclaw.json"}"#,
    )
    .unwrap();
    let mut repair = as_uid(&env, USER, &["repair", "--yes"]);
    let out = repair.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(flag(&env), true);
}

#[test]
fn a_user_who_wrote_this_state_dir_counts_and_blocks_while_a_gateway_runs() {
    // OTHER wrote here (owns the agent's dir): its gateway may be this
    // state dir's, and its lock dir cannot be read.
    let env = other_user_wrote_here();
    gateway_process(&env, 5151, OTHER);
    let theirs = private_dir(&env, &format!("openclaw-{OTHER}"), OTHER);
    lock_in(&env, &theirs, 5151);
    refused_naming(&env, &theirs);
}

#[test]
fn another_users_gateway_does_not_keep_roots_lock_dir_open() {
    // Root's 0700 openclaw-0 (holding this state dir's lock of a gateway
    // that is gone) is still there; the only gateway running is uid 1002's,
    // which can lock only in openclaw-1002.
    let (env, root_locks) = host_where_root_ran_openclaw(false);
    gateway_process(&env, 6262, 1002);
    let mut repair = as_uid(&env, USER, &["repair", "--yes"]);
    let out = repair.output().unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert_eq!(flag(&env), true, "the stranded row is marked");
    let out = as_uid(&env, USER, &["scan"]).output().unwrap();
    let said = text(&out);
    assert!(
        said.contains(&root_locks.display().to_string())
            && said.contains("no OpenClaw gateway process of uid 0"),
        "{said}"
    );
}

/// Gateway `pid` of `uid` whose environment gives it `TMPDIR=<tmpdir>`, and
/// its root (`/proc/<pid>/root` of the fake table): a dir of its own, as a
/// systemd `PrivateTmp=` gateway sees the file system.
fn gateway_with_own_tmp(env: &Env, pid: u64, uid: u32, tmpdir: &str) -> PathBuf {
    gateway_process(env, pid, uid);
    let proc_dir = env.dir.path().join("proc").join(pid.to_string());
    std::fs::write(
        proc_dir.join("environ"),
        format!("HOME=/home/gw\0TMPDIR={tmpdir}\0"),
    )
    .unwrap();
    let tmp = proc_dir.join("root").join(tmpdir.trim_start_matches('/'));
    std::fs::create_dir_all(&tmp).unwrap();
    tmp
}

#[test]
fn a_gateway_with_its_own_temp_dir_is_seen_where_it_keeps_its_lock() {
    let env = Env::fixture("graceful-restart");
    std::fs::write(env.state().join("openclaw.json"), "{}").unwrap();
    let me = unsafe { libc::getuid() };
    // The gateway runs with another TMPDIR in its own mount namespace:
    // nothing under sessfix's TMPDIR.
    let tmp = gateway_with_own_tmp(&env, 7070, me, "/run/gw-tmp");
    let locks = tmp.join(format!("openclaw-{me}"));
    std::fs::create_dir(&locks).unwrap();
    let lock = lock_in(&env, &locks, 7070);
    let out = env.cmd().args(["scan"]).output().unwrap();
    let said = text(&out);
    assert!(said.contains("LIVE"), "{said}");
    assert!(said.contains(&lock.display().to_string()), "{said}");
    let before = tree_digest(&env.state());
    assert_eq!(env.code(&["repair", "--yes"]), Some(4));
    assert_eq!(before, tree_digest(&env.state()), "nothing written");
    // Its lock for another state dir there is not evidence.
    std::fs::remove_file(&lock).unwrap();
    std::fs::write(
        locks.join("gateway.0a1b2c3d.lock"),
        r#"{"pid":7070,"configPath":"/home/gw/.openclaw/openclaw.json","startTime":555}"#,
    )
    .unwrap();
    assert_eq!(env.code(&["repair", "--yes"]), Some(0));
    assert_eq!(flag(&env), true);
}

#[test]
fn a_gateway_whose_temp_dir_cannot_be_found_keeps_liveness_unknown() {
    // A gateway of a user who wrote here (OTHER owns the agent's dir); as
    // USER its environment cannot be read, so where it keeps its lock is
    // unknown.
    let env = other_user_wrote_here();
    gateway_with_own_tmp(&env, 7171, OTHER, "/run/gw-tmp");
    let environ = env.dir.path().join("proc/7171/environ");
    std::fs::set_permissions(&environ, std::fs::Permissions::from_mode(0o600)).unwrap();
    let said = refused_naming(&env, &environ);
    assert!(said.contains("gateway pid 7171"), "{said}");
}

#[test]
fn a_lock_dir_with_execute_only_access_has_this_state_dirs_lock_opened_by_name() {
    // OTHER wrote here and its gateway runs; its lock dir is 0711, the
    // lock in it 0644, as a umask of 022 leaves it.
    let env = other_user_wrote_here();
    gateway_process(&env, 5151, OTHER);
    let theirs = private_dir(&env, &format!("openclaw-{OTHER}"), OTHER);
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o711)).unwrap();
    let lock = lock_in(&env, &theirs, 5151);
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut scan = as_uid(&env, USER, &["scan"]);
    let said = text(&scan.output().unwrap());
    assert!(said.contains("LIVE"), "{said}");
    assert!(said.contains(&lock.display().to_string()), "{said}");
    // Without it there, the dir still counts: a lock under another
    // spelling of the config path is found only by listing it.
    std::fs::remove_file(&lock).unwrap();
    let said = refused_naming(&env, &theirs);
    assert!(said.contains("opened there by path"), "{said}");
    assert!(said.contains("chmod o+rx"), "{said}");
}

/// An index written in its own place keeps its owner and group, or is not
/// written: owned by root (group-writable for the gateway's user), or with a
/// group the gateway's user is not in, repair as that user refuses before
/// making any backup, names who can, and leaves everything as it was.
#[test]
fn an_index_whose_owner_or_group_cannot_be_kept_is_not_rewritten() {
    for (uid, gid, who) in [
        (0, USER, "run sessfix as uid 0 or as root"),
        (USER, 0, "in group 0"),
    ] {
        let env = Env::fixture("graceful-restart");
        std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        chown_tree(env.dir.path(), USER);
        let index = env.sessions("main").join("sessions.json");
        std::os::unix::fs::lchown(&index, Some(uid), Some(gid)).unwrap();
        std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o664)).unwrap();
        let before = tree_digest(&env.state());
        let out = as_uid(&env, USER, &["repair", "--yes"]).output().unwrap();
        let said = text(&out);
        assert_eq!(out.status.code(), Some(3), "{said}");
        assert!(
            said.contains("cannot be rewritten keeping its owner"),
            "{said}"
        );
        assert!(
            said.contains(who) && said.contains("nothing was changed"),
            "{said}"
        );
        assert!(!said.contains("cannot be read"), "{said}");
        assert!(
            !env.state().join("sessfix-backups").exists(),
            "no backup run left"
        );
        assert_eq!(tree_digest(&env.state()), before);
        let meta = std::fs::symlink_metadata(&index).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!((meta.uid(), meta.gid()), (uid, gid));
    }
}
