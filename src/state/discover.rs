//! Where the state is: the state dir as the gateway resolves it, its agents,
//! and the gateway singleton lock that says whether a gateway is live (read in
//! `gateway_lock`, re-exported here).

use super::{AgentTarget, ReadError};
use crate::fsx;
use std::path::{Path, PathBuf};

pub use super::gateway_lock::*;

/// The environment variables discovery reads, captured once (tests pass their own).
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub openclaw_state_dir: Option<String>,
    pub clawdbot_state_dir: Option<String>,
    pub openclaw_home: Option<String>,
    pub home: Option<String>,
    /// `USERPROFILE`: Node's `os.homedir()` on Windows, where `HOME` is
    /// usually unset.
    pub userprofile: Option<String>,
    pub openclaw_config_path: Option<String>,
    pub tmpdir: Option<String>,
    /// `TMP` and `TEMP` (Node's `os.tmpdir()` reads them after `TMPDIR` on
    /// POSIX; `TEMP` then `TMP` on Windows).
    pub tmp: Option<String>,
    pub temp: Option<String>,
    /// `SystemRoot` and `windir` (Windows `os.tmpdir()` fallbacks).
    pub system_root: Option<String>,
    pub windir: Option<String>,
    /// `PATH`, to find the `openclaw` the next command would run.
    pub path: Option<String>,
    /// `NPM_CONFIG_PREFIX` (or `npm_config_prefix`).
    pub npm_config_prefix: Option<String>,
    /// `NVM_DIR`.
    pub nvm_dir: Option<String>,
    /// `VOLTA_HOME`.
    pub volta_home: Option<String>,
    /// `PNPM_HOME`.
    pub pnpm_home: Option<String>,
    /// `APPDATA` (Windows: npm's global prefix is `%APPDATA%\npm`).
    pub appdata: Option<String>,
    /// `SESSFIX_NPM_PREFIXES` (hidden, for tests and unusual installs): a
    /// `PATH`-style list of npm prefixes. When set (even empty), only these
    /// are searched for installed packages (`release::npm_prefixes`).
    pub npm_prefixes_override: Option<String>,
}

impl Env {
    pub fn from_process() -> Self {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Env {
            openclaw_state_dir: get("OPENCLAW_STATE_DIR"),
            clawdbot_state_dir: get("CLAWDBOT_STATE_DIR"),
            openclaw_home: get("OPENCLAW_HOME"),
            home: get("HOME"),
            userprofile: get("USERPROFILE"),
            openclaw_config_path: get("OPENCLAW_CONFIG_PATH"),
            tmpdir: get("TMPDIR"),
            tmp: get("TMP"),
            temp: get("TEMP"),
            system_root: get("SystemRoot"),
            windir: get("windir"),
            path: get("PATH"),
            npm_config_prefix: get("NPM_CONFIG_PREFIX").or_else(|| get("npm_config_prefix")),
            nvm_dir: get("NVM_DIR"),
            volta_home: get("VOLTA_HOME"),
            pnpm_home: get("PNPM_HOME"),
            appdata: get("APPDATA"),
            npm_prefixes_override: std::env::var("SESSFIX_NPM_PREFIXES").ok(),
        }
    }

    /// `resolveRequiredHomeDir`: `OPENCLAW_HOME` (a leading `~` expanded),
    /// else the OS home as `resolveRawOsHomeDir` reads it on every OS:
    /// `HOME`, else `USERPROFILE` (Windows, where `HOME` is usually unset:
    /// the state dir is then `%USERPROFILE%\.openclaw`), else `os.homedir()`
    /// (2026.5.12 `home-dir-iZwpu-40.js`).
    pub fn home_dir(&self) -> Option<PathBuf> {
        let os_home = self
            .home
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .or_else(|| {
                self.userprofile
                    .as_deref()
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
            });
        match self
            .openclaw_home
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        {
            Some(h) if h == "~" || h.starts_with("~/") || h.starts_with("~\\") => {
                os_home.map(|home| PathBuf::from(h.replacen('~', home, 1)))
            }
            Some(h) => Some(PathBuf::from(h)),
            None => os_home.map(PathBuf::from),
        }
    }

