//! `repair --rebuild-dropped` (file era): an index entry added for each
//! session a rebuild of the index dropped (`Agent::dropped_sessions`,
//! openclaw#66522), under `rules::rebuilt_key`, from its transcript: its
//! session id (the file's name, which the gateway reads it by) and when it
//! was last active. Every other byte of the index is kept; the entries are
//! inserted after its last member, laid out as its members are.

use super::splice::{js_stringify, Splice};
use super::{EntryEdit, FieldChange};
use crate::json::ObjectDoc;
use crate::state::Agent;
use std::borrow::Cow;

/// What `--rebuild-dropped` adds to `agent`'s index (`src`), when asked and
/// the index is usable.
pub(crate) fn planned(
    agent: &Agent,
    src: &[u8],
    opts: super::PlanOptions,
) -> (Vec<Splice>, Vec<EntryEdit>) {
    match &agent.store.doc {
        Some(doc) if opts.rebuild_dropped && agent.index_usable() => {
            dropped_entries(agent, src, doc, opts.now_ms)
        }
        _ => (Vec::new(), Vec::new()),
    }
}

/// The splices that add the entries, and an edit per entry (action
/// `rebuild`, each field a change from absent). A key already in the index
/// is not added again.
pub(crate) fn dropped_entries(
    agent: &Agent,
    src: &[u8],
    doc: &ObjectDoc,
    now_ms: i64,
) -> (Vec<Splice>, Vec<EntryEdit>) {
    let mut text = String::new();
    let mut edits = Vec::new();
    let (sep, indent) = layout(src, doc);
    for (u, last) in agent.dropped_sessions(now_ms) {
        let id = u.file.strip_suffix(".jsonl").unwrap_or(&u.file);
        let key = crate::rules::rebuilt_key(&agent.id, id);
        if doc.members.iter().any(|m| m.key == key) {
            continue;
        }
        let fields = [
            ("sessionId", serde_json::Value::from(id)),
            ("updatedAt", serde_json::Value::from(last)),
        ];
        let value: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let body =
            js_stringify(&serde_json::Value::Object(value)).replace('\n', &format!("\n{indent}"));
        if doc.members.is_empty() && text.is_empty() {
            text.push_str(&format!("\n{indent}"));
        } else {
            text.push_str(&sep);
        }
        text.push_str(&format!(
            "{}: {body}",
            serde_json::Value::from(key.as_str())
        ));
        edits.push(EntryEdit {
            key,
            member: usize::MAX,
            action: "rebuild",
            reason: Cow::Borrowed("dropped from the index by a rebuild (openclaw#66522): its entry is rebuilt from its transcript"),
            changes: fields
                .iter()
                .map(|(k, v)| FieldChange {
                    field: Cow::Borrowed(k),
                    before: None,
                    after: Some(v.to_string()),
                })
                .collect(),
        });
    }
    if edits.is_empty() {
        return (Vec::new(), edits);
    }
    let splice = match doc.members.last() {
        Some(m) => (m.value_span.end..m.value_span.end, text.into_bytes()),
        None => {
            text.push('\n');
            (doc.open + 1..doc.close, text.into_bytes())
        }
    };
    (vec![splice], edits)
}

/// The separator between two members (`,` and the whitespace before a key)
/// and the indentation of a key, copied from the index's own layout
/// (`JSON.stringify(store, null, 2)`'s `,\n  ` when it has fewer than two
/// members).
fn layout(src: &[u8], doc: &ObjectDoc) -> (String, String) {
    let text = |r: std::ops::Range<usize>| String::from_utf8_lossy(&src[r]).into_owned();
    let sep = match doc.members.as_slice() {
        [.., a, b] => text(a.value_span.end..b.key_span.start),
        [b] => format!(",{}", text(doc.open + 1..b.key_span.start)),
        [] => ",\n  ".to_string(),
    };
    let indent = sep.rsplit('\n').next().unwrap_or("").to_string();
    let indent = if sep.contains('\n') {
        indent
    } else {
        "  ".into()
    };
    (sep, indent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(src: &str) -> ObjectDoc {
        match crate::json::parse(src.as_bytes()) {
            Ok(crate::json::Parsed::Object(d)) => d,
            other => panic!("{other:?}"),
        }
    }

    /// The separator and indentation follow the index: the gateway's
    /// two-space layout, a compact one, and an empty index.
    #[test]
    fn new_members_are_laid_out_as_the_index_is() {
        let pretty = "{\n  \"a\": {\n    \"sessionId\": \"x\"\n  },\n  \"b\": {}\n}";
        assert_eq!(
            layout(pretty.as_bytes(), &doc(pretty)),
            (",\n  ".into(), "  ".into())
        );
        let one = "{\n    \"a\": {}\n}";
        assert_eq!(
            layout(one.as_bytes(), &doc(one)),
            (",\n    ".into(), "    ".into())
        );
        let compact = "{\"a\":{},\"b\":{}}";
        assert_eq!(
            layout(compact.as_bytes(), &doc(compact)),
            (",".into(), "  ".into())
        );
        assert_eq!(layout(b"{}", &doc("{}")), (",\n  ".into(), "  ".into()));
    }
}
