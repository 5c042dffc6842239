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
    pub openclaw_config_path: Option<String>,
    pub tmpdir: Option<String>,
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
            openclaw_config_path: get("OPENCLAW_CONFIG_PATH"),
            tmpdir: get("TMPDIR"),
            path: get("PATH"),
            npm_config_prefix: get("NPM_CONFIG_PREFIX").or_else(|| get("npm_config_prefix")),
            nvm_dir: get("NVM_DIR"),
            volta_home: get("VOLTA_HOME"),
            pnpm_home: get("PNPM_HOME"),
            appdata: get("APPDATA"),
            npm_prefixes_override: std::env::var("SESSFIX_NPM_PREFIXES").ok(),
        }
    }

    /// `resolveRequiredHomeDir`: `OPENCLAW_HOME` (with `~` expanded), else `HOME`.
    pub fn home_dir(&self) -> Option<PathBuf> {
        let os_home = self
            .home
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty());
        match self
            .openclaw_home
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        {
            Some(h) if h == "~" || h.starts_with("~/") => {
                os_home.map(|home| PathBuf::from(h.replacen('~', home, 1)))
            }
            Some(h) => Some(PathBuf::from(h)),
            None => os_home.map(PathBuf::from),
        }
    }

    /// `os.tmpdir()`.
    pub fn tmp_dir(&self) -> PathBuf {
        let t = self.tmpdir.as_deref().unwrap_or("/tmp");
        let t = t.trim_end_matches('/');
        PathBuf::from(if t.is_empty() { "/" } else { t })
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
pub fn agent_dirs(state_dir: &Path, only: Option<&str>) -> Result<Vec<AgentTarget>, ReadError> {
    let agents = state_dir.join("agents");
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

/// `<tmp>/openclaw-<uid>/gateway.<sha256(configPath)[..8]>.lock`, for any uid
/// (sessfix may run as root while the gateway runs as its own user).
pub fn gateway_lock(opts: &ReadOptions, procs: &dyn Processes) -> GatewayFacts {
    let none = GatewayFacts {
        lock_path: None,
        pid: None,
        payload_starttime: None,
        proc_state: None,
    };
    let mut names = Vec::new();
    for cfg in config_path_candidates(&opts.state_dir, opts.config_path.as_deref()) {
        for p in [cfg.clone(), fsx::realpath_or_self(&cfg)] {
            let h = Sha256::digest(p.to_string_lossy().as_bytes());
            let hex: String = h.iter().take(4).map(|b| format!("{b:02x}")).collect();
            let name = format!("gateway.{hex}.lock");
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let Ok(rd) = std::fs::read_dir(&opts.tmp_dir) else {
        return none;
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
    let mut found: Option<GatewayFacts> = None;
    for d in dirs {
        for name in &names {
            let path = d.join(name);
            let Ok((bytes, _)) = fsx::read_regular(&path, 1 << 16) else {
                continue;
            };
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let pid = v.get("pid").and_then(serde_json::Value::as_u64);
            let facts = GatewayFacts {
                lock_path: Some(path),
                pid,
                payload_starttime: v.get("startTime").and_then(serde_json::Value::as_f64),
                proc_state: pid.map(|p| procs.state(p)),
            };
            let live = facts.proc_state.as_ref().is_some_and(|s| s.is_alive());
            // Prefer a lock whose owner is alive.
            if live || found.is_none() {
                found = Some(facts);
                if live {
                    return found.unwrap();
                }
            }
        }
    }
    found.unwrap_or(none)
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
