//! The transcript tail as recovery reads it: the records of the tail window,
//! restart artifacts, the active branch and its last messages, and the
//! transcript header. Re-exported from [`crate::rules`].

use super::{MAX_PARSE_LINE_BYTES, TAIL_MAX_LINES, TAIL_MAX_MESSAGES};
use serde_json::Value;
use std::borrow::Cow;

// ---------------------------------------------------------------- transcript tail

/// One parsed line of the tail window (`parseTailTranscriptRecord`), reduced
/// at parse time to what recovery reads of it, so that a scan of thousands of
/// transcripts does not keep their parsed lines.
#[derive(Debug, Clone, PartialEq)]
pub struct TailRecord<'a> {
    /// Borrowed from the line when it holds no escape.
    pub id: Option<Cow<'a, str>>,
    /// `Some(None)`: `parentId: null`; `Some(Some(x))`: a non-empty string.
    pub parent_id: Option<Option<Cow<'a, str>>>,
    /// The record has its own `parentId` key, whatever its value.
    pub has_parent_key: bool,
    /// What recovery tells apart of the record's `type`.
    pub kind: RecordKind,
    /// What recovery reads of it as a message (`parsedSessionEntryToMessage`).
    pub message: Option<TailMessage>,
    /// Which half of a graceful restart's trailing artifacts it is, if any.
    pub artifact: Option<Artifact>,
}

/// A record's `type`, as far as recovery tells it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// `"session"`: the header, never part of the tree.
    Session,
    /// `"compaction"`: the nearest before the active branch is kept with it.
    Compaction,
    /// Any other `type`, or none.
    Other,
}

impl RecordKind {
    /// The kind of a record whose `type` is `kind` (when a string).
    pub fn of(kind: Option<&str>) -> RecordKind {
        match kind {
            Some("session") => RecordKind::Session,
            Some("compaction") => RecordKind::Compaction,
            _ => RecordKind::Other,
        }
    }
}

/// The two records a graceful restart with a drain timeout leaves at the end
/// of a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    /// A `custom` entry with `customType: "openclaw:prompt-error"` whose
    /// `data.error` is a restart's abort (`is_restart_abort_error`).
    PromptError,
    /// A prompt-error entry with any other error: the run failed on its own.
    OtherPromptError,
    /// An `assistant` message the restart aborted (`is_restart_abort_stop`),
    /// whatever it holds: nothing, the partial text or thinking streamed so
    /// far, or a partial tool call that never ran.
    AbortedAssistant,
}

/// The error texts an abort by a gateway restart leaves
/// (`LEGACY_RESTART_ABORT_ERROR_MESSAGES` and `AGENT_RUN_RESTART_ABORT_ERROR`
/// of 2026.8.1's `main-session-restart-recovery-tKcU544C.js`, which strips
/// such messages itself; the file-era releases write the same texts).
pub const RESTART_ABORT_ERRORS: [&str; 3] = [
    "Request was aborted",
    "This operation was aborted",
    "agent run aborted for restart",
];

/// `AGENT_RUN_RESTART_ABORT_ERROR_CODE` (2026.8.1).
pub const RESTART_ABORT_ERROR_CODE: &str = "OPENCLAW_RESTART_ABORT";

/// One abort text: a `RESTART_ABORT_ERRORS` entry, or Node's AbortError
/// message (`/^(?:(?:Abort)?Error:\s*)?(?:The|This) operation was aborted\.?$/`).
fn is_abort_text(t: &str) -> bool {
    let t = t.trim();
    if RESTART_ABORT_ERRORS.contains(&t) {
        return true;
    }
    let t = t
        .strip_prefix("AbortError:")
        .or_else(|| t.strip_prefix("Error:"))
        .map_or(t, str::trim_start);
    let t = t.strip_suffix('.').unwrap_or(t);
    t == "The operation was aborted" || t == "This operation was aborted"
}

/// A prompt-error's `data.error` left by a restart's abort: every part of
/// it (the gateway joins the run's errors with `" | "`) is an abort text. An
/// error of a run that failed on its own (a provider error, a timeout) is not.
pub fn is_restart_abort_error(error: &str) -> bool {
    !error.trim().is_empty() && error.split(" | ").all(is_abort_text)
}

