//! macOS process facts, open files and temp dirs (libc's bindings of
//! libproc, sysctl and confstr; the one libproc structure libc lacks,
//! `vnode_fdinfowithpath`, is declared in `open_files` and its layout
//! checked at compile time for the macOS targets).
//!
//! What the gateway reads on darwin (2026.5.12): `isPidAlive` is
//! `kill(pid, 0)` with no zombie check (`pid-alive-DHduzhBu.js`);
//! `getProcessStartTime` returns null, so no lock carries a start time; the
//! command line is `ps -o command= -p <pid>` split on whitespace
//! (`gateway-processes-BCBqxtZ_.js`).
//!
//! Can: alive/dead (`kill`), zombie (`proc_pidinfo` `PROC_PIDTBSDINFO`),
//! command line of one's own processes (of every process as root) through
//! `sysctl(KERN_PROCARGS2)`, the open files of one's own processes (of
//! every process as root: `open_files`). Cannot: another user's command
//! line or open files unless root (argv `None`, which the gateway's rules
//! read as "keep"; for open files see `open_files`). The start time
//! (`pbi_start_tvsec`) is readable but unused: no rule compares it.
//!
//! The parsing is plain functions, unit-tested on recorded bytes on every OS.

mod open_files;
pub use open_files::*;

#[cfg(target_os = "macos")]
use crate::rules::ProcState;
use std::path::PathBuf;

/// The argv in a `KERN_PROCARGS2` buffer: `argc` (native-endian i32), the
/// exec path, NUL padding, then `argc` NUL-terminated strings (then the
/// environment, not read).
pub fn parse_procargs2(buf: &[u8]) -> Option<Vec<String>> {
    let argc = i32::from_ne_bytes(buf.get(..4)?.try_into().ok()?);
    let argc = usize::try_from(argc).ok()?;
    let mut rest = &buf[4..];
    // Skip the exec path and the NULs after it.
    let end = rest.iter().position(|&b| b == 0)?;
    rest = &rest[end..];
    let start = rest.iter().position(|&b| b != 0)?;
    rest = &rest[start..];
    let mut argv = Vec::with_capacity(argc);
    for part in rest.split(|&b| b == 0).take(argc) {
        argv.push(String::from_utf8_lossy(part).into_owned());
    }
    (argv.len() == argc).then_some(argv)
}

/// The argv as the gateway sees it through `ps -o command=`: the arguments
/// joined by spaces, trimmed, split on whitespace; an empty command is
/// unreadable (`null`).
pub fn ps_command_argv(argv: &[String]) -> Option<Vec<String>> {
    let command = argv.join(" ");
    let command = command.trim();
    (!command.is_empty()).then(|| command.split_whitespace().map(str::to_string).collect())
}

/// The places a darwin gateway's `os.tmpdir()` may be, besides sessfix's own
/// (`discover::lock_bases`): `dirs` is this user's
/// `confstr(_CS_DARWIN_USER_TEMP_DIR)` (what launchd gives as `$TMPDIR`);
/// `/tmp` (a gateway started without `TMPDIR`); every user's
/// `/var/folders/*/*/T` (best effort: only root can read another user's).
pub fn lock_bases_from(user_temp: Option<String>, var_folders: &[PathBuf]) -> Vec<(PathBuf, bool)> {
    let mut v = Vec::new();
    if let Some(t) = user_temp {
        let t = t.trim_end_matches('/');
        if !t.is_empty() {
            v.push((PathBuf::from(t), true));
        }
    }
    v.push((PathBuf::from("/tmp"), true));
    for p in var_folders {
        if !v.iter().any(|(q, _)| q == p) {
            v.push((p.clone(), false));
        }
    }
    v
}

