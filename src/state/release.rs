//! Which OpenClaw release is installed and which last ran, as facts read
//! offline (no command is run, nothing is guessed). Choosing the release the
//! rules should assume from these facts is done elsewhere.
//!
//! Sources (`openclaw-versions.md` §6):
//! * the npm package `openclaw` the next `openclaw` command would run: found
//!   through `PATH` and the usual global npm prefixes;
//! * `openclaw.json` `meta.lastTouchedVersion` (written by config writes:
//!   onboarding, `models auth`, `config set`; a plain boot does not, so it can
//!   lag behind an upgrade);
//! * `<state>/state/openclaw.sqlite` `schema_meta` row `startup-migrations`,
//!   column `app_version` (written by gateway boots from 2026.7.1-2; 2026.6.11
//!   did not).

use super::config::Config;
use super::discover::Env;
use super::{sqlite, Problem};
use crate::fsx;
use std::path::{Path, PathBuf};

/// The largest `package.json` or `build-info.json` read.
const MAX_META_BYTES: u64 = 1 << 20;

/// What is known of the installed and last-run OpenClaw releases.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFacts {
    /// Installed `openclaw` packages, first those `openclaw` on `PATH`
    /// resolves to (in `PATH` order), then those in global prefixes (in the
    /// order of `npm_prefixes`); one per real package dir.
    pub installed: Vec<InstalledRelease>,
    /// `meta.lastTouchedVersion` of the config, when it is a string.
    pub config_touched: Option<String>,
    /// The version in `<state>/state/openclaw.sqlite`, `schema_meta` row
    /// `meta_key = 'startup-migrations'`, column `app_version`: its first line
    /// (2026.9.6 stores `version\n3\n<ISO time>\n<hashes>` there), trimmed.
    pub state_db: Option<String>,
    /// Sources that exist but could not be read (the file and what is
    /// wrong). Never fatal.
    pub problems: Vec<Problem>,
}

/// One installed npm package `openclaw`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledRelease {
    /// `package.json` `version`.
    pub version: String,
    /// The package dir (`.../node_modules/openclaw`), with symlinks resolved.
    pub package_dir: PathBuf,
    /// How it was found: `PATH: <the openclaw on PATH>` or
    /// `prefix: <the prefix>` (with `(SESSFIX_NPM_PREFIXES)` when the prefix
    /// came from that override).
    pub found_via: String,
    /// `dist/build-info.json`, when present and readable.
    pub build: Option<BuildInfo>,
}

/// `dist/build-info.json` of the package: `{version, commit, builtAt}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildInfo {
    pub version: Option<String>,
    pub commit: Option<String>,
    pub built_at: Option<String>,
}

/// Read every release fact. `env` supplies `PATH`, `HOME` and the npm
/// variables; nothing else of the machine's environment is consulted.
pub fn read(state_dir: &Path, config: &Config, env: &Env) -> ReleaseFacts {
    let mut facts = ReleaseFacts {
        config_touched: config
            .get_str("meta.lastTouchedVersion")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        ..Default::default()
    };
    installed(env, &mut facts);
    facts.state_db = state_db_version(state_dir, &mut facts.problems);
    facts
}

