//! What the README says a person can run and will see is true.

mod common;
use common::*;
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

#[test]
fn the_first_screen_command_runs_on_the_checkout_as_it_is() {
    // `SESSFIX_NOW=... cargo run -q -- --state-dir fixtures/example/state scan`,
    // run from the checkout on the files as git left them.
    let text = readme();
    let first = text
        .lines()
        .find(|l| l.contains("cargo run -q --"))
        .expect("a first command");
    assert!(
        first.contains("--state-dir fixtures/example/state scan"),
        "{first}"
    );
    let env = Env::empty();
    let out = env
        .bare()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SESSFIX_OPENCLAW_VERSION")
        .args(["--state-dir", "fixtures/example/state", "scan"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("stranded") && stdout.contains(FEISHU),
        "{stdout}"
    );
    assert!(
        stdout.lines().last().unwrap().starts_with("Findings: "),
        "{stdout}"
    );
}

#[test]
fn the_exit_code_table_is_the_one_the_binary_documents() {
    let text = readme();
    let i = text.find("| exit | meaning |").expect("an exit code table");
    let codes: Vec<u8> = text[i..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .next()
                .unwrap()
                .trim()
                .parse::<u8>()
                .unwrap()
        })
        .collect();
    let documented: Vec<u8> = sessfix::cli::exit_codes("")
        .iter()
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(codes, documented);
    // ... and every code of `Exit`, none other; each command's are among them.
    let all: Vec<u8> = sessfix::exit::Exit::ALL
        .map(sessfix::exit::Exit::code)
        .to_vec();
    assert_eq!(documented, all);
    for cmd in ["scan", "repair", "undo"] {
        let codes = sessfix::cli::exit_codes(cmd);
        assert!(codes.iter().all(|(c, _)| all.contains(c)), "{cmd}");
    }
}

#[test]
fn the_files_the_readme_points_at_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = readme();
    // (what the README says, the file that must be there)
    for (said, file) in [
        ("schema/scan.schema.json", "schema/scan.schema.json"),
        ("schema/repair.schema.json", "schema/repair.schema.json"),
        ("schema/undo.schema.json", "schema/undo.schema.json"),
        ("cargo install --locked", "Cargo.lock"),
        ("sessfix-scan(1)", "completions/sessfix-scan.1"),
        ("sessfix(1)", "completions/sessfix.1"),
        (
            "fixtures/example/state",
            "fixtures/example/state/openclaw.json",
        ),
    ] {
        assert!(text.contains(said), "the README no longer says {said}");
        assert!(root.join(file).is_file(), "{file} is missing");
    }
}

/// sessfix(1)'s FILES and the README's "What it reads" name the same
/// files: each page entry is in the README, and each file the table names
/// is on the page.
#[test]
fn the_man_page_and_the_readme_name_the_same_files() {
    let text = readme();
    let reads = &text[text.find("## What it reads").unwrap()..];
    let reads = &reads[..reads[3..].find("\n## ").unwrap()];
    let files = sessfix::render::man::FILES;
    for (path, _) in files {
        for name in path.rsplit('/').next().unwrap().split(", ") {
            assert!(
                text.contains(name),
                "the README does not name {name} (sessfix(1) FILES)"
            );
        }
    }
    let mut checked = 0;
    for token in reads.split('`').skip(1).step_by(2) {
        let is_file = [".json", ".sqlite", ".lock", ".jsonl"]
            .iter()
            .any(|x| token.ends_with(x));
        if !is_file {
            continue;
        }
        let name = token.rsplit('/').next().unwrap();
        assert!(
            files.iter().any(|(p, _)| p.contains(name)),
            "sessfix(1) FILES does not name {token} (README, What it reads)"
        );
        checked += 1;
    }
    assert!(checked >= 6, "{checked}");
}

/// The README says how to read and install the man pages.
#[test]
fn the_readme_says_how_to_read_and_install_the_man_pages() {
    let text = readme();
    assert!(text.contains("sessfix man | man -l -"));
    assert!(text.contains("sessfix man --install"));
}

/// The README's opening names the release range sessfix predicts for: the
/// first and the last line with boot recovery, as `rules::lines::ALL` (and
/// sessfix(1)'s RELEASE LINES) have them.
#[test]
fn the_opening_names_the_release_range_of_the_rules() {
    let text = readme();
    let opening = &text[..text.find("\n## ").unwrap()];
    // The lines with boot recovery: what sessfix predicts for.
    let lines: Vec<_> = sessfix::rules::lines::ALL
        .iter()
        .filter(|l| l.boot_recovery)
        .collect();
    let first = lines.first().unwrap().name;
    let last = lines.last().unwrap().name;
    let range = format!("from {first} to {last} and later");
    let words = opening.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&range),
        "the README's opening does not say {range}"
    );
}