#[cfg(target_os = "macos")]
fn user_temp_dir() -> Option<String> {
    let mut buf = vec![0u8; 1024];
    // SAFETY: confstr writes at most `len` bytes, NUL-terminated.
    let n = unsafe {
        libc::confstr(
            libc::_CS_DARWIN_USER_TEMP_DIR,
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n == 0 || n > buf.len() {
        return None;
    }
    buf.truncate(n - 1);
    String::from_utf8(buf).ok()
}

#[cfg(target_os = "macos")]
pub fn lock_bases() -> Vec<(PathBuf, bool)> {
    let mut folders = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/var/folders") {
        for a in rd.flatten() {
            if let Ok(rd) = std::fs::read_dir(a.path()) {
                for b in rd.flatten() {
                    folders.push(b.path().join("T"));
                }
            }
        }
    }
    folders.sort();
    lock_bases_from(user_temp_dir(), &folders)
}

#[cfg(target_os = "macos")]
fn is_zombie(pid: i32) -> Option<bool> {
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::proc_bsdinfo>() as libc::c_int;
    // SAFETY: the buffer is a proc_bsdinfo of the size given.
    let n = unsafe {
        libc::proc_pidinfo(
            pid,
            libc::PROC_PIDTBSDINFO,
            0,
            (&mut info as *mut libc::proc_bsdinfo).cast(),
            size,
        )
    };
    (n == size).then_some(info.pbi_status == libc::SZOMB)
}

/// The argv of `pid` (`KERN_PROCARGS2`): its own user's processes, or
/// every process as root; `None` when it cannot be read.
#[cfg(target_os = "macos")]
fn procargs(pid: i32) -> Option<Vec<String>> {
    procargs2(pid).and_then(|b| parse_procargs2(&b))
}

/// The `KERN_PROCARGS2` buffer of `pid`, as many bytes as the kernel wrote.
#[cfg(target_os = "macos")]
fn procargs2(pid: i32) -> Option<Vec<u8>> {
    let mut mib = [libc::CTL_KERN, libc::KERN_ARGMAX];
    let mut argmax: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>();
    // SAFETY: reads one c_int.
    let rc = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            2,
            (&mut argmax as *mut libc::c_int).cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 || argmax <= 0 {
        return None;
    }
    let mut buf = vec![0u8; argmax as usize];
    let mut len = buf.len();
    let mut mib = [libc::CTL_KERN, libc::KERN_PROCARGS2, pid];
    // SAFETY: the kernel writes at most `len` bytes.
    let rc = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            3,
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return None;
    }
    buf.truncate(len);
    Some(buf)
}

#[cfg(target_os = "macos")]
pub fn state(pid: u64) -> ProcState {
    use super::proc_unix::{probe, state_of, Probe};
    let p = probe(pid);
    if p != Probe::Exists {
        return state_of(pid, p);
    }
    let Ok(p) = i32::try_from(pid) else {
        return ProcState::Dead;
    };
    if is_zombie(p) == Some(true) {
        return ProcState::Zombie;
    }
    ProcState::Alive {
        starttime: None,
        argv: procargs(p).and_then(|a| ps_command_argv(&a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `KERN_PROCARGS2` buffer as macOS returns it for
    /// `node /opt/homebrew/lib/node_modules/openclaw/openclaw.mjs gateway run`.
    fn recorded() -> Vec<u8> {
        let mut b = 4i32.to_ne_bytes().to_vec();
        b.extend_from_slice(b"/opt/homebrew/bin/node\0\0\0\0");
        for a in [
            "node",
            "/opt/homebrew/lib/node_modules/openclaw/openclaw.mjs",
            "gateway",
            "run",
        ] {
            b.extend_from_slice(a.as_bytes());
            b.push(0);
        }
        b.extend_from_slice(b"HOME=/Users/ana\0TMPDIR=/var/folders/x/y/T/\0");
        b
    }

    #[test]
    fn procargs2_is_parsed_and_split_as_ps_does() {
        let argv = parse_procargs2(&recorded()).unwrap();
        assert_eq!(argv.len(), 4);
        assert_eq!(argv[2], "gateway");
        assert!(crate::rules::is_gateway_argv(&argv));
        // An argument with a space is split, as `ps -o command=` output is.
        let spaced = vec![
            "/Applications/Open Claw/openclaw".to_string(),
            "gateway".into(),
        ];
        assert_eq!(
            ps_command_argv(&spaced).unwrap(),
            ["/Applications/Open", "Claw/openclaw", "gateway"]
        );
        assert_eq!(ps_command_argv(&[]), None);
        assert_eq!(ps_command_argv(&[" ".into()]), None);
    }

    #[test]
    fn short_or_truncated_buffers_are_unreadable() {
        assert_eq!(parse_procargs2(&[]), None);
        assert_eq!(parse_procargs2(&[1, 0]), None);
        let r = recorded();
        // argc says 4; only the exec path is there.
        assert_eq!(parse_procargs2(&r[..30]), None);
        let mut neg = (-1i32).to_ne_bytes().to_vec();
        neg.extend_from_slice(b"/x\0a\0");
        assert_eq!(parse_procargs2(&neg), None);
    }

    #[test]
    fn darwin_lock_bases_put_the_launchd_dir_first() {
        let v = lock_bases_from(
            Some("/var/folders/ab/cd/T/".into()),
            &[
                PathBuf::from("/var/folders/ab/cd/T"),
                PathBuf::from("/var/folders/ef/gh/T"),
            ],
        );
        assert_eq!(
            v,
            [
                (PathBuf::from("/var/folders/ab/cd/T"), true),
                (PathBuf::from("/tmp"), true),
                (PathBuf::from("/var/folders/ef/gh/T"), false),
            ]
        );
        assert_eq!(lock_bases_from(None, &[]), [(PathBuf::from("/tmp"), true)]);
    }
}
