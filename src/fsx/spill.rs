//! Bytes put aside and read back later: a report's rows while it is written
//! as it is read, a repair's transcript tails until its check after
//! applying. In memory while they are few, then in a temporary file, so
//! that what 100,000 sessions give is never held in memory whole.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// How many bytes a `Spill` holds in memory before it moves them to a
/// temporary file, and how many it moves at a time: 256 KiB.
pub const MEMORY_BYTES: usize = 256 << 10;

/// Where a spill's bytes go past `MEMORY_BYTES`: a file, or a stand-in in tests.
pub trait Store: Read + Write + Seek + Send {}
impl<T: Read + Write + Seek + Send> Store for T {}

/// A new store: an unnamed temporary file in the temp dir
/// (`tempfile::tempfile`: it is gone when sessfix ends, however it ends).
pub type MakeStore = fn() -> io::Result<Box<dyn Store>>;

fn temp_file() -> io::Result<Box<dyn Store>> {
    Ok(Box::new(tempfile::tempfile()?))
}

/// An append-only run of bytes, read back once pushing is done: whole
/// (`copy_to`) or by range (`read_range`). Held in memory up to
/// `MEMORY_BYTES`, then moved to a temporary file in runs of that size.
/// When no temporary file can be made, or one cannot be written (a full
/// temp dir), the bytes come back into memory and stay there: the report
/// is written all the same, at the cost of memory.
pub struct Spill {
    /// The bytes after those in `file`.
    mem: Vec<u8>,
    file: Option<Box<dyn Store>>,
    /// Bytes written to `file`, all of them before those in `mem`.
    in_file: u64,
    make: MakeStore,
    /// A store could not be made or written: memory only from then on.
    memory_only: bool,
}

impl Default for Spill {
    fn default() -> Self {
        Spill::with_store(temp_file)
    }
}

/// An error of the temporary file, saying where it is and what it is for.
fn temp_error(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "a temporary file in {} (where sessfix puts aside what it does not keep in memory): {e}",
            std::env::temp_dir().display()
        ),
    )
}

