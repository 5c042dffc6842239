//! Intact copies of an index the gateway cannot load, and what can be told
//! from the transcripts when there is none.
//!
//! When `sessions.json` is missing, empty or unparseable, the copies beside
//! it are looked for: complete temp files of the interrupted write, rotation
//! backups `sessions.json.bak.<epochMs>`, and the copies sessfix keeps in
//! `<state>/sessfix-backups/<run>/` (named by that run's `manifest.json`).
//! Each is parsed with the gateway's rules (`json::parse`, an object root).
//! Nothing here writes.

use super::{json, resolve_session_file, AgentCtx, Session, StoreState};
use crate::fsx::{self, Identity};
use crate::rules::{self, FileKind};
use serde::Serialize;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_128;

/// Where a copy of the index was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopySource {
    /// A temp file of an interrupted atomic write, in the sessions dir.
    Temp,
    /// `sessions.json.bak.<epochMs>`, in the sessions dir.
    RotationBackup,
    /// A file sessfix backed up before changing or removing it.
    SessfixBackup,
}

impl CopySource {
    pub fn describe(self) -> &'static str {
        match self {
            CopySource::Temp => "temp file of an interrupted write",
            CopySource::RotationBackup => "rotation backup",
            CopySource::SessfixBackup => "sessfix backup",
        }
    }
}

/// A file that parses as a complete index (strict JSON, object root).
#[derive(Debug, Clone)]
pub struct IndexCopy {
    pub path: PathBuf,
    pub source: CopySource,
    /// Its modification time, epoch ms.
    pub mtime_ms: Option<i64>,
    pub size: u64,
    /// Distinct keys (the gateway keeps the last of a duplicate).
    pub entries: usize,
    /// The largest `updatedAt` among its entries: how new its content is.
    pub newest_updated_at: Option<f64>,
    /// Entries whose transcript exists in the sessions dir.
    pub transcripts: usize,
    /// XXH3-128 of its bytes, for the re-check before a restore.
    pub hash: u128,
    /// With the index usable: how many of its entries the index lacks or
    /// holds with an older `updatedAt` (0: it holds nothing newer, as a
    /// copy the index was restored from and repaired since). `None` when
    /// the index is lost.
    pub newer_entries: Option<usize>,
    pub identity: Option<Identity>,
}

/// The best copy, parsed, with its sessions joined with their transcripts:
/// what `Agent::restore_index` puts in the index's place.
#[derive(Debug)]
pub struct Prepared {
    pub copy: IndexCopy,
    pub bytes: Vec<u8>,
    pub doc: json::ObjectDoc,
    pub sessions: Vec<Session>,
}

/// What a transcript's header says, for an index that has to be rebuilt.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptHeader {
    pub file: String,
    /// The header's `id` (`{"type":"session","id":...}`); `None` when the
    /// first line is not a session header.
    pub session_id: Option<String>,
    /// The header's `timestamp` (when the session started).
    pub started: Option<String>,
    /// The transcript's modification time (its last activity), epoch ms.
    pub last_activity_ms: Option<i64>,
}