/// An assistant message's stop that a restart's abort leaves
/// (`isRestartAbortAssistantMessage`, 2026.8.1): `stopReason: "aborted"`, or
/// `"error"` with the restart's error code, or, without a code, one of the
/// abort texts as `errorMessage`.
pub fn is_restart_abort_stop(
    stop_reason: Option<&str>,
    error_code: Option<&str>,
    error_message: Option<&str>,
) -> bool {
    match stop_reason.map(str::trim) {
        Some("aborted") => true,
        Some("error") => match error_code.map(str::trim) {
            Some(code) if !code.is_empty() => code == RESTART_ABORT_ERROR_CODE,
            _ => error_message.is_some_and(|m| RESTART_ABORT_ERRORS.contains(&m.trim())),
        },
        _ => false,
    }
}

impl TailRecord<'_> {
    /// The record of a parsed line (`None` when it is not an object), by the
    /// same rules as the line reader, which gives it without building the value.
    pub fn from_value(value: &Value) -> Option<TailRecord<'_>> {
        value
            .as_object()
            .map(|o| line_reader::Record::of(o).into_record())
    }

    /// The same record, owning its strings.
    pub fn into_owned(self) -> TailRecord<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        TailRecord {
            id: self.id.map(own),
            parent_id: self.parent_id.map(|p| p.map(own)),
            has_parent_key: self.has_parent_key,
            kind: self.kind,
            message: self.message,
            artifact: self.artifact,
        }
    }
}

/// `extractJsonStringFieldPrefix` on the first 64 Ki chars of an oversized line.
fn prefix_string_field(prefix: &str, field: &str) -> Option<String> {
    let pat = format!("\"{field}\"");
    let mut from = 0;
    while let Some(i) = prefix[from..].find(&pat) {
        let mut rest = prefix[from + i + pat.len()..].trim_start();
        from += i + pat.len();
        let Some(r) = rest.strip_prefix(':') else {
            continue;
        };
        rest = r.trim_start();
        let Some(r) = rest.strip_prefix('"') else {
            continue;
        };
        // Find the closing quote, honouring escapes.
        let bytes = r.as_bytes();
        let mut j = 0;
        while j < bytes.len() && bytes[j] != b'"' {
            j += if bytes[j] == b'\\' { 2 } else { 1 };
        }
        if j >= bytes.len() {
            return None;
        }
        let token = format!("\"{}\"", &r[..j]);
        return crate::json::decode_string(token.as_bytes()).filter(|s| !s.trim().is_empty());
    }
    None
}

/// `parseTailTranscriptRecord`: `None` for lines the gateway drops.
pub fn parse_tail_line(line: &str) -> Option<TailRecord<'_>> {
    if line.len() > MAX_PARSE_LINE_BYTES {
        // buildOversizedTranscriptRecord: a placeholder message from the prefix.
        let mut cut = line.len().min(64 * 1024);
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        let prefix = &line[..cut];
        let id = prefix_string_field(prefix, "id");
        let null_parent = {
            let pat = "\"parentId\"";
            prefix
                .find(pat)
                .map(|i| prefix[i + pat.len()..].trim_start())
                .and_then(|r| r.strip_prefix(':'))
                .is_some_and(|r| r.trim_start().starts_with("null"))
        };
        let parent_id = if null_parent {
            Some(None)
        } else {
            prefix_string_field(prefix, "parentId").map(Some)
        };
        let role = prefix_string_field(prefix, "role").unwrap_or_else(|| "assistant".into());
        let mut record = serde_json::Map::new();
        if let Some(t) = prefix_string_field(prefix, "type") {
            record.insert("type".into(), Value::String(t));
        }
        if let Some(id) = &id {
            record.insert("id".into(), Value::String(id.clone()));
        }
        if let Some(p) = &parent_id {
            record.insert(
                "parentId".into(),
                p.clone().map_or(Value::Null, Value::String),
            );
        }
        record.insert(
            "message".into(),
            serde_json::json!({"role": role, "content": [], "__oversized": true}),
        );
        return TailRecord::from_value(&Value::Object(record)).map(TailRecord::into_owned);
    }
    // Only objects are records.
    if !line.trim_start().starts_with('{') {
        return None;
    }
    line_reader::Record::read(line.as_bytes()).map(line_reader::Record::into_record)
}

mod line_reader;