/// The global prefixes to search, each with how it was chosen. With
/// `SESSFIX_NPM_PREFIXES` set (a `PATH`-style list), only those. Otherwise:
/// `$NPM_CONFIG_PREFIX`, `/usr/local`, `/usr`, `/opt/homebrew`,
/// `~/.npm-global`, `~/.local`, every `$NVM_DIR/versions/node/*` (default
/// `~/.nvm`), `$VOLTA_HOME/tools/image/packages/openclaw` (default `~/.volta`),
/// every `$PNPM_HOME/global/*` (default `~/.local/share/pnpm` and
/// `~/Library/pnpm`), and `%APPDATA%\npm`.
pub fn npm_prefixes(env: &Env) -> Vec<(PathBuf, String)> {
    if let Some(list) = env.npm_prefixes_override.as_deref() {
        return std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| (p, "SESSFIX_NPM_PREFIXES".to_string()))
            .collect();
    }
    let home = env.home.as_deref().map(PathBuf::from);
    let mut out: Vec<(PathBuf, String)> = Vec::new();
    let mut push = |p: PathBuf, why: &str| out.push((p, why.to_string()));
    if let Some(p) = &env.npm_config_prefix {
        push(PathBuf::from(p), "NPM_CONFIG_PREFIX");
    }
    for p in ["/usr/local", "/usr", "/opt/homebrew"] {
        push(PathBuf::from(p), "default prefix");
    }
    if let Some(h) = &home {
        push(h.join(".npm-global"), "default prefix");
        push(h.join(".local"), "default prefix");
    }
    let nvm = env
        .nvm_dir
        .as_deref()
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".nvm")));
    if let Some(nvm) = nvm {
        for p in sorted_children(&nvm.join("versions").join("node")) {
            push(p, "nvm");
        }
    }
    let volta = env
        .volta_home
        .as_deref()
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".volta")));
    if let Some(v) = volta {
        push(
            v.join("tools")
                .join("image")
                .join("packages")
                .join("openclaw"),
            "volta",
        );
    }
    let mut pnpm_homes: Vec<PathBuf> = env.pnpm_home.iter().map(PathBuf::from).collect();
    if let Some(h) = &home {
        pnpm_homes.push(h.join(".local").join("share").join("pnpm"));
        pnpm_homes.push(h.join("Library").join("pnpm"));
    }
    for ph in pnpm_homes {
        for p in sorted_children(&ph.join("global")) {
            push(p, "pnpm");
        }
    }
    if let Some(a) = &env.appdata {
        push(PathBuf::from(a).join("npm"), "APPDATA");
    }
    out
}

fn sorted_children(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn installed(env: &Env, facts: &mut ReleaseFacts) {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut add = |dir: PathBuf, via: String, facts: &mut ReleaseFacts| {
        let real = fsx::realpath_or_self(&dir);
        if seen.contains(&real) {
            return;
        }
        seen.push(real.clone());
        match read_package(&real) {
            Ok(Some(r)) => facts.installed.push(InstalledRelease {
                version: r.0,
                package_dir: real,
                found_via: via,
                build: r.1,
            }),
            Ok(None) => {}
            Err(p) => facts.problems.push(p),
        }
    };
    // `openclaw` on PATH.
    if let Some(path) = env.path.as_deref() {
        for dir in std::env::split_paths(path).filter(|d| !d.as_os_str().is_empty()) {
            for name in ["openclaw", "openclaw.cmd"] {
                let bin = dir.join(name);
                if std::fs::metadata(&bin).is_err() {
                    continue;
                }
                match package_of_bin(&bin) {
                    Some(pkg) => add(pkg, format!("PATH: {}", bin.display()), facts),
                    None => facts.problems.push(Problem {
                        path: bin.clone(),
                        message: "`openclaw` on PATH does not resolve into an `openclaw` npm package (a wrapper script or shim?); its version is not known".into(),
                    }),
                }
            }
        }
    }
    for (prefix, why) in npm_prefixes(env) {
        for dir in [
            prefix.join("lib").join("node_modules").join("openclaw"),
            prefix.join("node_modules").join("openclaw"),
        ] {
            if std::fs::metadata(dir.join("package.json")).is_ok() {
                add(dir, format!("prefix: {} ({why})", prefix.display()), facts);
            }
        }
    }
}

/// The package dir an `openclaw` executable on `PATH` belongs to: npm's
/// global bin is a symlink to `<prefix>/lib/node_modules/openclaw/openclaw.mjs`
/// (any ancestor of the resolved file whose `package.json` names `openclaw`
/// counts); on Windows a `.cmd` shim sits next to `node_modules/openclaw`.
fn package_of_bin(bin: &Path) -> Option<PathBuf> {
    let real = crate::fsx::canonicalize(bin).ok()?;
    for dir in real.ancestors().skip(1).take(4) {
        if package_name(dir).as_deref() == Some("openclaw") {
            return Some(dir.to_path_buf());
        }
    }
    let shim_dir = bin.parent()?.join("node_modules").join("openclaw");
    (package_name(&shim_dir).as_deref() == Some("openclaw")).then_some(shim_dir)
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let real = fsx::realpath_or_self(path);
    let (bytes, _) = fsx::read_regular(&real, MAX_META_BYTES).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("is not valid JSON: {e}"))
}