/// Writing is pushing (`Spill::push`): a serialiser can write into a spill
/// without a buffer of its own.
impl Write for Spill {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.push(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Spill {
    /// A spill whose bytes past `MEMORY_BYTES` go to stores `make` makes.
    pub fn with_store(make: MakeStore) -> Self {
        Spill {
            mem: Vec::new(),
            file: None,
            in_file: 0,
            make,
            memory_only: false,
        }
    }

    /// How many bytes were pushed.
    pub fn len(&self) -> u64 {
        self.in_file + self.mem.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether some of the bytes are in a temporary file.
    pub fn in_file(&self) -> bool {
        self.in_file > 0
    }

    /// Append `bytes`. An error is one of reading back a temporary file that
    /// could not be written further, named as such. Bytes of `MEMORY_BYTES`
    /// or more pushed with none in memory go straight to the file, without
    /// a copy in memory.
    pub fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        let straight = self.mem.is_empty() && bytes.len() >= MEMORY_BYTES && !self.memory_only;
        if !straight {
            self.mem.extend_from_slice(bytes);
            if self.mem.len() < MEMORY_BYTES || self.memory_only {
                return Ok(());
            }
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => match (self.make)() {
                Ok(f) => self.file.insert(f),
                Err(_) => {
                    self.memory_only = true;
                    if straight {
                        self.mem.extend_from_slice(bytes);
                    }
                    return Ok(());
                }
            },
        };
        let out = if straight { bytes } else { &self.mem };
        match file.write_all(out) {
            Ok(()) => {
                self.in_file += out.len() as u64;
                self.mem.clear();
                // A big push leaves no big buffer behind.
                self.mem.shrink_to(MEMORY_BYTES);
                Ok(())
            }
            // Perhaps written in part: what was written before is whole.
            Err(_) => {
                self.back_to_memory()?;
                if straight {
                    self.mem.extend_from_slice(bytes);
                }
                Ok(())
            }
        }
    }

    /// Bring the bytes in the file back into memory, before those there.
    fn back_to_memory(&mut self) -> io::Result<()> {
        self.memory_only = true;
        let Some(mut f) = self.file.take() else {
            return Ok(());
        };
        let mut all = Vec::with_capacity(self.len() as usize);
        f.seek(SeekFrom::Start(0)).map_err(temp_error)?;
        f.take(self.in_file)
            .read_to_end(&mut all)
            .map_err(temp_error)?;
        if all.len() as u64 != self.in_file {
            return Err(temp_error(io::ErrorKind::UnexpectedEof.into()));
        }
        all.append(&mut self.mem);
        self.mem = all;
        self.in_file = 0;
        Ok(())
    }

    /// Write every byte pushed to `out`, in order.
    pub fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(f) = &mut self.file {
            f.seek(SeekFrom::Start(0)).map_err(temp_error)?;
            let copied = io::copy(&mut f.take(self.in_file), out)?;
            if copied != self.in_file {
                return Err(temp_error(io::ErrorKind::UnexpectedEof.into()));
            }
        }
        out.write_all(&self.mem)
    }

    /// The `len` bytes from `start`.
    pub fn read_range(&mut self, start: u64, len: usize) -> io::Result<Vec<u8>> {
        let end = start + len as u64;
        if end > self.len() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut buf = Vec::with_capacity(len);
        if start < self.in_file {
            let f = self.file.as_mut().expect("bytes in the file");
            f.seek(SeekFrom::Start(start)).map_err(temp_error)?;
            let from_file = end.min(self.in_file) - start;
            f.take(from_file)
                .read_to_end(&mut buf)
                .map_err(temp_error)?;
            if buf.len() as u64 != from_file {
                return Err(temp_error(io::ErrorKind::UnexpectedEof.into()));
            }
        }
        let from = start.max(self.in_file) - self.in_file;
        let to = end - self.in_file.min(end);
        if to > from {
            buf.extend_from_slice(&self.mem[from as usize..to as usize]);
        }
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Push runs of `size` bytes into `spill` until past `MEMORY_BYTES`
    /// several times over; check it gives them back whole and by range.
    fn round_trip_by(mut spill: Spill, size: usize) -> Spill {
        let chunk: Vec<u8> = (0..=255u8).cycle().take(size).collect();
        let mut expected = Vec::new();
        let mut at = Vec::new();
        while expected.len() <= 3 * MEMORY_BYTES + 300_000 {
            at.push(expected.len());
            spill.push(&chunk).unwrap();
            expected.extend_from_slice(&chunk);
            assert_eq!(spill.len(), expected.len() as u64);
        }
        let mut out = Vec::new();
        spill.copy_to(&mut out).unwrap();
        assert!(out == expected, "copy_to gives back what was pushed");
        for &a in &at {
            for (off, len) in [(7, 1000), (0, chunk.len()), (99_990, 50)] {
                let s = a + off;
                if s + len > expected.len() {
                    continue;
                }
                let got = spill.read_range(s as u64, len).unwrap();
                assert!(got == expected[s..s + len], "range {s}+{len}");
            }
        }
        // Again, after reading by range.
        let mut again = Vec::new();
        spill.copy_to(&mut again).unwrap();
        assert!(again == expected);
        assert!(spill.read_range(expected.len() as u64 - 2, 3).is_err());
        spill
    }

    #[test]
    fn bytes_come_back_as_pushed_from_a_temporary_file() {
        let spill = round_trip_by(Spill::default(), 100_003);
        assert!(spill.in_file(), "past MEMORY_BYTES the bytes are in a file");
    }

    /// Runs bigger than the memory part go straight to the file, and leave
    /// no big buffer in memory.
    #[test]
    fn big_runs_come_back_as_pushed() {
        let spill = round_trip_by(Spill::default(), MEMORY_BYTES + 7);
        assert!(spill.in_file() && spill.mem.capacity() <= MEMORY_BYTES);
        let mut spill = Spill::default();
        spill.push(b"abc").unwrap();
        spill.push(&vec![b'x'; 3 * MEMORY_BYTES]).unwrap();
        assert!(spill.mem.is_empty() && spill.mem.capacity() <= MEMORY_BYTES);
        assert_eq!(spill.read_range(0, 4).unwrap(), b"abcx");
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

    /// A store that takes `room` bytes and then fails, the write that
    /// fills it written in part (as a full disk does).
    struct Full {
        data: io::Cursor<Vec<u8>>,
        room: usize,
    }

    impl Read for Full {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.data.read(buf)
        }
    }
    impl Seek for Full {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.data.seek(to)
        }
    }
    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let left = self.room.saturating_sub(self.data.get_ref().len());
            if left == 0 {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "no space"));
            }
            self.data.write(&buf[..buf.len().min(left)])
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn full_after<const ROOM: usize>() -> io::Result<Box<dyn Store>> {
        Ok(Box::new(Full {
            data: io::Cursor::new(Vec::new()),
            room: ROOM,
        }))
    }

    /// A temp dir that fills up, at once or after some runs were written:
    /// every byte comes back all the same, from memory.
    #[test]
    fn a_full_temp_dir_brings_the_bytes_back_into_memory() {
        for make in [
            full_after::<0> as MakeStore,
            full_after::<1000>,
            full_after::<{ MEMORY_BYTES + 5 }>,
            full_after::<{ 2 * MEMORY_BYTES + 100_000 }>,
        ] {
            for size in [100_003, MEMORY_BYTES + 7] {
                let spill = round_trip_by(Spill::with_store(make), size);
                assert!(!spill.in_file(), "nothing is read from a store that failed");
            }
        }
        let cannot_make: MakeStore = || Err(io::ErrorKind::PermissionDenied.into());
        for size in [100_003, MEMORY_BYTES + 7] {
            let spill = round_trip_by(Spill::with_store(cannot_make), size);
            assert!(!spill.in_file());
        }
    }
}
