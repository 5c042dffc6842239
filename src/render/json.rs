//! The JSON documents other tools rely on (`schema/*.schema.json` describes
//! them). Every document starts with `schemaVersion`; numbers that are whole
//! are integers; the raw JSON of a changed field is given as a JSON value.

use super::{severity_index, Renderer, RepairDoc, ReportSink, SEVERITIES};
use crate::analyze::{AgentReport, Finding, GatewayReport, LockReport, Report, SessionReport};
use crate::fsx::spill::Spill;
use crate::release::Release;
use serde_json::{Map, Value};
use std::io::Write;

/// Bumped when a field is removed or changes meaning (adding one does not).
pub const SCHEMA_VERSION: u64 = 1;

pub struct Json;

impl Renderer<Report> for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        super::render_whole(&mut JsonSink::default(), report, out)
    }
}

/// `scan --json` written as the report is read (`ReportSink`): each row is
/// serialised as it comes, indented as it stands in the document, and put
/// aside; the document is put together at the end. The same bytes as
/// serialising the whole `Report` (`Document`) with `serde_json`'s pretty
/// printer. `nested()` writes the report as the value of a key of a
/// document (`repair --dry-run --json`'s `report`).
#[derive(Default)]
pub struct JsonSink {
    /// How deep the report's object stands: 0, the document itself.
    depth: usize,
    sessions: Items,
    locks: Items,
    /// By severity, as `SEVERITIES`.
    findings: [Items; 3],
}

/// Text re-indented by `pad` after each newline: a newline in JSON text is
/// always between tokens (strings escape theirs).
fn indent(text: &[u8], pad: &[u8], out: &mut Vec<u8>) {
    for &b in text {
        out.push(b);
        if b == b'\n' {
            out.extend_from_slice(pad);
        }
    }
}

/// Array elements as they stand in the document: each after `\n` (the
/// first) or `,\n` and the array's indent, its own lines indented as much.
#[derive(Default)]
struct Items {
    spill: Spill,
}

impl Items {
    /// Put `item` aside as an element of an array whose elements are
    /// indented `pad`.
    fn push(&mut self, item: &impl serde::Serialize, pad: &[u8]) -> std::io::Result<()> {
        let alone = serde_json::to_vec_pretty(item)?;
        let mut bytes = Vec::with_capacity(alone.len() + alone.len() / 8 + 8);
        if !self.spill.is_empty() {
            bytes.push(b',');
        }
        bytes.push(b'\n');
        bytes.extend_from_slice(pad);
        indent(&alone, pad, &mut bytes);
        self.spill.push(&bytes)
    }
}

/// Write an array of the elements of `parts`, in order: `[]`, or `[`, the
/// elements, a newline, `close_pad` and `]`.
fn write_array(
    parts: &mut [&mut Items],
    close_pad: &[u8],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    out.write_all(b"[")?;
    let mut any = false;
    for p in parts.iter_mut().filter(|p| !p.spill.is_empty()) {
        if any {
            // Each part's first element starts without its comma.
            out.write_all(b",")?;
        }
        p.spill.copy_to(out)?;
        any = true;
    }
    if any {
        out.write_all(b"\n")?;
        out.write_all(close_pad)?;
    }
    out.write_all(b"]")
}

/// The report's fields before its rows, in `Report`'s order (the document
/// test below holds the two together).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    openclaw: &'a Release,
    state_dir: &'a str,
    now: &'a str,
    stale_ms: u64,
    gateway: &'a GatewayReport,
    agents: &'a [AgentReport],
}

impl JsonSink {
    /// A sink for a report that is the value of a key of a document.
    pub fn nested() -> Self {
        JsonSink {
            depth: 1,
            ..JsonSink::default()
        }
    }

    /// The indent of the report's keys, and of its arrays' elements.
    fn pads(&self) -> (Vec<u8>, Vec<u8>) {
        let key = b"  ".repeat(self.depth + 1);
        let element = b"  ".repeat(self.depth + 2);
        (key, element)
    }
}

