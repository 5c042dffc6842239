//! Editing a JSON document by splicing: an entry's fields set or removed
//! in place, every other byte kept (`entry_splices`), and the gateway's own
//! `JSON.stringify(value, null, 2)` for an index rewritten whole.

use super::FieldChange;
use crate::state::json::{self, Field};

/// Field operations on one entry, in the order the gateway would apply them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Set(&'static str, String),
    Remove(std::borrow::Cow<'static, str>),
}

/// Replace the bytes of a range of the original with new bytes.
pub type Splice = (std::ops::Range<usize>, Vec<u8>);

/// The splices that apply `ops` to one entry (an object whose `{` is at
/// `open` and whose fields are `fields`, read from `src`), and the field
/// changes they make.
pub(crate) fn entry_splices(
    src: &[u8],
    fields: &[Field],
    open: usize,
    ops: &[Op],
) -> (Vec<Splice>, Vec<FieldChange>) {
    let raw = |f: &Field| String::from_utf8_lossy(&src[f.value_span()]).into_owned();
    let find = |name: &str| fields.iter().rposition(|f| f.key_is(src, name));
    let mut splices = Vec::new();
    let mut changes = Vec::with_capacity(ops.len());
    let mut appended = String::new();
    // Separator and key/value punctuation copied from the entry's own layout.
    let (sep, colon) = match fields.len() {
        0 => (String::new(), ": ".to_string()),
        n => {
            let last = &fields[n - 1];
            let sep = if n >= 2 {
                String::from_utf8_lossy(&src[fields[n - 2].value_span().end..last.key_span().start])
                    .into_owned()
            } else {
                format!(
                    ",{}",
                    String::from_utf8_lossy(&src[open + 1..last.key_span().start])
                )
            };
            let colon = String::from_utf8_lossy(&src[last.key_span().end..last.value_span().start])
                .into_owned();
            (sep, colon)
        }
    };
    let mut removed: Vec<usize> = Vec::new();
    for op in ops {
        match op {
            Op::Set(name, value) => match find(name) {
                Some(i) => {
                    if raw(&fields[i]) != *value {
                        changes.push(FieldChange {
                            field: std::borrow::Cow::Borrowed(*name),
                            before: Some(raw(&fields[i])),
                            after: Some(value.clone()),
                        });
                        splices.push((fields[i].value_span(), value.clone().into_bytes()));
                    }
                }
                None => {
                    changes.push(FieldChange {
                        field: std::borrow::Cow::Borrowed(*name),
                        before: None,
                        after: Some(value.clone()),
                    });
                    if fields.is_empty() && appended.is_empty() {
                        appended.push_str(&format!("{}{colon}{value}", json::encode_string(name)));
                    } else {
                        appended
                            .push_str(&format!("{sep}{}{colon}{value}", json::encode_string(name)));
                    }
                }
            },
            Op::Remove(name) => {
                if let Some(i) = find(name.as_ref()) {
                    changes.push(FieldChange {
                        field: name.clone(),
                        before: Some(raw(&fields[i])),
                        after: None,
                    });
                    removed.push(i);
                }
            }
        }
    }
    for &i in &removed {
        let range = if i > 0 {
            fields[i - 1].value_span().end..fields[i].value_span().end
        } else if fields.len() > 1 {
            fields[0].key_span().start..fields[1].key_span().start
        } else {
            fields[0].key_span().start..fields[0].value_span().end
        };
        splices.push((range, Vec::new()));
    }
    if !appended.is_empty() {
        let at = fields.last().map_or(open + 1, |f| f.value_span().end);
        splices.push((at..at, appended.into_bytes()));
    }
    (splices, changes)
}

/// Sort splices and drop any that overlap an earlier one (a removal already
/// covers it).
pub(crate) fn normalize(mut splices: Vec<Splice>) -> Vec<Splice> {
    splices.sort_by_key(|(r, _)| (r.start, r.end));
    let mut pos = 0;
    splices.retain(|(r, _)| {
        let keep = r.start >= pos;
        if keep {
            pos = r.end;
        }
        keep
    });
    splices
}

/// `src` with normalized splices applied, as the slices that make it up.
pub(crate) fn pieces<'a>(src: &'a [u8], splices: &'a [Splice]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(2 * splices.len() + 1);
    let mut pos = 0;
    for (r, text) in splices {
        out.push(&src[pos..r.start]);
        out.push(&text[..]);
        pos = r.end;
    }
    out.push(&src[pos..]);
    out
}