fn mtime_ms(meta: &std::fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

/// An index's `updatedAt` by key (its entries the gateway keeps).
type IndexUpdates<'a> = std::collections::HashMap<&'a str, Option<f64>>;

/// Facts of `bytes` as an index, when they parse as one; `index`, the
/// usable index's entries, to count those of `bytes` that are newer.
fn facts(
    ctx: &AgentCtx,
    real_sessions_dir: &Path,
    path: &Path,
    source: CopySource,
    bytes: &[u8],
    meta: Option<&std::fs::Metadata>,
    index: Option<&IndexUpdates>,
) -> Option<(IndexCopy, json::ObjectDoc)> {
    let Ok(json::Parsed::Object(doc)) = json::parse(bytes) else {
        return None;
    };
    let sessions = super::sessions_from_doc(bytes, &doc);
    let live: Vec<&Session> = sessions.iter().filter(|s| !s.shadowed).collect();
    let newest_updated_at = live
        .iter()
        .filter_map(|s| s.updated_at)
        .filter(|u| u.is_finite())
        .reduce(f64::max);
    let newer_entries = index.map(|index| {
        live.iter()
            .filter(|s| match index.get(s.key.as_str()) {
                None => true,
                Some(&kept) => s.updated_at.is_some_and(|u| kept.is_none_or(|k| k < u)),
            })
            .count()
    });
    let transcripts = live
        .iter()
        .filter(|s| {
            let Some(sid) = s.session_id.as_deref() else {
                return false;
            };
            let sf = s.session_file.as_deref().filter(|f| !f.trim().is_empty());
            [
                resolve_session_file(ctx.state_dir, real_sessions_dir, sid, sf),
                super::default_transcript(real_sessions_dir, sid),
            ]
            .into_iter()
            .flatten()
            .any(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
        })
        .count();
    Some((
        IndexCopy {
            path: path.to_path_buf(),
            source,
            mtime_ms: meta.and_then(mtime_ms),
            size: bytes.len() as u64,
            entries: live.len(),
            newest_updated_at,
            transcripts,
            hash: xxh3_128(bytes),
            identity: meta.map(Identity::of),
            newer_entries,
        },
        doc,
    ))
}

/// Whether the bytes of a temp file parse as a complete index.
pub fn is_complete_index(bytes: &[u8]) -> bool {
    matches!(json::parse(bytes), Ok(json::Parsed::Object(_)))
}

/// Best first: the newest content (largest `updatedAt`), then the newest
/// file, then temp files before rotation backups before sessfix's.
pub fn better(a: &IndexCopy, b: &IndexCopy) -> std::cmp::Ordering {
    let u = |c: &IndexCopy| c.newest_updated_at.unwrap_or(f64::NEG_INFINITY);
    u(b).total_cmp(&u(a))
        .then(b.mtime_ms.cmp(&a.mtime_ms))
        .then(a.source.cmp(&b.source))
        .then(a.path.cmp(&b.path))
}

/// The best two copies when they differ in content and neither is newer
/// (the same largest `updatedAt`, or none): no copy is then the one to
/// restore, unattended or not. Copies with the same bytes are one copy.
pub fn ambiguous(copies: &[IndexCopy]) -> Option<(&IndexCopy, &IndexCopy)> {
    let first = copies.first()?;
    let second = copies.iter().find(|c| c.hash != first.hash)?;
    let same = match (first.newest_updated_at, second.newest_updated_at) {
        (Some(a), Some(b)) => a == b,
        (None, None) => true,
        _ => false,
    };
    same.then_some((first, second))
}

/// The index needs an intact copy: it is missing (with something that shows
/// sessions existed), empty or unparseable.
pub fn index_lost(state: &StoreState) -> bool {
    matches!(state, StoreState::Missing | StoreState::Invalid { .. })
}

/// Every complete copy of `agent`'s index, best first, and the best one
/// prepared (bytes, spans, sessions with transcripts) when `prepare`.
/// Temp files are always looked at; rotation and sessfix backups only when
/// the index is lost.
pub(super) fn find(
    ctx: &AgentCtx,
    agent: &super::Agent,
    prepare: bool,
) -> (Vec<IndexCopy>, Option<Prepared>) {
    let real_dir = agent.real_sessions_dir.clone();
    let lost = index_lost(&agent.store.state);
    type Parsed = Option<(Vec<u8>, json::ObjectDoc)>;
    let mut found: Vec<(IndexCopy, Parsed)> = Vec::new();
    // What the index holds, to tell whether a temp holds anything newer
    // (only when there is a complete temp to compare).
    let index: Option<IndexUpdates> = (!lost
        && agent
            .leftovers
            .iter()
            .any(|l| l.kind == FileKind::StoreTemp && l.complete))
    .then(|| {
        agent
            .sessions
            .iter()
            .filter(|s| !s.shadowed)
            .map(|s| (s.key.as_str(), s.updated_at))
            .collect()
    });
    let mut consider =
        |path: &Path, source: CopySource, bytes: Vec<u8>, meta: Option<&std::fs::Metadata>| {
            let index = index.as_ref();
            if let Some((c, doc)) = facts(ctx, &real_dir, path, source, &bytes, meta, index) {
                found.push((c, (prepare && lost).then_some((bytes, doc))));
            }
        };
    for l in &agent.leftovers {
        if l.kind != FileKind::StoreTemp || !l.complete {
            continue;
        }
        let Some(bytes) = &l.bytes else { continue };
        let meta = std::fs::symlink_metadata(&l.path).ok();
        consider(&l.path, CopySource::Temp, bytes.clone(), meta.as_ref());
    }
    if lost {
        for (path, source) in backup_paths(ctx, agent) {
            let Ok((bytes, meta)) = fsx::read_regular(&path, super::MAX_INDEX_BYTES) else {
                continue;
            };
            consider(&path, source, bytes, Some(&meta));
        }
    }
    found.sort_by(|a, b| better(&a.0, &b.0));
    let copies: Vec<IndexCopy> = found.iter().map(|(c, _)| c.clone()).collect();
    // Two different copies equally new: which holds the sessions is for a
    // person to tell, so none is prepared for a restore.
    let chosen = if ambiguous(&copies).is_some() {
        None
    } else {
        found.into_iter().next()
    };
    let prepared = chosen
        .and_then(|(copy, parsed)| parsed.map(|p| (copy, p)))
        .map(|(copy, (bytes, doc))| {
            let mut sessions = super::sessions_from_doc(&bytes, &doc);
            for s in &mut sessions {
                s.boot_key = rules::boot_key(&s.key, &agent.id);
                super::attach_transcript(ctx, &real_dir, !agent.locks.is_empty(), s);
            }
            Prepared {
                copy,
                bytes,
                doc,
                sessions,
            }
        });
    (copies, prepared)
}

/// Rotation backups in the sessions dir, and the files of sessfix's backup
/// runs that were this index or a copy of it beside it.
fn backup_paths(ctx: &AgentCtx, agent: &super::Agent) -> Vec<(PathBuf, CopySource)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&agent.sessions_dir) {
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| rules::classify_file_name(n) == FileKind::IndexBackup)
            .collect();
        names.sort();
        out.extend(
            names
                .into_iter()
                .map(|n| (agent.sessions_dir.join(n), CopySource::RotationBackup)),
        );
    }
    let root = ctx.state_dir.join(crate::backup::DEFAULT_DIR);
    let Ok(rd) = std::fs::read_dir(&root) else {
        return out;
    };
    let mut runs: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    runs.sort();
    let store_name = agent.store.path.file_name().map(|n| n.to_owned());
    for run in runs {
        // A finished run's manifest, or one that was undone.
        let Some(entries) = crate::backup::entries(&run, ctx.state_dir) else {
            continue;
        };
        for e in &entries {
            let (Some(parent), Some(name)) = (e.path.parent(), e.path.file_name()) else {
                continue;
            };
            if fsx::realpath_or_self(parent) != agent.real_sessions_dir {
                continue;
            }
            let name_s = name.to_string_lossy();
            let is_copy = Some(name.to_owned()) == store_name
                || matches!(
                    rules::classify_file_name(&name_s),
                    FileKind::StoreTemp | FileKind::IndexBackup
                );
            // Only a plain file name inside the run folder.
            if is_copy && !e.backup.contains('/') && !e.backup.starts_with('.') {
                out.push((run.join(&e.backup), CopySource::SessfixBackup));
            }
        }
    }
    out
}

