//! The open files of other processes on macOS, through libproc: every pid
//! (`proc_listallpids`, this process left out), its file descriptors
//! (`proc_pidinfo(PROC_PIDLISTFDS)`: `proc_fdinfo` pairs), and for each
//! vnode one (`PROX_FDTYPE_VNODE`) the file it is
//! (`proc_pidfdinfo(PROC_PIDFDVNODEPATHINFO)`: `vnode_fdinfowithpath`, xnu
//! `sys/proc_info.h`). An open file is one of the held files when
//! `Held::wanted` accepts its path (`vip_path`, the kernel's resolved
//! path), or when it is one of `Held::files` by identity (`vst_dev` and
//! `vst_ino` of its `vinfo_stat`: a path the kernel could not name, or
//! spells otherwise, still counts).
//!
//! The kernel answers for the caller's own processes, and for every process
//! to root. A process whose descriptors cannot be read (`EPERM`: another
//! user's, sessfix not root) is judged as on Linux (`proc_fs`): it makes the
//! answer unknown only if it could be an OpenClaw process holding the files
//! (`unreadable_may_hold`):
//! - its command line (`KERN_PROCARGS2`) can be read: when it names
//!   `openclaw`;
//! - it cannot (the usual case for another user's process): by what anyone
//!   may read of it (`proc_pidinfo(PROC_PIDT_SHORTBSDINFO)`, unprivileged):
//!   when its name could be an OpenClaw process's (`openclaw_like_name`)
//!   and one of its uids (effective, real, saved) is root or an owner of
//!   the files (`Held::owners`: besides root, the only users who may open
//!   them for writing);
//! - nothing of it can be read: always.
//!
//! A process that has gone meanwhile (`ESRCH`), or a descriptor closed
//! meanwhile (`EBADF`), is skipped.
//!
//! The walk (`holders_with`) runs on every OS over the `Libproc` calls, and
//! the parsing is plain functions on the bytes the calls return: both are
//! unit-tested on every OS on answers laid out as xnu's headers define
//! them (`tests.rs`). The
//! calls themselves (`holders`) are built for the macOS targets only
//! (README, "Platforms").

use super::parse_procargs2;
use crate::state::process::Held;
use std::path::PathBuf;

/// `sizeof(struct proc_fdinfo)`: `proc_fd` (i32) at 0, `proc_fdtype` (u32) at 4.
pub const PROC_FDINFO_SIZE: usize = 8;
/// `proc_fdtype` of a vnode (a file, a directory, a device).
pub const PROX_FDTYPE_VNODE: u32 = 1;
/// The `proc_pidfdinfo` flavor answering with a `vnode_fdinfowithpath`.
pub const PROC_PIDFDVNODEPATHINFO: i32 = 2;
/// `sizeof(struct vnode_fdinfowithpath)`: a `proc_fileinfo` (24 bytes),
/// then a `vnode_info_path` (`vnode_info`, 152 bytes; `vip_path`).
pub const VNODE_FDINFOWITHPATH_SIZE: usize = 1200;
/// Offset of `pvip.vip_vi.vi_stat.vst_dev` (u32) in a `vnode_fdinfowithpath`.
pub const VST_DEV_OFFSET: usize = 24;
/// Offset of `pvip.vip_vi.vi_stat.vst_ino` (u64).
pub const VST_INO_OFFSET: usize = 32;
/// Offset of `pvip.vip_path` (`MAXPATHLEN` bytes, NUL-terminated).
pub const VIP_PATH_OFFSET: usize = 176;
/// `MAXPATHLEN`: the room for `vip_path`.
pub const MAXPATHLEN: usize = 1024;
/// `sizeof(struct proc_bsdshortinfo)`.
pub const PROC_BSDSHORTINFO_SIZE: usize = 64;
/// Offset of `pbsi_comm` (`MAXCOMLEN`, 16 bytes, NUL-terminated when shorter).
pub const PBSI_COMM_OFFSET: usize = 16;
/// Offset of `pbsi_uid` (effective), `pbsi_ruid` (real), `pbsi_svuid` (saved).
pub const PBSI_UID_OFFSET: usize = 36;
pub const PBSI_RUID_OFFSET: usize = 44;
pub const PBSI_SVUID_OFFSET: usize = 52;
const MAXCOMLEN: usize = 16;

