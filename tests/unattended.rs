//! Unattended runs: the recipes of `examples/deploy/` run as written, the
//! run lock's bounded wait, `--if-stopped`, exit 6, and `undo` from any
//! directory.
#![cfg(unix)] // the deploy recipes (examples/deploy/) are POSIX shell run by /bin/sh, and the run lock is held with flock(2)

mod common;
use common::*;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy(file: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/deploy")
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A dir of stand-ins on `PATH`: `sessfix` (the binary under test),
/// `openclaw` (records that the gateway was started, and with what) and
/// `logger` (records each alarm).
struct Stubs {
    dir: tempfile::TempDir,
}

impl Stubs {
    fn new() -> Stubs {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("sessfix"), bin.join("sessfix"))
            .unwrap();
        for (name, mark) in [("openclaw", "started"), ("logger", "alarms")] {
            let p = bin.join(name);
            let out = dir.path().join(mark);
            std::fs::write(
                &p,
                format!("#!/bin/sh\necho \"$*\" >> '{}'\n", out.display()),
            )
            .unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Stubs { dir }
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    fn started(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("started")).ok()
    }

    fn alarms(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("alarms")).ok()
    }

    /// `sh -c <script>` in `env`'s hermetic environment, with the stand-ins
    /// first on `PATH` and the state dir named as the gateway's environment
    /// names it.
    fn sh(&self, env: &Env, script: &str) -> std::process::Output {
        let base = env.std_bare();
        let mut sh = Command::new("/bin/sh");
        sh.env_clear();
        for (k, v) in base.get_envs() {
            if let Some(v) = v {
                sh.env(k, v);
            }
        }
        sh.env("PATH", format!("{}:/usr/bin:/bin", self.bin().display()))
            .env("OPENCLAW_STATE_DIR", env.state())
            .arg("-c")
            .arg(script)
            .output()
            .unwrap()
    }
}

/// The recipes' own words for the sessfix binary, the gateway and the state
/// dir, replaced by the stand-ins and the test's state dir.
fn localise(script: &str, env: &Env, stubs: &Stubs) -> String {
    script
        .replace(
            "/usr/local/bin/sessfix",
            &stubs.bin().join("sessfix").display().to_string(),
        )
        .replace(
            "/opt/homebrew/bin/openclaw",
            &stubs.bin().join("openclaw").display().to_string(),
        )
        .replace(
            "/home/openclaw/.openclaw",
            &env.state().display().to_string(),
        )
}

/// What systemd does with the drop-in: run `ExecStartPre=` as it splits it
/// (no `-` prefix: a failure stops the start) and start the gateway only when
/// it exits 0. Returns (started, the pre-start's exit code).
fn systemd(env: &Env) -> (bool, i32) {
    let text = deploy("openclaw-gateway.service.d-sessfix.conf");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("ExecStartPre="))
        .expect("the drop-in has an ExecStartPre=");
    assert!(
        !line.starts_with('-'),
        "a failing pre-start must stop the start"
    );
    let argv = shlex::split(line).expect("ExecStartPre= splits as systemd splits it");
    assert_eq!(&argv[..2], ["/bin/sh", "-c"], "{argv:?}");
    let stubs = Stubs::new();
    let out = stubs.sh(env, &localise(&argv[2], env, &stubs));
    let code = out.status.code().unwrap();
    (code == 0, code)
}

/// What launchd does with the plist: its `ProgramArguments` run as given.
fn launchd(env: &Env) -> (bool, i32) {
    let text = deploy("ai.openclaw.gateway.plist");
    let args: Vec<&str> = text
        .split("<string>")
        .skip(1)
        .map(|s| s.split("</string>").next().unwrap())
        .collect();
    // Label, then ProgramArguments.
    assert_eq!(&args[1..3], ["/bin/sh", "-c"], "{args:?}");
    let script = args[3].replace("&quot;", "\"");
    let stubs = Stubs::new();
    let out = stubs.sh(env, &localise(&script, env, &stubs));
    (stubs.started().is_some(), out.status.code().unwrap())
}

/// The container entrypoint as the image runs it.
fn entrypoint(env: &Env) -> (bool, i32) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/deploy/entrypoint.sh");
    let stubs = Stubs::new();
    let out = stubs.sh(env, &format!("exec /bin/sh '{}'", path.display()));
    (stubs.started().is_some(), out.status.code().unwrap())
}

/// The cron line as cron runs it (after the five time fields and the user);
/// returns whether it raised an alarm.
fn cron(env: &Env) -> Option<String> {
    let text = deploy("sessfix.cron");
    let line = text
        .lines()
        .find(|l| !l.starts_with('#') && !l.contains('=') && !l.trim().is_empty())
        .expect("the cron file has a job");
    let command = line.splitn(7, ' ').nth(6).unwrap();
    let stubs = Stubs::new();
    stubs.sh(env, &localise(command, env, &stubs));
    stubs.alarms()
}

