//! `undo --list` and `undo --dry-run`, as text and as JSON
//! (`schema/undo.schema.json`).

use crate::apply::{FileCheck, Verdict};
use crate::backup::runs::{Blocking, Run};
use crate::exit::Exit;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// `bytes` in the largest binary unit under 1024 of it: `512 B`, `3.2 KiB`.
fn size(bytes: u64) -> String {
    let mut v = bytes as f64;
    for unit in ["B", "KiB", "MiB", "GiB"] {
        if v < 1024.0 || unit == "GiB" {
            return if unit == "B" {
                format!("{bytes} B")
            } else {
                format!("{v:.1} {unit}")
            };
        }
        v /= 1024.0;
    }
    unreachable!()
}

/// What the run changed, in words, with what its manifest does not mark
/// done, or why the manifest cannot be read.
fn changes(r: &Run) -> String {
    match &r.error {
        Some(e) => format!("manifest unreadable: {e}"),
        None if r.unfinished > 0 => {
            format!("{} ({} not marked done)", r.changes.words(), r.unfinished)
        }
        None => r.changes.words(),
    }
}

/// The runs under `root` (newest first) as a table.
pub fn list_text(root: &Path, runs: &[Run], out: &mut dyn Write) -> std::io::Result<()> {
    if runs.is_empty() {
        return writeln!(out, "no sessfix backup in {}", root.display());
    }
    writeln!(out, "Backups in {} (newest first):", root.display())?;
    let rows: Vec<[String; 5]> = runs
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.created.clone().unwrap_or_else(|| "?".into()),
                if r.undone { "yes" } else { "no" }.into(),
                size(r.bytes),
                changes(r),
            ]
        })
        .collect();
    let head = ["RUN", "MADE", "UNDONE", "SIZE", "CHANGES"];
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    for row in std::iter::once(head.map(String::from)).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 4 {
                    c.clone()
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        writeln!(out, "{}", line.join("  "))?;
    }
    Ok(())
}

/// The runs under `root` as one JSON document:
/// `{schemaVersion, backupDir, runs: [{id, dir, created, stateDir, undone,
/// changes, unfinished, bytes, error?}]}`.
pub fn list_json(root: &Path, runs: &[Run], out: &mut dyn Write) -> std::io::Result<()> {
    let runs: Vec<Value> = runs
        .iter()
        .map(|r| {
            let mut v = json!({
                "id": r.id,
                "dir": r.dir,
                "created": r.created,
                "stateDir": r.state_dir,
                "undone": r.undone,
                "changes": r.changes,
                "unfinished": r.unfinished,
                "bytes": r.bytes,
            });
            if let Some(e) = &r.error {
                v["error"] = e.clone().into();
            }
            v
        })
        .collect();
    super::json::write_document(json!({ "backupDir": root, "runs": runs }), out)
}

/// What `undo --dry-run` found (`ops::undo::DryRun`'s fields).
pub struct Preview<'a> {
    pub run: &'a Run,
    pub files: &'a [FileCheck],
    pub blocking: &'a [Blocking],
    pub gateway: Option<&'a str>,
    pub exit: Exit,
}

/// A verdict's JSON name and its words (`None`: no more to say).
fn verdict(v: &Verdict) -> (&'static str, Option<&str>) {
    match v {
        Verdict::Restore => ("restore", None),
        Verdict::NotMade => ("not-made", Some("the change was never made")),
        Verdict::Changed(why) => ("changed", Some(why)),
        Verdict::Blocked(why) => ("blocked", Some(why)),
    }
}

/// `undo --dry-run` as text: one line per file, then what a real run does.
pub fn preview_text(p: &Preview<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Undo of run {} (backed up in {}); dry run, nothing is changed:",
        p.run.id,
        p.run.dir.display()
    )?;
    for f in p.files {
        let (_, why) = verdict(&f.verdict);
        let word = match f.verdict {
            Verdict::Restore => "restore",
            Verdict::NotMade => "nothing",
            Verdict::Changed(_) | Verdict::Blocked(_) => "refuse",
        };
        match why {
            Some(why) => writeln!(out, "  {word:<8} {}: {why}", f.path.display())?,
            None => writeln!(out, "  {word:<8} {} ({})", f.path.display(), f.action)?,
        }
    }
    let restore = p
        .files
        .iter()
        .filter(|f| f.verdict == Verdict::Restore)
        .count();
    let verdict = if !p.blocking.is_empty() {
        let ids: Vec<&str> = p.blocking.iter().map(|b| b.id.as_str()).collect();
        format!(
            "would refuse: newer runs not undone changed the same files ({}); undo them first",
            ids.join(", ")
        )
    } else if let Some(g) = p.gateway {
        format!("would refuse: {g}")
    } else if p.exit != Exit::Ok
        && p.files
            .iter()
            .all(|f| !matches!(f.verdict, Verdict::Changed(_)))
    {
        "would refuse: files that cannot be restored now (marked refuse above)".into()
    } else if p.exit != Exit::Ok {
        "would refuse: files changed since the repair (marked refuse above)".into()
    } else {
        format!(
            "would restore {} and mark the run undone",
            crate::text::plural(restore, "file", "files")
        )
    };
    writeln!(out, "A real run {verdict} (exit {}).", p.exit.code())
}

/// `undo --dry-run --json`: `{schemaVersion, run, backup, files: [{path,
/// action, verdict, reason?}], blockedBy: [{run, paths}], gateway, exit}`.
pub fn preview_json(p: &Preview<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let files: Vec<Value> = p
        .files
        .iter()
        .map(|f| {
            let (name, why) = verdict(&f.verdict);
            let mut v = json!({ "path": f.path, "action": f.action, "verdict": name });
            if let Some(why) = why {
                v["reason"] = why.into();
            }
            v
        })
        .collect();
    super::json::write_document(
        json!({
            "run": p.run.id,
            "backup": p.run.dir,
            "files": files,
            "blockedBy": p.blocking,
            "gateway": p.gateway,
            "exit": p.exit.code(),
        }),
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(3 * 1024 + 200), "3.2 KiB");
        assert_eq!(size(55 << 20), "55.0 MiB");
    }
}