/// The header of every transcript in the sessions dir, newest activity first.
pub(super) fn transcript_headers(agent: &super::Agent) -> Vec<TranscriptHeader> {
    let mut out: Vec<TranscriptHeader> = agent
        .transcript_names
        .iter()
        .map(|name| header_of(&agent.sessions_dir, name))
        .collect();
    out.sort_by(|a, b| {
        b.last_activity_ms
            .cmp(&a.last_activity_ms)
            .then(a.file.cmp(&b.file))
    });
    out
}

/// What the header of transcript `name` in `dir` says.
fn header_of(dir: &Path, name: &str) -> TranscriptHeader {
    let path = dir.join(name);
    let (session_id, started) = first_line(&path)
        .and_then(|l| serde_json::from_slice::<serde_json::Value>(&l).ok())
        .filter(|h| h.get("type").and_then(|t| t.as_str()) == Some("session"))
        .map(|h| {
            let s = |k: &str| h.get(k).and_then(|v| v.as_str()).map(str::to_string);
            (s("id"), s("timestamp"))
        })
        .unwrap_or_default();
    TranscriptHeader {
        file: name.to_string(),
        session_id,
        started,
        last_activity_ms: std::fs::symlink_metadata(&path)
            .ok()
            .as_ref()
            .and_then(mtime_ms),
    }
}

