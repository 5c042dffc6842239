//! The committed completion scripts and man page must match what the clap
//! definitions generate. `SESSFIX_BLESS=1 cargo test --test generated` rewrites them.

use assert_cmd::Command;
use std::path::Path;

fn check(args: &[&str], path: &str) {
    let out = Command::cargo_bin("sessfix")
        .unwrap()
        .env_clear()
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "sessfix {args:?} failed");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("SESSFIX_BLESS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &out.stdout).unwrap();
        return;
    }
    let committed = std::fs::read(&file).unwrap_or_default();
    assert!(
        committed == out.stdout,
        "{path} is out of date; run `SESSFIX_BLESS=1 cargo test --test generated` and commit it"
    );
}

#[test]
fn completions_are_up_to_date() {
    for (shell, file) in [
        ("bash", "completions/sessfix.bash"),
        ("zsh", "completions/_sessfix"),
        ("fish", "completions/sessfix.fish"),
        ("elvish", "completions/sessfix.elv"),
        ("powershell", "completions/_sessfix.ps1"),
    ] {
        check(&["completions", shell], file);
    }
}

#[test]
fn man_page_is_up_to_date() {
    check(&["man"], "completions/sessfix.1");
}
