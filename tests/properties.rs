//! Property tests and fuzzing.
//!
//! The three readers that see untrusted bytes (the index reader, the lock
//! payload parser, the transcript tail reader) are run on generated and mutated
//! input and compared with independent models; whole generated states are run
//! through the binary to check that a dry run never writes, that repair is
//! idempotent and that the entries it does not mean to change stay
//! byte-identical.
//!
//! Case counts are each test's base count times `SESSFIX_PROPTEST_FACTOR`
//! (default 1); `scripts/reliability.sh` runs them with a higher factor. Every
//! property prints how many cases it ran.

mod common;
use common::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use sessfix::rules::RecordKind;
use sessfix::state::json::{self as reader, Parsed};

fn factor() -> u32 {
    match std::env::var("SESSFIX_PROPTEST_FACTOR") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("SESSFIX_PROPTEST_FACTOR={v:?} is not a number")),
        Err(_) => 1,
    }
}

/// The seed of the case generator: `SESSFIX_PROPTEST_SEED` replays a run,
/// otherwise a new one is drawn and printed so that a failure can be replayed.
fn seed() -> u64 {
    match std::env::var("SESSFIX_PROPTEST_SEED") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("SESSFIX_PROPTEST_SEED={v:?} is not a number")),
        Err(_) => {
            use std::hash::{BuildHasher, RandomState};
            RandomState::new().hash_one(std::time::SystemTime::now())
        }
    }
}

/// Run `test` on `base × factor` values of `strategy`; panic with the shrunk
/// input on the first failure (a panic inside `test` counts as one).
fn check<S: Strategy>(
    name: &str,
    base: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let cases = base * factor();
    let seed = seed();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..Config::default()
    });
    match runner.run(&strategy, test) {
        Ok(()) => eprintln!("property {name}: {cases} cases, 0 failures (seed {seed})"),
        Err(e) => panic!(
            "property {name}: {e}\nreplay with SESSFIX_PROPTEST_SEED={seed} SESSFIX_PROPTEST_FACTOR={}",
            factor()
        ),
    }
}

// ------------------------------------------------------------------ JSON values

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9:_-]{0,12}",
        vec(any::<char>(), 0..10).prop_map(String::from_iter),
        // Long enough for the vectorised scans, with quotes, backslashes and
        // control characters (escaped when serialised) anywhere.
        "([ -~]|\\PC|[\u{0}-\u{1f}]){20,300}",
        Just("\"\\/\u{0}\u{1f}\u{2028}é中😀".to_string()),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        arb_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            vec((arb_string(), inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A document with an object root, as text: compact, pretty, or pretty with
/// CRLF line ends and tabs.
fn arb_document() -> impl Strategy<Value = Vec<u8>> {
    (vec((arb_string(), arb_json()), 0..6), 0..3u8).prop_map(|(kv, style)| {
        let v = Value::Object(kv.into_iter().collect());
        match style {
            0 => serde_json::to_vec(&v).unwrap(),
            1 => serde_json::to_vec_pretty(&v).unwrap(),
            _ => {
                // Indent with tabs through the formatter: replacing spaces in
                // the text would also change string values. A raw newline
                // cannot occur inside a JSON string, so that replace is safe.
                let mut out = Vec::new();
                let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
                let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
                serde::Serialize::serialize(&v, &mut ser).unwrap();
                String::from_utf8(out)
                    .unwrap()
                    .replace('\n', "\r\n")
                    .into_bytes()
            }
        }
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Insert(usize, u8),
    Replace(usize, u8),
    Truncate(usize),
}

fn arb_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b"{}[],:\"\\u0123456789-+.eEtrufalsn \n\t\r/".to_vec()),
        any::<u8>(),
    ]
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), arb_byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), arb_byte()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len();
        match *m {
            Mutation::Delete(i) if n > 0 => {
                bytes.remove(i % n);
            }
            Mutation::Insert(i, b) => bytes.insert(i % (n + 1), b),
            Mutation::Replace(i, b) if n > 0 => bytes[i % n] = b,
            Mutation::Truncate(i) => bytes.truncate(i % (n + 1)),
            _ => {}
        }
    }
    bytes
}

/// Inputs `JSON.parse` accepts and serde_json refuses, by serde_json's message.
/// Everything else serde_json refuses, the reader must refuse too.
const SERDE_STRICTER: &[&str] = &[
    "lone leading surrogate",
    "unexpected end of hex escape",
    "invalid unicode code point",
    "number out of range",
    "recursion limit exceeded",
];

