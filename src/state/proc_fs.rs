//! Reading a proc filesystem (Linux `/proc`, or a fake table in tests): a
//! process's state from `stat`/`status`/`cmdline`, the pids of the table,
//! the holders of a file (`fd`), the gateway processes, a process's temp
//! dir (`environ`, through its `root`), and whether a `hidepid` mount hides
//! other users' processes. `ProcFs` in `process` answers through these.

use crate::rules::ProcState;
use std::path::{Path, PathBuf};

/// The pids of a proc filesystem with their dirs (without this process
/// when it is sessfix's own: `own`).
pub(super) fn procfs_pids(root: &Path, own: bool) -> Result<Vec<(u64, PathBuf)>, String> {
    let me = std::process::id() as u64;
    let rd = std::fs::read_dir(root).map_err(|e| format!("{}: {e}", root.display()))?;
    Ok(rd
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<u64>().ok()?;
            (!(own && pid == me)).then(|| (pid, e.path()))
        })
        .collect())
}

/// `<root>/<pid>/fd/*` of every process of a proc filesystem. A process whose
/// `fd` cannot be read (another user's, without root) counts only when its
/// command line names OpenClaw: then the answer is unknown.
pub(super) fn procfs_holders(
    root: &Path,
    own: bool,
    wanted: &dyn Fn(&Path) -> bool,
) -> Result<Vec<(u64, PathBuf)>, String> {
    let mut out = Vec::new();
    for (pid, dir) in procfs_pids(root, own)? {
        let fd_dir = dir.join("fd");
        let fds = match std::fs::read_dir(&fd_dir) {
            Ok(fds) => fds,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => {
                let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline)
                    .to_lowercase()
                    .contains("openclaw")
                {
                    return Err(format!(
                        "{}: {err}: pid {pid} runs OpenClaw and its open files cannot be read (run as its user or root)",
                        fd_dir.display()
                    ));
                }
                continue;
            }
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                if wanted(&target) {
                    out.push((pid, target));
                }
            }
        }
    }
    out.sort();
    out.dedup_by_key(|(pid, _)| *pid);
    Ok(out)
}

/// Every process of a proc filesystem whose `cmdline` is a gateway's, with
/// the real uid of its `status`. A process that has gone meanwhile is
/// skipped; a `cmdline` that cannot be read otherwise is an `Err`.
///
/// In sessfix's own proc filesystem (`own`), a process of another user
/// namespace (its `uid_map` differs from sessfix's: `unshare --user`, a
/// container sharing this pid namespace) has no uid: `status` gives its uid
/// as mapped here, not the `process.getuid()` it names its lock dir after.
pub(super) fn procfs_gateways(root: &Path, own: bool) -> Result<Vec<(u64, Option<u32>)>, String> {
    let mut out = Vec::new();
    let own_map = own.then(|| std::fs::read(root.join("self/uid_map")).ok());
    for (pid, dir) in procfs_pids(root, own)? {
        let cmdline = match std::fs::read(dir.join("cmdline")) {
            Ok(c) => c,
            // Gone since the listing (ESRCH: exited while being read).
            Err(err)
                if err.kind() == std::io::ErrorKind::NotFound || err.raw_os_error() == Some(3) =>
            {
                continue
            }
            Err(err) => {
                return Err(format!(
                    "{}: {err}: the command line of pid {pid} cannot be read",
                    dir.join("cmdline").display()
                ))
            }
        };
        let argv: Vec<String> = String::from_utf8_lossy(&cmdline)
            .split('\0')
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        if crate::rules::is_gateway_argv(&argv) {
            let same_userns = own_map
                .as_ref()
                .is_none_or(|m| m.is_some() && std::fs::read(dir.join("uid_map")).ok() == *m);
            let uid = std::fs::read_to_string(dir.join("status"))
                .ok()
                .and_then(|s| real_uid(&s))
                .filter(|_| same_userns);
            out.push((pid, uid));
        }
    }
    out.sort();
    Ok(out)
}

/// `Processes::tmp_dir_of` for the process whose proc dir is `dir`: its
/// `environ` read as `os.tmpdir()` reads it, the result under its `root`
/// (a relative one under its `cwd`). A missing `environ` or `root` is a
/// process that has gone: `Ok(None)`.
pub(super) fn procfs_tmp_dir(dir: &Path) -> Result<Option<PathBuf>, (PathBuf, String)> {
    let gone = |e: &std::io::Error| {
        e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(3)
    };
    let environ_path = dir.join("environ");
    let environ = match std::fs::read(&environ_path) {
        Ok(e) => e,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err((environ_path, e.to_string())),
    };
    let tmp = tmp_dir_from_environ(&environ);
    let root = dir.join(if Path::new(&tmp).is_absolute() {
        "root"
    } else {
        "cwd"
    });
    // The root is a link only the process's user (or root) may follow.
    match std::fs::metadata(&root) {
        Ok(_) => {}
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err((root, e.to_string())),
    }
    Ok(Some(root.join(tmp.trim_start_matches('/'))))
}