    /// Node's `os.tmpdir()` on this OS, from this environment.
    pub fn tmp_dir(&self) -> PathBuf {
        if cfg!(windows) {
            PathBuf::from(self.windows_tmp_dir())
        } else {
            PathBuf::from(self.posix_tmp_dir())
        }
    }

    /// `os.tmpdir()` on POSIX (libuv `uv_os_tmpdir`): `TMPDIR`, `TMP`,
    /// `TEMP`, else `/tmp`; one trailing `/` dropped.
    pub fn posix_tmp_dir(&self) -> String {
        let t = [&self.tmpdir, &self.tmp, &self.temp]
            .into_iter()
            .find_map(|v| v.as_deref())
            .unwrap_or("/tmp");
        match t.strip_suffix('/') {
            Some("") => "/".into(),
            Some(x) => x.into(),
            None => t.into(),
        }
    }

    /// `os.tmpdir()` on Windows (Node's `os.js`): `TEMP`, `TMP`,
    /// `%SystemRoot%\temp`, `%windir%\temp`, else `C:\Windows\temp` (no
    /// SystemRoot); a trailing `\` dropped unless after a drive (`C:\`).
    pub fn windows_tmp_dir(&self) -> String {
        let t = match [&self.temp, &self.tmp]
            .into_iter()
            .find_map(|v| v.as_deref())
        {
            Some(t) => t.to_string(),
            None => match self.system_root.as_deref().or(self.windir.as_deref()) {
                Some(r) => format!("{r}\\temp"),
                None => "C:\\Windows\\temp".into(),
            },
        };
        if t.len() > 1 && t.ends_with('\\') && !t.ends_with(":\\") {
            t[..t.len() - 1].to_string()
        } else {
            t
        }
    }
}

fn expand_tilde(p: &str, home: Option<&Path>) -> PathBuf {
    // `resolveUserPath` (openclaw dist, config-utils): `~` followed by the
    // end or a separator, either slash on every OS, becomes the home dir.
    match (p.strip_prefix('~'), home) {
        (Some(rest), Some(h)) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
            let mut out = h.as_os_str().to_os_string();
            out.push(rest);
            PathBuf::from(out)
        }
        _ => PathBuf::from(p),
    }
}

/// How the state dir was chosen, for messages.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub dir: PathBuf,
    pub source: String,
}

/// The state dir, as `resolveStateDir` finds it, with sessfix's overrides
/// first, made absolute once here: a relative one (`--state-dir state`, a
/// relative `OPENCLAW_STATE_DIR`) is joined onto the current directory
/// lexically, as the gateway's `path.resolve` does (`.` and `..` resolved
/// by name; symbolic links are kept, not followed), so every path a report
/// or a plan shows is absolute. Errors: no home to find `~/.openclaw` in.
pub fn resolve_state_dir(
    explicit: Option<&Path>,
    profile: Option<&str>,
    env: &Env,
) -> Result<Resolved, String> {
    let mut r = resolve_as_named(explicit, profile, env)?;
    // Spelled as the gateway would be given it: `\\?\C:\w\gw` is `C:\w\gw`.
    r.dir = fsx::simplified(&r.dir).to_path_buf();
    // Windows: one separator, as `path.resolve` gives it (`~/gw` is
    // `C:\Users\me\gw`, not `C:\Users\me/gw`).
    if cfg!(windows) && r.dir.is_absolute() {
        r.dir = fsx::normalize(&r.dir);
    }
    if r.dir.is_relative() {
        let cwd = std::env::current_dir()
            .map_err(|e| format!("{}: the current directory cannot be read ({e}), so a relative state dir cannot be made absolute", r.dir.display()))?;
        r.dir = absolute(&r.dir, &cwd);
    }
    Ok(r)
}

/// `path` joined onto `cwd` and normalised by name (`.` dropped, `..` taking
/// off the name before it), as Node's `path.resolve`; no link is followed.
pub fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    fsx::normalize(&cwd.join(path))
}

