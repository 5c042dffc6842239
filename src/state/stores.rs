//! Session stores configured in `openclaw.json` (`session.store`).
//!
//! The gateway resolves the setting per agent with `resolveStorePath`
//! (`src/config/sessions/paths.ts`): every `{agentId}` is replaced by the
//! normalized agent id; a leading `~` followed by `/`, `\` or nothing is
//! replaced by the home dir; the result goes through `path.resolve`.
//! Transcripts of a store live beside it (its dir is the sessions dir).
//!
//! Assumptions, stated because they could not be checked against every
//! release: the home is `OPENCLAW_HOME`, else `HOME` (`resolveRequiredHomeDir`,
//! as in current sources; some older builds used `os.homedir()`, i.e.
//! `HOME`), which is `ReadOptions::home`. A path still relative after that
//! resolves against the gateway's working directory, which sessfix cannot
//! know: such a store becomes a unit that is not read, with a problem saying
//! why. `${VAR}` substitution and `$include` of the config loader are not
//! applied. Which agents a `{agentId}` template is expanded for: the agent
//! dirs found under `<state>/agents/`, plus the ids of `agents.list`, plus
//! `main` when `agents.list` is empty or absent (`listAgentIds`).

use super::config::Config;
use super::discover::normalize_agent_id;
use super::{AgentTarget, StoreOrigin};
use crate::fsx;
use std::path::{Path, PathBuf};

/// The id of the unit for a configured store shared by all agents (no
/// `{agentId}` in the setting). Not a valid agent id (it has a `.`), so it
/// never collides with one.
pub const SHARED_STORE_ID: &str = "session.store";

/// `resolveStorePath(setting, {agentId})` without the final `path.resolve`
/// against the working directory: `Err` says why a path stays relative.
pub fn resolve_store_path(
    setting: &str,
    agent_id: &str,
    home: Option<&Path>,
) -> Result<PathBuf, String> {
    let expanded = setting.replace("{agentId}", &normalize_agent_id(agent_id));
    let tilde = expanded == "~" || expanded.starts_with("~/") || expanded.starts_with("~\\");
    let p = if tilde {
        let home = home.ok_or_else(|| {
            format!("session.store {setting:?} starts with `~` but no home dir is known (set HOME or OPENCLAW_HOME)")
        })?;
        let mut s = home.as_os_str().to_owned();
        s.push(&expanded[1..]);
        PathBuf::from(s)
    } else {
        PathBuf::from(&expanded)
    };
    if !p.is_absolute() && crate::fsx::node_is_absolute(&expanded) {
        return Err(format!(
            "session.store {setting:?} is rooted without a drive: the gateway puts it on the drive of its working directory, which sessfix cannot know; pass the index with --store"
        ));
    }
    if !p.is_absolute() {
        return Err(format!(
            "session.store {setting:?} is a relative path: the gateway resolves it against its working directory, which sessfix cannot know; pass the index with --store"
        ));
    }
    Ok(fsx::normalize(&p))
}

/// The agent ids a `{agentId}` template is expanded for (module docs).
fn template_agent_ids(config: &Config, defaults: &[AgentTarget]) -> Vec<String> {
    let mut ids: Vec<String> = defaults.iter().map(|t| t.id.clone()).collect();
    let listed: Vec<String> = config
        .get("agents.list")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("id").and_then(serde_json::Value::as_str))
                .map(normalize_agent_id)
                .collect()
        })
        .unwrap_or_default();
    if listed.is_empty() {
        ids.push("main".into());
    }
    ids.extend(listed);
    ids.sort();
    ids.dedup();
    ids
}