/// Darwin's errno values the walk tells apart.
pub const ESRCH: i32 = 3;
pub const EBADF: i32 = 9;

/// xnu's `struct proc_fileinfo` (`sys/proc_info.h`), which libc lacks.
#[cfg(target_os = "macos")]
#[repr(C)]
pub struct ProcFileInfo {
    pub fi_openflags: u32,
    pub fi_status: u32,
    pub fi_offset: libc::off_t,
    pub fi_type: i32,
    pub fi_guardflags: u32,
}

/// xnu's `struct vnode_fdinfowithpath`, which libc lacks.
#[cfg(target_os = "macos")]
#[repr(C)]
pub struct VnodeFdInfoWithPath {
    pub pfi: ProcFileInfo,
    pub pvip: libc::vnode_info_path,
}

// The offsets the parsing uses are the structures' (checked by building
// for the macOS targets).
#[cfg(target_os = "macos")]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<ProcFileInfo>() == 24);
    assert!(size_of::<VnodeFdInfoWithPath>() == VNODE_FDINFOWITHPATH_SIZE);
    assert!(offset_of!(VnodeFdInfoWithPath, pvip.vip_vi.vi_stat.vst_dev) == VST_DEV_OFFSET);
    assert!(offset_of!(VnodeFdInfoWithPath, pvip.vip_vi.vi_stat.vst_ino) == VST_INO_OFFSET);
    assert!(offset_of!(VnodeFdInfoWithPath, pvip.vip_path) == VIP_PATH_OFFSET);
    assert!(size_of::<libc::proc_fdinfo>() == PROC_FDINFO_SIZE);
    assert!(offset_of!(libc::proc_fdinfo, proc_fdtype) == 4);
    assert!(libc::PROX_FDTYPE_VNODE as u32 == PROX_FDTYPE_VNODE);
    assert!(size_of::<libc::proc_bsdshortinfo>() == PROC_BSDSHORTINFO_SIZE);
    assert!(offset_of!(libc::proc_bsdshortinfo, pbsi_comm) == PBSI_COMM_OFFSET);
    assert!(offset_of!(libc::proc_bsdshortinfo, pbsi_uid) == PBSI_UID_OFFSET);
    assert!(offset_of!(libc::proc_bsdshortinfo, pbsi_ruid) == PBSI_RUID_OFFSET);
    assert!(offset_of!(libc::proc_bsdshortinfo, pbsi_svuid) == PBSI_SVUID_OFFSET);
    assert!(libc::MAXCOMLEN == MAXCOMLEN);
    assert!(libc::ESRCH == ESRCH && libc::EBADF == EBADF);
};

/// The (fd, type) pairs of a `PROC_PIDLISTFDS` answer: `buf` holds the
/// bytes the call returned; a trailing partial entry is dropped.
pub fn parse_fd_list(buf: &[u8]) -> Vec<(i32, u32)> {
    buf.chunks_exact(PROC_FDINFO_SIZE)
        .map(|e| {
            let fd = i32::from_ne_bytes(e[..4].try_into().unwrap_or_default());
            let ty = u32::from_ne_bytes(e[4..].try_into().unwrap_or_default());
            (fd, ty)
        })
        .collect()
}

/// One open vnode, as a `vnode_fdinfowithpath` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenVnode<'a> {
    /// `vst_dev`: the `st_dev` of the file's volume.
    pub dev: u32,
    /// `vst_ino`.
    pub ino: u64,
    /// `vip_path` up to its NUL; `None` when empty (the kernel could not
    /// name the file) or not NUL-terminated within the bytes returned.
    pub path: Option<&'a [u8]>,
}

/// The vnode in a `PROC_PIDFDVNODEPATHINFO` answer (`buf`: the bytes the
/// call returned); `None` when too short to hold the file's identity.
pub fn parse_vnode_path_info(buf: &[u8]) -> Option<OpenVnode<'_>> {
    if buf.len() < VIP_PATH_OFFSET {
        return None;
    }
    let dev = u32::from_ne_bytes(buf[VST_DEV_OFFSET..VST_DEV_OFFSET + 4].try_into().ok()?);
    let ino = u64::from_ne_bytes(buf[VST_INO_OFFSET..VST_INO_OFFSET + 8].try_into().ok()?);
    let room = &buf[VIP_PATH_OFFSET..buf.len().min(VIP_PATH_OFFSET + MAXPATHLEN)];
    let path = room
        .iter()
        .position(|&b| b == 0)
        .map(|end| &room[..end])
        .filter(|p| !p.is_empty());
    Some(OpenVnode { dev, ino, path })
}

