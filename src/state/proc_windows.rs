//! Windows process facts, through process handles (`windows-sys`).
//!
//! What the gateway reads on win32 (2026.5.12): `isPidAlive` is
//! `process.kill(pid, 0)`, which libuv answers with `OpenProcess` and
//! `GetExitCodeProcess == STILL_ACTIVE`; no start time (Linux only); the
//! command line is `Win32_Process.CommandLine` (PowerShell, else `wmic`),
//! split by `parseCmdScriptCommandLine` (`restart-stale-pids-EQd_aMqt.js`,
//! `cmd-argv-DexenlHS.js`, `arg-split-BIyUChOU.js`).
//!
//! Can: alive/dead (`OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION)`: an
//! invalid pid is dead, access denied is alive), the command line of a
//! process that handle may query (`NtQueryInformationProcess`,
//! `ProcessCommandLineInformation`, Windows 8.1+). Cannot: zombies (no such
//! state), the command line of a protected process (argv `None`: kept). The
//! start time (`GetProcessTimes`) is readable but no rule compares it.
//!
//! The parsing and the decisions are plain functions, unit-tested on every
//! OS; the handle calls run under Wine in CI (`.ci/wine.sh`), where the
//! command line of another process and the Restart Manager's names cannot
//! be had (Wine answers neither): those are not verified (README,
//! "Platforms").

#[cfg(windows)]
use crate::rules::ProcState;
use std::path::PathBuf;

/// The places a Windows gateway's `os.tmpdir()` may be besides sessfix's
/// own (`discover::lock_bases`), each best effort (`false`: looked at
/// where it can be read; a user who is not an administrator cannot list
/// another user's): `<system_root>\Temp` (`TEMP` of a service or task run
/// as SYSTEM, and Node's fallback without `TEMP`/`TMP`),
/// `<system_root>\SystemTemp` (SYSTEM's on Windows 11 24H2 and later), and
/// each of `profiles` (the dirs under `C:\Users`) `AppData\Local\Temp`.
pub fn lock_bases_from(system_root: Option<&str>, profiles: &[PathBuf]) -> Vec<(PathBuf, bool)> {
    let mut v: Vec<(PathBuf, bool)> = Vec::new();
    if let Some(r) = system_root
        .map(|r| r.trim_end_matches(['\\', '/']))
        .filter(|r| !r.is_empty())
    {
        v.push((PathBuf::from(format!("{r}\\Temp")), false));
        v.push((PathBuf::from(format!("{r}\\SystemTemp")), false));
    }
    for p in profiles {
        v.push((p.join("AppData").join("Local").join("Temp"), false));
    }
    v
}

/// This host's `lock_bases_from`: `%SystemRoot%` (else `%windir%`), and the
/// profiles in the folder holding `%USERPROFILE%` (else `%SystemDrive%\Users`).
#[cfg(windows)]
pub fn lock_bases() -> Vec<(PathBuf, bool)> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let root = var("SystemRoot").or_else(|| var("windir"));
    let users = var("USERPROFILE")
        .and_then(|p| std::path::Path::new(&p).parent().map(|d| d.to_path_buf()))
        .or_else(|| var("SystemDrive").map(|d| PathBuf::from(format!("{d}\\Users"))));
    let mut profiles: Vec<PathBuf> = users
        .and_then(|u| std::fs::read_dir(u).ok())
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    profiles.sort();
    lock_bases_from(root.as_deref(), &profiles)
}