/// One unit per distinct store file that `session.store` names and that is
/// not a default `<state>/agents/<id>/sessions/sessions.json`. `defaults` are
/// the default units already found; `only` restricts to one agent (a shared
/// store then yields nothing).
pub fn configured_targets(
    config: &Config,
    state_dir: &Path,
    home: Option<&Path>,
    defaults: &[AgentTarget],
    only: Option<&str>,
) -> Vec<AgentTarget> {
    let Some(setting) = config
        .get_str("session.store")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Vec::new();
    };
    let template = setting.contains("{agentId}");
    let ids: Vec<Option<String>> = if template {
        template_agent_ids(config, defaults)
            .into_iter()
            .filter(|id| only.is_none_or(|o| o == id))
            .map(Some)
            .collect()
    } else if only.is_some() {
        Vec::new()
    } else {
        vec![None]
    };
    let is_default = |p: &Path| -> bool {
        let parent_real = |q: &Path| q.parent().map(fsx::realpath_or_self);
        let shaped = p.file_name().is_some_and(|n| n == "sessions.json")
            && p.parent()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .map(fsx::realpath_or_self)
                == Some(fsx::realpath_or_self(&state_dir.join("agents")))
            && p.parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "sessions");
        shaped
            || defaults.iter().any(|d| {
                fsx::normalize(&d.store_path) == *p
                    || (d.store_path.file_name() == p.file_name()
                        && parent_real(&d.store_path) == parent_real(p))
            })
    };
    let origin = StoreOrigin::Configured {
        setting: setting.to_string(),
    };
    let mut out: Vec<AgentTarget> = Vec::new();
    for id in ids {
        let label = id.clone().unwrap_or_else(|| SHARED_STORE_ID.to_string());
        let agent_dir = match &id {
            Some(id) => state_dir.join("agents").join(id),
            // No agent dir: its agent database is not looked for.
            None => PathBuf::new(),
        };
        match resolve_store_path(setting, id.as_deref().unwrap_or("main"), home) {
            Ok(store_path) => {
                if is_default(&store_path) || out.iter().any(|t| t.store_path == store_path) {
                    continue;
                }
                let sessions_dir = store_path
                    .parent()
                    .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
                out.push(AgentTarget {
                    id: label,
                    agent_dir,
                    sessions_dir,
                    store_path,
                    refused: None,
                    origin: origin.clone(),
                });
            }
            Err(why) => {
                if out
                    .iter()
                    .any(|t| t.refused.as_deref() == Some(why.as_str()))
                {
                    continue;
                }
                out.push(AgentTarget {
                    id: label,
                    agent_dir,
                    sessions_dir: PathBuf::from(setting),
                    store_path: PathBuf::from(setting),
                    refused: Some(why),
                    origin: origin.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An absolute path on this OS: `/data` is rooted but drive-less, so
    /// relative, on Windows.
    fn abs(p: &str) -> String {
        if cfg!(windows) {
            format!("C:{p}")
        } else {
            p.to_string()
        }
    }

    fn config(v: serde_json::Value) -> Config {
        Config {
            path: Some("openclaw.json".into()),
            value: Some(v),
        }
    }

    #[test]
    fn resolution_like_resolve_store_path() {
        let home = PathBuf::from(abs("/home/u"));
        let h = Some(home.as_path());
        assert_eq!(
            resolve_store_path("~/s/{agentId}.json", "Ops Team", h).unwrap(),
            PathBuf::from(abs("/home/u/s/ops-team.json"))
        );
        assert_eq!(
            resolve_store_path(&abs("/data/./x/../store.json"), "main", h).unwrap(),
            PathBuf::from(abs("/data/store.json"))
        );
        assert_eq!(resolve_store_path("~", "main", h).unwrap(), home);
        // `~user` is not expanded: relative, so unknown
        assert!(resolve_store_path("~bob/s.json", "main", h).is_err());
        assert!(resolve_store_path("sessions/s.json", "main", h)
            .unwrap_err()
            .contains("working directory"));
        assert!(resolve_store_path("~/s.json", "main", None).is_err());
    }

    #[test]
    fn default_shaped_stores_are_not_units_again() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(state.join("agents/main/sessions")).unwrap();
        let defaults = super::super::discover::agent_dirs(&state, None).unwrap();
        let c = config(serde_json::json!({"session": {"store":
            format!("{}/agents/{{agentId}}/sessions/sessions.json", state.display())}}));
        assert!(configured_targets(&c, &state, None, &defaults, None).is_empty());
    }

    #[test]
    fn template_and_shared_units() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().canonicalize().unwrap();
        for a in ["main", "coder"] {
            std::fs::create_dir_all(state.join("agents").join(a).join("sessions")).unwrap();
        }
        let defaults = super::super::discover::agent_dirs(&state, None).unwrap();
        let c = config(serde_json::json!({
            "session": {"store": abs("/data/{agentId}/store.json")},
            "agents": {"list": [{"id": "Ops"}]}
        }));
        let t = configured_targets(&c, &state, None, &defaults, None);
        let got: Vec<(&str, PathBuf)> = t
            .iter()
            .map(|t| (t.id.as_str(), t.store_path.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("coder", PathBuf::from(abs("/data/coder/store.json"))),
                ("main", PathBuf::from(abs("/data/main/store.json"))),
                ("ops", PathBuf::from(abs("/data/ops/store.json"))),
            ]
        );
        assert_eq!(t[0].sessions_dir, PathBuf::from(abs("/data/coder")));
        assert_eq!(t[0].agent_dir, state.join("agents/coder"));
        assert_eq!(
            configured_targets(&c, &state, None, &defaults, Some("main")).len(),
            1
        );
        let c = config(serde_json::json!({"session": {"store": abs("/data/store.json")}}));
        let t = configured_targets(&c, &state, None, &defaults, None);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].id, SHARED_STORE_ID);
        assert_eq!(
            t[0].origin,
            StoreOrigin::Configured {
                setting: abs("/data/store.json")
            }
        );
        assert!(configured_targets(&c, &state, None, &defaults, Some("main")).is_empty());
        let c = config(serde_json::json!({"session": {"store": "rel/store.json"}}));
        let t = configured_targets(&c, &state, None, &defaults, None);
        assert_eq!(t.len(), 1);
        assert!(t[0].refused.is_some());
    }

    /// A `session.store` rooted without a drive is placed by the gateway on
    /// its working directory's drive: unknown, and said so (not "relative").
    #[cfg(windows)]
    #[test]
    fn a_store_rooted_without_a_drive_is_named_as_such() {
        let e = resolve_store_path(r"\data\{agentId}.json", "main", None).unwrap_err();
        assert!(e.contains("rooted without a drive"), "{e}");
        assert_eq!(
            resolve_store_path(r"D:\data\{agentId}.json", "main", None).unwrap(),
            PathBuf::from(r"D:\data\main.json")
        );
    }
}