impl ReportSink for JsonSink {
    fn rows(
        &mut self,
        sessions: &[SessionReport],
        locks: &[LockReport],
        findings: &[Finding],
    ) -> std::io::Result<()> {
        let (_, pad) = self.pads();
        sessions
            .iter()
            .try_for_each(|s| self.sessions.push(s, &pad))?;
        locks.iter().try_for_each(|l| self.locks.push(l, &pad))?;
        for f in findings {
            self.findings[severity_index(f)].push(f, &pad)?;
        }
        Ok(())
    }

    fn finish(
        &mut self,
        r: &Report,
        head_findings: &[Finding],
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let head = Head {
            openclaw: &r.openclaw,
            state_dir: &r.state_dir,
            now: &r.now,
            stale_ms: r.stale_ms,
            gateway: &r.gateway,
            agents: &r.agents,
        };
        let alone = if self.depth == 0 {
            serde_json::to_vec_pretty(&Document {
                schema_version: SCHEMA_VERSION,
                body: &head,
            })?
        } else {
            serde_json::to_vec_pretty(&head)?
        };
        let (key_pad, element_pad) = self.pads();
        let object_pad = b"  ".repeat(self.depth);
        let mut text = Vec::with_capacity(alone.len() * 2);
        indent(&alone, &object_pad, &mut text);
        let close = [b"\n".as_slice(), &object_pad, b"}"].concat();
        let open = text
            .strip_suffix(close.as_slice())
            .ok_or_else(|| std::io::Error::other("the report's head is not a JSON object"))?;
        out.write_all(open)?;
        let key = |name: &str| [b",\n".as_slice(), &key_pad, name.as_bytes(), b": "].concat();
        out.write_all(&key("\"sessions\""))?;
        write_array(&mut [&mut self.sessions], &key_pad, out)?;
        out.write_all(&key("\"locks\""))?;
        write_array(&mut [&mut self.locks], &key_pad, out)?;
        out.write_all(&key("\"findings\""))?;
        let mut parts = Vec::new();
        for (sev, put_aside) in SEVERITIES.iter().zip(&mut self.findings) {
            let mut head = Items::default();
            for f in head_findings.iter().filter(|f| f.severity == *sev) {
                head.push(f, &element_pad)?;
            }
            parts.push(head);
            parts.push(std::mem::take(put_aside));
        }
        write_array(&mut parts.iter_mut().collect::<Vec<_>>(), &key_pad, out)?;
        out.write_all(&close)?;
        if self.depth == 0 {
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// `repair --dry-run --json`: `{"schemaVersion", "report", "plan"}`, the
/// report from `sink` (a `JsonSink::nested`, given the rows put aside
/// before: `head_findings` as `ReportSink::finish` takes them).
pub fn write_dry_run(
    sink: &mut JsonSink,
    report: &Report,
    head_findings: &[Finding],
    plan: &crate::plan::Plan,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "{{\n  \"schemaVersion\": {SCHEMA_VERSION},")?;
    out.write_all(b"  \"report\": ")?;
    sink.finish(report, head_findings, out)?;
    out.write_all(b",\n  \"plan\": ")?;
    let mut indented = Indented { out, pad: b"  " };
    serde_json::to_writer_pretty(&mut indented, &PlanDoc(plan))?;
    out.write_all(b"\n}\n")
}

/// `repair --json`: the dry run's report and plan, a plan alone, or what a
/// real run did.
impl Renderer<RepairDoc<'_>> for Json {
    fn render(&self, doc: &RepairDoc<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        let plan_value = |plan| plan_value(plan).map_err(std::io::Error::other);
        match *doc {
            RepairDoc::DryRun { report, plan } => {
                let mut sink = JsonSink::nested();
                sink.rows(&report.sessions, &report.locks, &report.findings)?;
                write_dry_run(&mut sink, report, &[], plan, out)
            }
            RepairDoc::Plan(plan) => write_document(plan_value(plan)?, out),
            RepairDoc::Applied {
                plan,
                applied,
                outcome,
            } => {
                let doc = serde_json::json!({
                    "applied": applied,
                    "plan": plan_value(plan)?,
                    "results": results_value(outcome).map_err(std::io::Error::other)?,
                    "backup": outcome.backup_dir,
                });
                write_document(doc, out)
            }
        }
    }
}

/// `{"schemaVersion": N, ...body's fields}`: the head of `scan --json`
/// (`JsonSink`), serialised as it is written.
#[derive(serde::Serialize)]
pub struct Document<'a, T: serde::Serialize> {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u64,
    #[serde(flatten)]
    pub body: &'a T,
}

