//! The actions findings name are commands that work when pasted, and say
//! nothing already done or that would undo a repair (issue: what an
//! operator reads and types).

mod common;
use common::*;
use serde_json::Value;

/// The fix of the first finding with `code` in a `scan --json` document.
fn fix_of(doc: &Value, code: &str) -> String {
    let f = findings_with(doc, code);
    let f = f
        .first()
        .unwrap_or_else(|| panic!("no {code} finding in {doc:#}"));
    f["fix"].as_str().unwrap().to_string()
}

/// The first `` `sessfix ...` `` command quoted in `text`, as words (the
/// tests' paths hold no space).
fn first_command(text: &str) -> Vec<String> {
    let quoted = text
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|c| c.starts_with("sessfix "))
        .unwrap_or_else(|| panic!("no sessfix command in {text:?}"));
    quoted.split(' ').skip(1).map(String::from).collect()
}

fn scan_json(mut c: assert_cmd::Command) -> Value {
    let out = c.args(["scan", "--json"]).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_action_names_the_state_dir_as_an_absolute_path_and_runs_when_pasted_elsewhere() {
    let env = Env::fixture("graceful-restart");
    // A relative --state-dir, from the env's dir.
    let mut c = env.bare();
    c.current_dir(env.dir.path()).args(["--state-dir", "state"]);
    let fix = fix_of(&scan_json(c), "session-stranded");
    let state = canonical(&env.state());
    let want = format!("`sessfix repair --state-dir {}`", state.display());
    assert!(fix.contains(&want), "{fix}");

    // Pasted in another directory, it repairs this state.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = env
        .bare()
        .current_dir(elsewhere.path())
        .args(first_command(&fix))
        .arg("--yes")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("abortedLastRun: false -> true"), "{stdout}");
    // Its own backup line names the undo that works from anywhere too.
    let undo = format!(
        "(`sessfix undo --state-dir {}` restores it)",
        state.display()
    );
    assert!(stdout.contains(&undo), "{stdout}");
}

#[test]
fn a_state_dir_with_a_space_is_quoted_for_the_shell() {
    let env = Env::fixture("graceful-restart");
    let spaced = env.dir.path().join("my state");
    std::fs::rename(env.state(), &spaced).unwrap();
    let mut c = env.bare();
    c.arg("--state-dir").arg(&spaced);
    let fix = fix_of(&scan_json(c), "session-stranded");
    // Quoted for the shell of the OS: POSIX sh, or cmd.exe on Windows.
    let want = if cfg!(windows) {
        format!("`sessfix repair --state-dir \"{}\"`", spaced.display())
    } else {
        format!("`sessfix repair --state-dir '{}'`", spaced.display())
    };
    assert!(fix.contains(&want), "{fix}");
}

#[test]
fn the_default_state_dir_needs_no_option_and_a_profile_is_named_as_such() {
    let env = Env::fixture("graceful-restart");
    let home = env.dir.path().join("home");
    copy_dir(&env.state(), &home.join(".openclaw"));
    let fix = fix_of(&scan_json(env.bare()), "session-stranded");
    assert!(
        fix.contains("`sessfix repair` sets abortedLastRun"),
        "{fix}"
    );

    std::fs::rename(home.join(".openclaw"), home.join(".openclaw-work")).unwrap();
    let mut c = env.bare();
    c.args(["--profile", "work"]);
    let fix = fix_of(&scan_json(c), "session-stranded");
    assert!(
        fix.contains("`sessfix repair --profile work` sets"),
        "{fix}"
    );

    // --agent narrows the pasted repair to what was reported.
    let mut c = env.bare();
    c.args(["--profile", "work", "--agent", "main"]);
    let fix = fix_of(&scan_json(c), "session-stranded");
    assert!(
        fix.contains("`sessfix repair --profile work --agent main` sets"),
        "{fix}"
    );
}

