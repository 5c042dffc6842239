//! Messages a person reads: where a missing state dir was looked for, no
//! "(s)" plurals, no word said twice in a row by sessfix itself.

mod common;
use common::*;

#[test]
fn a_missing_state_dir_lists_what_was_tried_and_suggests_state_dir() {
    let env = Env::empty();
    // HOME has none of the default state dirs.
    let out = env.bare().arg("scan").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    for tried in [
        "OPENCLAW_STATE_DIR",
        ".openclaw",
        ".clawdbot",
        ".moldbot",
        ".moltbot",
    ] {
        assert!(err.contains(tried), "does not say it tried {tried}: {err}");
    }
    assert!(err.contains("--state-dir"), "{err}");
}

/// Everything sessfix says on the fixtures, in tables and prose.
fn all_output() -> String {
    let mut all = String::new();
    for f in ALL_FIXTURES {
        let env = Env::fixture(f);
        for args in [
            &["scan"][..],
            &["repair", "--dry-run"],
            &["repair", "--yes"],
        ] {
            let out = env.cmd().env("COLUMNS", "400").args(args).output().unwrap();
            all.push_str(&String::from_utf8_lossy(&out.stdout));
            all.push_str(&String::from_utf8_lossy(&out.stderr));
        }
        // index-missing counts transcripts
        std::fs::remove_file(env.sessions("main").join("sessions.json")).ok();
        let out = env.cmd().arg("scan").output().unwrap();
        all.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    all
}

#[test]
fn plurals_are_words_and_no_word_is_said_twice_in_a_row() {
    let text = all_output();
    assert!(!text.contains("(s)"), "a \"(s)\" plural: {}", {
        let i = text.find("(s)").unwrap();
        &text[i.saturating_sub(80)..i + 3]
    });
    assert!(!text.contains(" 1 errors") && !text.contains(" 1 warnings"));
    for line in text.lines() {
        // Paths and keys repeat names by nature (sessions/sessions.json).
        for pair in line.split_whitespace().collect::<Vec<_>>().windows(2) {
            let clean = |w: &str| {
                w.trim_matches(|c: char| !c.is_ascii_alphanumeric())
                    .to_lowercase()
            };
            let (a, b) = (clean(pair[0]), clean(pair[1]));
            let prose = !pair[0].contains(['/', ':', '"']) && !pair[1].contains(['/', '"']);
            assert!(
                !prose || a.is_empty() || a != b || pair[0].ends_with(':'),
                "\"{a} {b}\" in: {line}"
            );
        }
        // A label followed by the same word: "fix: fix it".
        for (i, _) in line.match_indices(": ") {
            let before = line[..i].rsplit(' ').next().unwrap_or("").to_lowercase();
            let after = line[i + 2..].split(' ').next().unwrap_or("").to_lowercase();
            assert!(
                before.is_empty() || before.contains(['/', '"', '`']) || before != after,
                "\"{before}: {after}\" in: {line}"
            );
        }
    }
}