#[test]
fn index_reader_records_every_member_of_generated_documents() {
    check(
        "index reader on valid documents",
        2000,
        arb_document(),
        |src| {
            let Ok(Parsed::Object(doc)) = reader::parse(&src) else {
                return Err(TestCaseError::fail("a valid object document was refused"));
            };
            let expected: serde_json::Map<String, Value> = serde_json::from_slice(&src).unwrap();
            prop_assert_eq!(src[doc.open], b'{');
            prop_assert_eq!(src[doc.close], b'}');
            prop_assert_eq!(doc.members.len(), expected.len());
            for (m, (key, value)) in doc.members.iter().zip(&expected) {
                prop_assert_eq!(&m.key, key);
                let decoded: String = serde_json::from_slice(&src[m.key_span.clone()]).unwrap();
                prop_assert_eq!(&decoded, key);
                let at: Value = serde_json::from_slice(&src[m.value_span.clone()]).unwrap();
                prop_assert_eq!(&at, value);
                match (value, &m.fields, m.braces) {
                    (Value::Object(inner), Some(fields), Some((open, close))) => {
                        prop_assert_eq!((src[open], src[close]), (b'{', b'}'));
                        prop_assert_eq!(fields.len(), inner.len());
                        for (f, (k, v)) in fields.iter().zip(inner) {
                            prop_assert!(f.key_is(&src, k));
                            let decoded: String =
                                serde_json::from_slice(&src[f.key_span()]).unwrap();
                            prop_assert_eq!(&decoded, k);
                            let at: Value = serde_json::from_slice(&src[f.value_span()]).unwrap();
                            prop_assert_eq!(&at, v);
                        }
                    }
                    (Value::Object(_), _, _) => {
                        return Err(TestCaseError::fail("object value without its fields"))
                    }
                    (_, None, None) => {}
                    _ => return Err(TestCaseError::fail("fields recorded for a non-object")),
                }
            }
            Ok(())
        },
    );
}

#[test]
fn index_reader_agrees_with_serde_json_on_mutated_documents() {
    let strategy = (arb_document(), vec(arb_mutation(), 1..6));
    check(
        "index reader on mutated documents",
        20000,
        strategy,
        |(doc, muts)| {
            let src = mutate(doc, &muts);
            let ours = reader::parse(&src);
            if let Err(e) = &ours {
                prop_assert!(e.offset <= src.len(), "offset {} past the end", e.offset);
                prop_assert!(!e.message.is_empty() && e.line >= 1 && e.column >= 1);
            }
            match (serde_json::from_slice::<Value>(&src), &ours) {
                (Ok(_), Err(e)) => {
                    return Err(TestCaseError::fail(format!(
                        "refused a document serde_json accepts: {e}"
                    )))
                }
                (Ok(v), Ok(Parsed::Object(doc))) => {
                    // serde_json, like JSON.parse, keeps one of duplicate keys.
                    let keys: std::collections::BTreeSet<&String> =
                        doc.members.iter().map(|m| &m.key).collect();
                    prop_assert_eq!(keys.len(), v.as_object().unwrap().len())
                }
                (Ok(v), Ok(Parsed::Other(_))) => prop_assert!(!v.is_object()),
                (Err(e), Ok(_)) => {
                    let msg = e.to_string();
                    prop_assert!(
                        SERDE_STRICTER.iter().any(|s| msg.contains(s)),
                        "accepted a document serde_json refuses for: {}",
                        msg
                    );
                }
                (Err(_), Err(_)) => {}
            }
            Ok(())
        },
    );
}

#[test]
fn index_reader_never_panics_on_arbitrary_bytes() {
    check(
        "index reader on arbitrary bytes",
        20000,
        vec(arb_byte(), 0..200),
        |src| {
            if let Err(e) = reader::parse(&src) {
                prop_assert!(e.offset <= src.len());
            }
            Ok(())
        },
    );
}

// ------------------------------------------------------------------ lock payloads

/// One field value of a lock payload: its JSON text and, for a number or a
/// string, what `JSON.parse` makes of it.
#[derive(Debug, Clone)]
enum FieldValue {
    Number(String, f64),
    String(String),
    Other(String),
}

fn arb_number() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        any::<u32>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..5).prop_map(|n| n.to_string()),
        Just("-1".to_string()),
        Just("-0".to_string()),
        Just((1u64 << 40).to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("1e400".to_string()),
        Just("-1e400".to_string()),
        (1u32..100000, 0u8..4).prop_map(|(n, e)| format!("{n}e{e}")),
        (1u32..100000).prop_map(|n| format!("{n}.0")),
        (1u32..100000, 1u32..9).prop_map(|(n, d)| format!("{n}.{d}")),
        (1u32..100000).prop_map(|n| format!("{n}E-0")),
    ]
    .prop_map(|text| {
        let v: f64 = text.parse().unwrap();
        FieldValue::Number(text, v)
    })
}

fn arb_field_value() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        4 => arb_number(),
        2 => prop_oneof![
            Just("2026-11-24T02:59:00.000Z".to_string()),
            Just("not a date".to_string()),
            Just("4000001".to_string()),
            arb_string(),
        ]
        .prop_map(FieldValue::String),
        1 => Just(FieldValue::Other(r#""\ud800""#.to_string())),
        1 => prop::sample::select(vec!["null", "true", "[]", "{}", "[1]"])
            .prop_map(|s| FieldValue::Other(s.to_string())),
    ]
}