/// `parseCmdScriptCommandLine`: split on unquoted whitespace, `"` toggles
/// quoting and is dropped, `\"` is a literal quote; then `%%` is `%` and
/// `^!` is `!` (`unescapeCmdScriptArg`).
pub fn split_command_line(value: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'"') {
            cur.push('"');
            chars.next();
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && c.is_whitespace() {
            if !cur.is_empty() {
                args.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        args.push(cur);
    }
    args.into_iter()
        .map(|a| a.replace("%%", "%").replace("^!", "!"))
        .collect()
}

/// The gateway's reading of a command line: empty is unreadable (`null`).
pub fn command_argv(command: &str) -> Option<Vec<String>> {
    let c = command.trim();
    (!c.is_empty()).then(|| split_command_line(c))
}

/// The decision on `OpenProcess`'s outcome: `Ok(exit_code)` when a handle
/// was opened, `Err(last_error)` when not.
pub fn liveness_from(open: Result<u32, u32>) -> Result<bool, String> {
    const STILL_ACTIVE: u32 = 259;
    const ERROR_ACCESS_DENIED: u32 = 5;
    const ERROR_INVALID_PARAMETER: u32 = 87;
    match open {
        Ok(code) => Ok(code == STILL_ACTIVE),
        Err(ERROR_INVALID_PARAMETER) => Ok(false),
        Err(ERROR_ACCESS_DENIED) => Ok(true),
        Err(e) => Err(format!("OpenProcess failed with error {e}")),
    }
}

#[cfg(windows)]
pub fn state(pid: u64) -> ProcState {
    use windows_sys::Win32::Foundation::{CloseHandle, GetLastError};
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    let Ok(p) = u32::try_from(pid) else {
        return ProcState::Dead;
    };
    // SAFETY: plain Win32 calls on a handle this function owns and closes.
    unsafe {
        let h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, p);
        let open = if h.is_null() {
            Err(GetLastError())
        } else {
            let mut code = 0u32;
            if GetExitCodeProcess(h, &mut code) == 0 {
                let e = GetLastError();
                CloseHandle(h);
                return ProcState::Unknown {
                    why: format!("pid {pid}: GetExitCodeProcess failed with error {e}"),
                };
            }
            Ok(code)
        };
        let argv = (!h.is_null()).then(|| command_line(h)).flatten();
        if !h.is_null() {
            CloseHandle(h);
        }
        match liveness_from(open) {
            Ok(true) => ProcState::Alive {
                starttime: None,
                argv: argv.and_then(|c| command_argv(&c)),
            },
            Ok(false) => ProcState::Dead,
            Err(why) => ProcState::Unknown {
                why: format!("pid {pid}: {why}"),
            },
        }
    }
}

#[cfg(windows)]
unsafe fn command_line(h: windows_sys::Win32::Foundation::HANDLE) -> Option<String> {
    use windows_sys::Wdk::System::Threading::{
        NtQueryInformationProcess, ProcessCommandLineInformation,
    };
    use windows_sys::Win32::Foundation::UNICODE_STRING;
    let mut len = 0u32;
    NtQueryInformationProcess(
        h,
        ProcessCommandLineInformation,
        std::ptr::null_mut(),
        0,
        &mut len,
    );
    if len == 0 {
        return None;
    }
    // u64 words keep the UNICODE_STRING header aligned.
    let mut buf = vec![0u64; (len as usize).div_ceil(8)];
    let status = NtQueryInformationProcess(
        h,
        ProcessCommandLineInformation,
        buf.as_mut_ptr().cast(),
        len,
        &mut len,
    );
    if status < 0 {
        return None;
    }
    let us = &*(buf.as_ptr() as *const UNICODE_STRING);
    if us.Buffer.is_null() {
        return None;
    }
    let s = std::slice::from_raw_parts(us.Buffer, us.Length as usize / 2);
    Some(String::from_utf16_lossy(s))
}

