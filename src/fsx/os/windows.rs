//! The Windows primitives: reparse points opened as themselves and refused,
//! identity from what stable std gives, the read-only attribute as the only
//! "mode", `File::try_lock` on a lock file in the state dir, a suspended
//! thread as the test stop.
//!
//! Run under Wine in CI (`.ci/wine.sh`: the tests and scenarios with real
//! Windows processes); not run on a Windows machine (README, "Platforms").

use std::fs::{File, FileType, Metadata, OpenOptions};
use std::io;
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use windows_sys::Win32::Storage::FileSystem::{
    FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_OPEN_REPARSE_POINT,
};

/// Why `p` cannot be replaced (renamed over) or removed now, as Windows
/// would refuse it: its read-only attribute is set (a rename over it and a
/// delete fail with "access denied"), or, with `in_use`, a handle is open
/// on it without delete sharing (`ERROR_SHARING_VIOLATION` when opened for
/// `DELETE`). `None`: nothing known against it (a missing file included).
pub fn replace_blocked(p: &Path, in_use: bool) -> Option<String> {
    const DELETE: u32 = 0x0001_0000;
    const SHARE_ALL: u32 = 7; // FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
    let meta = std::fs::symlink_metadata(p).ok()?;
    if meta.permissions().readonly() {
        return Some(format!(
            "it is read-only (its read-only attribute is set; `attrib -r \"{}\"` clears it, if sessfix is meant to change the file)",
            p.display()
        ));
    }
    if !in_use {
        return None;
    }
    let held = held_open(
        p,
        OpenOptions::new()
            .access_mode(DELETE)
            .share_mode(SHARE_ALL)
            .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT),
    );
    held.unwrap_or(false).then(|| {
        "it is in use by another process (open without delete sharing), so it cannot be replaced or removed: stop that process and run again"
            .into()
    })
}

/// Whether `e` is Windows' `ERROR_SHARING_VIOLATION` (32): another handle's
/// sharing forbids what was asked.
pub fn is_sharing_violation(e: &io::Error) -> bool {
    e.raw_os_error() == Some(windows_sys::Win32::Foundation::ERROR_SHARING_VIOLATION as i32)
}

/// Whether another handle holds `p` open in a way `opts` (its access and
/// sharing) conflicts with: opening it so fails with a sharing violation.
/// `Ok(false)`: it opened (and is closed at once), or is missing; `Err`:
/// any other failure.
pub fn held_open(p: &Path, opts: &OpenOptions) -> io::Result<bool> {
    match opts.open(p) {
        Ok(_) => Ok(false),
        Err(e) if is_sharing_violation(&e) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Windows keeps no FIFOs in the file namespace (named pipes live under
/// `\\.\pipe\`, never under a state dir).
pub fn is_fifo(_ft: &FileType) -> bool {
    false
}

/// 100 ns intervals from 1601-01-01 (Windows' epoch) to 1970-01-01.
const UNIX_EPOCH_AS_FILETIME: i128 = 116_444_736_000_000_000;

fn filetime_to_unix_ns(t: u64) -> i128 {
    (t as i128 - UNIX_EPOCH_AS_FILETIME) * 100
}

/// A file's identity and the facts a re-check compares on Windows: size, last
/// write time and creation time (100 ns resolution), all that stable std
/// gives (`std::os::windows::fs::MetadataExt`).
///
/// What it cannot compare: there is no inode. The volume serial number and
/// file index exist but are unstable in std, so a re-check cannot tell two
/// files apart by their identity on disk, only by these times and the size.
/// A file deleted and created again under the same name within about 15
/// seconds may even get the old creation time back (NTFS "tunnelling"); it
/// still gets a new last write time unless the writer sets it back. Where
/// sessfix removes a file (a lock), its bytes are compared too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub size: u64,
    /// Last write, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    /// Creation, nanoseconds since the Unix epoch.
    pub created_ns: i128,
}

impl Identity {
    pub fn of(meta: &Metadata) -> Self {
        Identity {
            size: meta.file_size(),
            mtime_ns: filetime_to_unix_ns(meta.last_write_time()),
            created_ns: filetime_to_unix_ns(meta.creation_time()),
        }
    }
}

/// Whether `a` and `b` name the same file or directory: the same volume
/// serial number and file index (`same-file`, which opens both with
/// `FILE_FLAG_BACKUP_SEMANTICS`, so directories too), whatever the spelling:
/// case, drive letter, `/` or `\`, a `\\?\` prefix, 8.3 short names, links.
/// `Err`: either cannot be opened.
pub fn same_file(a: &Path, b: &Path) -> io::Result<bool> {
    same_file::is_same_file(a, b)
}

fn is_reparse_point(meta: &Metadata) -> bool {
    meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0
}

/// Open `p` with `opts` without following a final reparse point
/// (`FILE_FLAG_OPEN_REPARSE_POINT`): a symbolic link or junction is the error
/// "is a symbolic link", and any other reparse point (a cloud placeholder, a
/// deduplicated file) is refused too, since opened as itself its bytes are
/// not the file's. Opening a file on a disk never blocks; there are no FIFOs.
pub fn open_nofollow(p: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    let f = match opts.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT).open(p) {
        Ok(f) => f,
        // A directory opened as a file is "access denied" on Windows: say
        // what it is, as on Unix.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(match std::fs::symlink_metadata(p) {
                Ok(m) if m.is_dir() => io::Error::other("is a directory, not a file"),
                _ => e,
            });
        }
        Err(e) => return Err(e),
    };
    let meta = f.metadata()?;
    if meta.file_type().is_symlink() {
        return Err(io::Error::other("is a symbolic link"));
    }
    if is_reparse_point(&meta) {
        return Err(io::Error::other(
            "is a reparse point; sessfix reads only plain files",
        ));
    }
    Ok(f)
}

