//! Write a realistic OpenClaw state dir, deterministic from a seed.
//!
//!     cargo run --release --example generate -- --out DIR [--agents 50] [--sessions 400]
//!         [--seed 1] [--bloat-kb 2] [--transcript-kb 8] [--now 2026-11-24T03:00:00Z]
//!
//! Every agent gets `agents/<id>/sessions/sessions.json` with `--sessions`
//! entries carrying the real field set (delivery contexts, token counts, a
//! skills snapshot and a system prompt report of about `--bloat-kb` KiB), a mix
//! of statuses (mostly done; some running after a graceful restart, some with
//! a stale lock, some flagged, a few subagents), transcripts of realistic
//! JSONL lines (a few lines to about `--transcript-kb` KiB, a few of several
//! MiB when `--big-transcripts` is given), and stale and live-looking locks.
//! With `--stranded N`, each agent instead has exactly N stranded entries
//! (running after a graceful restart, no lock, spread evenly through the
//! index) and every other entry done, with no locks.
//! Prints a summary line: agents, entries, running, locks, bytes.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn uuid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
    fn text(&mut self, len: usize) -> String {
        const WORDS: &[&str] = &[
            "weather", "shanghai", "tomorrow", "deploy", "gateway", "report", "summary", "群里",
            "明天", "天气", "status", "ticket", "review", "calendar", "invoice", "draft", "the",
            "and", "please", "check",
        ];
        let mut s = String::with_capacity(len + 16);
        while s.len() < len {
            s.push_str(WORDS[self.below(WORDS.len() as u64) as usize]);
            s.push(' ');
        }
        s
    }
}

struct Opts {
    out: PathBuf,
    agents: usize,
    sessions: usize,
    seed: u64,
    bloat_kb: usize,
    transcript_kb: usize,
    big_transcripts: bool,
    stranded: Option<usize>,
    now_ms: i64,
}

const HELP: &str = "\
Write a realistic OpenClaw state dir, deterministic from a seed.

Usage: cargo run --release --example generate -- --out DIR [OPTIONS]

Options:
  --out DIR           where to write the state dir (required)
  --agents N          agents to write [default: 50]
  --sessions N        entries per agent's index [default: 400]
  --seed N            the seed: the same seed writes the same bytes [default: 1]
  --bloat-kb N        KiB of skills snapshot and prompt report per entry [default: 2]
  --transcript-kb N   largest ordinary transcript, in KiB [default: 8]
  --big-transcripts   also a few transcripts of several MiB
  --stranded N        exactly N stranded entries per agent (running after a
                      graceful restart, no lock), every other entry done
  --now TIME          the clock (RFC 3339) [default: 2026-11-24T03:00:00Z]
  -h, --help          print this help

Prints a summary line: agents, entries, running, locks, bytes.";

/// `Ok(None)`: help was asked for.
fn parse() -> Result<Option<Opts>, String> {
    let mut o = Opts {
        out: PathBuf::new(),
        agents: 50,
        sessions: 400,
        seed: 1,
        bloat_kb: 2,
        transcript_kb: 8,
        big_transcripts: false,
        stranded: None,
        now_ms: 1_795_489_200_000, // 2026-11-24T03:00:00Z
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        let num = |v: String| v.parse::<usize>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--out" => o.out = PathBuf::from(val()?),
            "--agents" => o.agents = num(val()?)?,
            "--sessions" => o.sessions = num(val()?)?,
            "--seed" => o.seed = num(val()?)? as u64,
            "--bloat-kb" => o.bloat_kb = num(val()?)?,
            "--transcript-kb" => o.transcript_kb = num(val()?)?,
            "--big-transcripts" => o.big_transcripts = true,
            "--stranded" => o.stranded = Some(num(val()?)?),
            "-h" | "--help" => return Ok(None),
            "--now" => {
                o.now_ms = chrono::DateTime::parse_from_rfc3339(&val()?)
                    .map_err(|e| format!("--now: {e}"))?
                    .timestamp_millis()
            }
            _ => return Err(format!("unknown argument {a} (--help lists them)")),
        }
    }
    if o.out.as_os_str().is_empty() {
        return Err("--out DIR is required (--help lists the options)".into());
    }
    Ok(Some(o))
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[derive(Default)]
struct Totals {
    entries: usize,
    running: usize,
    locks: usize,
    bytes: u64,
}

