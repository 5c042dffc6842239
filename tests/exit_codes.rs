//! Exit codes that scripts branch on: `repair --dry-run --detailed-exitcode`
//! (0 nothing to do, 1 a person is needed, 8 a plan alone), and a held run
//! lock (7, never 3) for each command.

mod common;
use common::*;
#[cfg(unix)] // the run lock is held with flock(2)
use std::os::fd::AsRawFd;

/// On every fixture, `--detailed-exitcode` says what a real run ends with:
/// 8 only where the plain dry run says 1 and `repair --yes` then leaves
/// nothing for a person (exit 0), 1 where it does leave something, and
/// every other code as the plain dry run's.
#[test]
fn a_detailed_dry_run_tells_a_plan_alone_from_a_person_needed() {
    let mut seen = std::collections::BTreeSet::new();
    for f in ALL_FIXTURES {
        let env = Env::fixture(f);
        let plain = env.code(&["repair", "--dry-run"]).unwrap();
        let detailed = env
            .code(&["repair", "--dry-run", "--detailed-exitcode"])
            .unwrap();
        let json = env
            .code(&["repair", "--dry-run", "--json", "--detailed-exitcode"])
            .unwrap();
        assert_eq!(json, detailed, "{f}: --json changes no exit");
        let before = tree_digest(&env.state().join("agents"));
        let real = env.code(&["repair", "--yes", "--quiet"]).unwrap();
        let changed = before != tree_digest(&env.state().join("agents"));
        match detailed {
            8 => {
                assert_eq!(plain, 1, "{f}");
                assert_eq!(real, 0, "{f}: exit 8 promises a real run ends with 0");
                assert!(changed, "{f}: exit 8 is a plan that changes files");
            }
            1 => assert_eq!((plain, real), (1, 1), "{f}: a person is needed"),
            0 => assert_eq!((plain, real, changed), (0, 0, false), "{f}"),
            other => assert_eq!(plain, other, "{f}"),
        }
        seen.insert(detailed);
    }
    for code in [0, 1, 8] {
        assert!(seen.contains(&code), "no fixture exits {code}: {seen:?}");
    }
}

/// A live gateway is still 4 with `--detailed-exitcode`, whatever the plan.
#[test]
fn a_detailed_dry_run_keeps_a_live_gateway_at_4() {
    let env = Env::fixture("dead-pid-lock");
    assert_eq!(
        env.code(&["repair", "--dry-run", "--detailed-exitcode"]),
        Some(8)
    );
    env.live_gateway(7100, 1000);
    assert_eq!(
        env.code(&["repair", "--dry-run", "--detailed-exitcode"]),
        Some(4)
    );
}

#[test]
fn detailed_exitcode_needs_dry_run() {
    let env = Env::fixture("dead-pid-lock");
    let before = tree_digest(&env.state().join("agents"));
    let out = env
        .cmd()
        .args(["repair", "--yes", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dry-run"));
    assert_eq!(before, tree_digest(&env.state().join("agents")));
}

/// The commands that write wait for another run's lock and end with 7 (not
/// 3, "could not read"); those that only read are not held up by it.
#[test]
#[cfg(unix)] // holds the run lock with flock(2), as sessfix takes it on Unix
fn a_held_run_lock_is_7_for_every_command_that_writes() {
    let env = Env::fixture("graceful-restart");
    // A backup for undo to find.
    assert_eq!(env.code(&["repair", "--yes", "--quiet"]), Some(0));
    let reads = [&["scan"][..], &["repair", "--dry-run"], &["scan", "--json"]];
    let free: Vec<_> = reads.iter().map(|a| env.code(a)).collect();
    let held = std::fs::File::open(env.state()).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(
        unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let before = tree_digest(&env.state());
    for args in [
        &["repair", "--yes", "--lock-wait", "0s"][..],
        &["repair", "--yes", "--quiet", "--lock-wait", "0s"],
        &["undo", "--yes", "--lock-wait", "0s"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_exit(&out, 7);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("another sessfix run"), "{args:?}: {err}");
    }
    // Reading needs no run lock.
    let while_held: Vec<_> = reads.iter().map(|a| env.code(a)).collect();
    assert_eq!(free, while_held);
    assert_eq!(before, tree_digest(&env.state()));
}
