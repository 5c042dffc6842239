//! The repair plan for a person: each change, an optional unified diff, and
//! the totals last (where a long listing ends and the eye lands).

use super::{plural, Renderer, RepairDoc, Style};
use crate::plan::{DiffSources, IndexWrite, Plan, TranscriptCut};
use std::io::Write;
use std::path::Path;

/// Transcript lines longer than this are shown shortened, with their length.
const MAX_DIFF_LINE: usize = 240;

/// The totals of a plan, as a person reads them before saying yes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub flagged: usize,
    pub ended: usize,
    pub locks: usize,
    pub temp_files: usize,
    pub transcripts: usize,
    pub rewritten: usize,
    /// Index entries rebuilt for sessions a rebuild of the index dropped.
    pub rebuilt: usize,
    /// SQLite-era edits: sessions untombstoned or re-queued, leases removed.
    pub database_edits: usize,
    /// Queue files written or removed (`plan::delivery`).
    pub queue_files: usize,
    pub left_alone: usize,
}

impl Totals {
    pub fn of(plan: &Plan) -> Totals {
        let edits = plan.indexes.iter().flat_map(|w| &w.edits);
        let removed = |what: &str| plan.removals.iter().filter(|r| r.what == what).count();
        Totals {
            flagged: edits.clone().filter(|e| e.action == "flag").count(),
            ended: edits.clone().filter(|e| e.action == "end").count(),
            rebuilt: edits.filter(|e| e.action == "rebuild").count(),
            locks: removed("transcript lock") + removed("index lock"),
            temp_files: removed("index temp file"),
            transcripts: plan.transcripts.len(),
            rewritten: plan.indexes.iter().filter(|w| w.rewrite_strict).count(),
            database_edits: plan.sqlite.len(),
            queue_files: plan.queues.len(),
            left_alone: plan.left_alone.len(),
        }
    }
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} flagged to resume, {} ended, {} removed, {} removed, {} cut",
            plural(self.flagged, "session", "sessions"),
            plural(self.ended, "session", "sessions"),
            plural(self.locks, "lock", "locks"),
            plural(self.temp_files, "temp file", "temp files"),
            plural(self.transcripts, "transcript", "transcripts"),
        )?;
        if self.rewritten > 0 {
            write!(
                f,
                ", {} rewritten as strict JSON",
                plural(self.rewritten, "index", "indexes")
            )?;
        }
        if self.rebuilt > 0 {
            write!(
                f,
                ", {} rebuilt",
                plural(
                    self.rebuilt,
                    "dropped session's entry",
                    "dropped sessions' entries"
                )
            )?;
        }
        if self.database_edits > 0 {
            write!(
                f,
                ", {} in SQLite",
                plural(self.database_edits, "edit", "edits")
            )?;
        }
        if self.queue_files > 0 {
            write!(
                f,
                ", {} in the delivery queue",
                plural(self.queue_files, "edit", "edits")
            )?;
        }
        if self.left_alone > 0 {
            write!(
                f,
                "; {} left to a person",
                plural(self.left_alone, "thing", "things")
            )?;
        }
        Ok(())
    }
}

/// One line per field change: `field: before -> after`.
fn changes(list: &[crate::plan::FieldChange], out: &mut dyn Write) -> std::io::Result<()> {
    for c in list {
        writeln!(
            out,
            "    {}: {} -> {}",
            c.field,
            c.before.as_deref().unwrap_or("(absent)"),
            c.after.as_deref().unwrap_or("(removed)")
        )?;
    }
    Ok(())
}

/// How to show a plan.
pub struct PlanView<'a> {
    pub style: Style,
    /// Show a unified diff of each index and transcript, from these bytes
    /// (`Plan::read_diff_sources`); `None`: no diff.
    pub diff: Option<&'a DiffSources>,
    /// Where the backup of a real run goes (`None`: a dry run says where it would).
    pub backup: &'a Path,
    /// The options a pasted command needs (`Settings::action_options`).
    pub actions: &'a str,
    /// Columns to wrap prose in (`table::output_width`); diffs and field
    /// changes are not wrapped.
    pub width: usize,
}

