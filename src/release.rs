//! Which OpenClaw release the next boot runs, from what can be read offline,
//! and so which release lines' rules the analysis applies. Pure: the facts
//! come from `state::release`.
//!
//! Precedence: `--openclaw-version` (or `SESSFIX_OPENCLAW_VERSION`) wins; else
//! the installed `openclaw` package, which is what the next boot runs; else
//! what last ran on the state (`state/openclaw.sqlite` `schema_meta`
//! `startup-migrations.app_version`, written by 2026.7.1-2+ boots; then
//! `openclaw.json` `meta.lastTouchedVersion`, written by config writes). When
//! none tells one release, the release is unknown: every line out by now is
//! predicted (`lines::unknown_release_lines`), and nothing is picked.

use crate::rules::lines::{self, LineRules, LineSet, Version};
use serde::Serialize;
use std::path::PathBuf;

/// A version named on the command line or in the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested {
    pub version: Version,
    /// `--openclaw-version` or `SESSFIX_OPENCLAW_VERSION`.
    pub from: &'static str,
}

/// What the host says about the release, as read (see `state::release`).
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Installed `openclaw` packages: version text and package dir.
    pub installed: Vec<(String, PathBuf)>,
    /// `state/openclaw.sqlite` `schema_meta` `startup-migrations.app_version`.
    pub state_db: Option<(String, PathBuf)>,
    /// `openclaw.json` `meta.lastTouchedVersion`.
    pub config_touched: Option<(String, PathBuf)>,
}

/// The release the analysis follows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// The release, when one could be told.
    pub version: Option<String>,
    /// Where it came from: `option`, `env`, `installed`, `state-db`,
    /// `config`; `None` when unknown.
    pub source: Option<&'static str>,
    /// The file or option it was read from, in words.
    pub evidence: Option<String>,
    /// The release line whose rules apply (its first release), when known.
    pub line: Option<&'static str>,
    /// The lines predicted: one when the release is known, every line out by
    /// now when it is not (`lines::unknown_release_lines`).
    pub lines: Vec<&'static str>,
    /// Disagreements and why the release is unknown, in words.
    pub notes: Vec<String>,
    #[serde(skip)]
    pub set: LineSet,
}

impl Release {
    /// The release was told by the state itself (`state-db`, `config`): it
    /// is what last used the state, so it opened its databases, and no skew
    /// between them and it is predicted (a database whose schema that release
    /// cannot open says the record is wrong, not that it refuses).
    pub fn from_the_state(&self) -> bool {
        matches!(self.source, Some("state-db" | "config"))
    }

    /// The release is known and its line is this one.
    pub fn known(version: Version, source: &'static str, evidence: String) -> Release {
        let line = lines::line_of(version);
        Release {
            version: Some(version.to_string()),
            source: Some(source),
            evidence: Some(evidence),
            line: Some(line.name),
            lines: vec![line.name],
            notes: Vec::new(),
            set: LineSet::one(line),
        }
    }

    fn unknown(mut notes: Vec<String>, now_ms: i64) -> Release {
        let set = lines::unknown_release_lines(now_ms);
        notes.push(crate::rules::unknown_release_note(set));
        Release {
            version: None,
            source: None,
            evidence: None,
            line: None,
            lines: set.iter().map(|l| l.name).collect(),
            notes,
            set,
        }
    }

    /// The single line's rules, when the release is known.
    pub fn line_rules(&self) -> Option<&'static LineRules> {
        self.line.and_then(lines::by_name)
    }
}

fn parsed(text: &str) -> Option<Version> {
    Version::parse(text).ok()
}