fn resolve_as_named(
    explicit: Option<&Path>,
    profile: Option<&str>,
    env: &Env,
) -> Result<Resolved, String> {
    let home = env.home_dir();
    if let Some(p) = explicit {
        return Ok(Resolved {
            dir: expand_tilde(&p.to_string_lossy(), home.as_deref()),
            source: "--state-dir".into(),
        });
    }
    if let Some(name) = profile {
        let home = home.ok_or("--profile needs a home directory: set HOME or OPENCLAW_HOME")?;
        return Ok(Resolved {
            dir: home.join(format!(".openclaw-{name}")),
            source: format!("--profile {name}"),
        });
    }
    for (var, val) in [
        ("OPENCLAW_STATE_DIR", &env.openclaw_state_dir),
        ("CLAWDBOT_STATE_DIR", &env.clawdbot_state_dir),
    ] {
        if let Some(v) = val.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            return Ok(Resolved {
                dir: expand_tilde(v, home.as_deref()),
                source: var.into(),
            });
        }
    }
    let home = home.ok_or(
        "no state dir: set --state-dir, OPENCLAW_STATE_DIR, or HOME so ~/.openclaw can be found",
    )?;
    for name in [".openclaw", ".clawdbot", ".moldbot", ".moltbot"] {
        let d = home.join(name);
        if d.exists() {
            return Ok(Resolved {
                dir: d,
                source: format!("~/{name}"),
            });
        }
    }
    Ok(Resolved {
        dir: home.join(".openclaw"),
        source: "~/.openclaw (default)".into(),
    })
}

/// The state dir an index given alone (`--store`) sits in: `<state>` for
/// `<state>/agents/<id>/sessions/<file>`, the path made absolute lexically
/// on `cwd` (links are not followed); `None` for an index anywhere else.
pub fn state_dir_of_store(store: &Path, cwd: &Path) -> Option<PathBuf> {
    let abs = absolute(store, cwd);
    let sessions = abs.parent()?;
    let agent = sessions.parent()?;
    let agents = agent.parent()?;
    let named = |p: &Path, n: &str| p.file_name().is_some_and(|f| f == n);
    (named(sessions, "sessions") && named(agents, "agents") && agent.file_name().is_some())
        .then(|| agents.parent().map(Path::to_path_buf))
        .flatten()
}

/// `normalizeAgentId`.
pub fn normalize_agent_id(value: &str) -> String {
    let t = value.trim();
    if t.is_empty() {
        return "main".into();
    }
    let lower = t.to_lowercase();
    let valid = |s: &str| {
        let b = s.as_bytes();
        !b.is_empty()
            && b.len() <= 64
            && b[0].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
    };
    if valid(t) {
        return lower;
    }
    let mut out = String::new();
    for c in lower.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(64).collect();
    if out.is_empty() {
        "main".into()
    } else {
        out
    }
}