fn field_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Number(t, _) | FieldValue::Other(t) => t.clone(),
        FieldValue::String(s) => serde_json::to_string(s).unwrap(),
    }
}

/// `isValidLockNumber`: a finite integer >= 0 (pids must also be > 0). Values
/// past u64 are refused: no process has such a pid, and the gateway's
/// `process.kill` throws on them, which it reads as a dead pid.
fn js_lock_number(v: &FieldValue) -> Option<f64> {
    match v {
        FieldValue::Number(t, _) if t.parse::<u64>().is_ok() => {
            Some(t.parse::<u64>().unwrap() as f64)
        }
        FieldValue::Number(_, f) if f.is_finite() && *f >= 0.0 && f.fract() == 0.0 => {
            (*f < 18446744073709551616.0).then_some(*f)
        }
        _ => None,
    }
}

#[test]
fn lock_payload_parser_reads_fields_like_json_parse() {
    let field = prop::sample::select(vec!["pid", "createdAt", "starttime", "hostname"]);
    let strategy = (
        vec((field, arb_field_value()), 0..6),
        prop::sample::select(vec!["", "\n", "\n\t \t\n", "  \r\n"]),
    );
    check(
        "lock payload parser",
        20000,
        strategy,
        |(fields, trailer)| {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("\"{k}\": {}", field_text(v)))
                .collect();
            let raw = format!("{{{}}}{trailer}", body.join(", "));
            let got = sessfix::rules::parse_lock_payload(raw.as_bytes());
            // JSON.parse: the last occurrence of a key wins.
            let last = |name: &str| {
                fields
                    .iter()
                    .rev()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v)
            };
            prop_assert!(got.parsed, "payload {} not parsed", raw);
            let pid = last("pid").and_then(js_lock_number).filter(|&p| p > 0.0);
            prop_assert_eq!(got.pid.is_some(), pid.is_some(), "pid of {}", raw);
            if let (Some(g), Some(e)) = (got.pid, pid) {
                if e <= 9007199254740992.0 {
                    prop_assert_eq!(g as f64, e);
                }
            }
            let start = last("starttime").and_then(js_lock_number);
            prop_assert_eq!(
                got.starttime.is_some(),
                start.is_some(),
                "starttime of {}",
                raw
            );
            let created = match last("createdAt") {
                Some(FieldValue::String(s)) => Some(s.clone()),
                Some(FieldValue::Other(t)) if t.starts_with("\"\\u") => {
                    Some("\u{FFFD}".to_string())
                }
                _ => None,
            };
            prop_assert_eq!(got.created_at, created, "createdAt of {}", raw);
            Ok(())
        },
    );
}

#[test]
fn lock_payload_parser_never_panics_on_arbitrary_bytes() {
    check(
        "lock payload parser on arbitrary bytes",
        20000,
        prop_oneof![
            vec(any::<u8>(), 0..64),
            (vec(arb_mutation(), 1..4)).prop_map(|m| mutate(
                br#"{"pid": 4000001, "createdAt": "2026-11-24T02:59:00.000Z", "starttime": 4242}"#
                    .to_vec(),
                &m
            )),
        ],
        |raw| {
            let p = sessfix::rules::parse_lock_payload(&raw);
            prop_assert!(p.parsed || (p.pid.is_none() && p.created_at.is_none()));
            prop_assert!(p.pid != Some(0));
            Ok(())
        },
    );
}

// ------------------------------------------------------------------ transcript tails

/// One line of a generated transcript (kept small in failure reports).
#[derive(Debug, Clone)]
enum Line {
    Record {
        id: u16,
        parent: Option<u16>,
        text: String,
    },
    Fixed(&'static str),
    Bytes(Vec<u8>),
    /// A JSON object line of this many KiB.
    Big(usize),
}

impl Line {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Line::Record { id, parent, text } => serde_json::to_vec(&serde_json::json!({
                "type": "message", "id": format!("e{id}"), "parentId": parent.map(|p| format!("e{p}")),
                "message": {"role": "user", "content": [{"type": "text", "text": text}]}
            }))
            .unwrap(),
            Line::Fixed(s) => s.as_bytes().to_vec(),
            Line::Bytes(b) => b.clone(),
            Line::Big(kib) => format!("{{\"type\":\"custom\",\"data\":\"{}\"}}", "x".repeat(kib * 1024))
                .into_bytes(),
        }
    }
}

fn arb_small_line() -> impl Strategy<Value = Line> {
    prop_oneof![
        8 => (0u16..500, prop::option::of(0u16..500), arb_string())
            .prop_map(|(id, parent, text)| Line::Record { id, parent, text }),
        1 => prop::sample::select(vec!["[1]", "\"x\"", "3", "null", "{", "garbage", "   ", "", "\u{a0}"])
            .prop_map(Line::Fixed),
        1 => vec(any::<u8>(), 0..40).prop_map(Line::Bytes),
    ]
}

