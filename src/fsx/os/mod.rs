//! The only place sessfix's file handling differs by OS: a few primitives,
//! one backend per OS (`unix.rs`, `windows.rs`), the same names in each.
//!
//! - `is_fifo`: whether a file type is a FIFO (none on Windows).
//! - `Identity`: what a re-check compares (Unix: device, inode, size, mtime,
//!   ctime; Windows: size, last write and creation time, no inode). Both
//!   have `size` and `mtime_ns` (nanoseconds since the Unix epoch).
//! - `open_nofollow`: open without following a final link and without
//!   blocking.
//! - `create_private`: create a new file, private where the OS has modes.
//! - `keep_owner_and_mode` / `mode_of`: what a replaced file keeps;
//!   `can_keep_owner`: whether it can keep it, asked before anything is done.
//! - `mkdir_private`: the backup folders.
//! - `sync_dir`: make a rename durable.
//! - `RunLock` / `lock_run`: one sessfix run per state dir.
//! - `replace_blocked`: why a file cannot be replaced or removed now
//!   (Windows: the read-only attribute, a handle without delete sharing).
//! - `stop_here`: the test stop hook (`SESSFIX_STOP_AT`).
//! - `same_file`: whether two paths name one file, by what the OS says of
//!   it, never by spelling.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// Give the heap pages freed so far back to the OS (glibc's
/// `malloc_trim(0)`, which also releases free pages inside its arenas; a
/// no-op with other allocators and OSes). Called between the phases of a
/// repair: what one phase freed, in pieces among live allocations, would
/// otherwise stay resident while the next phase allocates anew (one agent
/// of 20,000 small entries: a repair peaked 5 MiB over its dry run).
pub fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free memory to the OS.
    unsafe {
        libc::malloc_trim(0);
    }
}
