//! Where the state is: the state dir as the gateway resolves it, its agents,
//! and the gateway singleton lock that says whether a gateway is live.

use super::{AgentTarget, GatewayFacts, ReadError, ReadOptions};
use crate::fsx;
use crate::state::process::Processes;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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
    match (p, home) {
        ("~", Some(h)) => h.to_path_buf(),
        (p, Some(h)) if p.starts_with("~/") => h.join(&p[2..]),
        (p, _) => PathBuf::from(p),
    }
}

/// How the state dir was chosen, for messages.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub dir: PathBuf,
    pub source: String,
}

/// The state dir, as `resolveStateDir` finds it, with sessfix's overrides first.
pub fn resolve_state_dir(
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
/// A state dir with no `agents/` but a SQLite-era state database
/// (`state/openclaw.sqlite`) has no agent yet: that is not an error.
pub fn agent_dirs(state_dir: &Path, only: Option<&str>) -> Result<Vec<AgentTarget>, ReadError> {
    let agents = state_dir.join("agents");
    if only.is_none()
        && !agents.exists()
        && state_dir.join("state").join("openclaw.sqlite").is_file()
    {
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
            return Err(ReadError::Path {
                path: agents.join(o),
                message: format!("no agent directory named {o:?}"),
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

/// The lock file names the gateway would use for this state dir: for every
/// config path it may hash (as given and as resolved),
/// `gateway.<sha256(configPath)[..8]>.lock`, with the path it was hashed from.
fn lock_names(opts: &ReadOptions) -> Vec<(String, PathBuf)> {
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for cfg in config_path_candidates(&opts.state_dir, opts.config_path.as_deref()) {
        // The gateway hashes the absolute path it resolved; a config that
        // does not exist (yet) has no realpath, so its absolute form and the
        // one under the state dir's realpath count too.
        let mut forms = vec![cfg.clone(), fsx::realpath_or_self(&cfg)];
        if let Ok(abs) = std::path::absolute(&cfg) {
            forms.push(abs);
        }
        if let (Some(parent), Some(name)) = (cfg.parent(), cfg.file_name()) {
            forms.push(fsx::realpath_or_self(parent).join(name));
        }
        for p in forms {
            let h = Sha256::digest(p.to_string_lossy().as_bytes());
            let hex: String = h.iter().take(4).map(|b| format!("{b:02x}")).collect();
            let name = format!("gateway.{hex}.lock");
            if !names.iter().any(|(n, _)| *n == name) {
                names.push((name, p));
            }
        }
    }
    names
}

/// Where a gateway for this state dir may keep its singleton lock, as
/// `resolveGatewayLockDir` finds it on each release and OS: the base dirs,
/// each holding `openclaw-<uid>` (`openclaw` where the OS has no uid:
/// Windows). `true`: a place that must be readable for the gateway's
/// liveness to be known.
///
/// - File era (2026.5.12 `paths-Cnwfh6dH.js`): `os.tmpdir()`, which is the
///   gateway's environment's, not sessfix's. On macOS a launchd gateway gets
///   the per-user `confstr(_CS_DARWIN_USER_TEMP_DIR)` dir as `$TMPDIR`, and
///   one started without `TMPDIR` uses `/tmp`; a cron or sudo shell has
///   neither, so on macOS all three are checked (and, best effort, every
///   user's `/var/folders/*/*/T`, which only root can read).
/// - SQLite era (2026.8.2, 2026.9.6): `<stateDir>/tmp`, where the gateway
///   also keeps `gateway.state.lock` (same payload) beside the hashed one.
pub fn lock_bases(opts: &ReadOptions) -> Vec<(PathBuf, bool)> {
    let mut v: Vec<(PathBuf, bool)> = vec![
        (opts.tmp_dir.clone(), true),
        (opts.state_dir.join("tmp"), true),
    ];
    for (p, required) in os_lock_bases() {
        if !v.iter().any(|(q, _)| *q == p) {
            v.push((p, required));
        }
    }
    v
}

/// The lock bases only this OS has (`proc_macos::lock_bases` on macOS).
fn os_lock_bases() -> Vec<(PathBuf, bool)> {
    #[cfg(target_os = "macos")]
    return super::proc_macos::lock_bases();
    #[cfg(not(target_os = "macos"))]
    return Vec::new();
}

/// The first JSON value of a lock file: the SQLite-era gateway writes its
/// payload followed by a whitespace ownership token.
fn lock_json(bytes: &[u8]) -> serde_json::Value {
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<serde_json::Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// The gateway singleton lock of this state dir, in every place a gateway
/// may keep it (`lock_bases`), for any uid (sessfix may run as root while
/// the gateway runs as its own user). A live owner wins; a place that cannot
/// be read is listed in `unchecked` (the gateway's liveness is then unknown).
///
/// Under `<stateDir>/tmp` every `gateway.<8 hex>.lock` belongs to this state
/// dir; one whose `configPath` is not a path this host resolves was written
/// by a gateway that sees the state dir elsewhere (a container over a bind
/// mount, another host): its pid is another pid namespace's, so its
/// liveness is unknown here.
pub fn gateway_lock(opts: &ReadOptions, procs: &dyn Processes) -> GatewayFacts {
    let names = lock_names(opts);
    let mut found: Option<GatewayFacts> = None;
    let mut unchecked: Vec<(PathBuf, String)> = Vec::new();
    let mut seen_dirs: Vec<PathBuf> = Vec::new();
    let state_tmp = opts.state_dir.join("tmp");
    for (base, required) in lock_bases(opts) {
        let mut note = |p: &Path, e: &std::io::Error| {
            if required && e.kind() != std::io::ErrorKind::NotFound {
                unchecked.push((p.to_path_buf(), e.to_string()));
            }
        };
        let rd = match std::fs::read_dir(&base) {
            Ok(rd) => rd,
            Err(e) => {
                note(&base, &e);
                continue;
            }
        };
        let mut dirs: Vec<PathBuf> = rd
            .flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n == "openclaw" || n.starts_with("openclaw-")
            })
            .map(|e| e.path())
            .collect();
        dirs.sort();
        let in_state = base == state_tmp;
        for d in dirs {
            let real = fsx::realpath_or_self(&d);
            if seen_dirs.contains(&real) {
                continue;
            }
            seen_dirs.push(real);
            let listing = match std::fs::read_dir(&d) {
                Ok(rd) => rd,
                Err(e) => {
                    note(&d, &e);
                    continue;
                }
            };
            let mut files: Vec<(PathBuf, bool)> = Vec::new();
            for e in listing.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if names.iter().any(|(x, _)| *x == n) {
                    files.push((e.path(), true));
                } else if in_state && (is_hashed_lock_name(&n) || n == "gateway.state.lock") {
                    files.push((e.path(), false));
                }
            }
            files.sort();
            for (path, ours) in files {
                let bytes = match fsx::read_regular(&path, 1 << 16) {
                    Ok((b, _)) => b,
                    Err(e) => {
                        note(&path, &std::io::Error::other(e.to_string()));
                        continue;
                    }
                };
                let v = lock_json(&bytes);
                let pid = v.get("pid").and_then(serde_json::Value::as_u64);
                let config = v.get("configPath").and_then(serde_json::Value::as_str);
                let foreign =
                    !ours && config.is_some_and(|c| !names.iter().any(|(_, p)| p.as_os_str() == c));
                if !ours && !foreign {
                    continue;
                }
                let proc_state = pid.map(|p| {
                    if foreign {
                        crate::rules::ProcState::Unknown {
                            why: format!(
                                "the lock was written by a gateway that sees this state dir's config as {}: a container or another host, whose pid {p} is not one of this pid namespace's; run sessfix inside that container",
                                config.unwrap_or("")
                            ),
                        }
                    } else {
                        procs.state(p)
                    }
                });
                let facts = GatewayFacts {
                    lock_path: Some(path),
                    pid,
                    payload_starttime: v.get("startTime").and_then(serde_json::Value::as_f64),
                    proc_state,
                    unchecked: Vec::new(),
                };
                let rank = |f: &GatewayFacts| match &f.proc_state {
                    Some(s) if s.is_alive() => 2,
                    Some(s) if s.is_unknown() => 1,
                    _ => 0,
                };
                // Prefer a live owner, then an unknown one, then the first.
                if found.as_ref().is_none_or(|f| rank(&facts) > rank(f)) {
                    found = Some(facts);
                }
            }
        }
    }
    let mut facts = found.unwrap_or(GatewayFacts {
        lock_path: None,
        pid: None,
        payload_starttime: None,
        proc_state: None,
        unchecked: Vec::new(),
    });
    facts.unchecked = unchecked;
    facts
}

/// `gateway.<8 lowercase hex>.lock`.
fn is_hashed_lock_name(n: &str) -> bool {
    n.strip_prefix("gateway.")
        .and_then(|r| r.strip_suffix(".lock"))
        .is_some_and(|h| {
            h.len() == 8
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            resolve_state_dir(Some(Path::new("/x")), Some("work"), &e)
                .unwrap()
                .dir,
            PathBuf::from("/x")
        );
        e.openclaw_state_dir = None;
        e.openclaw_home = Some("/oc-home".into());
        assert_eq!(
            resolve_state_dir(None, None, &e).unwrap().dir,
            PathBuf::from("/oc-home/.openclaw")
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
    fn sqlite_era_lock_payload_with_its_token_is_read() {
        let v = lock_json(b"{\"pid\":42,\"startTime\":9}\n 0f3a9c");
        assert_eq!(v["pid"], 42);
        assert!(is_hashed_lock_name("gateway.0a1b2c3d.lock"));
        assert!(!is_hashed_lock_name("gateway.state.lock"));
        assert!(!is_hashed_lock_name("gateway.0A1B2C3D.lock"));
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