fn package_name(dir: &Path) -> Option<String> {
    read_json(&dir.join("package.json"))
        .ok()?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

/// `package.json` `version` of an `openclaw` package, and its build info.
/// `Ok(None)`: no `package.json`, or one of another package.
#[allow(clippy::type_complexity)]
fn read_package(dir: &Path) -> Result<Option<(String, Option<BuildInfo>)>, Problem> {
    let pj = dir.join("package.json");
    if std::fs::metadata(&pj).is_err() {
        return Ok(None);
    }
    let problem = |path: &Path, message: String| Problem {
        path: path.to_path_buf(),
        message,
    };
    let v = read_json(&pj).map_err(|e| problem(&pj, e))?;
    if v.get("name").and_then(serde_json::Value::as_str) != Some("openclaw") {
        return Ok(None);
    }
    let version = v
        .get("version")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| problem(&pj, "the `openclaw` package.json has no version".into()))?
        .to_string();
    let bi = dir.join("dist").join("build-info.json");
    let build = if std::fs::metadata(&bi).is_ok() {
        let v = read_json(&bi).map_err(|e| problem(&bi, e))?;
        let s = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        Some(BuildInfo {
            version: s("version"),
            commit: s("commit"),
            built_at: s("builtAt"),
        })
    } else {
        None
    };
    Ok(Some((version, build)))
}

