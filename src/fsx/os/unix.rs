//! The Unix primitives: `O_NOFOLLOW | O_NONBLOCK`, inode identity, owner and
//! mode bits, `flock` on the state dir, `SIGSTOP`.

use std::fs::{File, FileType, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Whether a file type is a FIFO (named pipe).
/// Why `p` cannot be replaced or removed now: never known in advance on
/// Unix, where a rename over a file or its removal asks the folder, not the
/// file (its mode and other processes' descriptors do not matter).
pub fn replace_blocked(_p: &Path, _in_use: bool) -> Option<String> {
    None
}

/// Unix has no sharing modes: never a sharing violation.
pub fn is_sharing_violation(_e: &io::Error) -> bool {
    false
}

pub fn is_fifo(ft: &FileType) -> bool {
    ft.is_fifo()
}

/// A file's identity and the facts a re-check compares: device and inode,
/// size, mtime and ctime. Inode numbers are reused at once on most
/// filesystems; the ctime is what tells a file deleted and written again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Last modification, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    /// Changes whenever the inode does: a file deleted and created again, even
    /// with the same inode number, bytes and mtime, has a new ctime.
    pub ctime_ns: i128,
}

impl Identity {
    pub fn of(meta: &Metadata) -> Self {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
            ctime_ns: meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128,
        }
    }
}

/// Whether `a` and `b` name the same file or directory: the same device and
/// inode, from `stat` (symlinks followed; nothing is opened, so a FIFO is not
/// waited on and no read permission is needed). `Err`: either cannot be
/// `stat`ed.
pub fn same_file(a: &Path, b: &Path) -> io::Result<bool> {
    let (ma, mb) = (std::fs::metadata(a)?, std::fs::metadata(b)?);
    Ok(ma.dev() == mb.dev() && ma.ino() == mb.ino())
}

/// Open `p` with `opts` without following a final symlink (`O_NOFOLLOW`: a
/// link is the error "is a symbolic link") and without blocking on a FIFO
/// (`O_NONBLOCK`).
pub fn open_nofollow(p: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    opts.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(p)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::other("is a symbolic link")
            } else {
                e
            }
        })
}

/// Create a new file for writing, readable by its owner only (0600); fails if
/// anything, a symlink included, is at `p`.
pub fn create_private(p: &Path) -> io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(p)?;
    if let Some((uid, gid)) = owner_for_new(p)? {
        std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
    }
    Ok(f)
}

/// The owner a file or folder sessfix makes should have when that is not
/// the caller: run as root (`sudo sessfix repair`), what it makes takes the
/// owner and group of the folder it is made in, so that the gateway's own
/// user can still read, extend and undo the backups (`sessfix-backups/` in a
/// state dir owned by `openclaw`). `None` when nothing is to change.
pub fn owner_for_new(p: &Path) -> io::Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let Some(parent) = p.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(None);
    };
    let m = std::fs::metadata(parent)?;
    Ok((m.uid() != 0 || m.gid() != 0).then_some((m.uid(), m.gid())))
}

/// `owner_for_new` applied to a path already made (never through a link).
pub fn own_like_parent(p: &Path) -> io::Result<()> {
    match owner_for_new(p)? {
        Some((uid, gid)) => std::os::unix::fs::lchown(p, Some(uid), Some(gid)),
        None => Ok(()),
    }
}

/// The permission bits to keep of a file (`mode & 0o7777`).
pub fn mode_of(meta: &Metadata) -> u32 {
    meta.mode() & 0o7777
}

/// Give the new file `f` the owner, group and mode of the file it replaces,
/// or `new_mode` when it replaces nothing. Errors: the owner or group
/// cannot be kept (`can_keep_owner` says why), as an error of its own
/// message: the replaced file is left as it is.
pub fn keep_owner_and_mode(f: &File, existing: Option<&Metadata>, new_mode: u32) -> io::Result<()> {
    if let Some(m) = existing {
        std::os::unix::fs::fchown(f, Some(m.uid()), Some(m.gid())).map_err(|e| {
            match (e.kind(), can_keep_owner(m)) {
                (io::ErrorKind::PermissionDenied, Err(why)) => io::Error::other(why),
                _ => e,
            }
        })?;
    }
    let mode = existing.map_or(new_mode, mode_of);
    f.set_permissions(std::fs::Permissions::from_mode(mode))
}