/// A path from the kernel's bytes (any bytes on Unix; elsewhere, where
/// only the tests run this, lossily).
pub fn path_from_bytes(b: &[u8]) -> PathBuf {
    #[cfg(unix)]
    return PathBuf::from(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b));
    #[cfg(not(unix))]
    return PathBuf::from(String::from_utf8_lossy(b).into_owned());
}

/// What anyone may read of a process (`proc_bsdshortinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortInfo {
    /// `pbsi_comm`: its executable's file name, cut to 16 bytes.
    pub name: String,
    /// Effective, real and saved uid.
    pub uids: [u32; 3],
}

/// The `proc_bsdshortinfo` in a `PROC_PIDT_SHORTBSDINFO` answer; `None`
/// when shorter than the structure.
pub fn parse_short_info(buf: &[u8]) -> Option<ShortInfo> {
    if buf.len() < PROC_BSDSHORTINFO_SIZE {
        return None;
    }
    let comm = &buf[PBSI_COMM_OFFSET..PBSI_COMM_OFFSET + MAXCOMLEN];
    let end = comm.iter().position(|&b| b == 0).unwrap_or(MAXCOMLEN);
    let uid = |at: usize| u32::from_ne_bytes(buf[at..at + 4].try_into().unwrap_or_default());
    Some(ShortInfo {
        name: String::from_utf8_lossy(&comm[..end]).into_owned(),
        uids: [
            uid(PBSI_UID_OFFSET),
            uid(PBSI_RUID_OFFSET),
            uid(PBSI_SVUID_OFFSET),
        ],
    })
}

/// Whether a process's executable name (`pbsi_comm`) could be an OpenClaw
/// process's. OpenClaw runs as `node <entry>` (`openclaw.mjs`,
/// `dist/index.js`, `scripts/run-node.mjs`; also when started through the
/// `openclaw` bin, whose `#!/usr/bin/env node` makes node the executable),
/// from source under `bun` or `tsx` (which runs node), or as an
/// `openclaw` / `openclaw-gateway` executable (`rules::is_gateway_argv`,
/// `rules::is_openclaw_session_owner_argv`): `node*`, `bun`, `openclaw*`,
/// case aside.
pub fn openclaw_like_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "bun" || n.starts_with("node") || n.starts_with("openclaw")
}

/// Why a process whose open files cannot be read may hold the files
/// (`Some`: the answer is unknown), or `None` when it cannot be an OpenClaw
/// process holding them. `argv`: its command line, when it can be read;
/// `who`: what anyone may read of it, or why that cannot be read either;
/// `owners`: the files' owners.
pub fn unreadable_may_hold(
    argv: Option<&[String]>,
    who: Result<&ShortInfo, &str>,
    owners: &[u32],
) -> Option<String> {
    if let Some(argv) = argv {
        return argv
            .join(" ")
            .to_lowercase()
            .contains("openclaw")
            .then(|| "its command line names OpenClaw".to_string());
    }
    let who = match who {
        Ok(w) => w,
        Err(why) => {
            return Some(format!(
                "neither its command line nor its name and user can be read ({why})"
            ))
        }
    };
    let uid = who.uids.iter().find(|u| **u == 0 || owners.contains(u))?;
    let whose = if *uid == 0 {
        "root".to_string()
    } else {
        format!("uid {uid}, which owns them")
    };
    openclaw_like_name(&who.name).then(|| {
        format!(
            "its command line cannot be read, and it runs `{}` as {whose}: it may be OpenClaw",
            who.name
        )
    })
}

/// The libproc and sysctl calls the walk makes; `Err` is the errno.
pub trait Libproc {
    /// Every pid (`proc_listallpids`).
    fn all_pids(&self) -> Result<Vec<i32>, i32>;
    /// The bytes `proc_pidinfo(pid, PROC_PIDLISTFDS)` returned.
    fn list_fds(&self, pid: i32) -> Result<Vec<u8>, i32>;
    /// The bytes `proc_pidfdinfo(pid, fd, PROC_PIDFDVNODEPATHINFO)` returned.
    fn vnode_path_info(&self, pid: i32, fd: i32) -> Result<Vec<u8>, i32>;
    /// The bytes `proc_pidinfo(pid, PROC_PIDT_SHORTBSDINFO)` returned.
    fn short_info(&self, pid: i32) -> Result<Vec<u8>, i32>;
    /// The `KERN_PROCARGS2` buffer, when it can be read.
    fn procargs2(&self, pid: i32) -> Option<Vec<u8>>;
}