fn write(path: &Path, bytes: &[u8], t: &mut Totals) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    t.bytes += bytes.len() as u64;
}

fn transcript(rng: &mut Rng, id: &str, target: usize, tail_user: bool, now: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(target + 4096);
    let t0 = now - 3_600_000;
    writeln!(
        out,
        r#"{{"type":"session","version":3,"id":"{id}","timestamp":"{}","cwd":"/home/ops/workspace"}}"#,
        iso(t0)
    )
    .unwrap();
    let mut parent = String::from("null");
    let mut n = 0;
    let mut line = |out: &mut Vec<u8>, body: String, parent: &mut String| {
        n += 1;
        let eid = format!("{n:08x}");
        writeln!(
            out,
            r#"{{"type":"message","id":"{eid}","parentId":{parent},"timestamp":"{}",{body}}}"#,
            iso(t0 + n as i64 * 1000)
        )
        .unwrap();
        *parent = format!("\"{eid}\"");
    };
    while out.len() < target {
        let n = 40 + rng.below(400) as usize;
        let user = rng.text(n);
        line(
            &mut out,
            format!(
                r#""message":{{"role":"user","content":[{{"type":"text","text":{}}}],"timestamp":{}}}"#,
                js(&user),
                t0
            ),
            &mut parent,
        );
        if rng.chance(40) {
            let n = 200 + rng.below(3000) as usize;
            let result = rng.text(n);
            line(&mut out, r#""message":{"role":"assistant","content":[{"type":"toolCall","id":"call_1","name":"exec","arguments":{"command":"curl wttr.in"}}],"stopReason":"toolUse"}"#.into(), &mut parent);
            line(
                &mut out,
                format!(
                    r#""message":{{"role":"toolResult","toolCallId":"call_1","toolName":"exec","content":[{{"type":"text","text":{}}}],"isError":false}}"#,
                    js(&result)
                ),
                &mut parent,
            );
        }
        let n = 80 + rng.below(1200) as usize;
        let reply = rng.text(n);
        line(
            &mut out,
            format!(
                r#""message":{{"role":"assistant","content":[{{"type":"text","text":{}}}],"stopReason":"stop","usage":{{"input":812,"output":40}}}}"#,
                js(&reply)
            ),
            &mut parent,
        );
    }
    if tail_user {
        line(
            &mut out,
            r#""message":{"role":"user","content":[{"type":"text","text":"那后天呢？顺便把结果发到群里"}]}"#.into(),
            &mut parent,
        );
    }
    out
}

fn main() {
    let o = match parse() {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{HELP}");
            return;
        }
        Err(e) => {
            eprintln!("generate: {e}");
            std::process::exit(2);
        }
    };
    let mut rng = Rng(o.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut t = Totals::default();
    let channels = [
        "feishu", "telegram", "discord", "slack", "webchat", "whatsapp",
    ];
    for a in 0..o.agents {
        let agent = if a == 0 {
            "main".to_string()
        } else {
            format!("agent{a:03}")
        };
        let dir = o.out.join("agents").join(&agent).join("sessions");
        std::fs::create_dir_all(&dir).unwrap();
        let mut index = String::from("{");
        for s in 0..o.sessions {
            let id = rng.uuid();
            let ch = channels[rng.below(channels.len() as u64) as usize];
            let peer = rng.next() % 10_000_000_000;
            let roll = rng.below(100);
            // --stranded N: entries s = 0, every, 2 * every, ... (N of them)
            // are a graceful restart's running row, every other one is done.
            let roll = match o.stranded {
                None => roll,
                Some(n) => {
                    let every = (o.sessions / n.max(1)).max(1);
                    if s % every == 0 && s / every < n {
                        85
                    } else {
                        roll % 85
                    }
                }
            };
            let subagent = roll >= 97;
            let key = if subagent {
                format!("agent:{agent}:subagent:{}", rng.uuid())
            } else {
                format!("agent:{agent}:{ch}:direct:{peer}")
            };
            // 85 % done, 5 % graceful restart, 4 % stale lock, 3 % flagged, 3 % subagents running.
            let (status, aborted, lock) = match roll {
                0..=84 => ("done", false, None),
                85..=89 => ("running", false, None),
                90..=93 => (
                    "running",
                    false,
                    Some(if roll == 93 { "live" } else { "dead" }),
                ),
                94..=96 => ("running", true, None),
                _ => ("running", false, Some("dead")),
            };
            let updated = o.now_ms - rng.below(30 * 86_400_000) as i64;
            let mut bloat = String::new();
            let skills = 4 + rng.below(8);
            for k in 0..skills {
                let _ = write!(
                    bloat,
                    r#"{}{{"name":"skill-{k}","primaryEnv":"SKILL_{k}_KEY","description":{}}}"#,
                    if k == 0 { "" } else { "," },
                    js(&rng.text(o.bloat_kb * 1024 / (2 * skills as usize)))
                );
            }
            let prompt = rng.text(o.bloat_kb * 1024 / 2);
            let comma = if s == 0 { "" } else { "," };
            let _ = write!(
                index,
                r#"{comma}
  {}: {{
    "sessionId": "{id}",
    "updatedAt": {updated},
    "sessionFile": "{id}.jsonl",
    "chatType": "direct",
    "channel": "{ch}",
    "lastChannel": "{ch}",
    "deliveryContext": {{
      "channel": "{ch}",
      "to": "user:{peer}",
      "accountId": "default"
    }},
    "modelProvider": "anthropic",
    "model": "claude-sonnet-4-5",
    "contextTokens": 200000,
    "inputTokens": {},
    "outputTokens": {},
    "totalTokens": {},
    "skillsSnapshot": {{
      "prompt": "<skills>…</skills>",
      "skills": [{bloat}]
    }},
    "systemPromptReport": {{
      "source": "run",
      "generatedAt": {updated},
      "systemPrompt": {{
        "chars": {},
        "text": {}
      }}
    }},
    "systemSent": true,
    "status": "{status}",
    "startedAt": {},
    "abortedLastRun": {aborted}{}
  }}"#,
                js(&key),
                rng.below(100_000),
                rng.below(10_000),
                rng.below(110_000),
                prompt.len(),
                js(&prompt),
                updated - 40_000,
                if subagent {
                    ",\n    \"spawnDepth\": 1,\n    \"subagentRole\": \"worker\""
                } else {
                    ""
                }
            );
            t.entries += 1;
            t.running += (status == "running") as usize;
            let kb = if o.big_transcripts && rng.chance(1) {
                2048 + rng.below(4096) as usize
            } else {
                1 + rng.below(o.transcript_kb as u64 * 2) as usize
            };
            let tr = transcript(&mut rng, &id, kb * 1024, status == "running", o.now_ms);
            write(&dir.join(format!("{id}.jsonl")), &tr, &mut t);
            if let Some(kind) = lock {
                let (pid, age) = if kind == "live" {
                    (1u64, 60_000)
                } else {
                    (3_999_000 + rng.below(100_000), 120_000)
                };
                let payload = format!(
                    "{{\n  \"pid\": {pid},\n  \"createdAt\": \"{}\"\n}}",
                    iso(o.now_ms - age)
                );
                write(
                    &dir.join(format!("{id}.jsonl.lock")),
                    payload.as_bytes(),
                    &mut t,
                );
                t.locks += 1;
            }
        }
        index.push_str("\n}");
        let path = dir.join("sessions.json");
        write(&path, index.as_bytes(), &mut t);
        // 0600 as the gateway writes it (Windows has no modes).
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    }
    println!(
        "generated {}: {} agent(s), {} entries ({} running), {} lock(s), {:.1} MiB",
        o.out.display(),
        o.agents,
        t.entries,
        t.running,
        t.locks,
        t.bytes as f64 / 1048576.0
    );
    std::io::stdout().flush().unwrap();
}