/// `parse_tail_line` of a line's bytes, decoded as Node decodes them
/// (lossily). A line of at most a third of `MAX_PARSE_LINE_BYTES` is
/// read from the bytes themselves, which skips decoding it: a byte that is
/// not UTF-8 can only be inside a string (outside one the line is not JSON,
/// decoded or not), where the reader decodes a string it keeps lossily, as
/// decoding the line would have; and decoding could not have made the line
/// longer than the limit (U+FFFD is three bytes). A longer line, or one
/// that reads as no record, takes the decoding path.
pub fn parse_tail_bytes(bytes: &[u8]) -> Option<TailRecord<'_>> {
    let opens_object = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b'{');
    if opens_object && bytes.len() <= MAX_PARSE_LINE_BYTES / 3 {
        if let Some(raw) = line_reader::Record::read(bytes) {
            return Some(raw.into_record());
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_tail_line(text),
        Err(_) => parse_tail_line(&String::from_utf8_lossy(bytes)).map(TailRecord::into_owned),
    }
}

/// Split a tail window into the lines recovery keeps
/// (`readRecentTranscriptTailLinesAsync`): split on `\n` (a trailing `\r` is
/// dropped), the partial first line dropped when the window starts mid-file,
/// blank lines dropped, the last 420 kept. Returns `(offset, length)` of each
/// line within the window. Splitting bytes equals Node's decode-then-split.
pub fn window_lines(window: &[u8], starts_mid_file: bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut first = true;
    loop {
        let end = memchr::memchr(b'\n', &window[start..]).map_or(window.len(), |i| start + i);
        let mut line = &window[start..end];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let skip = first && starts_mid_file;
        first = false;
        if !skip && !line.iter().all(|b| b.is_ascii_whitespace()) {
            out.push((start, line.len()));
        }
        if end >= window.len() {
            break;
        }
        start = end + 1;
    }
    if out.len() > TAIL_MAX_LINES {
        out.drain(..out.len() - TAIL_MAX_LINES);
    }
    out
}

fn has_tree_link(r: &TailRecord) -> bool {
    r.kind != RecordKind::Session && r.id.is_some() && r.has_parent_key
}

/// `selectActiveTranscriptRecords`: the active branch from the last linked record,
/// plus the nearest compaction before it. A parent cycle yields nothing.
pub fn active_records<'r, 'a>(records: &'r [TailRecord<'a>]) -> Vec<&'r TailRecord<'a>> {
    if !records.iter().any(has_tree_link) {
        return records.iter().collect();
    }
    let mut by_id: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut leaf: Option<&str> = None;
    for (i, r) in records.iter().enumerate() {
        if let Some(id) = &r.id {
            by_id.insert(&**id, i);
            if has_tree_link(r) {
                leaf = Some(&**id);
            }
        }
    }
    let mut selected: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut current = leaf;
    while let Some(id) = current {
        if !seen.insert(id) {
            return Vec::new();
        }
        let Some(&i) = by_id.get(id) else { break };
        selected.push(i);
        current = records[i].parent_id.as_ref().and_then(|p| p.as_deref());
    }
    selected.reverse();
    let mut out: Vec<&TailRecord> = Vec::new();
    if let Some(&first) = selected.first() {
        if let Some(c) = records[..first]
            .iter()
            .rev()
            .find(|r| r.kind == RecordKind::Compaction)
        {
            out.push(c);
        }
    }
    out.extend(selected.into_iter().map(|i| &records[i]));
    out
}

/// A message as recovery sees it (`parsedSessionEntryToMessage`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TailMessage {
    /// `None` when the message is not an object or has no string role.
    pub role: Option<Cow<'static, str>>,
    pub approval_pending: bool,
    pub compaction: bool,
}

impl TailMessage {
    /// The roles most messages have: kept without a copy per message.
    const ROLES: [&'static str; 6] = [
        "user",
        "assistant",
        "toolResult",
        "tool",
        "system",
        "custom",
    ];

    /// A message's `role` string as kept.
    pub fn role_of(role: &str) -> Cow<'static, str> {
        match Self::ROLES.iter().find(|r| **r == role) {
            Some(r) => Cow::Borrowed(r),
            None => Cow::Owned(role.to_string()),
        }
    }
}

/// `parseRecentTranscriptTailMessages`: the last 20 messages of the active branch.
pub fn tail_messages(records: &[TailRecord]) -> Vec<TailMessage> {
    recent_messages(records).into_iter().cloned().collect()
}

