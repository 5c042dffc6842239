//! Tails already read, kept for a later read of the same state, out of
//! memory.

use super::{Agent, Tail};
use crate::fsx::spill::Spill;
use crate::fsx::Identity;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Tails already read, by transcript path, for a later read of the same
/// state: a transcript whose identity (`fsx::Identity`: device, inode, size,
/// modification and change times) is what it was is not read and parsed
/// again. Repair reads the state once more after applying, to set its exit
/// code, and changes no transcript but those it cuts, whose identity then
/// differs.
///
/// Reused only for a transcript opened directly in its agent's canonical
/// sessions dir (the common case); one reached through a link or another
/// directory is read again.
///
/// Held out of memory: each agent's tails are put aside as JSON when the
/// agent is done with (`take_from`), in a `Spill` (a temporary file past
/// 256 KiB), and a directory's are read back when a read first asks for one
/// of them, for the agents read at the same time only (`forget_loaded`
/// after each group). 100,000 tails took 35 MB in memory. A tail that
/// cannot be put aside or read back is read from its transcript again.
#[derive(Default)]
pub struct TailCache {
    /// The encoded tails (`Entry` lists), one run per directory and agent.
    kept: Mutex<Spill>,
    /// Where each directory's runs are in `kept`: start and length.
    runs: HashMap<PathBuf, Vec<(u64, usize)>>,
    /// The tails read back, by directory, then file name.
    loaded: Mutex<HashMap<PathBuf, HashMap<OsString, Tail>>>,
    /// How many tails were put aside.
    count: usize,
    /// Each tail is handed out once, then dropped: the last read to use them
    /// holds no second copy (`for_last_use`).
    last_use: bool,
}

/// One tail as it is put aside: its file's name and the tail.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    name: String,
    tail: Tail,
}

