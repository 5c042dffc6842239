//! The libproc calls of `open_files`, made on macOS.

use super::{
    holders_with, Libproc, VnodeFdInfoWithPath, PROC_BSDSHORTINFO_SIZE, PROC_FDINFO_SIZE,
    PROC_PIDFDVNODEPATHINFO, VNODE_FDINFOWITHPATH_SIZE,
};
use crate::state::process::Held;
use libc::c_int;
use std::path::PathBuf;

/// The processes but this one with one of `held`'s files open, or why that
/// cannot be established (`open_files`).
pub fn holders(held: &Held) -> Result<Vec<(u64, PathBuf)>, String> {
    use std::os::unix::fs::MetadataExt;
    let ids: Vec<(u32, u64, PathBuf)> = held
        .files
        .iter()
        .filter_map(|f| {
            let m = std::fs::symlink_metadata(f).ok()?;
            // st_dev is a 32-bit dev_t, as vst_dev is.
            Some((m.dev() as u32, m.ino(), f.clone()))
        })
        .collect();
    holders_with(&Kernel, held, &ids, std::process::id() as i32)
}

/// This host's kernel.
struct Kernel;

/// Clears errno before a libproc call, which reports failure as 0 or -1
/// with errno set.
fn clear_errno() {
    // SAFETY: __error returns this thread's errno slot.
    unsafe { *libc::__error() = 0 };
}

/// A libproc call's count (`n` >= 0, errno clear), or the errno.
fn checked(n: c_int) -> Result<usize, i32> {
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    match usize::try_from(n) {
        Ok(n) if n > 0 || errno == 0 => Ok(n),
        _ => Err(if errno == 0 { libc::EIO } else { errno }),
    }
}

/// Calls `fill(buffer, its length in units)` with growing buffers of
/// `T` until the answer (a count of units) leaves room: a full buffer may
/// have been cut short. `first`: the size the kernel suggested.
fn grow<T: Clone + Default>(
    first: usize,
    fill: impl Fn(&mut [T]) -> Result<usize, i32>,
) -> Result<Vec<T>, i32> {
    let mut cap = first + 64;
    for _ in 0..6 {
        let mut buf = vec![T::default(); cap];
        let n = fill(&mut buf)?;
        if n < cap {
            buf.truncate(n);
            return Ok(buf);
        }
        cap *= 2;
    }
    Err(libc::EOVERFLOW)
}

impl Libproc for Kernel {
    fn all_pids(&self) -> Result<Vec<i32>, i32> {
        clear_errno();
        // SAFETY: a null buffer asks for the number of pids.
        let first = checked(unsafe { libc::proc_listallpids(std::ptr::null_mut(), 0) })?;
        grow::<i32>(first, |buf| {
            let bytes = (buf.len() * 4) as c_int;
            clear_errno();
            // SAFETY: the buffer holds `bytes` bytes; the answer counts pids.
            checked(unsafe { libc::proc_listallpids(buf.as_mut_ptr().cast(), bytes) })
        })
    }

    fn list_fds(&self, pid: i32) -> Result<Vec<u8>, i32> {
        clear_errno();
        // SAFETY: a null buffer asks for the size of the fd table in bytes.
        let first = checked(unsafe {
            libc::proc_pidinfo(pid, libc::PROC_PIDLISTFDS, 0, std::ptr::null_mut(), 0)
        })?;
        let entries = grow::<[u8; PROC_FDINFO_SIZE]>(first / PROC_FDINFO_SIZE, |buf| {
            let bytes = (buf.len() * PROC_FDINFO_SIZE) as c_int;
            clear_errno();
            // SAFETY: the buffer holds `bytes` bytes; the answer is in bytes.
            checked(unsafe {
                libc::proc_pidinfo(
                    pid,
                    libc::PROC_PIDLISTFDS,
                    0,
                    buf.as_mut_ptr().cast(),
                    bytes,
                )
            })
            .map(|n| n / PROC_FDINFO_SIZE)
        })?;
        Ok(entries.concat())
    }

    fn vnode_path_info(&self, pid: i32, fd: i32) -> Result<Vec<u8>, i32> {
        // SAFETY: integers and byte arrays only: all zeroes is a value.
        let mut info: VnodeFdInfoWithPath = unsafe { std::mem::zeroed() };
        clear_errno();
        // SAFETY: the buffer is a vnode_fdinfowithpath of the size given.
        let n = checked(unsafe {
            libc::proc_pidfdinfo(
                pid,
                fd,
                PROC_PIDFDVNODEPATHINFO,
                (&mut info as *mut VnodeFdInfoWithPath).cast(),
                VNODE_FDINFOWITHPATH_SIZE as c_int,
            )
        })?;
        // SAFETY: the structure has no padding (its size is checked) and
        // every byte is initialised.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&info as *const VnodeFdInfoWithPath).cast::<u8>(),
                VNODE_FDINFOWITHPATH_SIZE,
            )
        };
        Ok(bytes[..n.min(VNODE_FDINFOWITHPATH_SIZE)].to_vec())
    }

    fn short_info(&self, pid: i32) -> Result<Vec<u8>, i32> {
        let mut buf = [0u8; PROC_BSDSHORTINFO_SIZE];
        clear_errno();
        // SAFETY: the buffer holds a proc_bsdshortinfo (its size is checked).
        let n = checked(unsafe {
            libc::proc_pidinfo(
                pid,
                libc::PROC_PIDT_SHORTBSDINFO,
                0,
                buf.as_mut_ptr().cast(),
                PROC_BSDSHORTINFO_SIZE as c_int,
            )
        })?;
        Ok(buf[..n.min(PROC_BSDSHORTINFO_SIZE)].to_vec())
    }

    fn procargs2(&self, pid: i32) -> Option<Vec<u8>> {
        crate::state::proc_macos::procargs2(pid)
    }
}
