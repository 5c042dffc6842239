//! Where a session's transcript is, resolved as the gateway resolves
//! `sessionFile`, and reading the tail window of a transcript.

use super::{discover, AgentCtx, Session, Tail, TailCache, TailLines, Transcript};
use crate::fsx::{self, Identity};
use crate::rules;
use std::path::{Path, PathBuf};

/// `resolvePathWithinSessionsDir` (no explicit agent id, as recovery calls it).
fn resolve_within_sessions_dir(
    state_dir: &Path,
    real_base: &Path,
    candidate: &str,
) -> Option<PathBuf> {
    let trimmed = candidate.trim();
    if trimmed.is_empty() {
        return None;
    }
    let cand = Path::new(trimmed);
    // Absolute as Node's `path.isAbsolute` says: on Windows a path rooted
    // without a drive (`\w\x.jsonl`) too, which `path.resolve` puts on
    // the current drive (as `std::path::absolute` does).
    let absolute = fsx::node_is_absolute(trimmed);
    let real_trimmed = if absolute {
        fsx::canonicalize(cand)
            .or_else(|_| std::path::absolute(cand))
            .unwrap_or_else(|_| cand.to_path_buf())
    } else {
        cand.to_path_buf()
    };
    let normalized: String = if absolute {
        relative(real_base, &real_trimmed)
    } else {
        trimmed.to_string()
    };
    if normalized.starts_with("..") && absolute {
        if let Some(p) = agent_path_fallback(state_dir, real_base, &real_trimmed) {
            return Some(p);
        }
    }
    if normalized.is_empty() || normalized.starts_with("..") || fsx::escapes_join(&normalized) {
        return None;
    }
    Some(fsx::normalize(&real_base.join(normalized)))
}