impl std::fmt::Debug for TailCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TailCache")
            .field("count", &self.count)
            .field("dirs", &self.runs.len())
            .field("last_use", &self.last_use)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TailCache {
    /// Keep the tails read for `agent`'s sessions, moved out of it: for an
    /// agent that is done with (its transcripts are left without a tail, as
    /// unreadable, and without a path).
    pub fn take_from(&mut self, agent: &mut Agent) {
        let mut by_dir: HashMap<PathBuf, Vec<Entry>> = HashMap::new();
        for t in agent
            .sessions
            .iter_mut()
            .filter_map(|s| s.transcript.as_mut())
        {
            let (Some(dir), Some(name)) =
                (t.path.parent(), t.path.file_name().and_then(|n| n.to_str()))
            else {
                continue;
            };
            if let Ok(tail) = std::mem::replace(&mut t.tail, Err(String::new())) {
                let name = name.to_string();
                by_dir
                    .entry(dir.to_path_buf())
                    .or_default()
                    .push(Entry { name, tail });
                t.path = PathBuf::new();
            }
        }
        let kept = self.kept.get_mut().unwrap_or_else(|e| e.into_inner());
        for (dir, entries) in by_dir {
            // Serialised straight into the spill; a run that fails part-way
            // is not recorded (its bytes are never read).
            let start = kept.len();
            if serde_json::to_writer(&mut *kept, &entries).is_ok() {
                let len = (kept.len() - start) as usize;
                self.count += entries.len();
                self.runs.entry(dir).or_default().push((start, len));
            }
        }
    }

    /// The same tails for the last read that uses them: each is moved out
    /// when taken instead of copied.
    pub fn for_last_use(self) -> TailCache {
        TailCache {
            last_use: true,
            ..self
        }
    }

    /// How many tails were put aside.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Drop the tails read back (those of the agents just read); a later
    /// read, unless it is the last use, reads them back again.
    pub fn forget_loaded(&self) {
        lock(&self.loaded).clear();
    }

    /// The tail kept for `path`, if the file is still the one it was read from.
    pub(super) fn get(&self, path: &Path, identity: &Identity) -> Option<Tail> {
        let (dir, name) = (path.parent()?, path.file_name()?);
        let mut loaded = lock(&self.loaded);
        if !loaded.contains_key(dir) {
            let tails = self.read_back(dir);
            loaded.insert(dir.to_path_buf(), tails);
        }
        let tails = loaded.get_mut(dir)?;
        let tail = if self.last_use {
            tails.remove(name)
        } else {
            tails.get(name).cloned()
        };
        tail.filter(|t| t.identity == *identity)
    }

    /// The tails put aside for `dir`; none of a run that cannot be read
    /// back (its transcripts are read again).
    fn read_back(&self, dir: &Path) -> HashMap<OsString, Tail> {
        let mut tails = HashMap::new();
        let Some(runs) = self.runs.get(dir) else {
            return tails;
        };
        let mut kept = lock(&self.kept);
        for &(start, len) in runs {
            let Ok(bytes) = kept.read_range(start, len) else {
                continue;
            };
            let Ok(entries) = serde_json::from_slice::<Vec<Entry>>(&bytes) else {
                continue;
            };
            tails.extend(entries.into_iter().map(|e| (e.name.into(), e.tail)));
        }
        tails
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::identity;
    use crate::state::Session;

    /// An agent whose sessions' transcripts are `paths`, each tail with its
    /// own identity and restart artifact count.
    fn agent(paths: &[String]) -> Agent {
        let mut a = Agent::for_test("main");
        for (i, p) in paths.iter().enumerate() {
            let mut s = Session::for_test(&format!("s{i}")).with_transcript(&["user"]);
            let t = s.transcript.as_mut().unwrap();
            t.path = PathBuf::from(p);
            let tail = t.tail.as_mut().unwrap();
            tail.identity = identity(100, i as i64);
            tail.restart_artifacts = i;
            a.sessions.push(s);
        }
        a
    }

    fn tails(a: &Agent) -> Vec<Tail> {
        a.sessions
            .iter()
            .map(|s| s.transcript.as_ref().unwrap().tail.clone().unwrap())
            .collect()
    }

    /// Put aside and read back, each tail is the one kept for its path and
    /// identity; the last use hands each out once.
    #[test]
    fn tails_come_back_by_path_and_identity() {
        let paths = ["/s/a/1.jsonl", "/s/a/2.jsonl", "/s/b/1.jsonl"].map(String::from);
        let mut a = agent(&paths);
        let expected = tails(&a);
        let mut cache = TailCache::default();
        cache.take_from(&mut a);
        assert_eq!(cache.len(), 3);
        assert!(a.sessions.iter().all(|s| s
            .transcript
            .as_ref()
            .is_some_and(|t| t.tail.is_err() && t.path.as_os_str().is_empty())));
        for (p, t) in paths.iter().zip(&expected) {
            let got = cache.get(Path::new(p), &t.identity).expect("kept");
            assert_eq!(format!("{got:?}"), format!("{t:?}"));
        }
        // Another identity (the file changed), or another name: not kept.
        assert!(cache
            .get(Path::new(&paths[0]), &expected[1].identity)
            .is_none());
        assert!(cache
            .get(Path::new("/s/a/3.jsonl"), &expected[0].identity)
            .is_none());
        // Forgotten and read back again, until the last use takes each once.
        cache.forget_loaded();
        let last = cache.for_last_use();
        let third = Path::new(&paths[2]);
        assert_eq!(
            last.get(third, &expected[2].identity)
                .unwrap()
                .restart_artifacts,
            2
        );
        assert!(last.get(third, &expected[2].identity).is_none());
    }

    /// Past the spill's memory, tails are read back from its file.
    #[test]
    fn many_tails_come_back_from_the_temporary_file() {
        let paths: Vec<String> = (0..3000).map(|i| format!("/s/a/{i:0>40}.jsonl")).collect();
        let mut a = agent(&paths);
        let expected = tails(&a);
        let mut cache = TailCache::default();
        cache.take_from(&mut a);
        assert!(lock(&cache.kept).in_file());
        let cache = cache.for_last_use();
        for (p, t) in paths.iter().zip(&expected) {
            let got = cache.get(Path::new(p), &t.identity).expect("kept");
            assert_eq!(got.restart_artifacts, t.restart_artifacts);
        }
    }
}
