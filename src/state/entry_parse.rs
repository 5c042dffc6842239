//! `entry_json` parsed on a second thread while SQLite steps on the first.
//!
//! A `session_nodes` row of 2026.9.6 carries about 14 KB of `SessionEntry`
//! JSON (`skillsSnapshot`, `systemPromptReport`): on an agent database of
//! 100,000 rows, parsing it is more CPU than SQLite's own reading, and an
//! agent database is read by one thread. The texts are copied into batches of
//! about `BATCH_BYTES` (256 KiB) and handed to a parser thread through a channel of
//! `IN_FLIGHT` batches, and the results are handed back as they come, so
//! memory stays bounded whatever the table's size. They come in row order,
//! the same as parsing each row in place.

use super::sqlite_era::{parse_entry, EntryFacts};
use std::ops::Range;
use std::sync::mpsc;

/// A batch is sent once its texts reach this many bytes (256 KiB: it is
/// still in cache when parsed; 64 KiB to 1 MiB measured alike).
const BATCH_BYTES: usize = 256 << 10;
/// Batches waiting for the parser at most; the reader waits beyond it.
const IN_FLIGHT: usize = 2;

/// One row's `entry_json`, as the row's reader found it.
pub enum Entry<'a> {
    /// UTF-8 text: parsed on the parser thread, and copied whole to keep it
    /// when `keep` (a row a plan may edit).
    Text { text: &'a str, keep: bool },
    /// Already decided by the reader (not text, say), with the text to keep.
    Done(Box<Parsed>),
}

/// What each row's `entry_json` gave: its facts (`parse_entry`) and, when
/// kept, its text.
pub type Parsed = (Result<EntryFacts, String>, Option<String>);

/// Run `read` with a `Pipe` whose parser thread lives as long as `read`
/// runs, and return what `read` returned.
///
/// # Panics
/// Resumes a panic of the parser thread (`std::thread::scope`).
pub fn parse_beside<T>(read: impl FnOnce(&mut Pipe) -> T) -> T {
    parse_beside_in(BATCH_BYTES, read)
}

fn parse_beside_in<T>(batch_bytes: usize, read: impl FnOnce(&mut Pipe) -> T) -> T {
    std::thread::scope(|s| {
        let (to_parser, batches) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let (parser_out, from_parser) = mpsc::channel();
        s.spawn(move || {
            for mut batch in batches {
                let mut parsed = Vec::with_capacity(batch.items.len());
                batch.parse_into(&mut parsed);
                // The batch goes back emptied, to be filled again: a fresh
                // buffer for each would fault in every page anew. The reader
                // may have stopped (an error): then nothing is wanted.
                if parser_out.send((batch, parsed)).is_err() {
                    break;
                }
            }
        });
        read(&mut Pipe {
            batch: Batch::default(),
            batch_bytes,
            to_parser: Some(to_parser),
            from_parser,
            spare: Vec::new(),
        })
    })
}

/// Entries go in with `push`, in row order; their `Parsed` come out in the
/// same order from `take_parsed` (those ready now) and `finish` (the rest).
pub struct Pipe {
    batch: Batch,
    batch_bytes: usize,
    /// `None` once finished, or once the parser has stopped (a panic,
    /// resumed when the scope ends).
    to_parser: Option<mpsc::SyncSender<Batch>>,
    from_parser: mpsc::Receiver<(Batch, Vec<Parsed>)>,
    /// Emptied batches back from the parser.
    spare: Vec<Batch>,
}

impl Pipe {
    /// Add one row's entry; a full batch is sent to the parser (waiting
    /// while `IN_FLIGHT` batches are ahead of it).
    pub fn push(&mut self, entry: Entry<'_>) {
        self.batch.push(entry);
        if self.batch.text.len() >= self.batch_bytes {
            self.send();
        }
    }

    /// Hand `f` each entry parsed so far and not yet handed over, in order.
    pub fn take_parsed(&mut self, mut f: impl FnMut(Parsed)) {
        while let Ok((batch, parsed)) = self.from_parser.try_recv() {
            self.spare.push(batch);
            parsed.into_iter().for_each(&mut f);
        }
    }