/// Node's `os.tmpdir()` on POSIX from a `/proc/<pid>/environ` (NUL-separated
/// `KEY=value`): `TMPDIR`, `TMP`, `TEMP` (empty ones skipped, as Node's
/// `os.tmpdir()` does), else `/tmp`; one trailing `/` dropped.
pub fn tmp_dir_from_environ(environ: &[u8]) -> String {
    let text = String::from_utf8_lossy(environ);
    let get = |k: &str| {
        text.split('\0')
            .filter_map(|kv| kv.split_once('='))
            .find(|(key, v)| *key == k && !v.is_empty())
            .map(|(_, v)| v.to_string())
    };
    super::discover::Env {
        tmpdir: get("TMPDIR"),
        tmp: get("TMP"),
        temp: get("TEMP"),
        ..Default::default()
    }
    .posix_tmp_dir()
}

/// The real uid on the `Uid:` line of a `/proc/<pid>/status`.
fn real_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|u| u.parse().ok())
}

/// Why the proc filesystem mounted at `root` does not show every process
/// to this user, from its `mountinfo` line (the last one for that mount
/// point): `hidepid=1|2|4` (or `noaccess`, `invisible`, `ptraceable`)
/// hides other users' processes unless the caller is in the mount's `gid=`
/// group (`groups`: the caller's gids). `None`: nothing hidden.
pub fn hidden_by_mount(mountinfo: &str, root: &Path, groups: &[u32]) -> Option<String> {
    let (mount, fs) = mountinfo.lines().rev().find_map(|l| {
        let (mount, fs) = l.split_once(" - ")?;
        let point = mount.split_whitespace().nth(4)?;
        (Path::new(point) == root).then_some((mount, fs))
    })?;
    // Per-mount options (field 6), then the superblock's (after " - ":
    // type, source, options).
    let options: Vec<&str> = [
        mount.split_whitespace().nth(5),
        fs.split_whitespace().nth(2),
    ]
    .into_iter()
    .flatten()
    .flat_map(|o| o.split(','))
    .collect();
    let value = |k: &str| {
        options
            .iter()
            .rev()
            .find_map(|o| o.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
    };
    let hidepid = value("hidepid")?;
    if matches!(hidepid, "0" | "off") {
        return None;
    }
    if value("gid")
        .and_then(|g| g.parse::<u32>().ok())
        .is_some_and(|g| groups.contains(&g))
    {
        return None;
    }
    Some(format!(
        "{} is mounted with hidepid={hidepid}: other users' processes are hidden from this user",
        root.display()
    ))
}

/// `<root>/<pid>/{stat,status,cmdline}`; a pid that is not there is dead,
/// one that cannot be read is unknown.
pub(super) fn read_procfs(root: &Path, pid: u64) -> ProcState {
    let dir = root.join(pid.to_string());
    let stat = match std::fs::read_to_string(dir.join("stat")) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return ProcState::Dead,
        Err(e) => {
            return ProcState::Unknown {
                why: format!("{}: {e}", dir.join("stat").display()),
            }
        }
    };
    let status = std::fs::read_to_string(dir.join("status")).ok();
    let cmdline = std::fs::read(dir.join("cmdline")).ok();
    parse_procfs(&stat, status.as_deref(), cmdline.as_deref())
}

/// The facts of one `/proc/<pid>` (recorded files in, `ProcState` out).
pub fn parse_procfs(stat: &str, status: Option<&str>, cmdline: Option<&[u8]>) -> ProcState {
    // The state letter follows the command name's closing parenthesis.
    let after = stat.rfind(')').map(|i| &stat[i + 1..]).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let zombie_stat = fields.first() == Some(&"Z");
    let zombie_status = status
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("State:").map(|r| r.trim().starts_with('Z')))
        })
        .unwrap_or(false);
    if zombie_stat || zombie_status {
        return ProcState::Zombie;
    }
    // Field 22 overall is index 19 after the command name.
    let starttime = fields.get(19).and_then(|s| s.parse::<u64>().ok());
    let argv = cmdline.map(|raw| {
        String::from_utf8_lossy(raw)
            .split('\0')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect()
    });
    ProcState::Alive { starttime, argv }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidepid_mounts_hide_other_users_processes_unless_in_the_gid() {
        let line = |opts: &str| {
            format!(
                "22 28 0:5 / /sys rw - sysfs sysfs rw\n25 28 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc {opts}\n"
            )
        };
        let root = Path::new("/proc");
        assert_eq!(hidden_by_mount(&line("rw"), root, &[]), None);
        assert_eq!(hidden_by_mount(&line("rw,hidepid=0"), root, &[]), None);
        assert_eq!(hidden_by_mount(&line("rw,hidepid=off"), root, &[]), None);
        for h in ["1", "2", "invisible", "noaccess", "ptraceable"] {
            let why = hidden_by_mount(&line(&format!("rw,hidepid={h}")), root, &[100]);
            assert!(
                why.is_some_and(|w| w.contains(&format!("hidepid={h}"))),
                "{h}"
            );
        }
        // The mount's gid= group sees every process.
        assert_eq!(
            hidden_by_mount(&line("rw,hidepid=2,gid=100"), root, &[5, 100]),
            None
        );
        assert!(hidden_by_mount(&line("rw,hidepid=2,gid=100"), root, &[5]).is_some());
        // Only the mount at the root asked about, the last one there.
        assert_eq!(
            hidden_by_mount(&line("rw,hidepid=2"), Path::new("/x"), &[]),
            None
        );
        let over = format!(
            "{}30 25 0:40 / /proc rw - proc proc rw\n",
            line("rw,hidepid=2")
        );
        assert_eq!(hidden_by_mount(&over, root, &[]), None);
    }
}