/// An errno in words, naming the call.
fn errno_text(call: &str, errno: i32) -> String {
    format!("{call}: {}", std::io::Error::from_raw_os_error(errno))
}

/// What one process's descriptors say: its held files, or `Err(None)` when
/// it has gone, `Err(Some(what))` when they cannot be read.
fn held_by(
    sys: &dyn Libproc,
    pid: i32,
    held: &Held,
    ids: &[(u32, u64, PathBuf)],
) -> Result<Vec<PathBuf>, Option<String>> {
    let fds = match sys.list_fds(pid) {
        Ok(b) => parse_fd_list(&b),
        Err(ESRCH) => return Err(None),
        Err(e) => return Err(Some(errno_text("proc_pidinfo(PROC_PIDLISTFDS)", e))),
    };
    let mut out = Vec::new();
    for (fd, _) in fds.into_iter().filter(|(_, t)| *t == PROX_FDTYPE_VNODE) {
        let buf = match sys.vnode_path_info(pid, fd) {
            Ok(b) => b,
            Err(EBADF) => continue,
            Err(ESRCH) => return Err(None),
            Err(e) => {
                let call = format!("proc_pidfdinfo(fd {fd}, PROC_PIDFDVNODEPATHINFO)");
                return Err(Some(errno_text(&call, e)));
            }
        };
        let Some(v) = parse_vnode_path_info(&buf) else {
            return Err(Some(format!(
                "proc_pidfdinfo(fd {fd}) returned {} bytes, too few for a vnode_fdinfowithpath",
                buf.len()
            )));
        };
        let path = v.path.map(path_from_bytes);
        if let Some(p) = path.filter(|p| (held.wanted)(p)) {
            out.push(p);
        } else if let Some((_, _, f)) = ids.iter().find(|(d, i, _)| *d == v.dev && *i == v.ino) {
            out.push(f.clone());
        }
    }
    Ok(out)
}

/// `Processes::holders` over `sys`: the processes but `me` with one of the
/// held files open (the first such file of each, by pid), or why that
/// cannot be established (see the module docs). `ids`: each held file's
/// `(st_dev as u32, st_ino, path)`.
pub fn holders_with(
    sys: &dyn Libproc,
    held: &Held,
    ids: &[(u32, u64, PathBuf)],
    me: i32,
) -> Result<Vec<(u64, PathBuf)>, String> {
    let pids = sys.all_pids().map_err(|e| {
        format!(
            "the processes of this host cannot be listed ({})",
            errno_text("proc_listallpids", e)
        )
    })?;
    let mut out = Vec::new();
    for pid in pids.into_iter().filter(|p| *p != me) {
        let what = match held_by(sys, pid, held, ids) {
            Ok(files) => {
                out.extend(files.into_iter().map(|f| (pid as u64, f)));
                continue;
            }
            Err(None) => continue,
            Err(Some(what)) => what,
        };
        let argv = sys.procargs2(pid).and_then(|b| parse_procargs2(&b));
        let who = match sys.short_info(pid) {
            Err(ESRCH) => continue,
            Err(e) => Err(errno_text("proc_pidinfo(PROC_PIDT_SHORTBSDINFO)", e)),
            Ok(b) => parse_short_info(&b).ok_or_else(|| {
                format!(
                    "proc_pidinfo(PROC_PIDT_SHORTBSDINFO) returned {} bytes",
                    b.len()
                )
            }),
        };
        if let Some(why) = unreadable_may_hold(
            argv.as_deref(),
            who.as_ref().map_err(String::as_str),
            held.owners,
        ) {
            return Err(format!(
                "pid {pid}: its open files cannot be read ({what}), and {why} (run sessfix as its user or root)"
            ));
        }
    }
    out.sort();
    out.dedup_by_key(|(pid, _)| *pid);
    Ok(out)
}

#[cfg(target_os = "macos")]
mod sys;
#[cfg(target_os = "macos")]
pub use sys::holders;

#[cfg(test)]
mod tests;