/// Whether this process can give a file written in place of the one `meta`
/// describes the same owner and group: as root, or as its owner when its
/// group is one of ours (the effective group or a supplementary one), as
/// `fchown` allows. `Err`: why not, and who can.
pub fn can_keep_owner(meta: &Metadata) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if me == 0 {
        return Ok(());
    }
    if meta.uid() != me {
        return Err(format!(
            "it is owned by uid {}, and sessfix runs as uid {me}: a file written in its place would be uid {me}'s, and only root can give it back; run sessfix as uid {} or as root",
            meta.uid(),
            meta.uid()
        ));
    }
    if in_group(meta.gid()) {
        return Ok(());
    }
    Err(format!(
        "its group is gid {}, which uid {me} is not in: a file written in its place would get another group; run sessfix as root, or as uid {me} in group {}",
        meta.gid(),
        meta.gid()
    ))
}

/// Whether `gid` is this process's effective group or a supplementary one.
fn in_group(gid: u32) -> bool {
    own_groups().contains(&gid)
}

/// This process's supplementary groups and its effective group.
pub fn own_groups() -> Vec<u32> {
    // SAFETY: getgroups with a zero size only counts; then fills a buffer
    // of the size it returned.
    unsafe {
        let n = libc::getgroups(0, std::ptr::null_mut());
        let mut v = vec![0 as libc::gid_t; n.max(0) as usize];
        let n = libc::getgroups(n, v.as_mut_ptr());
        v.truncate(n.max(0) as usize);
        v.push(libc::getegid());
        v
    }
}

/// Create a directory (and its parents) with mode 0700, and make it 0700 if
/// it already existed.
pub fn mkdir_private(p: &Path) -> io::Result<()> {
    let existed = p.is_dir();
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)?;
    if !existed {
        own_like_parent(p)?;
    }
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))
}

/// fsync a directory so a rename or unlink in it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// An exclusive `flock` on the state directory itself for the life of the
/// value: no file is created for it, so a run with nothing to do leaves the
/// state dir exactly as it found it.
pub struct RunLock {
    _dir: File,
}

/// Take the run lock of `state_dir` without waiting: an error of kind
/// `WouldBlock` when another process holds it.
pub fn lock_run(state_dir: &Path) -> io::Result<RunLock> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(state_dir)?;
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this function owns.
    // Any failure of the flock is taken as the lock being held, as ever.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(io::ErrorKind::WouldBlock, e));
    }
    Ok(RunLock { _dir: f })
}

/// The pid holding the run lock of `state_dir`, where the OS tells: on Linux
/// the `FLOCK` line of `/proc/locks` whose inode is the state dir's
/// (`<pid> <major>:<minor>:<inode>`). `None` elsewhere, or when no line
/// matches (the holder is in another pid namespace: its pid reads `-1`... or
/// the lock was released meanwhile).
pub fn run_lock_holder(state_dir: &Path) -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let ino = std::fs::metadata(state_dir).ok()?.ino();
        let text = std::fs::read_to_string("/proc/locks").ok()?;
        flock_holder(&text, ino)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = state_dir;
        None
    }
}

/// The pid of the first `FLOCK` line of a `/proc/locks` text on inode `ino`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn flock_holder(text: &str, ino: u64) -> Option<u32> {
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a waiter's line
        // has "->" after the number.
        let f: Vec<&str> = f.into_iter().filter(|x| *x != "->").collect();
        if f.get(1) != Some(&"FLOCK") {
            return None;
        }
        let pid: u32 = f.get(4)?.parse().ok()?;
        let line_ino: u64 = f.get(5)?.rsplit(':').next()?.parse().ok()?;
        (line_ino == ino).then_some(pid)
    })
}

/// The test stop hook: the process stops itself (`SIGSTOP`); whoever stopped
/// it continues it with `SIGCONT` or kills it.
pub fn stop_here() {
    // SAFETY: raise only sends a signal to this process.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
}

#[cfg(test)]
mod lock_tests {
    #[test]
    fn the_flock_holder_is_read_from_proc_locks() {
        let text = "1: POSIX  ADVISORY  WRITE 77 08:01:42 0 EOF\n\
                    2: FLOCK  ADVISORY  WRITE 1234 08:01:42 0 EOF\n\
                    2: -> FLOCK  ADVISORY  WRITE 999 08:01:42 0 EOF\n";
        assert_eq!(super::flock_holder(text, 42), Some(1234));
        assert_eq!(super::flock_holder(text, 43), None);
    }
}