fn arb_line() -> impl Strategy<Value = Line> {
    prop_oneof![10 => arb_small_line(), 1 => (1usize..160).prop_map(Line::Big)]
}

/// Split `bytes` on `\n` the naive way and keep what recovery keeps: lines
/// wholly inside the last 256 KiB (the window's first, partial line dropped),
/// `\r` trimmed, blank lines dropped, the last 420, those that are objects.
fn model_tail(bytes: &[u8]) -> Vec<(u64, Value)> {
    let window_start = bytes.len().saturating_sub(256 * 1024);
    let mut lines = Vec::new();
    let mut start = 0;
    for seg in bytes.split(|&b| b == b'\n') {
        let kept = window_start == 0 || start > window_start;
        let line = seg.strip_suffix(b"\r").unwrap_or(seg);
        if kept && !line.iter().all(u8::is_ascii_whitespace) {
            lines.push((start as u64, line));
        }
        start += seg.len() + 1;
    }
    let from = lines.len().saturating_sub(420);
    lines[from..]
        .iter()
        .filter_map(|&(off, line)| {
            let v: Value = serde_json::from_str(&String::from_utf8_lossy(line)).ok()?;
            v.is_object().then_some((off, v))
        })
        .collect()
}

#[test]
fn tail_reader_keeps_the_lines_recovery_keeps() {
    let strategy = (
        prop_oneof![
            4 => vec((arb_line(), any::<bool>()), 0..40),
            1 => vec((arb_small_line(), any::<bool>()), 400..500),
        ],
        any::<bool>(),
        any::<usize>(),
    );
    check(
        "transcript tail reader",
        400,
        strategy,
        |(lines, ends_with_newline, cut)| {
            let mut bytes = Vec::new();
            for (line, crlf) in &lines {
                bytes.extend_from_slice(&line.bytes());
                bytes.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
            }
            if !ends_with_newline && !bytes.is_empty() {
                // Tear the last line at some point.
                let last_start = bytes[..bytes.len() - 1]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let len = bytes.len() - last_start;
                bytes.truncate(last_start + cut % len);
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.jsonl");
            std::fs::write(&path, &bytes).unwrap();
            let tail = sessfix::state::read_tail_lines(&path).map_err(TestCaseError::fail)?;
            let expected = model_tail(&bytes);
            prop_assert_eq!(tail.size, bytes.len() as u64);
            let want: Vec<u64> = expected.iter().map(|(o, _)| *o).collect();
            prop_assert_eq!(&tail.offsets, &want, "offsets of the kept records");
            // Each kept record is its line: the same id and type.
            let same = tail.records.iter().zip(&expected).all(|(r, (_, v))| {
                let id = v["id"].as_str().filter(|s| !s.trim().is_empty());
                r.id.as_deref() == id && r.kind == RecordKind::of(v["type"].as_str())
            });
            prop_assert!(same, "a kept record differs from its line");
            if let Some(t) = tail.torn_at {
                let frag = &bytes[t as usize..];
                prop_assert!(t == 0 || bytes[t as usize - 1] == b'\n', "torn_at mid-line");
                prop_assert!(!frag.contains(&b'\n') && !frag.is_empty());
                prop_assert!(serde_json::from_slice::<Value>(frag).is_err());
                prop_assert!(tail.offsets.iter().all(|&o| o < t));
            } else if !bytes.is_empty()
                && bytes.last() != Some(&b'\n')
                && !tail.last_line_exceeds_window
            {
                let from = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let frag = &bytes[from..];
                prop_assert!(
                    frag.iter().all(u8::is_ascii_whitespace)
                        || serde_json::from_slice::<Value>(frag).is_ok(),
                    "an unterminated last line that is not JSON was not reported as torn"
                );
            }
            Ok(())
        },
    );
}

// ------------------------------------------------------------------ whole states

const NOW_MS: i64 = 1_795_489_200_000; // common::NOW
const MIN: i64 = 60_000;

#[derive(Debug, Clone, Copy)]
enum LockKind {
    None,
    DeadPid,
    LiveOwnerFresh,
    LiveOwnerOld,
    NotOpenclaw,
    RecycledPid,
    NoPid,
    NotJson,
    Directory,
}

#[derive(Debug, Clone, Copy)]
enum TailKind {
    None,
    HeaderOnly,
    User,
    Assistant,
    ToolResult,
    Torn,
}

#[derive(Debug, Clone)]
struct SessionSpec {
    key_kind: u8,
    status: Option<&'static str>,
    aborted: Option<bool>,
    session_file: bool,
    bloat_first: bool,
    age_min: i64,
    lock: LockKind,
    tail: TailKind,
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Compact,
    Pretty,
    /// Pretty with a trailing comma: JSON5, which the gateway accepts.
    Json5,
}

#[derive(Debug, Clone)]
struct StateSpec {
    agents: Vec<(Format, Vec<SessionSpec>)>,
}

fn arb_session() -> impl Strategy<Value = SessionSpec> {
    use LockKind as L;
    use TailKind as T;
    (
        (
            0u8..5,
            prop::sample::select(vec![Some("running"), Some("done"), Some("failed"), None]),
            prop::option::of(any::<bool>()),
            prop::bool::weighted(0.85),
            any::<bool>(),
            prop::sample::select(vec![2i64, 12, 45, 60 * 24 * 3]),
        ),
        prop::sample::select(vec![
            L::None,
            L::DeadPid,
            L::LiveOwnerFresh,
            L::LiveOwnerOld,
            L::NotOpenclaw,
            L::RecycledPid,
            L::NoPid,
            L::NotJson,
            L::Directory,
        ]),
        prop::sample::select(vec![
            T::None,
            T::HeaderOnly,
            T::User,
            T::Assistant,
            T::ToolResult,
            T::Torn,
        ]),
    )
        .prop_map(
            |((key_kind, status, aborted, session_file, bloat_first, age_min), lock, tail)| {
                SessionSpec {
                    key_kind,
                    status,
                    aborted,
                    session_file,
                    bloat_first,
                    age_min,
                    lock,
                    tail,
                }
            },
        )
}

fn arb_state() -> impl Strategy<Value = StateSpec> {
    let format = prop_oneof![
        4 => Just(Format::Pretty),
        2 => Just(Format::Compact),
        1 => Just(Format::Json5),
    ];
    vec((format, vec(arb_session(), 1..7)), 1..3).prop_map(|agents| StateSpec { agents })
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Write `spec` into `env`: indexes, transcripts, locks and the processes the
/// locks name.
fn build(env: &Env, spec: &StateSpec) {
    use serde_json::json;
    for (a, (format, sessions)) in spec.agents.iter().enumerate() {
        let agent = ["main", "ops"][a];
        let dir = env.sessions(agent);
        std::fs::create_dir_all(&dir).unwrap();
        let mut index = serde_json::Map::new();
        for (i, s) in sessions.iter().enumerate() {
            let n = a * 100 + i;
            let sid = format!("{n:08x}-3a1d-4a53-9d7e-1f1c2d3e4f50");
            let key = match s.key_kind {
                0 => format!("agent:{agent}:feishu:direct:ou_{n}"),
                1 => format!("agent:{agent}:subagent:{n}"),
                2 => format!("agent:{agent}:cron:job-{n}"),
                3 => format!("agent:{agent}:telegram:group:-100{n}:topic:7"),
                _ => format!("cron:legacy-{n}"),
            };
            let updated = NOW_MS - s.age_min * MIN;
            let mut e = serde_json::Map::new();
            let bloat = json!({"prompt": "<skills>…</skills>", "skills": [{"name": "weather"}, {"name": "github"}]});
            if s.bloat_first {
                e.insert("skillsSnapshot".into(), bloat.clone());
            }
            e.insert("sessionId".into(), json!(sid));
            e.insert("updatedAt".into(), json!(updated));
            if s.session_file {
                e.insert("sessionFile".into(), json!(format!("{sid}.jsonl")));
            }
            e.insert("chatType".into(), json!("direct"));
            e.insert(
                "deliveryContext".into(),
                json!({"channel": "feishu", "to": format!("user:ou_{n}"), "accountId": "default"}),
            );
            if !s.bloat_first {
                e.insert("skillsSnapshot".into(), bloat);
            }
            if let Some(status) = s.status {
                e.insert("status".into(), json!(status));
                e.insert("startedAt".into(), json!(updated - 40_000));
            }
            if let Some(aborted) = s.aborted {
                e.insert("abortedLastRun".into(), json!(aborted));
            }
            e.insert("totalTokens".into(), json!(20553));
            index.insert(key, Value::Object(e));

            write_transcript(&dir.join(format!("{sid}.jsonl")), &sid, s.tail, updated);
            write_lock(
                env,
                &dir.join(format!("{sid}.jsonl.lock")),
                s.lock,
                n as u64,
            );
        }
        let mut text = match format {
            Format::Compact => serde_json::to_string(&index).unwrap(),
            _ => serde_json::to_string_pretty(&index).unwrap(),
        };
        if let Format::Json5 = format {
            // `}` of the last entry, then `,` before the root's closing brace.
            let close = text.rfind('}').unwrap();
            text.insert(text[..close].trim_end().len(), ',');
        }
        std::fs::write(dir.join("sessions.json"), text).unwrap();
    }
}

fn write_transcript(path: &std::path::Path, sid: &str, tail: TailKind, updated: i64) {
    use serde_json::json;
    if let TailKind::None = tail {
        return;
    }
    let t0 = updated - 2 * MIN;
    let mut lines = vec![
        json!({"type": "session", "version": 3, "id": sid, "timestamp": iso(t0), "cwd": "/srv/work"}),
    ];
    let msg = |lines: &Vec<Value>, role: &str, content: Value| {
        let parent = lines.last().and_then(|l| l.get("id")).cloned();
        let parent = if lines.len() == 1 {
            Value::Null
        } else {
            parent.unwrap()
        };
        json!({"type": "message", "id": format!("e{:03}", lines.len()), "parentId": parent,
               "timestamp": iso(t0 + 10_000 * lines.len() as i64),
               "message": {"role": role, "content": content}})
    };
    if !matches!(tail, TailKind::HeaderOnly) {
        let m = msg(
            &lines,
            "user",
            json!([{"type": "text", "text": "明天上海的天气？"}]),
        );
        lines.push(m);
        match tail {
            TailKind::Assistant => {
                let m = msg(
                    &lines,
                    "assistant",
                    json!([{"type": "text", "text": "多云。"}]),
                );
                lines.push(m);
            }
            TailKind::ToolResult => {
                let m = msg(
                    &lines,
                    "assistant",
                    json!([{"type": "toolCall", "id": "call_1", "name": "exec", "arguments": {}}]),
                );
                lines.push(m);
                let m = msg(
                    &lines,
                    "toolResult",
                    json!([{"type": "text", "text": "light rain"}]),
                );
                lines.push(m);
            }
            _ => {}
        }
    }
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    if let TailKind::Torn = tail {
        text.push_str(r#"{"type":"message","id":"e999","parentId":"e001","message":{"role":"assi"#);
    }
    std::fs::write(path, text).unwrap();
}

fn write_lock(env: &Env, path: &std::path::Path, kind: LockKind, n: u64) {
    use serde_json::json;
    let gateway = [
        "node",
        "/usr/lib/node_modules/openclaw/openclaw.mjs",
        "gateway",
        "run",
    ];
    let payload = |pid: u64, age_min: i64, starttime: Option<u64>| {
        let mut p = json!({"pid": pid, "createdAt": iso(NOW_MS - age_min * MIN)});
        if let Some(s) = starttime {
            p["starttime"] = s.into();
        }
        serde_json::to_string_pretty(&p).unwrap() + "\n"
    };
    let pid = 5000 + n;
    let text = match kind {
        LockKind::None => return,
        LockKind::Directory => return std::fs::create_dir(path).unwrap(),
        LockKind::DeadPid => payload(4_000_000 + n, 1, None),
        LockKind::LiveOwnerFresh => {
            env.process(pid, &gateway, 4242);
            payload(pid, 1, Some(4242))
        }
        LockKind::LiveOwnerOld => {
            env.process(pid, &gateway, 4242);
            payload(pid, 31, Some(4242))
        }
        LockKind::NotOpenclaw => {
            env.process(pid, &["python3", "worker.py"], 4242);
            payload(pid, 1, None)
        }
        LockKind::RecycledPid => {
            env.process(pid, &gateway, 4242);
            payload(pid, 1, Some(17))
        }
        LockKind::NoPid => format!("{{\"createdAt\": \"{}\"}}\n", iso(NOW_MS - MIN)),
        LockKind::NotJson => "garbage\n".to_string(),
    };
    std::fs::write(path, text).unwrap();
}

/// `repair --dry-run --json`'s plan.
fn plan(env: &Env) -> Value {
    let out = env
        .cmd()
        .args(["repair", "--dry-run", "--json"])
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "dry run exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("dry run printed no JSON");
    v["plan"].clone()
}

fn plan_is_empty(plan: &Value) -> bool {
    let edits = plan["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["edits"].as_array().unwrap().is_empty());
    edits
        && plan["transcripts"].as_array().unwrap().is_empty()
        && plan["removals"].as_array().unwrap().is_empty()
}

/// One entry of an index: its key, its raw value, and its fields' raw values.
type Entry = (String, Vec<u8>, Vec<(String, Vec<u8>)>);

/// The entries of an index, in file order.
fn entries(src: &[u8]) -> Vec<Entry> {
    let Ok(Parsed::Object(doc)) = reader::parse(src) else {
        panic!(
            "index is not a strict JSON object: {}",
            String::from_utf8_lossy(src)
        );
    };
    doc.members
        .iter()
        .map(|m| {
            let fields = m
                .fields
                .iter()
                .flatten()
                .map(|f| {
                    let key: String = serde_json::from_slice(&src[f.key_span()]).unwrap();
                    (key, src[f.value_span()].to_vec())
                })
                .collect();
            (m.key.clone(), src[m.value_span.clone()].to_vec(), fields)
        })
        .collect()
}

#[test]
fn scan_and_dry_run_never_write() {
    check("scan and dry runs never write", 64, arb_state(), |spec| {
        let env = Env::empty();
        build(&env, &spec);
        let before = tree_digest(env.dir.path());
        for args in [
            &["scan"][..],
            &["scan", "--json"],
            &["repair", "--dry-run"],
            &["repair", "--dry-run", "--diff"],
            &["repair", "--dry-run", "--json"],
        ] {
            let code = env.code(args);
            prop_assert!(matches!(code, Some(0 | 1)), "{:?} exited {:?}", args, code);
        }
        prop_assert!(
            before == tree_digest(env.dir.path()),
            "a scan or dry run changed a file"
        );
        Ok(())
    });
}

#[test]
fn repair_changes_only_what_it_plans_and_a_second_run_changes_nothing() {
    check("repair is exact and idempotent", 64, arb_state(), |spec| {
        let env = Env::empty();
        build(&env, &spec);
        let planned = plan(&env);
        let agents: Vec<&str> = ["main", "ops"][..spec.agents.len()].to_vec();
        let index_before: Vec<Vec<u8>> = agents
            .iter()
            .map(|a| std::fs::read(env.sessions(a).join("sessions.json")).unwrap())
            .collect();
        let files_before = tree_digest(&env.state());

        let code = env.code(&["repair", "--yes", "--quiet"]);
        prop_assert!(matches!(code, Some(0 | 1)), "repair exited {:?}", code);

        for (i, agent) in agents.iter().enumerate() {
            let path = env.sessions(agent).join("sessions.json");
            let after = std::fs::read(&path).unwrap();
            let write = planned["indexes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| w["agent"] == *agent);
            let edits: Vec<&Value> = write
                .map(|w| w["edits"].as_array().unwrap().iter().collect())
                .unwrap_or_default();
            let strict = write.is_some_and(|w| w["rewriteStrict"] == true);
            if edits.is_empty() && !strict {
                prop_assert!(
                    after == index_before[i],
                    "{}: an index without edits changed",
                    agent
                );
                continue;
            }
            let old = if strict {
                // The reference for a JSON5 index is its strict rewrite.
                let v: Value =
                    json5::from_str(std::str::from_utf8(&index_before[i]).unwrap()).unwrap();
                serde_json::to_vec_pretty(&v).unwrap()
            } else {
                index_before[i].clone()
            };
            let (old, new) = (entries(&old), entries(&after));
            let keys = |v: &[Entry]| v.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
            prop_assert_eq!(
                keys(&old),
                keys(&new),
                "{}: entries added, lost or reordered",
                agent
            );
            for ((key, old_raw, old_fields), (_, new_raw, new_fields)) in old.iter().zip(&new) {
                let Some(edit) = edits.iter().find(|e| e["key"] == *key) else {
                    if strict {
                        let (o, n): (Value, Value) = (
                            serde_json::from_slice(old_raw).unwrap(),
                            serde_json::from_slice(new_raw).unwrap(),
                        );
                        prop_assert_eq!(o, n, "{}: unedited entry {} changed", agent, key);
                    } else {
                        prop_assert!(
                            old_raw == new_raw,
                            "{}: unedited entry {} is not byte-identical",
                            agent,
                            key
                        );
                    }
                    continue;
                };
                let changes = edit["changes"].as_array().unwrap();
                let changed = |f: &str| changes.iter().find(|c| c["field"] == f);
                // Fields it did not mean to change: same bytes, same order.
                let kept_old: Vec<&(String, Vec<u8>)> = old_fields
                    .iter()
                    .filter(|(f, _)| changed(f).is_none())
                    .collect();
                let kept_new: Vec<&(String, Vec<u8>)> = new_fields
                    .iter()
                    .filter(|(f, _)| changed(f).is_none())
                    .collect();
                if strict {
                    let norm = |v: &[&(String, Vec<u8>)]| {
                        v.iter()
                            .map(|(k, b)| (k.clone(), serde_json::from_slice::<Value>(b).unwrap()))
                            .collect::<Vec<_>>()
                    };
                    prop_assert_eq!(
                        norm(&kept_old),
                        norm(&kept_new),
                        "{}: {} lost or changed a field",
                        agent,
                        key
                    );
                } else {
                    prop_assert!(
                        kept_old == kept_new,
                        "{}: {} lost, reordered or changed a field it did not mean to",
                        agent,
                        key
                    );
                }
                for c in changes {
                    let f = c["field"].as_str().unwrap();
                    let now = new_fields
                        .iter()
                        .find(|(k, _)| k == f)
                        .map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap());
                    // The plan gives the field's JSON value (absent: no `after`).
                    prop_assert_eq!(
                        now.as_ref(),
                        c.get("after"),
                        "{}: {}.{} is not what the plan said",
                        agent,
                        key,
                        f
                    );
                }
            }
        }
        // Removed files are the planned ones; cut transcripts are prefixes.
        let removed: Vec<String> = planned["removals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_string())
            .collect();
        for r in &removed {
            prop_assert!(
                !std::path::Path::new(r).exists(),
                "{} was planned for removal and is still there",
                r
            );
        }
        let files_after: std::collections::BTreeMap<_, _> = tree_digest(&env.state())
            .into_iter()
            .map(|(p, m, b)| (p, (m, b)))
            .collect();
        for (p, _, bytes) in &files_before {
            if p.ends_with("sessions.json") || removed.iter().any(|r| r == p) {
                continue;
            }
            let Some((_, now)) = files_after.get(p) else {
                return Err(TestCaseError::fail(format!(
                    "{p} disappeared without a plan"
                )));
            };
            if now != bytes {
                let cut = planned["transcripts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t["path"] == p.as_str());
                prop_assert!(
                    cut && bytes.starts_with(now),
                    "{} changed without a plan",
                    p
                );
            }
        }

        let second = plan(&env);
        prop_assert!(
            plan_is_empty(&second),
            "a second run would still change: {}",
            second
        );
        let before_second = tree_digest(&env.state().join("agents"));
        let code = env.code(&["repair", "--yes", "--quiet"]);
        prop_assert!(
            matches!(code, Some(0 | 1)),
            "second repair exited {:?}",
            code
        );
        prop_assert!(
            before_second == tree_digest(&env.state().join("agents")),
            "a second repair changed files"
        );
        Ok(())
    });
}

fn object(fields: Vec<(&str, Value)>) -> serde_json::Map<String, Value> {
    fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// A record line with the fields recovery reads in every shape.
fn arb_record_value() -> impl Strategy<Value = Value> {
    use serde_json::json;
    let scalar = || {
        prop_oneof![
            Just(Value::Null),
            Just(json!("")),
            Just(json!("  ")),
            Just(json!(0)),
            Just(json!(1.5)),
            Just(json!(false)),
            Just(json!(true)),
            Just(json!([])),
            Just(json!([1])),
            Just(json!({})),
            prop::sample::select(vec![
                "message",
                "custom",
                "compaction",
                "session",
                "user",
                "assistant",
                "toolResult",
                "aborted",
                "approval-pending",
                "openclaw:prompt-error",
                "e1",
            ])
            .prop_map(Value::from),
        ]
    };
    let field = |names: Vec<&'static str>| vec((prop::sample::select(names), scalar()), 0..5);
    let message = prop_oneof![
        scalar(),
        (
            field(vec!["role", "stopReason", "content", "x"]),
            prop::option::of(field(vec!["status", "y"]))
        )
            .prop_map(|(fields, details)| {
                let mut m = object(fields);
                if let Some(d) = details {
                    m.insert("details".into(), Value::Object(object(d)));
                }
                Value::Object(m)
            }),
    ];
    // Near the shapes the rules look for (restart artifacts, approvals).
    let pick = |v: Vec<Value>| prop::sample::select(v);
    let near = (
        pick(vec![json!("message"), json!("custom"), json!("compaction"), Value::Null]),
        pick(vec![json!("openclaw:prompt-error"), json!("other"), json!(1)]),
        pick(vec![json!("assistant"), json!("toolResult"), json!("user"), json!(2)]),
        pick(vec![json!("aborted"), json!("stop"), Value::Null]),
        pick(vec![json!([]), json!(""), Value::Null, json!([1]), json!("x"), json!({})]),
        pick(vec![json!({"status": "approval-pending"}), json!({"status": "ok"}), json!("approval-pending")]),
    )
        .prop_map(|(kind, custom, role, stop, content, details)| {
            json!({"type": kind, "customType": custom, "id": "e2", "parentId": "e1",
                   "message": {"role": role, "stopReason": stop, "content": content, "details": details}})
        });
    let near = (
        near,
        vec(
            prop::sample::select(vec![
                "customType",
                "stopReason",
                "content",
                "details",
                "role",
            ]),
            0..2,
        ),
    )
        .prop_map(|(mut v, drop)| {
            for k in drop {
                v.as_object_mut().unwrap().remove(k);
                v["message"].as_object_mut().unwrap().remove(k);
            }
            v
        });
    let arbitrary = (
        field(vec!["id", "parentId", "type", "customType", "other"]),
        prop::option::of(message),
    )
        .prop_map(|(fields, message)| {
            let mut r = object(fields);
            if let Some(m) = message {
                r.insert("message".into(), m);
            }
            Value::Object(r)
        });
    prop_oneof![arbitrary, near]
}

#[test]
fn line_reader_reads_records_as_their_parsed_value_does() {
    check(
        "transcript line reader",
        20000,
        (arb_record_value(), any::<bool>()),
        |(v, duplicate)| {
            let mut line = serde_json::to_string(&v).unwrap();
            let expected = sessfix::rules::TailRecord::from_value(&v);
            if duplicate {
                // A key repeated earlier in the line: the last one counts.
                if let Some((k, _)) = v.as_object().unwrap().iter().next() {
                    line = format!("{{\"{k}\":\"shadowed\",{}", &line[1..]);
                }
            }
            let got = sessfix::rules::parse_tail_line(&line);
            prop_assert_eq!(got, expected, "line {}", line);
            Ok(())
        },
    );
}