/// `schema_meta.app_version` of `startup-migrations` in the global state DB.
fn state_db_version(state_dir: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    let path = state_dir.join("state").join("openclaw.sqlite");
    if std::fs::symlink_metadata(&path).is_err() {
        return None;
    }
    let real_state = fsx::realpath_or_self(state_dir);
    let read = || -> Result<Option<String>, String> {
        let real = if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            if !fsx::resolves_inside(&path, &real_state) {
                return Err("is a symbolic link that points outside the state dir; sessfix does not follow it".into());
            }
            crate::fsx::canonicalize(&path)
                .map_err(|e| format!("is a broken symbolic link: {e}"))?
        } else {
            path.clone()
        };
        let conn = sqlite::open_read_only(&real)?;
        let tables = sqlite::table_names(&conn)?;
        let v =
            sqlite::schema_meta_value(&conn, &tables, Some("startup-migrations"), "app_version")?;
        Ok(match v {
            Some(rusqlite::types::Value::Text(t)) => t
                .lines()
                .next()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            _ => None,
        })
    };
    read().unwrap_or_else(|message| {
        problems.push(Problem {
            path: path.clone(),
            message,
        });
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(dir: &Path, version: &str, build: bool) {
        std::fs::create_dir_all(dir.join("dist")).unwrap();
        std::fs::write(
            dir.join("package.json"),
            format!(
                r#"{{"name":"openclaw","version":"{version}","bin":{{"openclaw":"openclaw.mjs"}}}}"#
            ),
        )
        .unwrap();
        std::fs::write(dir.join("openclaw.mjs"), "#!/usr/bin/env node\n").unwrap();
        if build {
            std::fs::write(
                dir.join("dist/build-info.json"),
                format!(r#"{{"version":"{version}","commit":"aa94808","builtAt":"2026-08-01T00:00:00.000Z"}}"#),
            )
            .unwrap();
        }
    }

    #[cfg(unix)] // used by the Unix-only test below
    fn env_with(prefixes: &[&Path], path: Option<&Path>) -> Env {
        Env {
            npm_prefixes_override: Some(
                std::env::join_paths(prefixes)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            ),
            path: path.map(|p| p.display().to_string()),
            ..Default::default()
        }
    }

    #[test]
    #[cfg(unix)]
    fn packages_in_prefixes_and_on_path_deduplicated() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        let a = root.join("a");
        let b = root.join("b");
        package(&a.join("lib/node_modules/openclaw"), "2026.7.35", true);
        package(&b.join("lib/node_modules/openclaw"), "2026.5.12", false);
        // not ours
        std::fs::create_dir_all(b.join("node_modules/openclaw")).unwrap();
        std::fs::write(
            b.join("node_modules/openclaw/package.json"),
            r#"{"name":"something-else","version":"1.0.0"}"#,
        )
        .unwrap();
        // npm's global bin: a symlink to the package's openclaw.mjs
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(
            "../b/lib/node_modules/openclaw/openclaw.mjs",
            bin.join("openclaw"),
        )
        .unwrap();
        let facts = read(&root, &Config::default(), &env_with(&[&a, &b], Some(&bin)));
        assert!(facts.problems.is_empty(), "{:?}", facts.problems);
        let got: Vec<(&str, &str)> = facts
            .installed
            .iter()
            .map(|r| (r.version.as_str(), r.found_via.as_str()))
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "2026.5.12");
        assert!(got[0].1.starts_with("PATH: "), "{got:?}");
        assert_eq!(got[1].0, "2026.7.35");
        assert!(got[1].1.contains("SESSFIX_NPM_PREFIXES"), "{got:?}");
        assert_eq!(
            facts.installed[0].package_dir,
            b.join("lib/node_modules/openclaw")
        );
        assert_eq!(facts.installed[0].build, None);
        assert_eq!(
            facts.installed[1].build.as_ref().unwrap().commit.as_deref(),
            Some("aa94808")
        );
    }

    #[test]
    fn windows_style_cmd_shim_and_unresolvable_wrappers() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        let npm = root.join("npm");
        package(&npm.join("node_modules/openclaw"), "2026.6.11", false);
        std::fs::write(npm.join("openclaw.cmd"), "@node ...\r\n").unwrap();
        let wrap = root.join("wrap");
        std::fs::create_dir_all(&wrap).unwrap();
        std::fs::write(wrap.join("openclaw"), "#!/bin/sh\nexec node /x \"$@\"\n").unwrap();
        let path = std::env::join_paths([&npm, &wrap]).unwrap();
        let env = Env {
            path: Some(path.to_string_lossy().into_owned()),
            npm_prefixes_override: Some(String::new()),
            ..Default::default()
        };
        let facts = read(&root, &Config::default(), &env);
        assert_eq!(facts.installed.len(), 1);
        assert_eq!(facts.installed[0].version, "2026.6.11");
        assert_eq!(facts.problems.len(), 1);
        assert_eq!(facts.problems[0].path, wrap.join("openclaw"));
    }

    #[test]
    fn default_prefixes_follow_home_and_npm_variables() {
        let env = Env {
            home: Some("/h".into()),
            npm_config_prefix: Some("/p".into()),
            appdata: Some("/appdata".into()),
            ..Default::default()
        };
        let p: Vec<PathBuf> = npm_prefixes(&env).into_iter().map(|x| x.0).collect();
        for want in [
            "/p",
            "/usr/local",
            "/usr",
            "/opt/homebrew",
            "/h/.npm-global",
            "/h/.local",
            "/h/.volta/tools/image/packages/openclaw",
            "/appdata/npm",
        ] {
            assert!(p.contains(&PathBuf::from(want)), "{want} in {p:?}");
        }
    }

    #[test]
    fn config_meta_and_state_db_versions() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        std::fs::write(
            root.join("openclaw.json"),
            "{\n  // JSON5\n  meta: { lastTouchedVersion: '2026.7.1-2', lastTouchedAt: '2026-07-02T00:00:00Z', },\n}\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("state")).unwrap();
        let db = root.join("state/openclaw.sqlite");
        let c = rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.execute_batch(
            "CREATE TABLE schema_meta (meta_key TEXT NOT NULL PRIMARY KEY, role TEXT NOT NULL, schema_version INTEGER NOT NULL, agent_id TEXT, app_version TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
             INSERT INTO schema_meta VALUES ('primary', 'global', 18, NULL, '2026.9.6', 1, 1);
             INSERT INTO schema_meta VALUES ('startup-migrations', 'global', 3, NULL, '2026.9.6\n3\n2026-09-23T16:33:12.144Z\nFk5X', 1, 1);",
        )
        .unwrap();
        drop(c);
        let (config, problems) = super::super::config::read_for(&root, None);
        assert!(problems.is_empty());
        let env = Env {
            npm_prefixes_override: Some(String::new()),
            ..Default::default()
        };
        let facts = read(&root, &config, &env);
        assert_eq!(facts.config_touched.as_deref(), Some("2026.7.1-2"));
        assert_eq!(facts.state_db.as_deref(), Some("2026.9.6"));
        assert!(facts.problems.is_empty(), "{:?}", facts.problems);
        assert!(!root.join("state/openclaw.sqlite-wal").exists());

        // A state DB without the row (6.11), and a broken one.
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute(
            "DELETE FROM schema_meta WHERE meta_key = 'startup-migrations'",
            [],
        )
        .unwrap();
        drop(c);
        assert_eq!(read(&root, &config, &env).state_db, None);
        std::fs::write(&db, b"garbage").unwrap();
        let facts = read(&root, &config, &env);
        assert_eq!(facts.state_db, None);
        assert_eq!(facts.problems.len(), 1);
        assert_eq!(facts.problems[0].path, db);
    }
}