/// What the Restart Manager and a sharing probe said about one file, and
/// what follows: the pids using it (`Ok`), or why that is unknown.
///
/// `rm`: the pids `RmGetList` named (this process left out), or its error.
/// `in_use`: whether the file could not be opened with no sharing at all
/// (`ERROR_SHARING_VIOLATION`: some handle is open on it), or the error.
/// The probe is the check on the Restart Manager: a file some handle holds
/// open, of which it names no process (Wine's `rstrtmgr` is a stub that
/// names none; a process it may not see) is unknown, never free.
pub fn holders_from(
    file: &std::path::Path,
    rm: Result<Vec<u32>, String>,
    in_use: Result<bool, String>,
) -> Result<Vec<u32>, String> {
    match (rm, in_use) {
        (Ok(pids), _) if !pids.is_empty() => Ok(pids),
        (_, Ok(false)) => Ok(Vec::new()),
        (Ok(_), Ok(true)) => Err(format!(
            "{} is open in another process, and the Restart Manager names none",
            file.display()
        )),
        (Err(rm), Ok(true)) => Err(format!(
            "{} is open in another process, and the Restart Manager cannot name it ({rm})",
            file.display()
        )),
        (Ok(_), Err(probe)) | (Err(_), Err(probe)) => Err(format!(
            "{}: whether another process has it open cannot be established ({probe})",
            file.display()
        )),
    }
}

/// The processes (not this one) using any of `files`, by the Restart
/// Manager (`RmStartSession`, `RmRegisterResources`, `RmGetList`), each
/// checked by opening the file with no sharing (`holders_from`). A file
/// gone meanwhile has no holder.
#[cfg(windows)]
pub fn holders(files: &[std::path::PathBuf]) -> Result<Vec<(u64, std::path::PathBuf)>, String> {
    let own = std::process::id();
    let mut out = Vec::new();
    for f in files {
        let rm = rm_users(f).map(|mut p| {
            p.retain(|&pid| pid != own);
            p
        });
        for pid in holders_from(f, rm, in_use(f))? {
            out.push((u64::from(pid), f.clone()));
        }
    }
    out.sort();
    out.dedup_by_key(|(pid, _)| *pid);
    Ok(out)
}

/// Whether some handle is open on `file`: it cannot be opened for reading
/// with no sharing (`ERROR_SHARING_VIOLATION`, 32).
#[cfg(windows)]
fn in_use(file: &std::path::Path) -> Result<bool, String> {
    use std::os::windows::fs::OpenOptionsExt;
    crate::fsx::os::held_open(file, std::fs::OpenOptions::new().read(true).share_mode(0))
        .map_err(|e| e.to_string())
}