#[test]
fn every_recipe_passes_the_same_options() {
    for file in [
        "openclaw-gateway.service.d-sessfix.conf",
        "ai.openclaw.gateway.plist",
        "entrypoint.sh",
        "sessfix.cron",
    ] {
        let text = deploy(file);
        for opt in ["repair --yes --quiet", "--restore-index", "--max-age 3d"] {
            assert!(text.contains(opt), "{file} does not pass {opt}");
        }
    }
    assert!(deploy("sessfix.cron").contains("--if-stopped"));
    assert!(deploy("openclaw-gateway.service.d-sessfix.conf").contains("TimeoutStartSec="));
}

#[test]
fn the_readme_quotes_the_recipes() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let dropin = deploy("openclaw-gateway.service.d-sessfix.conf");
    let cronfile = deploy("sessfix.cron");
    // Every line, comments included, as the README indents a quoted file.
    for line in dropin
        .lines()
        .chain(cronfile.lines())
        .filter(|l| !l.trim().is_empty())
    {
        assert!(
            readme.contains(&format!("\n    {line}\n")),
            "README does not quote: {line}"
        );
    }
}

#[test]
fn a_stranded_session_is_repaired_and_the_gateway_starts() {
    for run in [systemd, launchd, entrypoint] {
        let env = Env::fixture("graceful-restart");
        let (started, code) = run(&env);
        assert!(started, "exit {code}");
        assert_eq!(code, 0);
        assert_eq!(
            session(&env.scan_json().0, FEISHU)["abortedLastRun"],
            true,
            "the row is flagged for the next boot"
        );
    }
    let env = Env::fixture("graceful-restart");
    assert_eq!(cron(&env), None);
}

#[test]
fn a_person_is_needed_but_starting_is_safe() {
    // A live OpenClaw process holds a transcript lock: exit 1, start anyway.
    let env = Env::fixture("live-openclaw-lock-1min");
    assert_eq!(
        env.code(&["repair", "--yes", "--quiet", "--restore-index"]),
        Some(1)
    );
    for run in [systemd, launchd, entrypoint] {
        let env = Env::fixture("live-openclaw-lock-1min");
        let (started, code) = run(&env);
        assert!(started, "exit {code}");
    }
}

#[test]
fn an_unparseable_index_without_a_copy_stops_the_start() {
    for run in [systemd, launchd, entrypoint] {
        let env = Env::fixture("invalid-index");
        let before = std::fs::read(env.sessions("main").join("sessions.json")).unwrap();
        let (started, code) = run(&env);
        assert_eq!((started, code), (false, 6));
        assert_eq!(
            before,
            std::fs::read(env.sessions("main").join("sessions.json")).unwrap()
        );
    }
    let env = Env::fixture("invalid-index");
    assert!(cron(&env).unwrap().contains("exited 6"));
}

#[test]
fn a_lost_index_with_one_intact_copy_is_restored_and_the_gateway_starts() {
    for run in [systemd, launchd, entrypoint] {
        let env = Env::fixture("zero-index-complete-tmp");
        let (started, code) = run(&env);
        assert!(started, "exit {code}");
        let (r, _) = env.scan_json();
        assert_eq!(r["agents"][0]["store"]["state"], "valid");
    }
}

#[test]
fn a_live_gateway_stops_the_start_but_is_no_alarm_from_cron() {
    for run in [systemd, launchd, entrypoint] {
        let env = Env::fixture("graceful-restart");
        env.live_gateway(4242, 777);
        let (started, code) = run(&env);
        assert_eq!((started, code), (false, 4));
    }
    let env = Env::fixture("graceful-restart");
    env.live_gateway(4242, 777);
    let before = tree_digest(&env.state().join("agents"));
    assert_eq!(cron(&env), None, "a live gateway is no alarm");
    assert_eq!(before, tree_digest(&env.state().join("agents")));
}

