//! Bytes put aside while a report is written as it is read, and written
//! back at its end: in memory while they are few, then in a temporary file,
//! so that a report of 100,000 sessions is never held in memory whole.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

/// How many bytes a `Spill` holds in memory before it moves them to a
/// temporary file: 256 KiB.
pub const MEMORY_BYTES: usize = 256 << 10;

/// An append-only run of bytes, read back once writing is done: whole
/// (`copy_to`) or by range (`read_range`). Held in memory up to
/// `MEMORY_BYTES`, then in an unnamed temporary file in the temp dir
/// (`tempfile::tempfile`: it is gone when sessfix ends, however it ends).
/// When no such file can be made, the bytes stay in memory.
#[derive(Default)]
pub struct Spill {
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
    len: u64,
    no_file: bool,
}

/// An error of the temporary file, saying where it is and what it is for.
fn temp_error(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "a temporary file in {} (where the report is put aside as it is read): {e}",
            std::env::temp_dir().display()
        ),
    )
}

impl Spill {
    /// How many bytes were pushed.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the bytes are in a temporary file (past `MEMORY_BYTES`).
    pub fn in_file(&self) -> bool {
        self.file.is_some()
    }

    /// Append `bytes`. Errors are the temporary file's, named as such.
    pub fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.len += bytes.len() as u64;
        if let Some(f) = &mut self.file {
            return f.write_all(bytes).map_err(temp_error);
        }
        self.mem.extend_from_slice(bytes);
        if self.mem.len() > MEMORY_BYTES && !self.no_file {
            match tempfile::tempfile() {
                Ok(f) => {
                    let mut w = BufWriter::with_capacity(64 << 10, f);
                    w.write_all(&self.mem).map_err(temp_error)?;
                    self.mem = Vec::new();
                    self.file = Some(w);
                }
                // No temporary file: memory it is.
                Err(_) => self.no_file = true,
            }
        }
        Ok(())
    }

    /// The file, flushed and positioned at `at`.
    fn file_at(w: &mut BufWriter<File>, at: u64) -> io::Result<&mut File> {
        w.flush().map_err(temp_error)?;
        let f = w.get_mut();
        f.seek(SeekFrom::Start(at)).map_err(temp_error)?;
        Ok(f)
    }

    /// Write every byte pushed to `out`, in order (once pushing is done).
    pub fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match &mut self.file {
            None => out.write_all(&self.mem),
            Some(w) => {
                let f = Self::file_at(w, 0)?;
                let copied = io::copy(&mut f.take(self.len), out)?;
                if copied != self.len {
                    return Err(temp_error(io::ErrorKind::UnexpectedEof.into()));
                }
                Ok(())
            }
        }
    }

    /// The `len` bytes from `start` (once pushing is done).
    pub fn read_range(&mut self, start: u64, len: usize) -> io::Result<Vec<u8>> {
        match &mut self.file {
            None => {
                let s = usize::try_from(start).map_err(io::Error::other)?;
                self.mem
                    .get(s..s + len)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| io::ErrorKind::UnexpectedEof.into())
            }
            Some(w) => {
                let mut buf = vec![0; len];
                Self::file_at(w, start)?
                    .read_exact(&mut buf)
                    .map_err(temp_error)?;
                Ok(buf)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes past `MEMORY_BYTES` move to a temporary file, and come back
    /// whole and by range exactly as pushed.
    #[test]
    fn bytes_come_back_as_pushed_from_memory_and_file() {
        let chunk: Vec<u8> = (0..=255u8).cycle().take(100_003).collect();
        let mut spill = Spill::default();
        let mut expected = Vec::new();
        let mut at = Vec::new();
        while expected.len() <= MEMORY_BYTES + 300_000 {
            at.push(expected.len());
            spill.push(&chunk).unwrap();
            expected.extend_from_slice(&chunk);
            if expected.len() <= MEMORY_BYTES {
                assert!(!spill.in_file(), "still in memory at {}", expected.len());
            }
        }
        assert!(spill.in_file());
        assert_eq!(spill.len(), expected.len() as u64);
        let mut out = Vec::new();
        spill.copy_to(&mut out).unwrap();
        assert!(out == expected, "copy_to gives back what was pushed");
        for &a in &at {
            let got = spill.read_range(a as u64 + 7, 1000).unwrap();
            assert_eq!(got, expected[a + 7..a + 1007]);
        }
        // Again, after reading by range.
        let mut again = Vec::new();
        spill.copy_to(&mut again).unwrap();
        assert!(again == expected);
    }

    #[test]
    fn a_few_bytes_stay_in_memory() {
        let mut spill = Spill::default();
        assert!(spill.is_empty());
        spill.push(b"abc").unwrap();
        spill.push(b"def").unwrap();
        assert!(!spill.in_file());
        assert_eq!(spill.read_range(2, 3).unwrap(), b"cde");
        assert!(spill.read_range(4, 3).is_err());
        let mut out = Vec::new();
        spill.copy_to(&mut out).unwrap();
        assert_eq!(out, b"abcdef");
    }
}