/// The pids the Restart Manager names as using `file`.
#[cfg(windows)]
fn rm_users(file: &std::path::Path) -> Result<Vec<u32>, String> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Foundation::{ERROR_MORE_DATA, ERROR_SUCCESS};
    use windows_sys::Win32::System::RestartManager::{
        RmEndSession, RmGetList, RmRegisterResources, RmStartSession, CCH_RM_SESSION_KEY,
        RM_PROCESS_INFO,
    };
    let wide: Vec<u16> = file.as_os_str().encode_wide().chain([0]).collect();
    let mut session = 0u32;
    let mut key = [0u16; CCH_RM_SESSION_KEY as usize + 1];
    // SAFETY: plain Win32 calls; every buffer outlives the call given it,
    // and the session is ended before returning.
    unsafe {
        let rc = RmStartSession(&mut session, 0, key.as_mut_ptr());
        if rc != ERROR_SUCCESS {
            return Err(format!("RmStartSession failed with error {rc}"));
        }
        let names = [wide.as_ptr()];
        let rc = RmRegisterResources(
            session,
            1,
            names.as_ptr(),
            0,
            std::ptr::null(),
            0,
            std::ptr::null(),
        );
        let result = if rc != ERROR_SUCCESS {
            Err(format!("RmRegisterResources failed with error {rc}"))
        } else {
            let mut infos: Vec<RM_PROCESS_INFO> = Vec::new();
            loop {
                let mut needed = 0u32;
                let mut n = infos.len() as u32;
                let mut reasons = 0u32;
                let rc = RmGetList(
                    session,
                    &mut needed,
                    &mut n,
                    infos.as_mut_ptr(),
                    &mut reasons,
                );
                if rc == ERROR_SUCCESS {
                    break Ok(infos[..n as usize]
                        .iter()
                        .map(|i| i.Process.dwProcessId)
                        .collect());
                }
                if rc != ERROR_MORE_DATA || infos.len() > 4096 {
                    break Err(format!("RmGetList failed with error {rc}"));
                }
                infos = vec![std::mem::zeroed(); needed as usize + 4];
            }
        };
        RmEndSession(session);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_as_the_gateway_splits_them() {
        let c = r#""C:\Program Files\nodejs\node.exe" "C:\Users\ana\AppData\Roaming\npm\node_modules\openclaw\openclaw.mjs" gateway run --port 18789"#;
        let argv = command_argv(c).unwrap();
        assert_eq!(argv[0], r"C:\Program Files\nodejs\node.exe");
        assert_eq!(argv.len(), 6);
        assert!(crate::rules::is_gateway_argv(&argv));
        assert!(crate::rules::is_openclaw_session_owner_argv(&argv));
        assert_eq!(
            split_command_line(r#"a \"b\" "c d"  100%% x^!"#),
            ["a", "\"b\"", "c d", "100%", "x!"]
        );
        assert_eq!(command_argv("  "), None);
        let gw = command_argv(r"C:\Users\ana\AppData\Roaming\npm\openclaw.cmd gateway").unwrap();
        assert!(crate::rules::is_gateway_argv(&gw));
    }

    #[test]
    fn a_file_in_use_that_the_restart_manager_cannot_name_is_unknown() {
        let f = std::path::Path::new(r"C:\s\state\openclaw.sqlite");
        // Named holders are the answer, whatever the probe says.
        assert_eq!(holders_from(f, Ok(vec![42]), Ok(true)), Ok(vec![42]));
        assert_eq!(holders_from(f, Ok(vec![42]), Err("x".into())), Ok(vec![42]));
        // No handle open at all: nobody holds it, even if the Restart
        // Manager cannot be asked.
        assert_eq!(holders_from(f, Ok(vec![]), Ok(false)), Ok(vec![]));
        assert_eq!(holders_from(f, Err("e".into()), Ok(false)), Ok(vec![]));
        // Open, but no process named (Wine's stub, an unseen process).
        let e = holders_from(f, Ok(vec![]), Ok(true)).unwrap_err();
        assert!(
            e.contains("open in another process") && e.contains("openclaw.sqlite"),
            "{e}"
        );
        assert!(
            holders_from(f, Err("RmStartSession failed".into()), Ok(true))
                .unwrap_err()
                .contains("RmStartSession failed")
        );
        // The probe failed for another reason and nothing named: unknown.
        assert!(holders_from(f, Ok(vec![]), Err("access denied".into()))
            .unwrap_err()
            .contains("cannot be established"));
    }

    #[test]
    fn a_service_gateways_temp_dirs_are_looked_at_too() {
        let v = lock_bases_from(
            Some(r"C:\Windows\"),
            &[
                PathBuf::from(r"C:\Users\ana"),
                PathBuf::from(r"C:\Users\svc"),
            ],
        );
        let got: Vec<String> = v
            .iter()
            .map(|(p, _)| p.to_string_lossy().replace('/', "\\"))
            .collect();
        assert_eq!(
            got,
            [
                r"C:\Windows\Temp",
                r"C:\Windows\SystemTemp",
                r"C:\Users\ana\AppData\Local\Temp",
                r"C:\Users\svc\AppData\Local\Temp",
            ]
        );
        assert!(
            v.iter().all(|(_, required)| !required),
            "best effort: {v:?}"
        );
        assert!(lock_bases_from(None, &[]).is_empty());
    }

    #[test]
    fn handle_outcomes_map_to_alive_dead_or_unknown() {
        assert_eq!(liveness_from(Ok(259)), Ok(true));
        assert_eq!(liveness_from(Ok(0)), Ok(false));
        assert_eq!(liveness_from(Err(87)), Ok(false));
        assert_eq!(liveness_from(Err(5)), Ok(true));
        assert!(liveness_from(Err(6)).is_err());
    }
}