#[test]
fn if_stopped_writes_nothing_while_a_gateway_is_live() {
    let env = Env::fixture("graceful-restart");
    env.live_gateway(4242, 777);
    let before = tree_digest(&env.state().join("agents"));
    let out = env
        .cmd()
        .args(["repair", "--yes", "--if-stopped"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--if-stopped"));
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet", "--if-stopped"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "quiet: nothing said");
    assert_eq!(before, tree_digest(&env.state().join("agents")));
    // Without it, the same run refuses.
    assert_eq!(env.code(&["repair", "--yes", "--quiet"]), Some(4));
}

/// Two copies of a lost index that differ and are equally new: neither is
/// restored unattended, and the start is stopped.
#[test]
fn equally_new_copies_are_not_chosen_between() {
    let env = Env::fixture("zero-index-complete-tmp");
    let dir = env.sessions("main");
    let tmp = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tmp"))
        .unwrap();
    let text = std::fs::read_to_string(&tmp).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut other = v.as_object().unwrap().clone();
    let first = other.keys().next().unwrap().clone();
    other.remove(&first);
    // A rotation backup without one entry, its newest updatedAt kept.
    let newest = |m: &serde_json::Map<String, serde_json::Value>| {
        m.values()
            .filter_map(|e| e["updatedAt"].as_f64())
            .fold(f64::MIN, f64::max)
    };
    let top = newest(v.as_object().unwrap());
    if newest(&other) != top {
        let k = other.keys().next().unwrap().clone();
        other[&k]["updatedAt"] = serde_json::json!(top as i64);
    }
    std::fs::write(
        dir.join("sessions.json.bak.1779000000000"),
        serde_json::to_string_pretty(&other).unwrap(),
    )
    .unwrap();
    let (r, _) = env.scan_json();
    let recovery = &r["agents"][0]["store"]["recovery"];
    assert_eq!(recovery["copies"].as_array().unwrap().len(), 2);
    assert!(recovery["restore"].is_null(), "{recovery}");
    let before = tree_digest(&env.state().join("agents"));
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet", "--restore-index"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DO NOT START THE GATEWAY"), "{err}");
    assert!(err.contains("neither is newer"), "{err}");
    assert_eq!(before, tree_digest(&env.state().join("agents")));
}

/// Run `c`, which must exit `code` (its stderr shown when not); its output.
fn exits(c: &mut assert_cmd::Command, code: i32) -> std::process::Output {
    let out = c.output().unwrap();
    assert_exit(&out, code);
    out
}

/// Hold the run lock of `dir` as another sessfix run would.
fn hold_run_lock(dir: &Path) -> std::fs::File {
    let f = std::fs::File::open(dir).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(
        unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    f
}

#[test]
fn a_held_run_lock_is_waited_for_then_named_with_exit_7() {
    let env = Env::fixture("graceful-restart");
    // A backup for undo to find.
    assert_eq!(env.code(&["repair", "--yes", "--quiet"]), Some(0));
    let _held = hold_run_lock(&env.state());
    let before = tree_digest(&env.state().join("agents"));
    let t = std::time::Instant::now();
    let out = env
        .cmd()
        .args(["repair", "--yes", "--lock-wait", "1s"])
        .output()
        .unwrap();
    assert!(t.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(out.status.code(), Some(7));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waiting up to 1s"), "{err}");
    assert!(err.contains("another sessfix run"), "{err}");
    #[cfg(target_os = "linux")]
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "the holder is named: {err}"
    );
    assert_eq!(before, tree_digest(&env.state().join("agents")));
    assert_eq!(env.code(&["undo", "--yes", "--lock-wait", "0s"]), Some(7));
}

#[test]
fn a_run_lock_let_go_during_the_wait_is_taken() {
    let env = Env::fixture("graceful-restart");
    let held = hold_run_lock(&env.state());
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(700));
        drop(held);
    });
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet", "--lock-wait", "20s"])
        .output()
        .unwrap();
    release.join().unwrap();
    assert_exit(&out, 0);
    assert_eq!(session(&env.scan_json().0, FEISHU)["abortedLastRun"], true);
}