/// Every real directory under `<state>/agents/`, sorted (`resolveAgentSessionDirs`).
/// A symlinked agent dir is not a directory entry to the gateway: it is skipped.
///
/// A state dir with no `agents/` has no agent yet when it is empty (a new
/// volume), or holds the config (`openclaw.json`, written by `openclaw
/// onboard` before any gateway ran) or a SQLite-era state database
/// (`state/openclaw.sqlite`): that is not an error, and a pre-start run lets
/// the first gateway start. Any other dir without `agents/` is an error: it
/// is likely not the state dir meant.
pub fn agent_dirs(state_dir: &Path, only: Option<&str>) -> Result<Vec<AgentTarget>, ReadError> {
    let agents = state_dir.join("agents");
    let no_agents_yet = || {
        state_dir.join("state").join("openclaw.sqlite").is_file()
            || state_dir.join("openclaw.json").is_file()
            || std::fs::read_dir(state_dir).is_ok_and(|mut rd| rd.next().is_none())
    };
    if only.is_none() && !agents.exists() && no_agents_yet() {
        return Ok(Vec::new());
    }
    let rd = std::fs::read_dir(&agents).map_err(|e| ReadError::Path {
        path: agents.clone(),
        message: match e.kind() {
            std::io::ErrorKind::NotFound => {
                "there is no agents/ directory here: is this an OpenClaw state dir?".into()
            }
            std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".into(),
            _ => e.to_string(),
        },
    })?;
    let real_state = fsx::realpath_or_self(state_dir);
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let Ok(ft) = entry.file_type() else { continue };
        if !ft.is_dir() {
            continue;
        }
        let id = entry.file_name().to_string_lossy().into_owned();
        if only.is_some_and(|o| o != id) {
            continue;
        }
        let agent_dir = entry.path();
        let sessions_dir = agent_dir.join("sessions");
        let refused = match std::fs::symlink_metadata(&sessions_dir) {
            Ok(m) if m.file_type().is_symlink() && !fsx::resolves_inside(&sessions_dir, &real_state) => Some(
                "the sessions dir is a symbolic link that points outside the state dir; sessfix does not follow it"
                    .to_string(),
            ),
            _ => None,
        };
        out.push(AgentTarget {
            store_path: sessions_dir.join("sessions.json"),
            id,
            agent_dir,
            sessions_dir,
            refused,
            origin: super::StoreOrigin::Default,
        });
    }
    out.sort_by(|a, b| a.sessions_dir.cmp(&b.sessions_dir));
    if let Some(o) = only {
        if out.is_empty() {
            let names: Vec<String> = std::fs::read_dir(&agents)
                .map(|rd| {
                    rd.flatten()
                        .filter(|e| e.path().is_dir())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            return Err(ReadError::Path {
                path: agents.join(o),
                message: format!(
                    "no agent directory named {o:?}{}",
                    crate::text::did_you_mean(o, &names)
                ),
            });
        }
    }
    Ok(out)
}

/// The config path the gateway hashes into its lock name (`resolveConfigPath`).
pub fn config_path_candidates(state_dir: &Path, override_path: Option<&Path>) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = override_path {
        v.push(p.to_path_buf());
    }
    v.push(state_dir.join("openclaw.json"));
    v.push(state_dir.join("clawdbot.json"));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `~` alone or before either slash is the home dir, as the gateway's
    /// `resolveUserPath` has it on every OS; `~name` and a `~` inside are
    /// names.
    #[test]
    fn a_tilde_before_either_slash_is_the_home_dir() {
        let home = Path::new("/home/oc");
        let e = |p: &str| super::expand_tilde(p, Some(home));
        assert_eq!(e("~"), home);
        assert_eq!(e("~/state"), Path::new("/home/oc/state"));
        assert_eq!(e("~\\state").as_os_str(), "/home/oc\\state");
        assert_eq!(e("~oc/state"), Path::new("~oc/state"));
        assert_eq!(e("a/~/b"), Path::new("a/~/b"));
        assert_eq!(super::expand_tilde("~/x", None), Path::new("~/x"));
    }

    fn env(home: &Path) -> Env {
        Env {
            home: Some(home.display().to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn the_home_is_userprofile_when_home_is_unset() {
        let e = Env {
            userprofile: Some(r"C:\Users\ops".into()),
            ..Default::default()
        };
        assert_eq!(e.home_dir(), Some(PathBuf::from(r"C:\Users\ops")));
        let e = Env {
            home: Some("/home/ops".into()),
            userprofile: Some(r"C:\Users\ops".into()),
            ..Default::default()
        };
        assert_eq!(e.home_dir(), Some(PathBuf::from("/home/ops")), "HOME first");
        let e = Env {
            openclaw_home: Some(r"~\oc".into()),
            userprofile: Some(r"C:\Users\ops".into()),
            ..Default::default()
        };
        assert_eq!(e.home_dir(), Some(PathBuf::from(r"C:\Users\ops\oc")));
    }

    #[test]
    fn state_dir_precedence() {
        let d = tempfile::tempdir().unwrap();
        let h = d.path();
        let mut e = env(h);
        assert_eq!(
            resolve_state_dir(None, None, &e).unwrap().dir,
            h.join(".openclaw")
        );
        std::fs::create_dir(h.join(".clawdbot")).unwrap();
        assert_eq!(
            resolve_state_dir(None, None, &e).unwrap().dir,
            h.join(".clawdbot")
        );
        std::fs::create_dir(h.join(".openclaw")).unwrap();
        assert_eq!(
            resolve_state_dir(None, None, &e).unwrap().dir,
            h.join(".openclaw")
        );
        e.openclaw_state_dir = Some("~/custom".into());
        assert_eq!(
            resolve_state_dir(None, None, &e).unwrap().dir,
            h.join("custom")
        );
        assert_eq!(
            resolve_state_dir(None, Some("work"), &e).unwrap().dir,
            h.join(".openclaw-work")
        );
        // Absolute paths built on the temp dir: `/x` is relative on Windows.
        let x = h.join("x");
        assert_eq!(
            resolve_state_dir(Some(&x), Some("work"), &e).unwrap().dir,
            x
        );
        e.openclaw_state_dir = None;
        let oc_home = h.join("oc-home");
        e.openclaw_home = Some(oc_home.to_string_lossy().into_owned());
        assert_eq!(
            resolve_state_dir(None, None, &e).unwrap().dir,
            oc_home.join(".openclaw")
        );
    }

    #[test]
    fn tmp_dir_as_node_finds_it_per_os() {
        let mut e = Env::default();
        assert_eq!(e.posix_tmp_dir(), "/tmp");
        e.temp = Some("/t3/".into());
        assert_eq!(e.posix_tmp_dir(), "/t3");
        e.tmp = Some("/t2".into());
        assert_eq!(e.posix_tmp_dir(), "/t2");
        e.tmpdir = Some("/var/folders/ab/cd/T/".into());
        assert_eq!(e.posix_tmp_dir(), "/var/folders/ab/cd/T");
        e.tmpdir = Some("/".into());
        assert_eq!(e.posix_tmp_dir(), "/");
        let mut w = Env::default();
        assert_eq!(w.windows_tmp_dir(), "C:\\Windows\\temp");
        w.windir = Some("D:\\Win".into());
        assert_eq!(w.windows_tmp_dir(), "D:\\Win\\temp");
        w.system_root = Some("C:\\WINDOWS".into());
        assert_eq!(w.windows_tmp_dir(), "C:\\WINDOWS\\temp");
        w.tmp = Some("C:\\tmp2\\".into());
        assert_eq!(w.windows_tmp_dir(), "C:\\tmp2");
        w.temp = Some("C:\\".into());
        assert_eq!(w.windows_tmp_dir(), "C:\\");
    }

    #[test]
    fn a_relative_state_dir_is_made_absolute_by_name() {
        let cwd = Path::new("/work/x");
        assert_eq!(
            absolute(Path::new("state"), cwd),
            PathBuf::from("/work/x/state")
        );
        assert_eq!(absolute(Path::new("."), cwd), PathBuf::from("/work/x"));
        assert_eq!(
            absolute(Path::new("../s/./t"), cwd),
            PathBuf::from("/work/s/t")
        );
        assert_eq!(absolute(Path::new("/abs"), cwd), PathBuf::from("/abs"));
        let r = resolve_state_dir(Some(Path::new("rel")), None, &Env::default()).unwrap();
        assert_eq!(r.dir, std::env::current_dir().unwrap().join("rel"));
    }

    #[test]
    fn moltbot_legacy_names_are_found() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join(".moltbot")).unwrap();
        assert_eq!(
            resolve_state_dir(None, None, &env(d.path())).unwrap().dir,
            d.path().join(".moltbot")
        );
    }

    #[test]
    fn a_store_in_an_agents_sessions_dir_names_its_state_dir() {
        let cwd = Path::new("/work");
        let of = |s: &str| state_dir_of_store(Path::new(s), cwd);
        assert_eq!(
            of("/s/agents/main/sessions/sessions.json"),
            Some(PathBuf::from("/s"))
        );
        assert_eq!(
            of("st/agents/ops/sessions/../sessions/sessions.json"),
            Some(PathBuf::from("/work/st"))
        );
        assert_eq!(of("/s/agents/main/sessions.json"), None);
        assert_eq!(of("/backup/sessions.json"), None);
        assert_eq!(of("/s/agent/main/sessions/sessions.json"), None);
    }

    #[test]
    fn agent_ids_normalise_like_the_gateway() {
        assert_eq!(normalize_agent_id("Main"), "main");
        assert_eq!(normalize_agent_id("my agent!"), "my-agent");
        assert_eq!(normalize_agent_id(""), "main");
    }

    #[test]
    #[cfg(unix)]
    fn symlinked_agent_dirs_are_skipped() {
        let d = tempfile::tempdir().unwrap();
        let agents = d.path().join("agents");
        std::fs::create_dir_all(agents.join("main/sessions")).unwrap();
        std::fs::create_dir_all(d.path().join("elsewhere/sessions")).unwrap();
        std::os::unix::fs::symlink(d.path().join("elsewhere"), agents.join("linked")).unwrap();
        let ids: Vec<String> = agent_dirs(d.path(), None)
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, ["main"]);
    }
}