/// `tail_messages`, borrowed from `records`.
fn recent_messages<'r>(records: &'r [TailRecord<'_>]) -> Vec<&'r TailMessage> {
    let mut msgs: Vec<&TailMessage> = active_records(records)
        .into_iter()
        .filter_map(|r| r.message.as_ref())
        .collect();
    if msgs.len() > TAIL_MAX_MESSAGES {
        msgs.drain(..msgs.len() - TAIL_MAX_MESSAGES);
    }
    msgs
}

/// `resume_candidate(&tail_messages(records))`, borrowed: nothing is copied
/// (a scan does this for every transcript).
pub fn last_message<'r>(records: &'r [TailRecord<'_>]) -> Option<&'r TailMessage> {
    recent_messages(records)
        .into_iter()
        .rev()
        .find(|m| decides_resume(m))
}

/// Whether `resolveMainSessionResumeBlockReason` may decide by `m`: its
/// role is a string other than `system`.
fn decides_resume(m: &TailMessage) -> bool {
    matches!(m.role.as_deref(), Some(r) if r != "system")
}

/// The one message of `messages` that `resolveMainSessionResumeBlockReason`
/// decides by: the last whose role is a string other than `system`.
pub fn resume_candidate(messages: &[TailMessage]) -> Option<&TailMessage> {
    messages.iter().rev().find(|m| decides_resume(m))
}

/// `resolveMainSessionResumeBlockReason`: why recovery fails the row instead of
/// resuming it, or `None` when it resumes. The texts are the gateway's log reasons.
pub fn resume_block_reason(messages: &[TailMessage]) -> Option<String> {
    let Some(last) = resume_candidate(messages) else {
        return Some("transcript tail is not resumable (no user or assistant message)".into());
    };
    let role = last.role.as_deref().unwrap_or("");
    if !matches!(role, "user" | "tool" | "toolResult") {
        return Some(format!(
            "transcript tail is not resumable (last message is {role})"
        ));
    }
    if last.approval_pending {
        return Some("transcript tail is a stale approval-pending tool result".into());
    }
    None
}

/// The startup state migration (2026.6.9+, `state-migrations-CDz8cSvR.js`
/// in 6.11, `detectLegacyStateMigrations`) fires when the legacy
/// `<state>/sessions/` holds `sessions.json` or a transcript; `names` are the
/// regular files there.
pub fn legacy_sessions_dir_migrates(names: &[String]) -> bool {
    names
        .iter()
        .any(|n| n == "sessions.json" || n.ends_with(".jsonl"))
}

/// The last check of `resolveStaleLegacySessionFile` (same file): the
/// transcript `file_name` in the agent's sessions dir, whose first line is
/// `first_line`, belongs to the entry of `session_id` (a session header with
/// that id, or, for another header object, the file is `<id>.jsonl`). The
/// caller has checked that the entry's `sessionFile` resolved against
/// `<state>/sessions/` is missing there.
pub fn header_names_session(first_line: &[u8], file_name: &str, session_id: &str) -> bool {
    match serde_json::from_slice::<Value>(first_line) {
        Ok(h) if h.get("type").and_then(Value::as_str) == Some("session") => {
            h.get("id").and_then(Value::as_str) == Some(session_id)
        }
        Ok(h) if h.is_object() => file_name == format!("{session_id}.jsonl"),
        _ => false,
    }
}

/// The trailing artifacts a restart with a drain timeout leaves: a `custom`
/// entry `openclaw:prompt-error` with the abort's error, then the aborted
/// `assistant` message (empty, or holding the partial output); a restart
/// that skips the drain ("forced restart requested", seen on 2026.7.35)
/// leaves the aborted message alone. Returns how many trailing records
/// (counted from the end of `records`) are such artifacts, or 0. A run that
/// failed on its own (a prompt error that is not an abort) leaves no
/// artifact: the user saw that failure.
///
/// No file-era release strips them (5.12 to 7.35 fail such rows); 2026.8.1
/// strips the aborted message before deciding, which is what repair does
/// offline.
pub fn restart_artifact_count(records: &[TailRecord]) -> usize {
    match records {
        [.., a, b] if b.artifact == Some(Artifact::AbortedAssistant) => match a.artifact {
            Some(Artifact::PromptError) => 2,
            Some(Artifact::OtherPromptError) => 0,
            _ => 1,
        },
        [.., b] if b.artifact == Some(Artifact::AbortedAssistant) => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs<'a>(lines: &[&'a str]) -> Vec<TailRecord<'a>> {
        lines.iter().filter_map(|l| parse_tail_line(l)).collect()
    }

    const HEADER: &str =
        r#"{"type":"session","version":3,"id":"s1","timestamp":"2026-01-01T00:00:00Z","cwd":"/w"}"#;

    fn msg(id: &str, parent: Option<&str>, role: &str) -> String {
        let parent = parent.map_or("null".to_string(), |p| format!("\"{p}\""));
        format!(
            r#"{{"type":"message","id":"{id}","parentId":{parent},"timestamp":"2026-01-01T00:00:01Z","message":{{"role":"{role}","content":[{{"type":"text","text":"x"}}]}}}}"#
        )
    }

    /// Reading a line from its bytes gives what decoding it first gives,
    /// for invalid UTF-8 in a skipped string, in a kept one, in a key, before
    /// the object, and for lines near the length limit.
    #[test]
    fn a_line_read_from_its_bytes_reads_as_decoded() {
        let lossy =
            |b: &[u8]| parse_tail_line(&String::from_utf8_lossy(b)).map(TailRecord::into_owned);
        // `~` stands for a byte that is not UTF-8.
        let bad = |s: &str| -> Vec<u8> {
            s.bytes()
                .map(|b| if b == b'~' { 0xff } else { b })
                .collect()
        };
        let mut lines: Vec<Vec<u8>> = [
            r#"{"type":"message","id":"a","parentId":null,"message":{"role":"user","content":"x~ y"}}"#,
            r#"{"type":"message","id":"a","parentId":null,"message":{"role":"us~er","content":"x"}}"#,
            r#"{"type":"message","id":"a~","parentId":null,"message":{"role":"user"}}"#,
            r#"{"ty~pe":"message","id":"a","message":{"role":"user"}}"#,
            r#"{"type":"custom","customType":"openclaw:prompt-error","data":{"error":"aborted ~"}}"#,
            " \t{\"type\":\"message\",\"id\":\"a\",\"message\":{\"role\":\"user\"}}",
            "[1,2]",
            "{\"a\":",
            "~",
        ]
        .iter()
        .map(|l| bad(l))
        .collect();
        lines.push(
            b"\xc2\xa0{\"type\":\"message\",\"id\":\"a\",\"message\":{\"role\":\"user\"}}".to_vec(),
        );
        // Near the limit: invalid bytes in a skipped string make the decoded
        // line longer than the limit, so it is read as an oversized one.
        for n in [
            MAX_PARSE_LINE_BYTES / 3 - 80,
            MAX_PARSE_LINE_BYTES / 2,
            MAX_PARSE_LINE_BYTES - 80,
        ] {
            let mut l =
                br#"{"type":"message","id":"big","message":{"role":"user","content":""#.to_vec();
            l.extend(std::iter::repeat_n(0xffu8, n));
            l.extend_from_slice(br#""}}"#);
            lines.push(l);
        }
        for l in &lines {
            assert_eq!(
                parse_tail_bytes(l),
                lossy(l),
                "{}",
                String::from_utf8_lossy(l)
            );
        }
        assert!(
            parse_tail_bytes(&lines[0]).is_some(),
            "a skipped string may hold any bytes"
        );
        let big = lines.last().unwrap();
        assert!(
            parse_tail_bytes(big).unwrap().message.is_some(),
            "decoded past the limit: the oversized placeholder"
        );
    }

    /// The line reader keeps of a line what `TailRecord::from_value` keeps
    /// of its parsed value: escaped and duplicate keys, every kind of value
    /// where a string is looked for, numbers JS reads as zero, and any
    /// nesting `JSON.parse` reads (serde_json's `Value` stops at 128).
    #[test]
    fn the_line_reader_keeps_what_the_parsed_value_gives() {
        let lines = [
            r#"{"type":"message","id":"a","parentId":"p","message":{"role":"user"}}"#,
            r#"{"\u0074ype":"message","i\u0064":"a\"b","parentId":null,"message":{"r\u006fle":"tool\u0052esult","details":{"st\u0061tus":"approval-pending"}}}"#,
            r#"{"id":"a","id":"b","message":{"role":"user","role":"assistant","stopReason":"aborted"},"type":"message"}"#,
            r#" { "id" : "a" , "parentId" : "" , "message" : { } } "#,
            r#"{"id":"  ","message":"","type":"compaction"}"#,
            r#"{"id":"a","message":"x"}"#,
            r#"{"id":"a","message":[ ]}"#,
            r#"{"id":"a","message":[0]}"#,
            r#"{"id":7,"parentId":false,"message":0}"#,
            r#"{"id":"a","message":-0.0e5}"#,
            r#"{"id":"a","message":1e-400}"#,
            r#"{"id":"a","message":0.5}"#,
            r#"{"id":"a","message":null,"type":"message"}"#,
            r#"{"id":"a","message":true}"#,
            r#"{"id":"a","message":false}"#,
            r#"{"type":"message","message":{"role":"assistant","stopReason":"error","errorCode":"OPENCLAW_RESTART_ABORT"}}"#,
            r#"{"type":"message","message":{"role":"assistant","stopReason":"error","errorMessage":"Request was aborted","details":[1]}}"#,
            r#"{"type":"custom","customType":"openclaw:prompt-error","data":{"error":"agent run aborted for restart","error":"x"}}"#,
            r#"{"type":"custom","customType":"openclaw:prompt-error","data":["error"]}"#,
            r#"{"type":"custom","customType":"openclaw:prompt-error","data":{"error":{"a":1}}}"#,
            r#"{"id":"a","message":{"role":"user","content":[{"type":"text","text":"{\"role\":\"x\"}"}]}}"#,
            r#"{"id":"a"}x"#,
            r#"{"id":"a",}"#,
            r#"{"id":"a\x"}"#,
            r#"[{"id":"a"}]"#,
            r#"{"id":"a","message":01}"#,
        ];
        for l in lines {
            let from_value = serde_json::from_str::<Value>(l)
                .ok()
                .and_then(|v| TailRecord::from_value(&v).map(TailRecord::into_owned));
            assert_eq!(parse_tail_line(l), from_value, "{l}");
            assert_eq!(parse_tail_bytes(l.as_bytes()), from_value, "{l}");
        }
        let deep = format!(
            r#"{{"id":"deep","parentId":null,"message":{{"role":"user","content":{}1{}}}}}"#,
            "[".repeat(300),
            "]".repeat(300)
        );
        let r = parse_tail_bytes(deep.as_bytes()).expect("JSON.parse reads any nesting");
        assert_eq!(r.id.as_deref(), Some("deep"));
        assert_eq!(r.message.unwrap().role.as_deref(), Some("user"));
        assert_eq!(parse_tail_bytes(&deep.as_bytes()[..deep.len() - 1]), None);
    }

    /// `last_message` is `resume_candidate` of `tail_messages`, without the
    /// copies: the last 20 messages of the active branch only.
    #[test]
    fn last_message_is_the_resume_candidate_of_the_tail_messages() {
        let roles = |n: usize, f: fn(usize) -> &'static str| -> Vec<String> {
            let mut lines = vec![HEADER.to_string()];
            for i in 0..n {
                let parent = (i > 0).then(|| format!("m{}", i - 1));
                lines.push(msg(&format!("m{i}"), parent.as_deref(), f(i)));
            }
            lines
        };
        let cases = [
            roles(3, |_| "user"),
            roles(25, |i| if i < 5 { "user" } else { "system" }),
            roles(25, |i| if i == 5 { "assistant" } else { "system" }),
            roles(25, |i| if i == 4 { "user" } else { "system" }),
            roles(30, |i| ["user", "assistant", "toolResult"][i % 3]),
            roles(0, |_| "user"),
        ];
        for lines in &cases {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let records = recs(&refs);
            let expected = resume_candidate(&tail_messages(&records)).cloned();
            assert_eq!(
                last_message(&records).cloned(),
                expected,
                "{} lines",
                lines.len()
            );
        }
        // The window matters: a user message 21 back is not seen.
        let records = recs(&cases[1].iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(last_message(&records), None);
    }

    #[test]
    fn resume_decision_follows_last_meaningful_message() {
        let user = msg("a", None, "user");
        let asst = msg("b", Some("a"), "assistant");
        let m = tail_messages(&recs(&[HEADER, &user]));
        assert_eq!(resume_block_reason(&m), None);
        let m = tail_messages(&recs(&[HEADER, &user, &asst]));
        assert!(resume_block_reason(&m).unwrap().contains("assistant"));
        let tool = msg("c", Some("b"), "toolResult");
        let m = tail_messages(&recs(&[HEADER, &user, &asst, &tool]));
        assert_eq!(resume_block_reason(&m), None);
        // header only
        assert!(resume_block_reason(&tail_messages(&recs(&[HEADER]))).is_some());
        // approval pending
        let pending = r#"{"type":"message","id":"d","parentId":"b","message":{"role":"toolResult","details":{"status":"approval-pending"}}}"#;
        let m = tail_messages(&recs(&[HEADER, &user, &asst, pending]));
        assert!(resume_block_reason(&m)
            .unwrap()
            .contains("approval-pending"));
    }

    #[test]
    fn active_branch_ignores_abandoned_siblings() {
        // a -> b(assistant) ; a -> c(user) is the leaf: the assistant is on a dead branch.
        let a = msg("a", None, "user");
        let b = msg("b", Some("a"), "assistant");
        let c = msg("c", Some("a"), "user");
        let m = tail_messages(&recs(&[HEADER, &a, &b, &c]));
        assert_eq!(m.len(), 2);
        assert_eq!(resume_block_reason(&m), None);
        // The leaf is the last linked record even if it is on an older branch.
        let m = tail_messages(&recs(&[HEADER, &a, &c, &b]));
        assert!(resume_block_reason(&m).is_some());
    }

    #[test]
    fn parent_cycle_yields_no_messages() {
        let a = msg("a", Some("b"), "user");
        let b = msg("b", Some("a"), "user");
        assert!(tail_messages(&recs(&[&a, &b])).is_empty());
    }

    #[test]
    fn only_a_truthy_message_field_makes_a_message() {
        let role = |line: &str| parse_tail_line(line).unwrap().message.map(|m| m.role);
        for falsy in ["null", "false", "0", "\"\""] {
            let line = format!(r#"{{"type":"message","id":"a","message":{falsy}}}"#);
            assert_eq!(role(&line), None, "message: {falsy} is not a message");
        }
        assert_eq!(
            role(r#"{"type":"message","id":"a","message":"hi"}"#),
            Some(None)
        );
        assert_eq!(
            role(r#"{"type":"message","id":"a","message":{}}"#),
            Some(None)
        );
        assert_eq!(
            role(r#"{"type":"compaction","id":"a","message":0}"#),
            Some(Some("system".into())),
            "a compaction with a falsy message is still one"
        );
    }

    #[test]
    fn compaction_counts_as_system_and_custom_entries_are_not_messages() {
        let u = msg("a", None, "user");
        let comp = r#"{"type":"compaction","id":"c","parentId":"a","summary":"s"}"#;
        let custom = r#"{"type":"custom","id":"x","parentId":"c","customType":"note","data":{}}"#;
        let m = tail_messages(&recs(&[HEADER, &u, comp, custom]));
        assert_eq!(m.last().unwrap().role.as_deref(), Some("system"));
        assert_eq!(
            resume_block_reason(&m),
            None,
            "user is the last meaningful message"
        );
    }

    #[test]
    fn only_the_last_twenty_messages_count() {
        let mut lines = vec![HEADER.to_string(), msg("m0", None, "user")];
        for i in 1..=25 {
            lines.push(msg(
                &format!("m{i}"),
                Some(&format!("m{}", i - 1)),
                "system",
            ));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let m = tail_messages(&recs(&refs));
        assert_eq!(m.len(), 20);
        assert!(
            resume_block_reason(&m).is_some(),
            "the user message fell out of the window"
        );
    }

    #[test]
    fn window_drops_partial_first_line_and_blank_lines() {
        let w = b"tial}\n{\"a\":1}\r\n\n  \n{\"b\":2}";
        assert_eq!(window_lines(w, true), vec![(6, 7), (19, 7)]);
        assert_eq!(window_lines(b"{\"a\":1}\n", false), vec![(0, 7)]);
        assert_eq!(window_lines(b"partial only", true), vec![]);
        let many: Vec<u8> = "{}\n".repeat(500).into_bytes();
        assert_eq!(window_lines(&many, false).len(), TAIL_MAX_LINES);
    }

    #[test]
    fn oversized_lines_become_placeholders_with_prefix_role() {
        let big = format!(
            r#"{{"type":"message","id":"z","parentId":null,"message":{{"role":"user","content":"{}"}}}}"#,
            "x".repeat(MAX_PARSE_LINE_BYTES)
        );
        let r = parse_tail_line(&big).unwrap();
        assert_eq!(r.id.as_deref(), Some("z"));
        assert_eq!(r.parent_id, Some(None));
        assert_eq!(r.message.as_ref().unwrap().role.as_deref(), Some("user"));
    }

    #[test]
    fn restart_artifacts_are_recognised_exactly() {
        let u = msg("a", None, "user");
        let err = r#"{"type":"custom","id":"e","parentId":"a","customType":"openclaw:prompt-error","data":{"error":"This operation was aborted | This operation was aborted"}}"#;
        let assistant = |m: &str| {
            format!(
                r#"{{"type":"message","id":"f","parentId":"e","message":{{"role":"assistant",{m}}}}}"#
            )
        };
        let count = |e: &str, last: &str| restart_artifact_count(&recs(&[HEADER, &u, e, last]));
        // every shape an abort by a restart leaves: nothing, partial text,
        // thinking only, a partial tool call; an abort reported as an error
        for m in [
            r#""content":[],"stopReason":"aborted","errorMessage":"Request was aborted""#,
            r#""content":[{"type":"text","text":"PARTIAL: I'll start by"}],"stopReason":"aborted","errorMessage":"Request was aborted""#,
            r#""content":[{"type":"thinking","thinking":"The user wants"}],"stopReason":"aborted""#,
            r#""content":[{"type":"toolCall","id":"c1","name":"read","arguments":{"path":"bil"}}],"stopReason":"aborted""#,
            r#""content":[],"stopReason":"error","errorMessage":"This operation was aborted""#,
            r#""content":[],"stopReason":"error","errorCode":"OPENCLAW_RESTART_ABORT","errorMessage":"x""#,
        ] {
            assert_eq!(count(err, &assistant(m)), 2, "{m}");
            // 5.x fails the row while they are there
            let m = tail_messages(&recs(&[HEADER, &u, err, &assistant(m)]));
            assert!(resume_block_reason(&m).is_some());
        }
        // a run that failed on its own is no artifact: its error is what the user saw
        let own = r#"{"type":"custom","id":"e","parentId":"a","customType":"openclaw:prompt-error","data":{"error":"429 Too Many Requests"}}"#;
        let own_reply = assistant(
            r#""content":[],"stopReason":"error","errorMessage":"429 Too Many Requests""#,
        );
        assert_eq!(count(own, &own_reply), 0);
        assert_eq!(count(err, &own_reply), 0);
        assert_eq!(
            count(
                err,
                &assistant(
                    r#""content":[],"stopReason":"error","errorCode":"E_PROVIDER","errorMessage":"Request was aborted""#
                )
            ),
            0,
            "another error code"
        );
        let aborted = assistant(r#""content":[],"stopReason":"aborted""#);
        assert_eq!(
            count(own, &aborted),
            0,
            "the prompt error is not the abort's"
        );
        // a finished reply is not cut
        assert_eq!(
            count(
                err,
                &assistant(r#""content":[{"type":"text","text":"hi"}],"stopReason":"stop""#)
            ),
            0
        );
        // a forced restart skips the drain: the aborted reply alone
        assert_eq!(restart_artifact_count(&recs(&[HEADER, &u, &aborted])), 1);
        let no_data =
            r#"{"type":"custom","id":"e","parentId":"a","customType":"openclaw:prompt-error"}"#;
        assert_eq!(count(no_data, &aborted), 0);
        // Node's AbortError texts
        assert!(is_restart_abort_error(
            "AbortError: This operation was aborted"
        ));
        assert!(is_restart_abort_error("The operation was aborted."));
        assert!(!is_restart_abort_error(""));
        assert!(!is_restart_abort_error(
            "This operation was aborted | fetch failed"
        ));
    }

    #[test]
    fn the_startup_migration_reads_legacy_files_as_6_11_does() {
        assert!(legacy_sessions_dir_migrates(&["a.jsonl".into()]));
        assert!(legacy_sessions_dir_migrates(&["sessions.json".into()]));
        assert!(!legacy_sessions_dir_migrates(&["notes.txt".into()]));
        let header = br#"{"type":"session","id":"s1","timestamp":"2026-01-01T00:00:00Z"}"#;
        assert!(header_names_session(header, "x.jsonl", "s1"));
        assert!(!header_names_session(header, "s1.jsonl", "s2"));
        assert!(header_names_session(
            br#"{"type":"message"}"#,
            "s2.jsonl",
            "s2"
        ));
        assert!(!header_names_session(
            br#"{"type":"message"}"#,
            "x.jsonl",
            "s2"
        ));
        assert!(!header_names_session(b"not json", "s2.jsonl", "s2"));
    }
}
