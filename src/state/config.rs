//! The gateway's config file (`openclaw.json`, JSON5), read for the facts the
//! boot rules depend on. Reading never fails the run: a config that cannot be
//! read is a problem reported with its path, and the facts stay unknown.

use super::Problem;
use std::path::{Path, PathBuf};

/// The largest config sessfix reads.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// What the config says, where sessfix needs it.
#[derive(Debug, Clone, Default)]
pub struct ConfigFacts {
    /// The config file read (the first candidate that exists).
    pub path: Option<PathBuf>,
    /// `agents.list[].id`, normalised as agent ids are; `None` when the
    /// config has no list (then only the default agent `main` exists).
    pub agents: Option<Vec<String>>,
    /// The default agent (`resolveDefaultAgentId`): the `agents.list` entry
    /// with `default: true`, else the first one, else `main`.
    pub default_agent: String,
    /// `meta.lastTouchedVersion`: the release of the last CLI config write.
    pub last_touched_version: Option<String>,
    /// Why the config could not be read.
    pub problem: Option<Problem>,
}

/// Read the first config candidate that exists (`discover::config_path_candidates`).
pub fn read(candidates: &[PathBuf]) -> ConfigFacts {
    let none = ConfigFacts {
        default_agent: "main".into(),
        ..ConfigFacts::default()
    };
    let Some(path) = candidates
        .iter()
        .find(|p| std::fs::symlink_metadata(p).is_ok())
    else {
        return none;
    };
    let mut facts = ConfigFacts {
        path: Some(path.clone()),
        ..none
    };
    match parse(path) {
        Ok(v) => {
            facts.agents = v
                .pointer("/agents/list")
                .and_then(|l| l.as_array())
                .map(|list| {
                    list.iter()
                        .filter_map(|a| a.get("id").and_then(|i| i.as_str()))
                        .map(super::discover::normalize_agent_id)
                        .collect()
                });
            let list = v.pointer("/agents/list").and_then(|l| l.as_array());
            let id_of = |a: &serde_json::Value| {
                a.get("id")
                    .and_then(|i| i.as_str())
                    .map(super::discover::normalize_agent_id)
            };
            if let Some(list) = list {
                let default = list
                    .iter()
                    .find(|a| a.get("default").and_then(|d| d.as_bool()) == Some(true))
                    .or(list.first());
                if let Some(id) = default.and_then(id_of) {
                    facts.default_agent = id;
                }
            }
            facts.last_touched_version = v
                .pointer("/meta/lastTouchedVersion")
                .and_then(|x| x.as_str())
                .map(str::to_string);
        }
        Err(message) => {
            facts.problem = Some(Problem {
                path: path.clone(),
                message,
            })
        }
    }
    facts
}

fn parse(path: &Path) -> Result<serde_json::Value, String> {
    let (bytes, _) = crate::fsx::read_regular(path, MAX_CONFIG_BYTES)
        .map_err(|e| format!("the config cannot be read: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "the config is not UTF-8".to_string())?;
    let value: serde_json::Value =
        json5::from_str(&text).map_err(|e| format!("the config is not JSON5: {e}"))?;
    if !value.is_object() {
        return Err("the config is not a JSON5 object".into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_list_and_last_touched_version_from_json5() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("openclaw.json");
        std::fs::write(
            &p,
            "{ // JSON5\n agents: { list: [ {id: 'Main'}, {id: \"work\"}, ] },\n meta: {lastTouchedVersion: '2026.6.5'} }",
        )
        .unwrap();
        let c = read(&[dir.path().join("missing.json"), p.clone()]);
        assert_eq!(c.path.as_deref(), Some(p.as_path()));
        assert_eq!(c.agents, Some(vec!["main".to_string(), "work".into()]));
        assert_eq!(c.default_agent, "main");
        assert_eq!(c.last_touched_version.as_deref(), Some("2026.6.5"));
        assert!(c.problem.is_none());

        std::fs::write(&p, "{ agents: ").unwrap();
        let c = read(std::slice::from_ref(&p));
        assert!(c.agents.is_none());
        assert!(c.problem.unwrap().message.contains("not JSON5"));

        assert!(read(&[dir.path().join("none.json")]).path.is_none());
    }
}