/// A transcript no entry of the index uses (`Agent::unlisted_transcript_names`),
/// and when it was last active.
#[derive(Debug, Clone)]
pub struct UnlistedTranscript {
    pub file: String,
    /// The `timestamp` of its last record (epoch ms); read only for a plain
    /// `<uuid>.jsonl`, the one kind that may be a dropped session.
    pub last_record_ms: Option<i64>,
    /// The file's modification time (epoch ms), when it was read.
    pub modified_ms: Option<i64>,
}

impl UnlistedTranscript {
    /// When it was last active: its last record's time, which a copy or a
    /// restore from backup keeps, else the file's modification time.
    pub fn last_active_ms(&self) -> Option<i64> {
        self.last_record_ms.or(self.modified_ms)
    }
}

/// The transcripts of `agent` that no entry of its index uses, in listing
/// order, each with the time of its last record when it may be one a
/// rebuild of the index dropped (`rules::may_be_dropped`: by its name, its
/// header's start and its modification time, the last record is read only
/// for those).
pub(super) fn unlisted_transcripts(agent: &super::Agent) -> Vec<UnlistedTranscript> {
    let oldest = agent.oldest_entry_update();
    agent
        .unlisted_transcript_names()
        .into_iter()
        .map(|name| {
            let mut u = UnlistedTranscript {
                file: name.to_string(),
                last_record_ms: None,
                modified_ms: None,
            };
            if !rules::may_be_dropped(name, None, None, oldest) {
                return u;
            }
            let path = agent.sessions_dir.join(name);
            let Ok((f, meta)) = fsx::open_regular(&path) else {
                return u;
            };
            u.modified_ms = mtime_ms(&meta);
            let started = started_ms(&f);
            // `read_window` reads a small file from where it stands.
            let rewound = std::io::Seek::rewind(&mut &f).is_ok();
            if rewound && rules::may_be_dropped(name, started, u.modified_ms, oldest) {
                u.last_record_ms = last_record_ms(f, meta, &path);
            }
            u
        })
        .collect()
}

/// The `timestamp` of a transcript's header (its first line, read from its
/// first 1 KiB), epoch ms.
fn started_ms(f: &std::fs::File) -> Option<i64> {
    use std::io::Read;
    let mut head = Vec::with_capacity(1024);
    f.take(1024).read_to_end(&mut head).ok()?;
    let line = head.split(|&b| b == b'\n').next()?;
    record_time(line)
}

/// The `timestamp` of a record line (a JSON object; the last of duplicate
/// keys, as `JSON.parse` keeps): an ISO 8601 time or epoch ms.
fn record_time(line: &[u8]) -> Option<i64> {
    let mut p = json::Parser::new(line);
    let mut time = None;
    if p.peek_value() != Some(b'{') {
        return None;
    }
    p.object(|p, key| {
        if key != "timestamp" {
            return p.value_bytes().map(drop);
        }
        time = if p.peek_value() == Some(b'"') {
            chrono::DateTime::parse_from_rfc3339(&p.string()?)
                .ok()
                .map(|t| t.timestamp_millis())
        } else {
            let v = p.value_bytes()?;
            std::str::from_utf8(v)
                .ok()
                .and_then(|n| n.parse::<i64>().ok())
        };
        Ok(())
    })
    .ok()?;
    p.finish().ok()?;
    time
}