/// A stranded session already flagged (its transcript unreadable: here a
/// directory) is not advised the flag it has.
#[test]
fn a_flagged_session_still_stranded_is_not_told_to_set_the_flag() {
    let env = Env::fixture("graceful-restart");
    let t = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl");
    std::fs::remove_file(&t).unwrap();
    std::fs::create_dir(&t).unwrap();
    let before = fix_of(&env.scan_json().0, "session-stranded");
    assert!(before.contains("sets abortedLastRun: true"), "{before}");
    let out = env.cmd().args(["repair", "--yes"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("sets abortedLastRun"), "{stderr}");
    let after = fix_of(&env.scan_json().0, "session-stranded");
    assert!(after.contains("abortedLastRun is already true"), "{after}");
    assert!(after.contains("see transcript-unreadable"), "{after}");
    assert!(!after.contains("sets abortedLastRun"), "{after}");
}

const TEMP: &str = "sessions.json.6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b.tmp";

/// After `repair --restore-index`, the temp it restored from holds nothing
/// newer: copying it back would undo the repair, and scan does not advise it.
#[test]
fn the_copy_an_index_was_restored_from_is_not_advised_back_over_it() {
    let env = Env::fixture("zero-index-complete-tmp");
    let code = env.code(&["repair", "--restore-index", "--yes"]);
    assert!(matches!(code, Some(0 | 1)), "{code:?}");
    let (doc, _) = env.scan_json();
    let fix = fix_of(&doc, "temp-complete");
    assert!(fix.contains("Do not copy it over the index"), "{fix}");
    assert!(!fix.contains(COPY_OVER), "{fix}");

    // A temp that does hold a newer entry keeps the advice to compare and
    // copy, and says how many entries are newer.
    let temp = env.sessions("main").join(TEMP);
    let mut v: Value = serde_json::from_slice(&std::fs::read(&temp).unwrap()).unwrap();
    let first = v.as_object_mut().unwrap().values_mut().next().unwrap();
    first["updatedAt"] = Value::from(first["updatedAt"].as_f64().unwrap() + 60_000.0);
    std::fs::write(&temp, serde_json::to_vec(&v).unwrap()).unwrap();
    let (doc, _) = env.scan_json();
    let fix = fix_of(&doc, "temp-complete");
    assert!(fix.contains(COPY_OVER), "{fix}");
    let f = findings_with(&doc, "temp-complete")[0];
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("; 1 entry of it the index lacks or holds older"),
        "{message}"
    );
}

/// An error that names a sessfix command names it with the state's options.
#[test]
fn a_command_an_error_quotes_carries_the_state_options() {
    let env = Env::fixture("graceful-restart");
    assert_eq!(env.code(&["repair", "--yes"]), Some(0));
    assert_eq!(env.code(&["undo", "--yes"]), Some(0));
    let out = env.cmd().args(["undo", "--yes"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "`sessfix undo --state-dir {} --list`",
        env.state().display()
    );
    assert!(stderr.contains(&want), "{stderr}");
}

/// The lines that stop a start, and the plan's "left alone", name the
/// restore with the state's options too.
#[test]
fn the_do_not_start_line_and_the_plan_name_the_restore_to_paste() {
    let env = Env::fixture("zero-index-complete-tmp");
    let out = env.cmd().args(["repair", "--yes"]).output().unwrap();
    assert_exit(&out, 6);
    let restore = format!(
        "`sessfix repair --state-dir {} --restore-index`",
        env.state().display()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stop = stderr
        .lines()
        .find(|l| l.starts_with("sessfix: DO NOT START THE GATEWAY"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(stop.contains(&restore), "{stop}");
    let out = env.cmd().args(["repair", "--dry-run"]).output().unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    let words = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("left alone: ") && words.contains(&restore),
        "{plan}"
    );
}

/// A dry run offers only repairs made when named (never the plain run it
/// is the dry run of), and says why it exits 1 on a terminal (a script
/// reads the code).
#[test]
#[cfg(unix)] // a pseudo-terminal
fn a_dry_run_offers_named_repairs_only_and_says_why_it_exits_1() {
    let env = Env::fixture("graceful-restart");
    let later = "2026-12-04T03:00:00Z";
    let out = env.run_at(later, &["repair", "--yes"]);
    assert_exit(&out, 1);
    let out = env.run_at(later, &["repair", "--dry-run"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    let state = env.state().display().to_string();
    assert!(text.starts_with("Nothing to repair."), "{text}");
    assert!(
        text.contains(&format!(
            "  sessfix repair --state-dir {state} --max-age 3d\n"
        )),
        "{text}"
    );
    assert!(
        !text.contains(&format!("  sessfix repair --state-dir {state}\n")),
        "{text}"
    );
    assert!(out.stderr.is_empty(), "not a terminal: nothing on stderr");
    let mut c = env.std_bare();
    c.env("SESSFIX_NOW", later)
        .arg("--state-dir")
        .arg(env.state())
        .args(["repair", "--dry-run"]);
    let (code, raw) = common::pty::Pty::spawn(c, 200, None, None).finish();
    assert_eq!(code, Some(1));
    let said = common::pty::plain(&raw);
    let why =
        format!("`sessfix scan --severity warning --state-dir {state}` lists what needs a person");
    assert!(
        said.contains("sessfix: exit 1: ") && said.contains(&why),
        "{said}"
    );
}
