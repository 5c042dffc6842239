//! The gateway's config file, `openclaw.json` (JSON5), read once for the
//! facts other readers need (`session.store`, `meta.lastTouchedVersion`).

use super::Problem;
use crate::fsx;
use std::path::{Path, PathBuf};

/// The largest config sessfix reads.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The config file the gateway would load, parsed.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The first existing candidate of `discover::config_path_candidates`
    /// (`OPENCLAW_CONFIG_PATH`, then `<state>/openclaw.json`, then
    /// `<state>/clawdbot.json`); `None` when none exists.
    pub path: Option<PathBuf>,
    /// Its JSON5 value, when it could be read and parsed.
    pub value: Option<serde_json::Value>,
}

impl Config {
    /// The value at a dotted path of object keys (`"session.store"`).
    pub fn get(&self, dotted: &str) -> Option<&serde_json::Value> {
        dotted
            .split('.')
            .try_fold(self.value.as_ref()?, |v, k| v.as_object()?.get(k))
    }

    /// `get` as a string.
    pub fn get_str(&self, dotted: &str) -> Option<&str> {
        self.get(dotted).and_then(serde_json::Value::as_str)
    }
}

impl Config {
    /// The configured agents, in order, as (id, entry): the object
    /// `agents.entries` keyed by id (2026.9.6's doctor writes it) or else the
    /// array `agents.list` (`readAgentRosterProperty`,
    /// `agent-scope-config-*.mjs` of 2026.9.6); `None` with neither.
    fn roster(&self) -> Option<Vec<(&str, &serde_json::Value)>> {
        if let Some(entries) = self.get("agents.entries").filter(|e| !e.is_null()) {
            return Some(entries.as_object().map_or_else(Vec::new, |m| {
                m.iter()
                    .filter(|(_, e)| e.is_object())
                    .map(|(id, e)| (id.as_str(), e))
                    .collect()
            }));
        }
        let list = self.get("agents.list").filter(|l| !l.is_null())?;
        Some(list.as_array().map_or_else(Vec::new, |list| {
            list.iter()
                .filter_map(|a| Some((a.get("id")?.as_str()?, a)))
                .collect()
        }))
    }

    /// The configured agent ids (`agents.entries` keys or `agents.list[].id`),
    /// normalised as agent ids are; `None` when the config has neither (then
    /// only the default agent `main` exists).
    pub fn agents(&self) -> Option<Vec<String>> {
        self.roster().map(|r| {
            r.into_iter()
                .map(|(id, _)| super::discover::normalize_agent_id(id))
                .collect()
        })
    }

    /// The default agent (`resolveDefaultAgentId`): the configured entry
    /// with `default: true`, else the first one, else `main`.
    pub fn default_agent(&self) -> String {
        self.roster()
            .and_then(|r| {
                r.iter()
                    .find(|(_, a)| a.get("default").and_then(|d| d.as_bool()) == Some(true))
                    .or(r.first())
                    .map(|(id, _)| super::discover::normalize_agent_id(id))
            })
            .unwrap_or_else(|| "main".into())
    }
}

/// Read the config from the first candidate that exists. A config that is a
/// symlink is followed wherever it points (it is only read, and
/// `OPENCLAW_CONFIG_PATH` may name any file). `$include` and `${VAR}`
/// substitution of the gateway's config loader are not applied.
///
/// A candidate that exists but cannot be read or parsed as JSON5 gives a
/// `Problem` and a `Config` with that `path` and no `value`; the later
/// candidates are not tried (the gateway would not try them either).
pub fn read(candidates: &[PathBuf]) -> (Config, Vec<Problem>) {
    for path in candidates {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            _ => {}
        }
        let problem = |message: String| Problem {
            path: path.clone(),
            message,
        };
        let real = fsx::realpath_or_self(path);
        let bytes = match fsx::read_regular(&real, MAX_CONFIG_BYTES) {
            Ok((b, _)) => b,
            Err(e) => {
                return (
                    Config {
                        path: Some(path.clone()),
                        value: None,
                    },
                    vec![problem(format!("the config cannot be read: {e}"))],
                )
            }
        };
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|s| json5::from_str::<serde_json::Value>(s).map_err(|e| e.to_string()));
        return match parsed {
            Ok(value) => (
                Config {
                    path: Some(path.clone()),
                    value: Some(value),
                },
                Vec::new(),
            ),
            Err(e) => (
                Config {
                    path: Some(path.clone()),
                    value: None,
                },
                vec![problem(format!("the config is not valid JSON5: {e}"))],
            ),
        };
    }
    (Config::default(), Vec::new())
}

/// `read` of `discover::config_path_candidates(state_dir, override_path)`.
pub fn read_for(state_dir: &Path, override_path: Option<&Path>) -> (Config, Vec<Problem>) {
    read(&super::discover::config_path_candidates(
        state_dir,
        override_path,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json5_config_and_dotted_lookup() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("openclaw.json");
        std::fs::write(
            &p,
            "// written by hand\n{ meta: { lastTouchedVersion: '2026.7.35', }, session: { store: \"~/s.json\" } }",
        )
        .unwrap();
        let (c, problems) = read_for(d.path(), None);
        assert!(problems.is_empty());
        assert_eq!(c.path.as_deref(), Some(p.as_path()));
        assert_eq!(c.get_str("meta.lastTouchedVersion"), Some("2026.7.35"));
        assert_eq!(c.get_str("session.store"), Some("~/s.json"));
        assert_eq!(c.get("session.nope"), None);
        assert_eq!(c.agents(), None);
        assert_eq!(c.default_agent(), "main");
        std::fs::write(
            &p,
            "{ agents: { list: [ {id: 'Main'}, {id: \"work\", default: true}, ] } }",
        )
        .unwrap();
        let (c, _) = read_for(d.path(), None);
        assert_eq!(c.agents(), Some(vec!["main".to_string(), "work".into()]));
        assert_eq!(c.default_agent(), "work");
        // 2026.9.6's doctor rewrites the list as `agents.entries`, keyed by id.
        std::fs::write(
            &p,
            "{ agents: { ownership: 'explicit', entries: { main: {workspace: '/w'}, Work: {}, x: 1 } } }",
        )
        .unwrap();
        let (c, _) = read_for(d.path(), None);
        assert_eq!(c.agents(), Some(vec!["main".to_string(), "work".into()]));
        assert_eq!(c.default_agent(), "main");
    }

    #[test]
    fn missing_and_invalid_configs() {
        let d = tempfile::tempdir().unwrap();
        let (c, problems) = read_for(d.path(), None);
        assert!(c.path.is_none() && problems.is_empty());
        std::fs::write(d.path().join("openclaw.json"), "{ nope").unwrap();
        std::fs::write(d.path().join("clawdbot.json"), "{}").unwrap();
        let (c, problems) = read_for(d.path(), None);
        assert!(c.value.is_none());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("JSON5"), "{problems:?}");
    }
}