#[test]
fn undo_works_from_any_directory() {
    let env = Env::fixture("graceful-restart");
    let index = env.sessions("main").join("sessions.json");
    let before = std::fs::read(&index).unwrap();
    // The repair runs inside the state dir, naming it ".".
    let out = env
        .bare()
        .current_dir(env.state())
        .args(["--state-dir", ".", "repair", "--yes", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_ne!(before, std::fs::read(&index).unwrap());
    let manifest = std::fs::read_dir(env.state().join("sessfix-backups"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("manifest.json"))
        .next()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    assert!(
        Path::new(m["stateDir"].as_str().unwrap()).is_absolute(),
        "{m}"
    );
    // Undo from elsewhere, naming the state dir another way.
    let elsewhere = tempfile::tempdir().unwrap();
    exits(
        env.bare()
            .current_dir(elsewhere.path())
            .arg("--state-dir")
            .arg(env.state())
            .args(["undo", "--yes"]),
        0,
    );
    assert_eq!(before, std::fs::read(&index).unwrap());
}

#[test]
fn an_older_manifest_with_paths_as_typed_is_undone_from_anywhere() {
    let env = Env::fixture("graceful-restart");
    let index = env.sessions("main").join("sessions.json");
    let before = std::fs::read(&index).unwrap();
    assert_eq!(env.code(&["repair", "--yes", "--quiet"]), Some(0));
    // Rewrite the manifest as sessfix did before: paths relative to the
    // directory the repair ran in, state dir ".".
    let run = std::fs::read_dir(env.state().join("sessfix-backups"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .next()
        .unwrap();
    let mp = run.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&mp).unwrap()).unwrap();
    let state = env.state().display().to_string();
    m["stateDir"] = ".".into();
    for e in m["entries"].as_array_mut().unwrap() {
        let p = e["path"].as_str().unwrap().replacen(&state, ".", 1);
        e["path"] = p.into();
    }
    std::fs::write(&mp, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    exits(
        env.cmd()
            .current_dir(elsewhere.path())
            .args(["undo", "--yes"]),
        0,
    );
    assert_eq!(before, std::fs::read(&index).unwrap());
}

#[test]
fn undo_of_a_copied_state_dir_restores_the_copy_not_the_original() {
    let env = Env::fixture("graceful-restart");
    assert_eq!(env.code(&["repair", "--yes", "--quiet"]), Some(0));
    let original = env.sessions("main").join("sessions.json");
    let repaired = std::fs::read(&original).unwrap();
    // The whole state dir copied elsewhere (a restored backup, a migration),
    // while a gateway runs on the original.
    let copy = env.dir.path().join("copy");
    copy_dir(&env.state(), &copy);
    env.live_gateway(4242, 777);
    let out = exits(
        env.bare()
            .arg("--state-dir")
            .arg(&copy)
            .args(["undo", "--yes"]),
        0,
    );
    assert_eq!(
        repaired,
        std::fs::read(&original).unwrap(),
        "the original was written"
    );
    let copied = copy.join("agents/main/sessions/sessions.json");
    assert_ne!(
        repaired,
        std::fs::read(&copied).unwrap(),
        "the copy was not undone"
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&copied.display().to_string()), "{said}");
}

/// The state as the gateway's own user keeps it, repaired once by root
/// (`sudo sessfix repair`): what root made is the user's, so the user's own
/// runs (the pre-start hook, `undo`) can still use it.
#[test]
fn backups_made_by_root_belong_to_the_state_dirs_owner() {
    use std::os::unix::fs::MetadataExt;
    const USER: u32 = 65534;
    let env = Env::fixture("graceful-restart");
    for e in walkdir::WalkDir::new(env.state()) {
        std::os::unix::fs::lchown(e.unwrap().path(), Some(USER), Some(USER)).unwrap();
    }
    assert_eq!(env.code(&["repair", "--yes", "--quiet"]), Some(0));
    let backups = env.state().join("sessfix-backups");
    for e in walkdir::WalkDir::new(&backups) {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        assert_eq!((m.uid(), m.gid()), (USER, USER), "{}", e.path().display());
    }
    // The user undoes root's repair.
    let mut undo = env.std_bare();
    undo.arg("--state-dir")
        .arg(env.state())
        .args(["undo", "--yes"]);
    run_as(&mut undo, USER);
    let out = undo.output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(session(&env.scan_json().0, FEISHU)["abortedLastRun"], false);
}

#[test]
fn a_new_state_dir_has_no_agents_yet_and_the_first_gateway_starts() {
    // A new volume, and one with only the config `openclaw onboard` wrote.
    for config in [false, true] {
        let env = Env::empty();
        if config {
            std::fs::write(env.state().join("openclaw.json"), "{}").unwrap();
        }
        let (started, code) = systemd(&env);
        assert!(started, "exit {code}");
        let (_, code) = env.scan_json();
        assert_eq!(code, 0);
    }
    // A dir that holds something else is likely not the state dir meant.
    let env = Env::empty();
    std::fs::create_dir(env.state().join("Documents")).unwrap();
    assert_eq!(systemd(&env), (false, 3));
}

#[test]
fn a_quiet_run_says_in_one_line_what_it_changed() {
    let env = Env::fixture("graceful-restart");
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("sessfix: repaired: 1 session flagged to resume")
            && lines[0].contains("sessfix-backups"),
        "{err}"
    );
    // Nothing to do: nothing said.
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_empty_index_without_a_copy_has_nothing_to_lose_and_the_gateway_starts() {
    let make = || {
        let env = Env::fixture("graceful-restart");
        std::fs::write(env.sessions("main").join("sessions.json"), "").unwrap();
        env
    };
    for run in [systemd, launchd, entrypoint] {
        let env = make();
        let (started, code) = run(&env);
        assert!(started, "exit {code}");
    }
    let env = make();
    let out = exits(
        env.cmd()
            .args(["repair", "--yes", "--quiet", "--restore-index"]),
        1,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing of it is left here to lose"), "{err}");
    assert!(!err.contains("DO NOT START"), "{err}");
}
