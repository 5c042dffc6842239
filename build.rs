//! The build's commit for `sessfix --version`: `SESSFIX_BUILD_INFO` is
//! ` (<short hash> <commit date>)` when built from a git checkout of this
//! package, and empty otherwise (a crates tarball, no git installed): the
//! build never needs git.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `git ARGS` run in `dir`: its trimmed stdout, if it ran and succeeded.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SESSFIX_BUILD_INFO");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    // Only this package's own checkout: a tarball unpacked inside another
    // repository must not take that repository's commit.
    let own = git(&dir, &["rev-parse", "--show-toplevel"])
        .and_then(|top| std::fs::canonicalize(top).ok())
        .zip(std::fs::canonicalize(&dir).ok())
        .is_some_and(|(top, dir)| top == dir);
    let info = own
        .then(|| git(&dir, &["log", "-1", "--format=%h %cd", "--date=short"]))
        .flatten();
    if own {
        // A new commit or a checkout changes HEAD or the ref it names.
        let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
        watched.extend(git(&dir, &["symbolic-ref", "-q", "HEAD"]));
        for name in watched {
            if let Some(p) = git(&dir, &["rev-parse", "--git-path", &name]) {
                println!("cargo:rerun-if-changed={}", dir.join(p).display());
            }
        }
    }
    let suffix = info.map(|i| format!(" ({i})")).unwrap_or_default();
    println!("cargo:rustc-env=SESSFIX_BUILD_INFO={suffix}");
}