pub use crate::analyze::whole_number;

/// A repair plan as a JSON value: each field change's `before` and `after`
/// are the field's JSON values, absent when the field is absent.
/// `plan_value(plan)`, serialised an element at a time (each made a
/// `Value` and put right as `plan_value` puts it): a dry run's plan of
/// 100,000 edits is never in memory whole as a document.
struct PlanDoc<'a>(&'a crate::plan::Plan);

impl serde::Serialize for PlanDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        /// `items`, each made a `Value` and then put right by `fix`.
        struct Each<'a, T>(&'a [T], fn(&mut Value));
        impl<T: serde::Serialize> serde::Serialize for Each<'_, T> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::{Error, SerializeSeq};
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for item in self.0 {
                    let mut v = serde_json::to_value(item).map_err(S::Error::custom)?;
                    (self.1)(&mut v);
                    seq.serialize_element(&v)?;
                }
                seq.end()
            }
        }
        let p = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("indexes", &Each(&p.indexes, fix_index_write))?;
        m.serialize_entry("transcripts", &Each(&p.transcripts, whole_numbers))?;
        m.serialize_entry("removals", &Each(&p.removals, whole_numbers))?;
        m.serialize_entry("sqlite", &Each(&p.sqlite, fix_sqlite_edit))?;
        // As `plan_value`: the queue files' edits, when there are any.
        if !p.queues.is_empty() {
            m.serialize_entry("queues", &Each(&p.queues, fix_sqlite_edit))?;
        }
        m.serialize_entry("leftAlone", &Each(&p.left_alone, whole_numbers))?;
        m.end()
    }
}

/// An index write's changes as values, as `plan_value` makes them.
fn fix_index_write(w: &mut Value) {
    for e in w["edits"].as_array_mut().into_iter().flatten() {
        for c in e["changes"].as_array_mut().into_iter().flatten() {
            raw_to_values(c);
        }
    }
    whole_numbers(w);
}

/// A SQLite edit's (or a queue file edit's) changes as values, as
/// `plan_value` makes them.
fn fix_sqlite_edit(e: &mut Value) {
    for c in e["changes"].as_array_mut().into_iter().flatten() {
        raw_to_values(c);
    }
    whole_numbers(e);
}

/// A writer that indents every line after the first by `pad`.
struct Indented<'a> {
    out: &'a mut dyn Write,
    pad: &'a [u8],
}

impl Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            self.out.write_all(&rest[..=nl])?;
            self.out.write_all(self.pad)?;
            rest = &rest[nl + 1..];
        }
        self.out.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

pub fn plan_value(plan: &crate::plan::Plan) -> serde_json::Result<Value> {
    let mut v = serde_json::to_value(plan)?;
    for w in v["indexes"].as_array_mut().into_iter().flatten() {
        for e in w["edits"].as_array_mut().into_iter().flatten() {
            for c in e["changes"].as_array_mut().into_iter().flatten() {
                raw_to_values(c);
            }
        }
    }
    for k in ["sqlite", "queues"] {
        let edits = v.get_mut(k).and_then(Value::as_array_mut);
        for e in edits.into_iter().flatten() {
            for c in e["changes"].as_array_mut().into_iter().flatten() {
                raw_to_values(c);
            }
        }
    }
    whole_numbers(&mut v);
    Ok(v)
}