/// The width to wrap a plan shown on stderr in (the prompt's): stderr's
/// terminal, else `table::output_width`.
pub fn stderr_width() -> usize {
    terminal_size::terminal_size_of(std::io::stderr())
        .map(|(w, _)| usize::from(w.0))
        .filter(|&w| w > 0)
        .map_or_else(crate::render::table::output_width, |w| w.max(40))
}

/// `` `sessfix SUB OPTIONS` ``: a sessfix command to paste, with the options
/// that name the state the run read (`Settings::action_options`).
pub fn command(sub: &str, actions: &str) -> String {
    if actions.is_empty() {
        format!("`sessfix {sub}`")
    } else {
        format!("`sessfix {sub} {actions}`")
    }
}

impl Renderer<RepairDoc<'_>> for PlanView<'_> {
    fn render(&self, doc: &RepairDoc<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        match *doc {
            RepairDoc::DryRun { plan, report } => {
                self.plan(plan, out)?;
                if plan.is_empty() {
                    let offered = report.offered_repairs();
                    if !offered.is_empty() {
                        writeln!(out, "Repairs the findings offer, made only when named:")?;
                    }
                    for o in offered {
                        writeln!(out, "  {o}")?;
                    }
                }
                Ok(())
            }
            RepairDoc::Plan(plan) => self.plan(plan, out),
            RepairDoc::Applied { outcome, .. } => {
                // One record a line, as a log has them: not wrapped.
                for d in &outcome.done {
                    writeln!(out, "{d}")?;
                }
                if let Some(b) = outcome
                    .backup_dir
                    .as_ref()
                    .filter(|_| !outcome.done.is_empty())
                {
                    writeln!(
                        out,
                        "backup: {} ({} restores it)",
                        b.display(),
                        command("undo", self.actions)
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl PlanView<'_> {
    /// The plan: each change (with its diff when asked), then the totals.
    pub fn plan(&self, plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
        if plan.is_empty() {
            writeln!(
                out,
                "{}",
                if plan.left_alone.is_empty() {
                    "Nothing to repair."
                } else {
                    "Nothing sessfix can repair here; left to a person:"
                }
            )?;
            for l in &plan.left_alone {
                self.say(out, &format!("left alone: {l}"))?;
            }
            return Ok(());
        }
        for (i, w) in plan.indexes.iter().enumerate() {
            let strict = if w.rewrite_strict {
                " (rewrite as strict JSON)"
            } else {
                ""
            };
            self.say(out, &format!("index {}{strict}", w.path.display()))?;
            if let Some(r) = &w.restore_from {
                self.say(
                    out,
                    &format!(
                        "  restore from {} ({}, {}; the {} index goes into the backup)",
                        r.path.display(),
                        r.source.describe(),
                        plural(r.entries, "entry", "entries"),
                        r.replaces
                    ),
                )?;
            }
            for e in &w.edits {
                self.say(out, &format!("  {} [{}]: {}", e.key, e.action, e.reason))?;
                changes(&e.changes, out)?;
            }
            if let Some(d) = self.diff {
                self.index_diff(w, d.indexes.get(i).and_then(Option::as_deref), out)?;
            }
        }
        for (i, c) in plan.transcripts.iter().enumerate() {
            self.say(
                out,
                &format!(
                    "transcript {}: cut {} from offset {} ({}): {}",
                    c.path.display(),
                    plural((c.size - c.at) as usize, "byte", "bytes"),
                    c.at,
                    c.key,
                    c.reason
                ),
            )?;
            if let Some(d) = self.diff {
                self.cut_diff(c, d.cuts.get(i).and_then(Option::as_ref), out)?;
            }
        }
        for r in &plan.removals {
            self.say(
                out,
                &format!("remove {} ({}): {}", r.path.display(), r.what, r.reason),
            )?;
        }
        for e in &plan.sqlite {
            self.say(
                out,
                &format!(
                    "database {}\n  {} [{}]: {}",
                    e.path.display(),
                    e.key,
                    e.action,
                    e.reason
                ),
            )?;
            changes(&e.changes, out)?;
        }
        for q in &plan.queues {
            let head = match (&q.from, q.action) {
                (Some(from), _) => {
                    format!("{} {} -> {}", q.action, from.display(), q.path.display())
                }
                (None, "prune") => format!("remove {}", q.path.display()),
                (None, _) => format!("{} {}", q.action, q.path.display()),
            };
            let key = q
                .key
                .as_deref()
                .map(|k| format!(" ({k})"))
                .unwrap_or_default();
            self.say(out, &format!("{head}{key}: {}", q.reason))?;
            changes(&q.changes, out)?;
        }
        for l in &plan.left_alone {
            self.say(out, &format!("left alone: {l}"))?;
        }
        writeln!(out)?;
        self.say(out, &format!("Plan: {}.", Totals::of(plan)))?;
        self.say(
            out,
            &format!(
                "Backup: every file changed or removed (and every database edited, whole) is copied first into {}; `sessfix undo` restores it.",
                // With this OS's separator: `<root>\\<time>-<pid>\\` on Windows.
                self.backup.join("<time>-<pid>").join("").display(),
            ),
        )
    }

    /// Write `text` wrapped at spaces to `self.width` columns: each of its
    /// lines keeps its indent, and lines it is wrapped into are indented 4
    /// more; a word longer than the width (a path, a key) and a quoted
    /// command (`` `sessfix undo --state-dir DIR` ``, to paste) stay whole.
    fn say(&self, out: &mut dyn Write, text: &str) -> std::io::Result<()> {
        // A command it quotes carries the state's options, to be pasted.
        let pasteable = crate::text::pasteable(text, self.actions);
        let text = pasteable.as_deref().unwrap_or(text);
        for line in text.split('\n') {
            let indent = line.len() - line.trim_start_matches(' ').len();
            let fit = self.width.saturating_sub(indent + 4).max(20);
            for (i, l) in crate::render::table::wrap(line, fit).iter().enumerate() {
                let pad = if i == 0 { indent } else { indent + 4 };
                writeln!(out, "{:pad$}{l}", "")?;
            }
        }
        Ok(())
    }

    fn paint(&self, code: &str, text: &str) -> String {
        self.style.paint(code, text)
    }

    /// A unified diff of one index; each hunk header names the sessions it
    /// touches.
    /// `bytes`: the index as the plan read it (a restore's: the copy it
    /// restores), `None` when it changed since.
    fn index_diff(
        &self,
        w: &IndexWrite,
        bytes: Option<&[u8]>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let Some(bytes) = bytes else {
            return writeln!(out, "  (no diff: the file changed since it was read)");
        };
        let before = String::from_utf8_lossy(bytes);
        let after = w.after_pieces(bytes).concat();
        let after = String::from_utf8_lossy(&after);
        let old_lines: Vec<&str> = before.split_inclusive('\n').collect();
        let new_lines: Vec<&str> = after.split_inclusive('\n').collect();
        let name = w.path.display().to_string();
        writeln!(out, "{}", self.paint("1", &format!("--- {name}")))?;
        writeln!(out, "{}", self.paint("1", &format!("+++ {name}")))?;
        let d = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
        for hunk in d.unified_diff().context_radius(3).iter_hunks() {
            let mut keys: Vec<String> = Vec::new();
            for c in hunk.iter_changes() {
                if c.tag() == similar::ChangeTag::Equal {
                    continue;
                }
                let key = match (c.old_index(), c.new_index()) {
                    (Some(i), _) => entry_key(&old_lines, i),
                    (None, Some(i)) => entry_key(&new_lines, i),
                    _ => None,
                };
                if let Some(k) = key.filter(|k| !keys.contains(k)) {
                    keys.push(k);
                }
            }
            let header = format!("{} {}", hunk.header(), keys.join(", "));
            writeln!(out, "{}", self.paint("36", header.trim_end()))?;
            for c in hunk.iter_changes() {
                let (sign, code) = match c.tag() {
                    similar::ChangeTag::Delete => ('-', "31"),
                    similar::ChangeTag::Insert => ('+', "32"),
                    similar::ChangeTag::Equal => (' ', ""),
                };
                let line = format!("{sign}{}", c.to_string_lossy().trim_end_matches('\n'));
                if code.is_empty() {
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{}", self.paint(code, &line))?;
                }
                if c.missing_newline() {
                    writeln!(out, "\\ No newline at end of file")?;
                }
            }
        }
        Ok(())
    }

    /// A transcript cut as a diff: the lines cut off the end, removed.
    /// `cut`: the lines before the cut and the bytes it removes, `None`
    /// when the transcript changed since it was read.
    fn cut_diff(
        &self,
        c: &TranscriptCut,
        cut: Option<&(usize, Vec<u8>)>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let Some((lines_before, tail)) = cut else {
            return writeln!(out, "  (no diff: the file changed since it was read)");
        };
        let text = String::from_utf8_lossy(tail);
        let cut: Vec<&str> = text.split_inclusive('\n').collect();
        let name = c.path.display().to_string();
        writeln!(out, "{}", self.paint("1", &format!("--- {name}")))?;
        writeln!(out, "{}", self.paint("1", &format!("+++ {name}")))?;
        let header = format!(
            "@@ -{},{} +{},0 @@ {}",
            lines_before + 1,
            cut.len(),
            lines_before,
            c.key
        );
        writeln!(out, "{}", self.paint("36", &header))?;
        for line in &cut {
            let body = line.trim_end_matches('\n');
            let shown = if body.len() > MAX_DIFF_LINE {
                let mut end = MAX_DIFF_LINE;
                while !body.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}... ({} more bytes)", &body[..end], body.len() - end)
            } else {
                body.to_string()
            };
            writeln!(out, "{}", self.paint("31", &format!("-{shown}")))?;
            if !line.ends_with('\n') {
                writeln!(out, "\\ No newline at end of file")?;
            }
        }
        Ok(())
    }
}

/// The key of the top-level entry that line `i` of a pretty-printed index
/// belongs to: the nearest line at or above it that opens an entry
/// (two-space indent, as `JSON.stringify(store, null, 2)` writes).
fn entry_key(lines: &[&str], i: usize) -> Option<String> {
    lines[..=i.min(lines.len().saturating_sub(1))]
        .iter()
        .rev()
        .find_map(|l| {
            let rest = l.strip_prefix("  \"")?;
            if rest.starts_with(' ') {
                return None;
            }
            let (key, tail) = rest.split_once("\":")?;
            tail.trim_start()
                .starts_with('{')
                .then(|| serde_json::from_str::<String>(&format!("\"{key}\"")).ok())
                .flatten()
        })
}

#[cfg(test)]
pub(crate) mod tests {
    //! The plan's renderers on plans built in memory (no file is read).
    use super::*;
    use crate::apply::{Change, Outcome};
    use crate::plan::sqlite::{SqliteEdit, SqliteOp};
    use crate::plan::{EntryEdit, FieldChange, FileRemoval, NewContent};
    use crate::render::json::Json;
    use std::path::PathBuf;

    const BEFORE: &str = "{\n  \"agent:main:main\": {\n    \"sessionId\": \"s1\",\n    \"status\": \"running\"\n  }\n}\n";
    const AFTER: &str = "{\n  \"agent:main:main\": {\n    \"sessionId\": \"s1\",\n    \"status\": \"running\",\n    \"abortedLastRun\": true\n  }\n}\n";

    fn identity() -> crate::fsx::Identity {
        // Any identity: renderers never show it.
        crate::fsx::Identity::of(&std::fs::metadata(env!("CARGO_MANIFEST_DIR")).unwrap())
    }

    /// A plan of one change of each kind, built in memory.
    pub(crate) fn plan() -> Plan {
        Plan {
            indexes: vec![IndexWrite {
                agent: "main".into(),
                path: PathBuf::from("/state/agents/main/sessions/sessions.json"),
                rewrite_strict: false,
                edits: vec![EntryEdit {
                    key: "agent:main:main".into(),
                    member: 0,
                    action: "flag",
                    reason: "stranded: abortedLastRun true makes the next boot select and resume it".into(),
                    changes: vec![FieldChange {
                        field: "abortedLastRun".into(),
                        before: None,
                        after: Some("true".into()),
                    }],
                }],
                before_len: BEFORE.len() as u64,
                before_hash: 0,
                after: NewContent::Whole(AFTER.as_bytes().to_vec()),
                restore_from: None,
                before_missing: false,
            }],
            transcripts: vec![TranscriptCut {
                agent: "main".into(),
                key: "agent:main:main".into(),
                path: PathBuf::from("/state/agents/main/sessions/s1.jsonl"),
                at: 20,
                size: 31,
                reason: "torn last line (no newline, not JSON) moves to the backup so the next append starts on a clean line".into(),
                identity: identity(),
            }],
            removals: vec![FileRemoval {
                agent: "main".into(),
                path: PathBuf::from("/state/agents/main/sessions/s1.jsonl.lock"),
                what: "transcript lock",
                reason: "stale: pid 4242 is not running".into(),
                bytes: Vec::new(),
                identity: None,
            }],
            sqlite: vec![SqliteEdit {
                agent: None,
                path: PathBuf::from("/state/state/openclaw.sqlite"),
                action: "delete-lease",
                key: "gateway/owner".into(),
                reason: "its owner, pid 77, is not alive".into(),
                changes: Vec::new(),
                op: SqliteOp::DeleteLease {
                    scope: "gateway".into(),
                    lease_key: "owner".into(),
                    owner: "77".into(),
                    expires_at: None,
                },
            }],
            left_alone: vec!["agent:main:cron:j: no valid sessionId, so no transcript to resume; fix the entry by hand".into()],
            queues: Vec::new(),
        }
    }

    /// A plain (no colour) view of a plan backed up in `backup`.
    fn view<'a>(
        diff: Option<&'a DiffSources>,
        backup: &'a str,
        actions: &'a str,
        width: usize,
    ) -> PlanView<'a> {
        PlanView {
            style: Style { color: false },
            diff,
            backup: Path::new(backup),
            actions,
            width,
        }
    }

    fn text(view: &PlanView<'_>, doc: RepairDoc<'_>) -> String {
        let mut out = Vec::new();
        view.render(&doc, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn json(doc: RepairDoc<'_>) -> String {
        let mut out = Vec::new();
        Json.render(&doc, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn prose_wraps_at_spaces_keeping_quoted_commands_whole() {
        let prose = "Backup: copied first into /srv/oc/sessfix-backups/<time>-<pid>/; `sessfix undo --state-dir /srv/oc` restores it.";
        let lines = crate::render::table::wrap(prose, 40);
        assert_eq!(
            lines,
            [
                "Backup: copied first into",
                "/srv/oc/sessfix-backups/<time>-<pid>/;",
                "`sessfix undo --state-dir /srv/oc`",
                "restores it."
            ]
        );
        assert_eq!(lines.join(" "), prose);
        // Longer than a line, a command is wrapped at its own spaces.
        let lines = crate::render::table::wrap(prose, 20);
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() <= 20 || !l.contains(' ')),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), prose);
        let plan = plan();
        let view = view(None, "/state/sessfix-backups", "", 60);
        let shown = text(&view, RepairDoc::Plan(&plan));
        for l in shown.lines() {
            assert!(l.chars().count() <= 60 || !l.trim().contains(' '), "{l:?}");
        }
    }

    #[test]
    fn the_undo_named_carries_the_state_options() {
        let plan = plan();
        let view = view(None, "/srv/oc/sessfix-backups", "--state-dir /srv/oc", 100);
        let shown = text(&view, RepairDoc::Plan(&plan));
        assert!(
            shown.contains("; `sessfix undo --state-dir /srv/oc` restores it."),
            "{shown}"
        );
        assert_eq!(command("undo", ""), "`sessfix undo`");
    }

    #[test]
    fn plan_as_text() {
        let plan = plan();
        let view = view(None, "/state/sessfix-backups", "", 100);
        insta::assert_snapshot!(same_on_windows(text(&view, RepairDoc::Plan(&plan))));
    }

    /// The snapshot as a Unix build shows it: the backup line joins the
    /// root with this OS's separator (`\\<time>-<pid>\\` on Windows).
    fn same_on_windows(shown: String) -> String {
        shown.replace("\\<time>-<pid>\\", "/<time>-<pid>/")
    }

    #[test]
    fn plan_as_text_with_diffs() {
        let plan = plan();
        let sources = DiffSources {
            indexes: vec![Some(BEFORE.as_bytes().to_vec())],
            cuts: vec![Some((3, b"{\"type\":\"mess".to_vec()))],
        };
        let view = view(Some(&sources), "/state/sessfix-backups", "", 100);
        insta::assert_snapshot!(same_on_windows(text(&view, RepairDoc::Plan(&plan))));
        // A file changed since it was read: no diff, and a line that says so.
        let changed = DiffSources {
            indexes: vec![None],
            cuts: vec![None],
        };
        let view = PlanView {
            diff: Some(&changed),
            ..view
        };
        insta::assert_snapshot!(
            "plan_as_text_changed_since",
            same_on_windows(text(&view, RepairDoc::Plan(&plan)))
        );
    }

    #[test]
    fn nothing_to_repair() {
        let view = view(None, "/state/sessfix-backups", "", 100);
        let empty = Plan::default();
        assert_eq!(text(&view, RepairDoc::Plan(&empty)), "Nothing to repair.\n");
        let left = Plan {
            left_alone: plan().left_alone,
            ..Plan::default()
        };
        insta::assert_snapshot!(text(&view, RepairDoc::Plan(&left)));
    }

    fn outcome() -> Outcome {
        Outcome {
            done: vec![Change {
                action: "set-field",
                path: PathBuf::from("/state/agents/main/sessions/sessions.json"),
                key: Some("agent:main:main".into()),
                field: Some("abortedLastRun".into()),
                before: None,
                after: Some("true".into()),
                bytes: None,
                detail: String::new(),
            }],
            changed: Vec::new(),
            backup_dir: Some(PathBuf::from(
                "/state/sessfix-backups/20261124T030000.000Z-4242",
            )),
        }
    }

    #[test]
    fn applied_as_text_and_json() {
        let plan = plan();
        let outcome = outcome();
        let doc = RepairDoc::Applied {
            plan: &plan,
            applied: true,
            outcome: &outcome,
        };
        let view = view(None, "", "", 100);
        insta::assert_snapshot!("applied_text", text(&view, doc));
        insta::assert_snapshot!("applied_json", json(doc));
    }

    #[test]
    fn nothing_applied_as_json() {
        let plan = Plan::default();
        let outcome = Outcome::default();
        insta::assert_snapshot!(json(RepairDoc::Applied {
            plan: &plan,
            applied: false,
            outcome: &outcome,
        }));
    }
}