/// Create a new file for writing; fails if anything, a link included, is at
/// `p`. Its access list is the one the directory gives new files.
pub fn create_private(p: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(p)
}

/// Windows' only "mode" is the read-only attribute: 0o444 when set, else
/// 0o666 (as Python's `os.stat` reports it).
pub fn mode_of(meta: &Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o666
    }
}

/// This process's groups, as Unix has them: none on Windows.
pub fn own_groups() -> Vec<u32> {
    Vec::new()
}

/// Whether a file written in place of the one `meta` describes can keep
/// what it has: not when it is read-only (Windows does not replace one).
/// Owners and access lists are not copied on Windows.
pub fn can_keep_owner(meta: &Metadata) -> Result<(), String> {
    if meta.permissions().readonly() {
        return Err(
            "is read-only; Windows does not replace a read-only file (clear the attribute first)"
                .into(),
        );
    }
    Ok(())
}

/// Give the new file `f` the "mode" of the file it replaces, or `new_mode`
/// (read-only when it has no write bit) when it replaces nothing. Windows
/// does not replace a read-only file, so one is refused here, before anything
/// is written. The owner and access list are not copied: the new file gets
/// those the directory gives new files.
pub fn keep_owner_and_mode(f: &File, existing: Option<&Metadata>, new_mode: u32) -> io::Result<()> {
    if existing.is_some_and(|m| m.permissions().readonly()) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "is read-only; Windows does not replace a read-only file (clear the attribute first)",
        ));
    }
    if existing.is_none() && new_mode & 0o222 == 0 {
        let mut p = f.metadata()?.permissions();
        p.set_readonly(true);
        f.set_permissions(p)?;
    }
    Ok(())
}

/// Create a directory and its parents. Windows has no mode bits: the new
/// folders get the access list their parent gives (the user's profile is
/// private to the user by default).
pub fn mkdir_private(p: &Path) -> io::Result<()> {
    std::fs::create_dir_all(p)
}

/// Windows has no fsync of a directory (std cannot open one for it); NTFS
/// journals renames and deletions. Nothing to do.
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// The name of the run lock's file in the state dir.
pub const RUN_LOCK_FILE: &str = ".sessfix.lock";

/// An exclusive lock (`File::try_lock`, `LockFileEx`) on `.sessfix.lock` in
/// the state dir for the life of the value. Windows locks files, not
/// directories, so the file is created on the first run and left in place
/// (removing it would let two runs each lock a different file).
pub struct RunLock {
    _file: File,
}

/// Take the run lock of `state_dir` without waiting: an error of kind
/// `WouldBlock` when another process holds it.
pub fn lock_run(state_dir: &Path) -> io::Result<RunLock> {
    let p = state_dir.join(RUN_LOCK_FILE);
    let f = open_nofollow(
        &p,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::other(format!(
            "{}: is not a regular file",
            p.display()
        )));
    }
    match f.try_lock() {
        Ok(()) => Ok(RunLock { _file: f }),
        Err(std::fs::TryLockError::WouldBlock) => Err(io::ErrorKind::WouldBlock.into()),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Owners are not copied on Windows (README, "Platforms"): nothing to do.
pub fn own_like_parent(_p: &Path) -> io::Result<()> {
    Ok(())
}

/// The pid holding the run lock: Windows does not tell who holds a file
/// lock, so `None`.
pub fn run_lock_holder(_state_dir: &Path) -> Option<u32> {
    None
}

/// The test stop hook: the thread running sessfix suspends itself; whoever
/// stopped it resumes it (`ResumeThread`, `NtResumeProcess`) or kills it.
/// Should the suspension fail, the process aborts there: it never runs past a
/// stop point.
pub fn stop_here() {
    use windows_sys::Win32::System::Threading::{GetCurrentThread, SuspendThread};
    // SAFETY: GetCurrentThread returns a pseudo-handle valid in this thread.
    if unsafe { SuspendThread(GetCurrentThread()) } == u32::MAX {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two reasons Windows refuses to replace a file are told apart:
    /// the read-only attribute, and a handle open without delete sharing.
    #[test]
    fn read_only_and_in_use_files_are_named_as_such() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sessions.json");
        std::fs::write(&p, b"{}").unwrap();
        assert_eq!(replace_blocked(&p, true), None);
        assert_eq!(replace_blocked(&d.path().join("missing"), true), None);
        // Held open for reading and writing, without FILE_SHARE_DELETE.
        let held = OpenOptions::new()
            .read(true)
            .share_mode(3)
            .open(&p)
            .unwrap();
        let why = replace_blocked(&p, true).unwrap();
        assert!(why.contains("in use by another process"), "{why}");
        assert_eq!(replace_blocked(&p, false), None);
        drop(held);
        // A directory is named as such, not "access denied".
        let dir = d.path().join("sessions.json.lock");
        std::fs::create_dir(&dir).unwrap();
        let e = open_nofollow(&dir, OpenOptions::new().read(true)).unwrap_err();
        assert_eq!(e.to_string(), "is a directory, not a file");
        let mut perms = std::fs::metadata(&p).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&p, perms.clone()).unwrap();
        let why = replace_blocked(&p, false).unwrap();
        assert!(
            why.contains("read-only") && why.contains("attrib -r"),
            "{why}"
        );
        // The write's own reason, not "cannot be read".
        let err = std::fs::remove_file(&p).unwrap_err();
        let msg = crate::fsx::describe_write(&p, &err);
        assert!(
            msg.contains("read-only") && !msg.contains("cannot be read"),
            "{msg}"
        );
        // Windows: clears the attribute (no Unix mode to widen).
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&p, perms).unwrap();
    }
}