/// The `timestamp` of the last line of open file `f` (at `path`) that
/// parses as a record: its last 4 KiB are read, or 64 KiB when the last
/// line is longer.
fn last_record_ms(f: std::fs::File, meta: std::fs::Metadata, path: &Path) -> Option<i64> {
    let time_of = |window: &[u8]| {
        let record = window
            .split(|&b| b == b'\n')
            .rev()
            .find(|l| !l.iter().all(u8::is_ascii_whitespace))?;
        record_time(record)
    };
    let (window, start, _) = fsx::read_window(f, meta, 4 << 10).ok()?;
    time_of(&window).or_else(|| {
        // The last line may begin before the window.
        let (f, meta) = fsx::open_regular(path).ok().filter(|_| start > 0)?;
        let (window, _, _) = fsx::read_window(f, meta, 64 << 10).ok()?;
        time_of(&window)
    })
}

/// The first line of a regular file, up to 64 KiB.
fn first_line(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let (f, _) = fsx::open_regular(path).ok()?;
    let mut head = Vec::with_capacity(4096);
    f.take(64 * 1024).read_to_end(&mut head).ok()?;
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    head.truncate(end);
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(u: Option<f64>, mtime: i64, source: CopySource, name: &str) -> IndexCopy {
        IndexCopy {
            path: PathBuf::from(name),
            source,
            mtime_ms: Some(mtime),
            size: 0,
            entries: 0,
            newest_updated_at: u,
            transcripts: 0,
            hash: 0,
            identity: None,
            newer_entries: None,
        }
    }

    #[test]
    fn the_newest_content_wins_then_the_newest_file() {
        let mut v = [
            copy(Some(10.0), 900, CopySource::Temp, "a"),
            copy(Some(20.0), 100, CopySource::RotationBackup, "b"),
            copy(None, 5000, CopySource::Temp, "c"),
            copy(Some(20.0), 200, CopySource::SessfixBackup, "d"),
        ];
        v.sort_by(better);
        let names: Vec<_> = v.iter().map(|c| c.path.display().to_string()).collect();
        assert_eq!(names, ["d", "b", "a", "c"]);
    }

    #[test]
    fn complete_means_an_object_root_by_the_gateway_grammar() {
        assert!(is_complete_index(b"{}"));
        assert!(is_complete_index(b"{\"k\": {\"sessionId\": \"s\"}}"));
        assert!(!is_complete_index(b""));
        assert!(!is_complete_index(b"{\"k\": {"));
        assert!(!is_complete_index(b"[]"));
        assert!(!is_complete_index(b"{\"k\": 1,}"), "JSON5 is not complete");
    }

    fn hashed(hash: u128, newest: Option<f64>, mtime: i64) -> IndexCopy {
        IndexCopy {
            hash,
            ..copy(
                newest,
                mtime,
                CopySource::RotationBackup,
                &format!("c{hash}"),
            )
        }
    }

    #[test]
    fn equally_new_different_copies_are_ambiguous() {
        let mut v = vec![hashed(1, Some(5.0), 10), hashed(2, Some(5.0), 9)];
        v.sort_by(better);
        assert!(ambiguous(&v).is_some(), "same updatedAt, other bytes");
        let v = vec![hashed(1, Some(6.0), 1), hashed(2, Some(5.0), 9)];
        assert!(ambiguous(&v).is_none(), "one is newer");
        let v = vec![hashed(1, Some(5.0), 10), hashed(1, Some(5.0), 9)];
        assert!(ambiguous(&v).is_none(), "the same bytes twice");
        let v = vec![hashed(1, None, 10), hashed(2, None, 9)];
        assert!(ambiguous(&v).is_some(), "neither has an updatedAt");
        assert!(ambiguous(&[hashed(1, None, 1)]).is_none());
    }
}