/// `path.relative(from, to)` for absolute paths.
fn relative(from: &Path, to: &Path) -> String {
    let (from, to) = (fsx::normalize(from), fsx::normalize(to));
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The agent fallbacks of `resolvePathWithinSessionsDir` for an absolute path
/// shaped `.../agents/<id>/sessions/...`.
fn agent_path_fallback(state_dir: &Path, real_base: &Path, p: &Path) -> Option<PathBuf> {
    let parts: Vec<String> = fsx::normalize(p)
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let si = parts.iter().rposition(|x| x == "sessions")?;
    if si < 2 || parts[si - 2] != "agents" {
        return None;
    }
    let agent = &parts[si - 1];
    if agent.is_empty() {
        return None;
    }
    let norm_agent = discover::normalize_agent_id(agent);
    let inside = |dir: PathBuf| -> Option<PathBuf> {
        let base = fsx::realpath_or_self(&dir);
        let real = fsx::realpath_or_self(p);
        let rel = relative(&base, &real);
        (!rel.is_empty() && !rel.starts_with("..")).then(|| base.join(rel))
    };
    // A sibling agent of this sessions dir, then the agent under the state dir.
    if real_base.file_name().is_some_and(|n| n == "sessions") {
        if let Some(agents) = real_base.parent().and_then(Path::parent) {
            if agents.file_name().is_some_and(|n| n == "agents") {
                if let Some(x) = inside(agents.join(&norm_agent).join("sessions")) {
                    return Some(x);
                }
            }
        }
    }
    if let Some(x) = inside(state_dir.join("agents").join(&norm_agent).join("sessions")) {
        return Some(x);
    }
    // Structural fallback: a moved or copied state dir.
    if norm_agent != agent.to_lowercase() || parts.len() != si + 2 {
        return None;
    }
    let file = &parts[si + 1];
    (file != "." && file != "..").then(|| fsx::normalize(p))
}

/// `classifySessionTranscriptCandidate`: a generated-id file name of another session.
fn session_file_is_stale(session_id: &str, session_file: &str) -> bool {
    let base = Path::new(session_file.trim())
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(stem) = base.strip_suffix(".jsonl") else {
        return false;
    };
    let generated = if let Some(i) = stem.find("-topic-").filter(|&i| i > 0) {
        Some(&stem[..i]).filter(|s| rules::looks_like_uuid(s))
    } else if let Some((_, rest)) = stem
        .split_once('_')
        .filter(|(ts, _)| ts.len() >= 11 && ts.as_bytes()[4] == b'-' && ts.as_bytes()[10] == b'T')
    {
        Some(rest).filter(|s| rules::looks_like_uuid(s))
    } else {
        Some(stem).filter(|s| rules::looks_like_uuid(s))
    };
    generated.is_some_and(|g| g != session_id)
}

/// `resolveSessionFilePath` with a sessions dir: the entry's `sessionFile`
/// inside it, else `<sessionId>.jsonl`.
pub(super) fn resolve_session_file(
    state_dir: &Path,
    real_base: &Path,
    session_id: &str,
    session_file: Option<&str>,
) -> Option<PathBuf> {
    if let Some(c) = session_file.filter(|c| !c.trim().is_empty()) {
        if let Some(p) = resolve_within_sessions_dir(state_dir, real_base, c) {
            return Some(p);
        }
    }
    default_transcript(real_base, session_id)
}

/// `resolveSessionTranscriptPathInDir`.
pub(super) fn default_transcript(real_base: &Path, session_id: &str) -> Option<PathBuf> {
    rules::is_safe_session_id(session_id)
        .then(|| real_base.join(format!("{}.jsonl", session_id.trim())))
}

/// Resolve `s`'s transcript and read its tail; with `lock_files` (the
/// sessions dir holds a transcript lock), also the paths its lock may have,
/// which are only ever matched against those files (none: none computed).
pub(super) fn attach_transcript(
    ctx: &AgentCtx,
    real_base: &Path,
    lock_files: bool,
    s: &mut Session,
) {
    let Some(sid) = s.session_id.clone() else {
        return;
    };
    let sf = s.session_file.as_deref().filter(|f| !f.trim().is_empty());
    let resolved = resolve_session_file(ctx.state_dir, real_base, &sid, sf);
    // Lock paths: `resolveEntryTranscriptLockPaths`.
    let mut locks: Vec<PathBuf> = Vec::new();
    let lockable = [resolved.clone(), default_transcript(real_base, &sid)];
    for p in lockable.into_iter().flatten().filter(|_| lock_files) {
        let l = PathBuf::from(format!("{}.lock", p.display()));
        if !locks.contains(&l) {
            locks.push(l);
        }
    }
    s.lock_paths = locks;
    // Candidates: `resolveSessionTranscriptCandidates` with a store path.
    let stale = sf.is_some_and(|f| session_file_is_stale(&sid, f));
    let mut candidates: Vec<PathBuf> = Vec::new();
    if sf.is_some() && !stale {
        candidates.extend(resolved.clone());
    }
    candidates.extend(default_transcript(real_base, &sid));
    if sf.is_some() && stale {
        candidates.extend(resolved);
    }
    if let Some(home) = ctx.home {
        candidates.extend(default_transcript(
            &home.join(".openclaw").join("sessions"),
            &sid,
        ));
    }
    // Recovery reads the active branch of a running row's transcript only;
    // of any other, the end is read.
    let branch = rules::recovery_looks_at(s.status.as_deref());
    let Some((found, real, tail)) = locate(ctx.tails, real_base, candidates, branch) else {
        return;
    };
    s.transcript_outside = !real.starts_with(ctx.real_state_dir);
    s.transcript = Some(Transcript { path: found, tail });
}

/// The transcript of a session: the first of `candidates` that exists, its
/// real path and its tail window (or why it cannot be read).
/// A tail in `tails` is taken for a file opened in `real_base` whose
/// identity is unchanged.
fn locate(
    tails: Option<&TailCache>,
    real_base: &Path,
    candidates: Vec<PathBuf>,
    branch: bool,
) -> Option<(PathBuf, PathBuf, Result<Tail, String>)> {
    let (found, opened) = find_transcript(real_base, candidates)?;
    Some(match opened {
        // Opened without following a link, right in the canonical sessions
        // dir: it is its own real path.
        Some(f) => {
            let tail = tail_of_opened(tails, &found, f, branch);
            (found.clone(), found, tail)
        }
        None => {
            let real = real_transcript_path(real_base, &found);
            let tail = read_tail_real(&real, branch);
            (found, real, tail)
        }
    })
}

/// The first of `candidates` that exists (`stat`, following links), as
/// `resolveSessionTranscriptCandidates` takes it; with it opened when it is a
/// plain name right in `real_base` (the canonical sessions dir) and not a
/// link, which is then its own real path.
///
/// The common case costs one `open` (`O_NOFOLLOW`, `fsx::os::open_nofollow`)
/// instead of a `stat`, an `lstat` and the `open`. Only "no such file" from
/// that open moves on to the next candidate (nothing is at the path, so the
/// `stat` fails too); any other failure (a link, a socket, no permission, a
/// Windows reparse point or sharing error) is decided by the `stat` as before.
fn find_transcript(
    real_base: &Path,
    candidates: Vec<PathBuf>,
) -> Option<(PathBuf, Option<std::fs::File>)> {
    for p in candidates {
        if p.parent() == Some(real_base) {
            match fsx::os::open_nofollow(&p, std::fs::OpenOptions::new().read(true)) {
                Ok(f) => return Some((p, Some(f))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(_) => {}
            }
        }
        if std::fs::metadata(&p).is_ok() {
            return Some((p, None));
        }
    }
    None
}

/// Where a found transcript really is, for the `transcript-outside` check and
/// for reading: a file (not a link) right in the canonical sessions dir is
/// its own real path; anything else (a link, a path elsewhere) is resolved
/// in full (`fs.realpathSync`, or the path itself when that fails).
fn real_transcript_path(real_base: &Path, found: &Path) -> PathBuf {
    if found.parent() == Some(real_base)
        && std::fs::symlink_metadata(found).is_ok_and(|m| !m.file_type().is_symlink())
    {
        found.to_path_buf()
    } else {
        fsx::realpath_or_self(found)
    }
}

/// Read a transcript's tail the way recovery does, plus what repair needs.
pub fn read_tail(path: &Path) -> Result<Tail, String> {
    read_tail_real(&fsx::realpath_or_self(path), true)
}

/// Read a transcript's tail window and parse its kept lines.
pub fn read_tail_lines(path: &Path) -> Result<TailLines<'static>, String> {
    let read = fsx::read_tail(&fsx::realpath_or_self(path), rules::TAIL_MAX_BYTES);
    with_tail_lines(read, true, |l| l.into_owned())
}

/// `read_tail` of a path that is already real; the active branch only
/// with `branch` (`with_tail_lines`).
fn read_tail_real(real: &Path, branch: bool) -> Result<Tail, String> {
    let read = fsx::read_tail(real, rules::TAIL_MAX_BYTES);
    with_tail_lines(read, branch, |l| Tail::from(l))
}

/// `read_tail_real` of the transcript at `path`, already opened without
/// following a link; the tail kept in `tails` when the file is unchanged
/// (and its active branch was read, when `branch` asks for it).
fn tail_of_opened(
    tails: Option<&TailCache>,
    path: &Path,
    f: std::fs::File,
    branch: bool,
) -> Result<Tail, String> {
    let (f, meta) = fsx::regular(f).map_err(|e| e.to_string())?;
    let kept = tails.and_then(|c| c.get(path, &Identity::of(&meta)));
    if let Some(t) = kept.filter(|t| t.branch_read || !branch) {
        return Ok(t);
    }
    let read = fsx::read_window(f, meta, rules::TAIL_MAX_BYTES);
    with_tail_lines(read, branch, |l| Tail::from(l))
}

/// `f` of the kept lines of a tail window as `fsx::read_tail` returns it
/// (the records borrow from the window, which `f` outlives). With
/// `branch`, every kept line is parsed (for the active branch recovery
/// reads), else only the last two records (`TailLines::branch_read`).
fn with_tail_lines<R>(
    read: std::io::Result<(Vec<u8>, u64, std::fs::Metadata)>,
    branch: bool,
    f: impl FnOnce(TailLines<'_>) -> R,
) -> Result<R, String> {
    let (window, start, meta) = read.map_err(|e| e.to_string())?;
    let lines = rules::window_lines(&window, start > 0);
    let mut records = Vec::new();
    let mut offsets = Vec::new();
    let mut last_parsed_line = None;
    let mut parse = |i: usize| {
        let (off, len) = lines[i];
        let r = rules::parse_tail_bytes(&window[off..off + len])?;
        records.push(r);
        offsets.push(start + off as u64);
        last_parsed_line = last_parsed_line.max(Some(i));
        Some(())
    };
    if branch {
        (0..lines.len()).for_each(|i| _ = parse(i));
    } else {
        // The last two records, read from the end: all the rest is for
        // the active branch.
        let mut found = 0;
        for i in (0..lines.len()).rev() {
            found += usize::from(parse(i).is_some());
            if found == 2 {
                break;
            }
        }
        records.reverse();
        offsets.reverse();
    }
    // A torn last line: the file does not end with a newline, and its last
    // line is not JSON.
    let mut torn_at = None;
    let ends_with_newline = window.last() == Some(&b'\n');
    let last_nl = window.iter().rposition(|&b| b == b'\n');
    let body = if ends_with_newline {
        &window[..window.len() - 1]
    } else {
        &window[..]
    };
    let last_line_exceeds_window = start > 0 && !body.contains(&b'\n');
    if !window.is_empty() && !ends_with_newline && !last_line_exceeds_window {
        let from = last_nl.map_or(0, |i| i + 1);
        let frag = &window[from..];
        if !frag.iter().all(u8::is_ascii_whitespace)
            && serde_json::from_slice::<serde_json::Value>(frag).is_err()
        {
            torn_at = Some(start + from as u64);
        }
    }
    let last_record_is_last_line = match (last_parsed_line, lines.len()) {
        (Some(i), n) if i + 1 == n => true,
        // A torn fragment after the last record does not count as a line.
        (Some(i), n) if i + 2 == n && torn_at.is_some() => true,
        _ => false,
    };
    Ok(f(TailLines {
        branch_read: branch,
        size: meta.len(),
        identity: Identity::of(&meta),
        records,
        offsets,
        torn_at,
        last_line_exceeds_window,
        last_record_is_last_line,
        resumed_reply: rules::delivery::resumed_reply(&window, &lines).map(Box::new),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_session_file_classification() {
        let a = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50";
        let b = "1b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50";
        assert!(!session_file_is_stale(a, &format!("/x/{a}.jsonl")));
        assert!(session_file_is_stale(a, &format!("/x/{b}.jsonl")));
        assert!(session_file_is_stale(a, &format!("{b}-topic-7.jsonl")));
        assert!(!session_file_is_stale(a, "custom-name.jsonl"));
    }

    #[test]
    fn relative_paths_like_node() {
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/c.jsonl")),
            "c.jsonl"
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/x/c.jsonl")),
            "../x/c.jsonl"
        );
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b")), "");
    }

    /// Absolute paths as `path.resolve` makes them (on Windows, on the
    /// current drive).
    fn resolved(p: &str) -> PathBuf {
        std::path::absolute(p).unwrap()
    }

    #[test]
    fn session_file_resolution() {
        let d = tempfile::tempdir().unwrap();
        let state = crate::fsx::canonicalize(d.path()).unwrap();
        let sessions = state.join("agents/main/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        let r = |c: &str| resolve_session_file(&state, &sessions, "s1", Some(c));
        assert_eq!(r("t.jsonl"), Some(sessions.join("t.jsonl")));
        assert_eq!(
            r(&sessions.join("t.jsonl").display().to_string()),
            Some(sessions.join("t.jsonl"))
        );
        // escapes fall back to <sessionId>.jsonl
        assert_eq!(r("../t.jsonl"), Some(sessions.join("s1.jsonl")));
        assert_eq!(r("/etc/passwd"), Some(sessions.join("s1.jsonl")));
        // a moved state dir: an old absolute path shaped like an agent sessions dir is used as is
        assert_eq!(
            r("/old/home/.openclaw/agents/main/sessions/t.jsonl"),
            Some(resolved("/old/home/.openclaw/agents/main/sessions/t.jsonl"))
        );
        // any canonical agent id qualifies (no agent id is passed by recovery)
        assert_eq!(
            r("/old/agents/ops/sessions/t.jsonl"),
            Some(resolved("/old/agents/ops/sessions/t.jsonl"))
        );
        // but not one nested deeper
        assert_eq!(
            r("/old/agents/main/sessions/sub/t.jsonl"),
            Some(sessions.join("s1.jsonl"))
        );
        // unsafe id and no usable sessionFile: nothing
        assert_eq!(resolve_session_file(&state, &sessions, "../x", None), None);
    }

    #[test]
    fn torn_last_line_and_offsets() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.jsonl");
        std::fs::write(
            &p,
            b"{\"type\":\"session\",\"id\":\"s\"}\n{\"a\":1}\n{\"b\":",
        )
        .unwrap();
        let t = read_tail_lines(&p).unwrap();
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.offsets, vec![0, 28]);
        assert_eq!(t.torn_at, Some(36));
        assert!(t.last_record_is_last_line);
        std::fs::write(&p, b"{\"a\":1}\n{\"b\":2}").unwrap();
        assert_eq!(
            read_tail(&p).unwrap().torn_at,
            None,
            "valid JSON without newline is not torn"
        );
    }

    #[test]
    fn last_line_longer_than_the_window() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.jsonl");
        let mut body = b"{\"type\":\"session\"}\n".to_vec();
        body.extend(format!("{{\"x\":\"{}\"}}\n", "y".repeat(300 * 1024)).into_bytes());
        std::fs::write(&p, &body).unwrap();
        let t = read_tail(&p).unwrap();
        assert!(!t.has_records, "the window holds only part of one line");
        assert!(t.last_line_exceeds_window);
        assert_eq!(t.torn_at, None);
    }

    /// A tail read from its end only (a row that is not running) has every
    /// field a full read gives but the active branch's last message.
    #[test]
    fn the_end_of_a_tail_gives_all_but_the_branch() {
        let d = tempfile::tempdir().unwrap();
        let msg = |id: &str, parent: &str, extra: &str| {
            format!(
                r#"{{"type":"message","id":"{id}","parentId":"{parent}","message":{{"role":"user","content":"x"{extra}}}}}"#
            )
        };
        let aborted = r#"{"type":"message","id":"z","parentId":"b","message":{"role":"assistant","stopReason":"aborted"}}"#;
        let prompt_error = r#"{"type":"custom","customType":"openclaw:prompt-error","data":{"error":"Request was aborted"}}"#;
        let other_error = r#"{"type":"custom","customType":"openclaw:prompt-error","data":{"error":"rate limited"}}"#;
        let (a, b) = (msg("a", "h", ""), msg("b", "a", ""));
        let endings: Vec<String> = vec![
            String::new(),
            format!("{a}\n{b}\n"),
            format!("{a}\n{b}\n{prompt_error}\n{aborted}\n"),
            format!("{a}\n{other_error}\n{aborted}\n"),
            format!("{a}\n{aborted}\nnot json\n"),
            format!("{a}\n{prompt_error}\n{aborted}\n{{\"cut"),
            format!("{a}\n{aborted}\n\n  \n"),
            format!("{aborted}"),
            "not json\n{\"torn".into(),
            "[1]\n\"s\"\n".into(),
            format!("{b}\n{{\"type\":\"message\""),
        ];
        for (i, body) in endings.iter().enumerate() {
            let p = d.path().join(format!("{i}.jsonl"));
            std::fs::write(&p, body).unwrap();
            let full = read_tail_real(&p, true).unwrap();
            let mut end = read_tail_real(&p, false).unwrap();
            assert!(full.branch_read && !end.branch_read && end.last_message.is_none());
            end.branch_read = true;
            end.last_message = full.last_message.clone();
            assert_eq!(format!("{end:?}"), format!("{full:?}"), "{body:?}");
        }
    }

    /// What `locate` decides, by the full resolution it replaces in the
    /// common case: the first candidate `stat` finds, its `realpath`, and the
    /// tail read from there.
    fn full_resolution(candidates: Vec<PathBuf>) -> Option<(PathBuf, PathBuf, String)> {
        let found = candidates
            .into_iter()
            .find(|p| std::fs::metadata(p).is_ok())?;
        let real = fsx::realpath_or_self(&found);
        let tail = format!("{:?}", read_tail_real(&real, true));
        Some((found, real, tail))
    }

    fn fast(real_base: &Path, candidates: Vec<PathBuf>) -> Option<(PathBuf, PathBuf, String)> {
        locate(None, real_base, candidates, true).map(|(f, r, t)| (f, r, format!("{t:?}")))
    }

    /// A kept tail is taken for the same unchanged file, and only then: a
    /// file appended to or reached through a link is read again.
    #[test]
    fn a_kept_tail_is_reused_only_for_the_unchanged_file() {
        let (_d, _state, sessions, _outside) = layout();
        let path = sessions.join("in.jsonl");
        let read_as = |tails: &TailCache, p: &Path, branch: bool| {
            locate(Some(tails), &sessions, vec![p.to_path_buf()], branch)
                .unwrap()
                .2
                .unwrap()
        };
        let read = |tails: &TailCache, p: &Path| read_as(tails, p, true);
        let first = read(&TailCache::default(), &path);
        assert!(first.has_records);
        // `tail` kept for `paths`, marked to tell it was taken.
        let keep_tail = |paths: &[&PathBuf], tail: &Tail| {
            let mut agent = crate::state::Agent::for_test("main");
            for p in paths {
                let mut marked = tail.clone();
                marked.restart_artifacts = 7;
                let mut s = Session::for_test("s").with_transcript(&["user"]);
                s.transcript = Some(Transcript {
                    path: p.to_path_buf(),
                    tail: Ok(marked),
                });
                agent.sessions.push(s);
            }
            let mut tails = TailCache::default();
            tails.take_from(&mut agent);
            tails
        };
        let keep = |paths: &[&PathBuf]| keep_tail(paths, &first);
        let tails = keep(&[&path]);
        assert_eq!(
            read(&tails, &path).restart_artifacts,
            7,
            "unchanged: reused"
        );
        assert_eq!(
            read(&tails, &path).restart_artifacts,
            7,
            "kept for another read"
        );
        // A tail read without its branch serves a read that does not ask
        // for it, and no other.
        let end_only = read_as(&TailCache::default(), &path, false);
        assert!(first.branch_read && !end_only.branch_read);
        let kept_end = || keep_tail(&[&path], &end_only);
        assert_eq!(read_as(&kept_end(), &path, false).restart_artifacts, 7);
        let again = read_as(&kept_end(), &path, true);
        assert_eq!(
            (again.restart_artifacts, again.branch_read),
            (0, true),
            "read again"
        );
        // The last read that uses them takes each once.
        let last = keep(&[&path]).for_last_use();
        assert_eq!(read(&last, &path).restart_artifacts, 7, "taken");
        assert_eq!(read(&last, &path).restart_artifacts, 0, "then read");
        // Reached through a link: read again.
        #[cfg(unix)]
        {
            let link = sessions.join("link.jsonl");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            let tails = keep(&[&path, &link]);
            assert_eq!(read(&tails, &link).restart_artifacts, 0, "a link is read");
        }
        // Appended to: read again.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, b"{\"a\":1}\n").unwrap();
        drop(f);
        let after = read(&tails, &path);
        assert_eq!(after.restart_artifacts, 0, "changed: read again");
        assert_ne!(after.size, first.size);
    }

    /// A canonical state dir with `agents/main/sessions/` (returned) and a
    /// transcript `in.jsonl` in it, and a file outside the state dir.
    fn layout() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let root = crate::fsx::canonicalize(d.path()).unwrap();
        let state = root.join("state");
        let sessions = state.join("agents/main/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        std::fs::write(sessions.join("in.jsonl"), b"{\"type\":\"session\"}\n").unwrap();
        let outside = root.join("elsewhere.jsonl");
        std::fs::write(&outside, b"{\"type\":\"session\"}\n{\"a\":1}\n").unwrap();
        (d, state, sessions, outside)
    }

    #[test]
    fn fast_path_decides_as_the_full_resolution() {
        let (_d, state, sessions, outside) = layout();
        std::fs::create_dir(sessions.join("dir.jsonl")).unwrap();
        std::fs::create_dir(sessions.join("sub")).unwrap();
        std::fs::write(sessions.join("sub/nested.jsonl"), b"{}\n").unwrap();
        let cases: Vec<Vec<PathBuf>> = vec![
            // a plain file right in the sessions dir
            vec![sessions.join("in.jsonl")],
            // missing, then the next candidate
            vec![sessions.join("gone.jsonl"), sessions.join("in.jsonl")],
            // nothing at all
            vec![sessions.join("gone.jsonl")],
            // a dir where a file is expected
            vec![sessions.join("dir.jsonl"), sessions.join("in.jsonl")],
            // `..` left in a path (not a plain name: full resolution)
            vec![sessions.join("sub/../in.jsonl")],
            vec![sessions.join("../sessions/in.jsonl")],
            // nested below the sessions dir
            vec![sessions.join("sub/nested.jsonl")],
            // an absolute path elsewhere, outside the state dir
            vec![outside.clone()],
            // in the state dir but not the sessions dir
            vec![
                state.join("agents/main/in.jsonl"),
                sessions.join("in.jsonl"),
            ],
        ];
        for c in cases {
            assert_eq!(
                fast(&sessions, c.clone()),
                full_resolution(c.clone()),
                "{c:?}"
            );
        }
        // a dir: found, its tail an error
        let (_, _, tail) = fast(&sessions, vec![sessions.join("dir.jsonl")]).unwrap();
        assert!(
            tail.starts_with("Err(") && tail.contains("is a directory"),
            "{tail}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn fast_path_does_not_follow_links() {
        use std::os::unix::fs::symlink;
        let (_d, state, sessions, outside) = layout();
        symlink(sessions.join("in.jsonl"), sessions.join("link-in.jsonl")).unwrap();
        symlink(&outside, sessions.join("link-out.jsonl")).unwrap();
        symlink(sessions.join("gone.jsonl"), sessions.join("dangling.jsonl")).unwrap();
        symlink(&sessions, state.join("alias")).unwrap();
        let fifo = sessions.join("fifo.jsonl");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string naming a path in a temp dir.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let cases: Vec<Vec<PathBuf>> = vec![
            // a link to a file inside: its target is the real path
            vec![sessions.join("link-in.jsonl")],
            // a link out of the state dir: outside
            vec![sessions.join("link-out.jsonl")],
            // a dangling link: not found, the next candidate is
            vec![sessions.join("dangling.jsonl"), sessions.join("in.jsonl")],
            // the sessions dir through a link
            vec![state.join("alias/in.jsonl")],
            // a FIFO: found, never waited on, an error to read
            vec![fifo.clone()],
        ];
        for c in cases {
            assert_eq!(
                fast(&sessions, c.clone()),
                full_resolution(c.clone()),
                "{c:?}"
            );
        }
        let (found, real, _) = fast(&sessions, vec![sessions.join("link-in.jsonl")]).unwrap();
        assert_eq!(found, sessions.join("link-in.jsonl"));
        assert_eq!(real, sessions.join("in.jsonl"));
        let (_, real, _) = fast(&sessions, vec![sessions.join("link-out.jsonl")]).unwrap();
        assert!(!real.starts_with(&state), "a link out resolves outside");
        let (_, _, tail) = fast(&sessions, vec![fifo]).unwrap();
        assert!(tail.contains("FIFO"), "{tail}");
    }

    /// A `sessionFile` rooted without a drive (`\w\other\<id>.jsonl`) is
    /// absolute to the gateway (`path.isAbsolute`), on the current drive,
    /// outside the sessions dir: the gateway falls back to `<id>.jsonl`, and
    /// sessfix never reads the file it names.
    #[cfg(windows)]
    #[test]
    fn a_session_file_rooted_without_a_drive_is_not_joined_onto_the_sessions_dir() {
        let d = tempfile::tempdir().unwrap();
        let state = crate::fsx::canonicalize(d.path()).unwrap();
        let sessions = state.join("agents").join("main").join("sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        let r = |c: &str| resolve_session_file(&state, &sessions, "s1", Some(c));
        assert_eq!(r(r"\w\other\s1.jsonl"), Some(sessions.join("s1.jsonl")));
        assert_eq!(r(r"\\host\share\s1.jsonl"), Some(sessions.join("s1.jsonl")));
        assert_eq!(r(r"C:s1.jsonl"), Some(sessions.join("s1.jsonl")));
        assert_eq!(r("t.jsonl"), Some(sessions.join("t.jsonl")));
    }
}