/// Choose the release from the request and the host's evidence, at `now_ms`
/// (Unix ms: a release not known is one of the lines out by then).
pub fn select(requested: Option<Requested>, ev: &Evidence, now_ms: i64) -> Release {
    let mut notes = Vec::new();
    let mut installed: Vec<(Version, &PathBuf)> = Vec::new();
    for (text, dir) in &ev.installed {
        match parsed(text) {
            Some(v) => installed.push((v, dir)),
            None => notes.push(format!(
                "{}: package.json version {text:?} is not an OpenClaw version",
                dir.display()
            )),
        }
    }
    let mut distinct: Vec<Version> = installed.iter().map(|(v, _)| *v).collect();
    distinct.sort();
    distinct.dedup();
    let state_db = ev
        .state_db
        .as_ref()
        .and_then(|(t, p)| parsed(t).map(|v| (v, p)));
    let config = ev
        .config_touched
        .as_ref()
        .and_then(|(t, p)| parsed(t).map(|v| (v, p)));
    let last_ran = state_db.or(config);

    if let Some(r) = requested {
        let mut rel = Release::known(
            r.version,
            if r.from.starts_with("--") {
                "option"
            } else {
                "env"
            },
            r.from.to_string(),
        );
        if let [only] = distinct.as_slice() {
            if lines::line_of(*only) != lines::line_of(r.version) {
                rel.notes.push(format!(
                    "the installed openclaw package is {only}, of another release line than {}",
                    r.version
                ));
            }
        }
        return rel;
    }
    match distinct.as_slice() {
        [only] => {
            let (_, dir) = installed.iter().find(|(v, _)| v == only).unwrap();
            let mut rel = Release::known(*only, "installed", format!("{}", dir.display()));
            if let Some((last, path)) = last_ran {
                if last != *only {
                    rel.notes.push(format!(
                        "the state was last used by {last} ({}); the next boot runs the installed {only}",
                        path.display()
                    ));
                }
            }
            return rel;
        }
        [] => {}
        many => {
            notes.push(format!(
                "several openclaw packages are installed ({}); which one the gateway runs is not known: pass --openclaw-version",
                installed
                    .iter()
                    .map(|(v, d)| format!("{v} in {}", d.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let _ = many;
            return Release::unknown(notes, now_ms);
        }
    }
    if let Some((v, path)) = last_ran {
        let source = if state_db.is_some() {
            "state-db"
        } else {
            "config"
        };
        let mut rel = Release::known(v, source, format!("{}", path.display()));
        rel.notes.push(format!(
            "no installed openclaw package was found; {v} is the release that last used this state, and an upgrade since then is not seen: pass --openclaw-version if it differs"
        ));
        rel.notes.extend(notes);
        return rel;
    }
    notes.push(
        "no openclaw package found on PATH or in the usual global prefixes, and neither state/openclaw.sqlite nor openclaw.json names a release".into(),
    );
    Release::unknown(notes, now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-30T00:00:00Z: every line is out.
    const NOW: i64 = 1_795_996_800_000;

    fn ev(installed: &[&str], state_db: Option<&str>, config: Option<&str>) -> Evidence {
        Evidence {
            installed: installed
                .iter()
                .enumerate()
                .map(|(i, v)| (v.to_string(), PathBuf::from(format!("/p{i}/openclaw"))))
                .collect(),
            state_db: state_db.map(|v| (v.to_string(), PathBuf::from("/s/state/openclaw.sqlite"))),
            config_touched: config.map(|v| (v.to_string(), PathBuf::from("/s/openclaw.json"))),
        }
    }

    #[test]
    fn the_option_wins_then_the_installed_package_then_the_state() {
        let req = Some(Requested {
            version: Version::parse("2026.5.12").unwrap(),
            from: "--openclaw-version",
        });
        let r = select(req, &ev(&["2026.7.35"], Some("2026.7.1-2"), None), NOW);
        assert_eq!(
            (r.version.as_deref(), r.source, r.line),
            (Some("2026.5.12"), Some("option"), Some("2026.4.25"))
        );
        assert_eq!(r.notes.len(), 1, "the other installed line is noted");

        let r = select(
            None,
            &ev(&["2026.7.35"], Some("2026.7.1-2"), Some("2026.6.5")),
            NOW,
        );
        assert_eq!(
            (r.version.as_deref(), r.source, r.line),
            (Some("2026.7.35"), Some("installed"), Some("2026.7.1"))
        );
        assert!(r.notes[0].contains("last used by 2026.7.1-2"));

        let r = select(None, &ev(&[], Some("2026.7.1-2"), Some("2026.6.5")), NOW);
        assert_eq!((r.source, r.line), (Some("state-db"), Some("2026.7.1")));
        let r = select(None, &ev(&[], None, Some("2026.6.5")), NOW);
        assert_eq!((r.source, r.line), (Some("config"), Some("2026.6.1")));
    }

    #[test]
    fn nothing_or_conflicting_packages_is_unknown_and_predicts_every_line() {
        for e in [
            ev(&[], None, None),
            ev(&["2026.5.12", "2026.7.35"], None, None),
        ] {
            let r = select(None, &e, NOW);
            assert_eq!((r.version.as_deref(), r.source, r.line), (None, None, None));
            assert_eq!(r.set, lines::unknown_release_lines(NOW));
            assert!(!r.notes.is_empty());
        }
        // the same version twice (two prefixes) is one release
        let r = select(None, &ev(&["2026.6.11", "2026.6.11"], None, None), NOW);
        assert_eq!(r.line, Some("2026.6.9"));
    }
}