/// `ops` applied to a parsed entry (a JSON5 index rewritten whole), and the
/// field changes they make.
pub(crate) fn apply_ops_value(
    entry: &mut serde_json::Map<String, serde_json::Value>,
    ops: &[Op],
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for op in ops {
        match op {
            Op::Set(name, value) => {
                let v: serde_json::Value =
                    serde_json::from_str(value).expect("ops carry valid JSON");
                let before = entry.get(*name).map(|b| b.to_string());
                if before.as_deref() != Some(value.as_str()) {
                    changes.push(FieldChange {
                        field: std::borrow::Cow::Borrowed(*name),
                        before,
                        after: Some(value.clone()),
                    });
                    entry.insert(name.to_string(), v);
                }
            }
            Op::Remove(name) => {
                if let Some(b) = entry.shift_remove(name.as_ref()) {
                    changes.push(FieldChange {
                        field: name.clone(),
                        before: Some(b.to_string()),
                        after: None,
                    });
                }
            }
        }
    }
    changes
}

/// `JSON.stringify(value, null, 2)`.
pub fn js_stringify(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_js(v, 0, &mut out);
    out
}

fn js_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if !f.is_finite() {
        return "null".into();
    }
    if f == f.trunc() && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    if f.abs() >= 1e21 || f.abs() < 1e-6 {
        let s = format!("{f:e}");
        return match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        };
    }
    format!("{f}")
}

fn write_js(v: &serde_json::Value, depth: usize, out: &mut String) {
    use serde_json::Value;
    let pad = |d: usize| "  ".repeat(d);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&js_number(n)),
        Value::String(s) => out.push_str(&json::encode_string(s)),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(o) if o.is_empty() => out.push_str("{}"),
        Value::Array(a) => {
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                write_js(x, depth + 1, out);
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push(']');
        }
        Value::Object(o) => {
            out.push_str("{\n");
            for (i, (k, x)) in o.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                out.push_str(&json::encode_string(k));
                out.push_str(": ");
                write_js(x, depth + 1, out);
                out.push_str(if i + 1 < o.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(src: &str, ops: &[Op]) -> String {
        let doc = match json::parse(src.as_bytes()).unwrap() {
            json::Parsed::Object(d) => d,
            _ => unreachable!(),
        };
        let m = &doc.members[0];
        let fields = m.fields.as_deref().unwrap_or(&[]);
        let (sp, _) = entry_splices(src.as_bytes(), fields, m.braces.unwrap().0, ops);
        String::from_utf8(pieces(src.as_bytes(), &normalize(sp)).concat()).unwrap()
    }

    const SRC: &str = "{\n  \"k\": {\n    \"sessionId\": \"s\",\n    \"status\": \"running\",\n    \"abortedLastRun\": false\n  },\n  \"other\": {\n    \"x\": 1\n  }\n}";

    #[test]
    fn set_existing_field_in_place() {
        let out = edit(SRC, &[Op::Set("abortedLastRun", "true".into())]);
        assert_eq!(
            out,
            SRC.replace("\"abortedLastRun\": false", "\"abortedLastRun\": true")
        );
    }

    #[test]
    fn append_missing_field_in_the_entry_style() {
        let src = SRC.replace(",\n    \"abortedLastRun\": false", "");
        let out = edit(&src, &[Op::Set("abortedLastRun", "true".into())]);
        assert_eq!(out, SRC.replace("false", "true"));
        // compact entries stay compact
        let out = edit("{\"k\":{\"a\":1}}", &[Op::Set("b", "2".into())]);
        assert_eq!(out, "{\"k\":{\"a\":1,\"b\":2}}");
    }

    #[test]
    fn remove_fields_first_middle_and_last() {
        let src = "{\"k\": {\"a\": 1, \"b\": 2, \"c\": 3}}";
        assert_eq!(
            edit(src, &[Op::Remove("a".into())]),
            "{\"k\": {\"b\": 2, \"c\": 3}}"
        );
        assert_eq!(
            edit(src, &[Op::Remove("b".into())]),
            "{\"k\": {\"a\": 1, \"c\": 3}}"
        );
        assert_eq!(
            edit(src, &[Op::Remove("c".into())]),
            "{\"k\": {\"a\": 1, \"b\": 2}}"
        );
        assert_eq!(
            edit(src, &[Op::Remove("c".into()), Op::Set("d", "4".into())]),
            "{\"k\": {\"a\": 1, \"b\": 2, \"d\": 4}}"
        );
    }

    #[test]
    fn js_stringify_matches_gateway_format() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"a":{"b":[1,2.5,{}],"c":[],"d":"é\n"},"e":1e21,"f":0.0000001}"#,
        )
        .unwrap();
        assert_eq!(
            js_stringify(&v),
            "{\n  \"a\": {\n    \"b\": [\n      1,\n      2.5,\n      {}\n    ],\n    \"c\": [],\n    \"d\": \"é\\n\"\n  },\n  \"e\": 1e+21,\n  \"f\": 1e-7\n}"
        );
    }
}