/// What repair did, one record per change, `status` `done` or `changed`
/// (the file changed since the plan was made and was left alone).
pub fn results_value(outcome: &crate::apply::Outcome) -> serde_json::Result<Value> {
    let mut records = Vec::new();
    for (status, list) in [("done", &outcome.done), ("changed", &outcome.changed)] {
        for c in list {
            let mut v = serde_json::to_value(c)?;
            raw_to_values(&mut v);
            v["status"] = status.into();
            records.push(v);
        }
    }
    Ok(Value::Array(records))
}

/// `{"schemaVersion": N, ...fields}` written with a final newline.
pub fn write_document(body: Value, out: &mut dyn Write) -> std::io::Result<()> {
    let mut doc = Map::new();
    doc.insert("schemaVersion".into(), SCHEMA_VERSION.into());
    match body {
        Value::Object(m) => doc.extend(m),
        other => {
            doc.insert("value".into(), other);
        }
    }
    serde_json::to_writer_pretty(&mut *out, &Value::Object(doc))?;
    writeln!(out)
}

/// `before`/`after` hold a field's raw JSON text (or null: absent): parse
/// it, and leave the key out when the field is absent.
fn raw_to_values(c: &mut Value) {
    let Some(obj) = c.as_object_mut() else { return };
    for k in ["before", "after"] {
        match obj.get(k) {
            Some(Value::String(raw)) => {
                let parsed =
                    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone()));
                obj.insert(k.into(), parsed);
            }
            Some(Value::Null) => {
                obj.remove(k);
            }
            _ => {}
        }
    }
}

