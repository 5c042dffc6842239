//! The floor `sessfix scan` is benchmarked against: only what any correct scan
//! of an OpenClaw state dir must do, in one process, one agent per thread
//! (rayon, as many threads as cores). For every `agents/<id>/sessions/` it
//! reads and parses `sessions.json` with serde_json, reads every `*.lock`
//! file, and reads the last 256 KiB of every `*.jsonl`.
//!
//!     cargo run --release --example floor -- STATE_DIR
//!
//! With `--rewrite` it is the floor of `sessfix repair`: after that scan it
//! also does what any repair that cannot lose data must do with every file
//! it changes. For each index it writes a copy to a backup folder and fsyncs
//! it, writes the new content (here the same bytes) to a temp file in the
//! same directory and fsyncs it, renames it over the index, and fsyncs the
//! directory. For each lock it writes a copy to the backup folder and
//! fsyncs it, removes the lock, and fsyncs the directory once. (Every lock
//! of the generated states is one repair removes: a dead pid, or pid 1,
//! which is no gateway.)
//!
//!     cargo run --release --example floor -- STATE_DIR --rewrite
//!
//! Prints what it read, so that the work cannot be optimised away.

use rayon::prelude::*;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

const TAIL: u64 = 256 * 1024;

#[derive(Default)]
struct Totals {
    indexes: usize,
    entries: usize,
    locks: usize,
    transcripts: usize,
    bytes: u64,
}

impl Totals {
    fn add(mut self, o: Totals) -> Totals {
        self.indexes += o.indexes;
        self.entries += o.entries;
        self.locks += o.locks;
        self.transcripts += o.transcripts;
        self.bytes += o.bytes;
        self
    }
}

/// Write `bytes` to a new file at `path` and fsync it.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create_new(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Back up `index` into `backups`, then replace it atomically and durably.
fn rewrite(index: &Path, bytes: &[u8], backups: &Path) -> std::io::Result<()> {
    write_synced(&backups.join("sessions.json"), bytes)?;
    let dir = index.parent().expect("an index has a directory");
    let tmp = dir.join(".sessions.json.floor.tmp");
    write_synced(&tmp, bytes)?;
    std::fs::rename(&tmp, index)?;
    std::fs::File::open(dir)?.sync_all()
}

/// One agent's sessions dir; with `backups` (this agent's backup folder),
/// its index rewritten and its locks removed, each backed up first.
fn sessions_dir(dir: &Path, backups: Option<&Path>) -> std::io::Result<Totals> {
    let mut t = Totals::default();
    if let Some(b) = backups {
        std::fs::create_dir(b)?;
    }
    let index = dir.join("sessions.json");
    if let Ok(bytes) = std::fs::read(&index) {
        t.bytes += bytes.len() as u64;
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", index.display())))?;
        t.entries += v.as_object().map_or(0, |o| o.len());
        t.indexes += 1;
        if let Some(backups) = backups {
            rewrite(&index, &bytes, backups)?;
        }
    }
    let mut buf = Vec::with_capacity(TAIL as usize);
    let mut removed = false;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !entry.file_type()?.is_file() {
            continue;
        }
        if name.ends_with(".lock") {
            let bytes = std::fs::read(entry.path())?;
            t.bytes += bytes.len() as u64;
            t.locks += 1;
            if let Some(backups) = backups {
                write_synced(&backups.join(&*name), &bytes)?;
                std::fs::remove_file(entry.path())?;
                removed = true;
            }
        } else if name.ends_with(".jsonl") {
            let mut f = std::fs::File::open(entry.path())?;
            let len = f.metadata()?.len();
            f.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
            buf.clear();
            f.read_to_end(&mut buf)?;
            t.bytes += buf.len() as u64;
            t.transcripts += 1;
        }
    }
    if removed {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(t)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (state, rewrite) = match &args[..] {
        [s] => (s, false),
        [s, r] if r == "--rewrite" => (s, true),
        _ => {
            eprintln!("usage: floor STATE_DIR [--rewrite]");
            std::process::exit(2);
        }
    };
    let backups = Path::new(state).join("floor-backups");
    if rewrite {
        if let Err(e) = std::fs::create_dir(&backups) {
            eprintln!("floor: {}: {e}", backups.display());
            std::process::exit(1);
        }
    }
    let agents = Path::new(state).join("agents");
    let mut dirs: Vec<_> = match std::fs::read_dir(&agents) {
        Ok(d) => d.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            eprintln!("floor: {}: {e}", agents.display());
            std::process::exit(1);
        }
    };
    dirs.sort();
    let t = dirs
        .par_iter()
        .map(|agent| {
            let b = agent.file_name().map(|n| backups.join(n));
            let b = b.as_deref().filter(|_| rewrite);
            sessions_dir(&agent.join("sessions"), b).unwrap_or_else(|e| {
                eprintln!("floor: {}: {e}", agent.display());
                std::process::exit(1);
            })
        })
        .reduce(Totals::default, Totals::add);
    println!(
        "{} indexes, {} entries, {} locks, {} transcripts, {} bytes read",
        t.indexes, t.entries, t.locks, t.transcripts, t.bytes
    );
}