    /// Send what is left, wait for the parser, and hand `f` every entry not
    /// yet handed over, in order.
    pub fn finish(&mut self, mut f: impl FnMut(Parsed)) {
        self.send();
        self.to_parser = None;
        for (_, parsed) in self.from_parser.iter() {
            parsed.into_iter().for_each(&mut f);
        }
    }

    fn send(&mut self) {
        if self.batch.items.is_empty() {
            return;
        }
        let next = self.spare.pop().unwrap_or_default();
        let batch = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = &self.to_parser {
            if tx.send(batch).is_err() {
                self.to_parser = None;
            }
        }
    }
}

/// Entries on their way to the parser: the texts end to end in one buffer.
#[derive(Default)]
struct Batch {
    text: String,
    items: Vec<Item>,
}

enum Item {
    /// A text in `Batch::text`, and whether to keep it.
    Text(Range<usize>, bool),
    Done(Box<Parsed>),
}

impl Batch {
    fn push(&mut self, entry: Entry<'_>) {
        match entry {
            Entry::Text { text, keep } => {
                let start = self.text.len();
                self.text.push_str(text);
                self.items.push(Item::Text(start..self.text.len(), keep));
            }
            Entry::Done(p) => self.items.push(Item::Done(p)),
        }
    }

    /// Parse every entry onto `out`, leaving the batch empty (its buffers
    /// kept for the next).
    fn parse_into(&mut self, out: &mut Vec<Parsed>) {
        let text = &self.text;
        out.extend(self.items.drain(..).map(|item| match item {
            Item::Text(r, keep) => {
                let t = &text[r];
                (parse_entry(t), keep.then(|| t.to_string()))
            }
            Item::Done(p) => *p,
        }));
        self.text.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In row order across batches of every size, each the same as parsing
    /// the row in place; texts kept only where asked; what is taken
    /// early and what `finish` hands over add up to every row once.
    #[test]
    fn entries_parsed_beside_come_back_as_parsed_in_place_in_row_order() {
        let texts: Vec<String> = (0..40)
            .map(|i| match i % 4 {
                0 => format!(
                    r#"{{"sessionId":"s{i}","status":"running","x":"{}"}}"#,
                    "é".repeat(i)
                ),
                1 => format!(r#"{{"sessionId":"s{i}""#),
                2 => format!("[{i}]"),
                _ => format!(r#"{{"status":{i}}}"#),
            })
            .collect();
        let not_text = |i: usize| i % 9 == 8;
        let keep = |i: usize| i % 3 == 1;
        {
            for batch_bytes in [1, 7, 64, 1 << 20] {
                let parsed = parse_beside_in(batch_bytes, |pipe| {
                    let mut parsed = Vec::new();
                    for (i, t) in texts.iter().enumerate() {
                        if not_text(i) {
                            pipe.push(Entry::Done(Box::new((Err(format!("not text {i}")), None))));
                        } else {
                            pipe.push(Entry::Text {
                                text: t,
                                keep: keep(i),
                            });
                        }
                        pipe.take_parsed(|p| parsed.push(p));
                        assert!(parsed.len() <= i + 1);
                    }
                    pipe.finish(|p| parsed.push(p));
                    parsed
                });
                assert_eq!(parsed.len(), texts.len());
                for (i, (t, (facts, raw))) in texts.iter().zip(&parsed).enumerate() {
                    if not_text(i) {
                        assert_eq!(facts, &Err(format!("not text {i}")));
                        assert_eq!(raw, &None);
                    } else {
                        assert_eq!(facts, &parse_entry(t), "row {i}");
                        assert_eq!(raw.as_deref(), keep(i).then_some(t.as_str()));
                    }
                }
            }
        }
    }

    /// A reader that stops early (an error) without `finish` ends the
    /// parser too: nothing waits for ever.
    #[test]
    fn a_reader_that_stops_early_ends_the_parser() {
        let got = parse_beside_in(1, |pipe| {
            for _ in 0..100 {
                pipe.push(Entry::Text {
                    text: "{}",
                    keep: false,
                });
            }
            Err::<(), _>("cannot be read as SQLite: disk I/O error")
        });
        assert_eq!(got, Err("cannot be read as SQLite: disk I/O error"));
    }
}