/// Floats that hold whole numbers (timestamps read as f64) become integers.
fn whole_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(whole_numbers),
        Value::Object(m) => m.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testing;

    /// `body` as serde_json writes it whole as a document (`Document`), with a
    /// final newline: what the sinks must write byte for byte.
    fn write_streamed<T: serde::Serialize>(body: &T, out: &mut dyn Write) -> std::io::Result<()> {
        let doc = Document {
            schema_version: SCHEMA_VERSION,
            body,
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }

    #[test]
    fn whole_floats_become_integers_and_others_stay() {
        let mut v = serde_json::json!({"a": 1.7e12, "b": [2.5, 3.0], "c": "4.0"});
        whole_numbers(&mut v);
        assert_eq!(
            v.to_string(),
            r#"{"a":1700000000000,"b":[2.5,3],"c":"4.0"}"#
        );
    }

    #[test]
    fn raw_field_text_becomes_a_value_and_absent_is_left_out() {
        let mut c = serde_json::json!({"field": "x", "before": null, "after": "{\"a\": [1]}"});
        raw_to_values(&mut c);
        assert_eq!(c, serde_json::json!({"field": "x", "after": {"a": [1]}}));
        let mut c = serde_json::json!({"before": "null", "after": "true"});
        raw_to_values(&mut c);
        assert_eq!(c, serde_json::json!({"before": null, "after": true}));
    }

    /// `scan --json` of a report built in memory (`render::testing`).
    fn scan_json(report: &Report) -> String {
        let mut out = Vec::new();
        Json.render(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The sink writes what `serde_json` writes of the whole report, both
    /// given the report whole and given it streamed, agent by agent, and
    /// past what a spill holds in memory.
    #[test]
    fn the_sink_writes_what_serde_writes() {
        let serde = |r: &Report| {
            let mut out = Vec::new();
            write_streamed(r, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let mut reports = testing::all();
        reports.push(testing::many_sessions(20_000));
        for report in reports {
            assert_eq!(scan_json(&report), serde(&report), "{}", report.state_dir);
            let (head, parts, expected) = testing::streamed(&report);
            let mut sink = JsonSink::default();
            for p in &parts {
                sink.rows(&p.sessions, &p.locks, &p.findings).unwrap();
            }
            let mut out = Vec::new();
            sink.finish(&head, &head.findings, &mut out).unwrap();
            let out = String::from_utf8(out).unwrap();
            assert!(out == serde(&expected), "streamed: {}", report.state_dir);
        }
    }

    /// A dry run's plan, written an element at a time, is what `plan_value`
    /// of the whole plan writes, indented as the document nests it.
    #[test]
    fn the_plan_is_streamed_as_plan_value_writes_it() {
        let mut edited = crate::render::plan::tests::plan();
        let changes = &mut edited.indexes[0].edits[0].changes;
        changes.push(crate::plan::FieldChange {
            field: "status".into(),
            before: Some("\"running\"".into()),
            after: None,
        });
        changes.push(crate::plan::FieldChange {
            field: "updatedAt".into(),
            before: Some("1764547200000.0".into()),
            after: Some("not JSON".into()),
        });
        let mut many = edited.clone();
        for _ in 0..500 {
            many.indexes.push(edited.indexes[0].clone());
            many.removals.push(edited.removals[0].clone());
        }
        for plan in [crate::plan::Plan::default(), edited, many] {
            let mut whole = Vec::new();
            let v = plan_value(&plan).unwrap();
            indent(&serde_json::to_vec_pretty(&v).unwrap(), b"  ", &mut whole);
            let mut streamed = Vec::new();
            let mut out = Indented {
                out: &mut streamed,
                pad: b"  ",
            };
            serde_json::to_writer_pretty(&mut out, &PlanDoc(&plan)).unwrap();
            assert!(streamed == whole, "{}", String::from_utf8_lossy(&streamed));
        }
    }

    /// `repair --dry-run --json` with its report nested: what serde_json
    /// writes of the document held whole, given the report whole or
    /// streamed agent by agent.
    #[test]
    fn the_nested_sink_writes_the_dry_run_serde_writes() {
        #[derive(serde::Serialize)]
        struct DryRun<'a> {
            report: &'a Report,
            plan: serde_json::Value,
        }
        let plan = crate::plan::Plan::default();
        let serde = |r: &Report| {
            let doc = DryRun {
                report: r,
                plan: plan_value(&plan).unwrap(),
            };
            let mut out = Vec::new();
            write_streamed(&doc, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let mut reports = testing::all();
        reports.push(testing::many_sessions(20_000));
        for report in reports {
            let mut whole = Vec::new();
            let doc = RepairDoc::DryRun {
                report: &report,
                plan: &plan,
            };
            Json.render(&doc, &mut whole).unwrap();
            assert!(
                String::from_utf8(whole).unwrap() == serde(&report),
                "{}",
                report.state_dir
            );
            let (head, parts, expected) = testing::streamed(&report);
            let mut sink = JsonSink::nested();
            for p in &parts {
                sink.rows(&p.sessions, &p.locks, &p.findings).unwrap();
            }
            let mut out = Vec::new();
            write_dry_run(&mut sink, &head, &head.findings, &plan, &mut out).unwrap();
            let out = String::from_utf8(out).unwrap();
            assert!(out == serde(&expected), "streamed: {}", report.state_dir);
        }
    }

    #[test]
    fn scan_json_clean() {
        insta::assert_snapshot!(scan_json(&testing::clean()));
    }

    #[test]
    fn scan_json_stranded_and_stale_lock() {
        insta::assert_snapshot!(scan_json(&testing::stranded_and_stale_lock()));
    }

    #[test]
    fn scan_json_unparseable_index() {
        insta::assert_snapshot!(scan_json(&testing::unparseable_index()));
    }

    #[test]
    fn scan_json_unknown_release_lines_disagree() {
        insta::assert_snapshot!(scan_json(&testing::unknown_release_lines_disagree()));
    }

    #[test]
    fn scan_json_sqlite_agent() {
        insta::assert_snapshot!(scan_json(&testing::sqlite_agent()));
    }

    #[test]
    fn scan_json_gateway_live_and_liveness_unknown() {
        insta::assert_snapshot!(
            "scan_json_gateway_live",
            scan_json(&testing::gateway(false))
        );
        insta::assert_snapshot!(
            "scan_json_gateway_liveness_unknown",
            scan_json(&testing::gateway(true))
        );
    }
}
