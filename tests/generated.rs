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
fn man_pages_are_up_to_date() {
    for (page, cmd) in sessfix::render::man::pages() {
        let mut args = vec!["man"];
        args.extend(cmd);
        check(&args, &format!("completions/{page}"));
    }
}

#[test]
fn every_page_has_its_sections_and_every_page_it_names_exists() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (page, command) in sessfix::render::man::pages() {
        let text = std::fs::read_to_string(dir.join(&page)).unwrap();
        // The environment and files are those of the commands that read a
        // state dir (and of the main page); man and completions read none.
        let reads_state = !matches!(command, Some("man" | "completions"));
        for s in [
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
            "SEE ALSO",
        ] {
            let has = text.contains(&format!(".SH \"{s}\""));
            let wanted = reads_state || !matches!(s, "ENVIRONMENT" | "FILES");
            assert_eq!(has, wanted, "{page}: {s}");
        }
        assert_eq!(text.contains("NO_COLOR"), reads_state, "{page}");
        // Every sessfix-X(1) it refers to is a page that exists.
        for (i, _) in text.match_indices("sessfix\\-") {
            let rest = &text[i + "sessfix\\-".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase())
                .collect();
            let refers =
                rest[name.len()..].starts_with("(1)") || rest[name.len()..].starts_with("\\fR(1)");
            if refers {
                assert!(
                    dir.join(format!("sessfix-{name}.1")).exists(),
                    "{page} refers to sessfix-{name}(1), which does not exist"
                );
            }
        }
    }
}

/// `sessfix <cmd> --help`.
fn help(args: &[&str]) -> String {
    let out = Command::cargo_bin("sessfix")
        .unwrap()
        .env_clear()
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn each_help_has_its_own_options_and_exit_codes_and_global_options_apart() {
    let global = |h: &str| h.split("Global options:").nth(1).unwrap_or("").to_string();
    let own = |h: &str| h.split("Global options:").next().unwrap().to_string();
    for cmd in ["scan", "repair", "undo"] {
        let h = help(&[cmd]);
        assert!(global(&h).contains("--state-dir"), "{cmd}: {h}");
        assert!(
            !own(&h).contains("--state-dir"),
            "{cmd}: globals mixed in: {h}"
        );
    }
    let repair = help(&["repair"]);
    assert!(own(&repair).contains("--dry-run"));
    assert!(repair.contains("  5  a file changed"), "{repair}");
    let scan = help(&["scan"]);
    assert!(!scan.contains("--dry-run"), "{scan}");
    assert!(!scan.contains("  4  "), "scan cannot exit 4: {scan}");
    assert!(!scan.contains("  5  "), "scan cannot exit 5: {scan}");
    let undo = help(&["undo"]);
    assert!(undo.contains("  4  a gateway is live"), "{undo}");
    assert!(undo.contains("--force"), "{undo}");
}

#[test]
fn the_example_generator_answers_help() {
    // Built by `cargo test` beside the test binaries.
    let exe = std::env::current_exe().unwrap();
    let gen = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join(format!("generate{}", std::env::consts::EXE_SUFFIX));
    let out = std::process::Command::new(&gen)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{gen:?} --help failed");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("--out DIR") && text.contains("--seed"),
        "{text}"
    );
}

/// `sessfix man --install DIR` writes every page into DIR/man1/, each the
/// page `sessfix man [COMMAND]` prints (the committed ones).
#[test]
fn man_install_writes_every_page_into_man1() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("share").join("man");
    let out = Command::cargo_bin("sessfix")
        .unwrap()
        .env_clear()
        .args(["man", "--install"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let mut pages = 0;
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".1") {
            continue;
        }
        let installed = target.join("man1").join(&name);
        assert_eq!(
            std::fs::read(&installed).unwrap(),
            std::fs::read(e.path()).unwrap(),
            "{name}"
        );
        assert!(
            listed.contains(&installed.display().to_string()),
            "{listed}"
        );
        pages += 1;
    }
    assert_eq!(pages, 6);
    assert_eq!(listed.lines().count(), pages);
    // A page and --install together are a usage error.
    let code = Command::cargo_bin("sessfix")
        .unwrap()
        .env_clear()
        .args(["man", "scan", "--install"])
        .arg(&target)
        .output()
        .unwrap()
        .status
        .code();
    assert_eq!(code, Some(2));
}

/// The roff of `sessfix man [COMMAND]` as plain words.
fn page_text(command: &[&str]) -> String {
    let out = Command::cargo_bin("sessfix")
        .unwrap()
        .env_clear()
        .arg("man")
        .args(command)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\-", "-")
        .replace("\\ ", " ")
}

/// Each page's SYNOPSIS names its own options with their values and puts
/// the global ones apart; the pages of commands that read no state dir
/// (man, completions) name none of the state's options.
#[test]
fn synopses_name_values_and_only_state_commands_take_state_options() {
    let repair = page_text(&["repair"]);
    let synopsis =
        &repair[repair.find(".SH SYNOPSIS").unwrap()..repair.find(".SH DESCRIPTION").unwrap()];
    for want in [
        "sessfix [GLOBAL OPTIONS] repair",
        "[--max-age DURATION]",
        "[--untombstone KEY]",
        "[-y|--yes]",
    ] {
        assert!(synopsis.contains(want), "{synopsis}");
    }
    assert!(!synopsis.contains("--state-dir"), "{synopsis}");
    for c in ["scan", "repair", "undo"] {
        assert!(
            page_text(&[c]).contains("--state-dir <DIR>"),
            "sessfix-{c}(1)"
        );
    }
    for c in ["man", "completions"] {
        let page = page_text(&[c]);
        for option in ["--state-dir", "--profile", "--agent", "OPENCLAW_STATE_DIR"] {
            assert!(!page.contains(option), "sessfix-{c}(1) names {option}");
        }
    }
    assert!(page_text(&["man"]).contains("sessfix man [COMMAND] [--install DIR]"));
}
