//! The gateway singleton lock: the lock files the gateway would write for
//! this state dir, which users' lock dirs to look in, and whether a live
//! gateway holds one. Re-exported from [`super::discover`].

use super::discover::config_path_candidates;
use super::{GatewayFacts, ReadOptions};
use crate::fsx;
use crate::state::process::{GatewayTable, Processes};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The lock file names the gateway would use for this state dir: for every
/// config path it may hash (as given and as resolved),
/// `gateway.<sha256(configPath)[..8]>.lock`, with the path it was hashed from.
fn lock_names(opts: &ReadOptions) -> Vec<(String, PathBuf)> {
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for cfg in config_path_candidates(&opts.state_dir, opts.config_path.as_deref()) {
        // The gateway hashes the absolute path it resolved; a config that
        // does not exist (yet) has no realpath, so its absolute form and the
        // one under the state dir's realpath count too.
        let mut forms = vec![cfg.clone(), fsx::realpath_or_self(&cfg)];
        if let Ok(abs) = std::path::absolute(&cfg) {
            forms.push(abs);
        }
        if let (Some(parent), Some(name)) = (cfg.parent(), cfg.file_name()) {
            forms.push(fsx::realpath_or_self(parent).join(name));
        }
        for p in forms {
            let h = Sha256::digest(p.to_string_lossy().as_bytes());
            let hex: String = h.iter().take(4).map(|b| format!("{b:02x}")).collect();
            let name = format!("gateway.{hex}.lock");
            if !names.iter().any(|(n, _)| *n == name) {
                names.push((name, p));
            }
        }
    }
    names
}

/// Where a gateway for this state dir may keep its singleton lock, as
/// `resolveGatewayLockDir` finds it on each release and OS: the base dirs,
/// each holding `openclaw-<uid>` (`openclaw` where the OS has no uid:
/// Windows). `true`: a place that must be readable for the gateway's
/// liveness to be known.
///
/// - File era (2026.5.12 `paths-Cnwfh6dH.js`): `os.tmpdir()`, which is the
///   gateway's environment's, not sessfix's. On macOS a launchd gateway gets
///   the per-user `confstr(_CS_DARWIN_USER_TEMP_DIR)` dir as `$TMPDIR`, and
///   one started without `TMPDIR` uses `/tmp`; a cron or sudo shell has
///   neither, so on macOS all three are checked (and, best effort, every
///   user's `/var/folders/*/*/T`, which only root can read). On Windows a
///   gateway run as a service or a scheduled task has another `TEMP` than
///   the operator's console: `%SystemRoot%\Temp`, `%SystemRoot%\SystemTemp`
///   and every user's `AppData\Local\Temp` are looked at too, where they
///   can be read (an administrator can read them all).
/// - SQLite era (2026.8.2, 2026.9.6): `<stateDir>/tmp`, where the gateway
///   also keeps `gateway.state.lock` (same payload) beside the hashed one.
pub fn lock_bases(opts: &ReadOptions) -> Vec<(PathBuf, bool)> {
    let mut v: Vec<(PathBuf, bool)> = vec![
        (opts.tmp_dir.clone(), true),
        (opts.state_dir.join("tmp"), true),
    ];
    for (p, required) in os_lock_bases() {
        if !v.iter().any(|(q, _)| *q == p) {
            v.push((p, required));
        }
    }
    v
}

/// The lock bases only this OS has (`proc_macos::lock_bases` on macOS,
/// `proc_windows::lock_bases` on Windows).
fn os_lock_bases() -> Vec<(PathBuf, bool)> {
    #[cfg(target_os = "macos")]
    return super::proc_macos::lock_bases();
    #[cfg(windows)]
    return super::proc_windows::lock_bases();
    #[cfg(not(any(target_os = "macos", windows)))]
    return Vec::new();
}

/// The first JSON value of a lock file: the SQLite-era gateway writes its
/// payload followed by a whitespace ownership token.
fn lock_json(bytes: &[u8]) -> serde_json::Value {
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<serde_json::Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// The uid a gateway's lock dir belongs to, from its name, as
/// `resolveGatewayLockDir` makes it (2026.5.12 `paths-Cnwfh6dH.js`; the
/// SQLite era's `<stateDir>/tmp` form too): `openclaw-<uid>` where Node has
/// `process.getuid()` (POSIX: the gateway's real uid), `openclaw` where it
/// has not (Windows). `Some(None)`: the Windows name. `None`: not a lock
/// dir; on POSIX that includes the other dirs OpenClaw makes under the temp
/// dir (`openclaw/`, its log dir; `openclaw-state-locks-<uid>/`).
pub fn lock_dir_uid(name: &str, windows: bool) -> Option<Option<u32>> {
    if windows {
        return name.eq_ignore_ascii_case("openclaw").then_some(None);
    }
    let digits = name.strip_prefix("openclaw-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

/// `resolveGatewayLockDir`'s dir name for `uid` (`None`: Windows).
pub fn lock_dir_name(uid: Option<u32>) -> String {
    match uid {
        Some(u) => format!("openclaw-{u}"),
        None => "openclaw".into(),
    }
}

/// Whose gateway may be running on this state dir: the users whose lock
/// dir (`openclaw-<uid>`) must be read before the gateway is called not
/// running. A lock dir of anyone else that cannot be read is not evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayUsers {
    /// These uids only.
    Only(std::collections::BTreeSet<u32>),
    /// Anyone: a dir the gateway writes in is writable by its group or by
    /// everyone (the path), or the OS has no uids (Windows, `None`).
    Anyone(Option<PathBuf>),
}

impl GatewayUsers {
    pub fn includes(&self, uid: Option<u32>) -> bool {
        match self {
            GatewayUsers::Only(set) => uid.is_some_and(|u| set.contains(&u)),
            GatewayUsers::Anyone(_) => true,
        }
    }
}

/// One path a gateway on this state dir writes, as `stat` shows it.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub uid: u32,
    /// Permission bits.
    pub mode: u32,
    pub is_dir: bool,
}

/// Who may run a gateway on this state dir, from what the gateway writes
/// there (`written`) and who is asking (`callers`: sessfix's real and
/// effective uids).
///
/// A gateway must write this state dir: it replaces `sessions.json` by a
/// rename in its sessions dir, so the file is owned by the uid of the last
/// gateway that wrote it, and it creates the dirs and databases it uses.
/// So the uids are: the owners of those paths (the state dir, the config,
/// `agents/`, each agent's dir, sessions dir, index and database,
/// `state/openclaw.sqlite`, `tmp/`); the caller (a gateway started as this
/// user would use its own lock dir); and root, who can run a gateway on any
/// state dir, even one whose files it has not written yet. A dir among them
/// that its group or everyone may write lets any user run a gateway there:
/// then every user's lock dir counts.
pub fn gateway_users_from(callers: &[u32], written: &[Written]) -> GatewayUsers {
    if let Some(w) = written.iter().find(|w| w.is_dir && w.mode & 0o022 != 0) {
        return GatewayUsers::Anyone(Some(w.path.clone()));
    }
    let mut set: std::collections::BTreeSet<u32> = callers.iter().copied().collect();
    set.insert(0);
    set.extend(written.iter().map(|w| w.uid));
    GatewayUsers::Only(set)
}

/// `gateway_users_from` on this host: the paths are `stat`ed (symlinks
/// followed), missing ones skipped. Windows has no uids: anyone.
pub fn gateway_users(state_dir: &Path, configs: &[PathBuf]) -> GatewayUsers {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mut paths: Vec<PathBuf> = vec![
            state_dir.to_path_buf(),
            state_dir.join("agents"),
            state_dir.join("state"),
            state_dir.join("state").join("openclaw.sqlite"),
            state_dir.join("tmp"),
        ];
        paths.extend(configs.iter().cloned());
        if let Ok(rd) = std::fs::read_dir(state_dir.join("agents")) {
            for e in rd.flatten() {
                if !e.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                let a = e.path();
                paths.push(a.join("sessions").join("sessions.json"));
                paths.push(a.join("sessions"));
                paths.push(a.join("agent").join("openclaw-agent.sqlite"));
                paths.push(a.join("agent"));
                paths.push(a);
            }
        }
        let written: Vec<Written> = paths
            .into_iter()
            .filter_map(|p| {
                let m = std::fs::metadata(&p).ok()?;
                Some(Written {
                    uid: m.uid(),
                    mode: m.mode() & 0o7777,
                    is_dir: m.is_dir(),
                    path: p,
                })
            })
            .collect();
        // SAFETY: getuid and geteuid cannot fail.
        let callers = unsafe { [libc::getuid(), libc::geteuid()] };
        gateway_users_from(&callers, &written)
    }
    #[cfg(not(unix))]
    {
        let _ = (state_dir, configs);
        GatewayUsers::Anyone(None)
    }
}

/// Whether the config path a lock records (`configPath`) is one of `ours`
/// as a file, never by its spelling (case, drive letter, `/` or `\`,
/// `\\?\`, 8.3 short names, symlinks): the same file (`fsx::same_file`:
/// device and inode, or volume and file index); for a config that does not
/// exist, the same parent directory (as a file) and the same name
/// (case-insensitively on Windows and macOS, whose file systems are so by
/// default). A relative `recorded` names nothing here: the gateway records
/// the path it resolved.
pub fn same_config(recorded: &Path, ours: &[PathBuf]) -> bool {
    if !recorded.is_absolute() {
        return false;
    }
    let same_name = |a: &std::ffi::OsStr, b: &std::ffi::OsStr| {
        if cfg!(any(windows, target_os = "macos")) {
            a.to_string_lossy().to_lowercase() == b.to_string_lossy().to_lowercase()
        } else {
            a == b
        }
    };
    ours.iter().any(|c| match fsx::same_file(recorded, c) {
        Ok(same) => same,
        Err(_) => match (
            recorded.parent(),
            recorded.file_name(),
            c.parent(),
            c.file_name(),
        ) {
            (Some(rp), Some(rn), Some(cp), Some(cn)) => {
                same_name(rn, cn) && fsx::same_file(rp, cp).unwrap_or(false)
            }
            _ => false,
        },
    })
}

/// A place a live singleton lock of this state dir may be that cannot be
/// read: a lock base, a candidate user's lock dir, or a lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub path: PathBuf,
    /// Why it cannot be read.
    pub why: String,
    /// Who owns it (what to run sessfix as), when known.
    pub owner: Option<u32>,
    /// Under `<stateDir>/tmp`, which a gateway in another container (pid
    /// and user namespace) may share through a bind mount.
    pub in_state: bool,
    pub place: Place,
}

/// What a `Blocked` place is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A lock base (a temp dir): any user's lock dir may be in it.
    Base,
    /// The lock dir `openclaw-<uid>` (the uid of its name; `None`: Windows).
    LockDir(Option<u32>),
    /// A lock file in the lock dir of that uid.
    LockFile(Option<u32>),
    /// The temp dir of the gateway process `pid` (real uid `uid`): its
    /// `environ` or root cannot be read, so where it keeps its lock is
    /// unknown.
    Gateway { pid: u64, uid: Option<u32> },
}

impl Blocked {
    /// The only user whose gateway can hold a lock here, when the place
    /// says so and uids can be trusted: `openclaw-<uid>` is named after
    /// the gateway's real uid (`process.getuid()`), so only a gateway of
    /// that uid locks in it. Under `<stateDir>/tmp` the name may be another
    /// user namespace's uid (a container sharing the state dir over a bind
    /// mount: its uid 0 is not this host's), so any gateway counts there,
    /// as it does for a lock base.
    fn only_uid(&self) -> Option<u32> {
        if self.in_state {
            return None;
        }
        match self.place {
            Place::Base => None,
            Place::LockDir(u) | Place::LockFile(u) | Place::Gateway { uid: u, .. } => u,
        }
    }

    /// How to let sessfix (`me`: its uid) read this place.
    fn how(&self, me: Option<u32>) -> String {
        let who = match self.owner {
            Some(0) | None => "as root".to_string(),
            Some(u) => format!("as uid {u} (its owner) or as root"),
        };
        let p = self.path.display();
        let grant = match (me, self.place) {
            (_, Place::Gateway { .. }) => String::new(),
            (None, _) => ", or give this user read access to it".into(),
            (Some(u), Place::LockFile(_)) => format!(
                ", or give uid {u} read access to it (`setfacl -m u:{u}:r {p}`, or without setfacl `chmod o+r {p}`)"
            ),
            (Some(u), _) => format!(
                ", or give uid {u} read and search access to it (`setfacl -m u:{u}:rx {p}`, or without setfacl `chmod o+rx {p}`; `chmod o+x {p}` lets sessfix open this state dir's lock there by its name)"
            ),
        };
        format!("to let sessfix read it, run sessfix {who}{grant}")
    }
}

/// Places, each with a reason.
pub type Places = Vec<(PathBuf, String)>;

/// What the process table settles about the places that cannot be read:
/// `(unchecked, cleared)`, each place with the reason. A gateway holds its
/// lock only while it runs, so a place is cleared when the table was read
/// in full and no OpenClaw gateway process that could lock there is
/// running: for the lock dir `openclaw-<uid>` (or a file in it) under a
/// temp dir of this host, a gateway whose real uid is `<uid>` (or cannot be
/// read); for a lock base, or anything under `<stateDir>/tmp` (whose dir
/// names may be another user namespace's uids), a gateway of any user, and
/// under `<stateDir>/tmp` only when the table is the host's. Otherwise the
/// place stays unchecked, saying what blocked, the gateway processes that
/// keep it open, and how to let sessfix read it (`me`: sessfix's uid).
pub fn settle_blocked(
    blocked: &[Blocked],
    table: &Result<super::process::GatewayTable, String>,
    me: Option<u32>,
) -> (Places, Places) {
    let mut unchecked = Vec::new();
    let mut cleared = Vec::new();
    let listed = |gateways: &[&(u64, Option<u32>)]| {
        gateways
            .iter()
            .map(|(pid, uid)| match uid {
                Some(u) => format!("pid {pid} uid {u}"),
                None => format!("pid {pid}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    for b in blocked {
        let how = b.how(me);
        let t = match table {
            Ok(t) => t,
            Err(e) => {
                unchecked.push((
                    b.path.clone(),
                    format!(
                        "{}; and whether any OpenClaw gateway process runs cannot be established ({e}); {how}",
                        b.why
                    ),
                ));
                continue;
            }
        };
        let only = b.only_uid();
        let (relevant, others): (Vec<_>, Vec<_>) =
            t.gateways.iter().partition(|(_, uid)| match (only, uid) {
                (Some(o), Some(u)) => o == *u,
                _ => true,
            });
        if !relevant.is_empty() {
            unchecked.push((
                b.path.clone(),
                format!(
                    "{}; OpenClaw gateway processes are running on this host ({}), so a live lock there cannot be ruled out; {how}",
                    b.why,
                    listed(&relevant)
                ),
            ));
        } else if b.in_state && !t.host_wide {
            unchecked.push((
                b.path.clone(),
                format!(
                    "{}; no OpenClaw gateway process runs in this pid namespace, but a gateway in another container may share this state dir's tmp/; {how}, or where that gateway runs",
                    b.why
                ),
            ));
        } else if others.is_empty() {
            cleared.push((
                b.path.clone(),
                format!(
                    "{}; no OpenClaw gateway process of any user is running on this host (its process table was read in full), so no live lock is there",
                    b.why
                ),
            ));
        } else {
            let u = only.unwrap_or_default();
            cleared.push((
                b.path.clone(),
                format!(
                    "{}; no OpenClaw gateway process of uid {u} is running on this host (its process table was read in full; {} of other users lock only in their own openclaw-<uid>), so no live lock is there",
                    b.why,
                    listed(&others)
                ),
            ));
        }
    }
    (unchecked, cleared)
}

/// The owner of `p` (not following a final symlink), where the OS has uids.
fn owner_of(p: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(p).ok().map(|m| m.uid())
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        None
    }
}

/// Whether `name` is a lock dir in a base (`lock_dir_uid` for this OS),
/// with its uid. Under `<stateDir>/tmp` (`in_state`) on Windows a POSIX
/// gateway's `openclaw-<uid>` counts too: a Linux container's or WSL's
/// gateway sharing the state folder keeps its lock there.
fn lock_dir_in(name: &str, in_state: bool) -> Option<Option<u32>> {
    lock_dir_uid(name, cfg!(windows)).or_else(|| {
        (cfg!(windows) && in_state)
            .then(|| lock_dir_uid(name, false))
            .flatten()
    })
}

/// The lock dirs under `base` (`lock_dir_in`), each with its uid. A base
/// that cannot be listed but can be searched still shows the lock dirs of
/// the `users` named (a base that cannot be searched then shows them as
/// unreadable).
fn lock_dirs(
    base: &Path,
    in_state: bool,
    users: &GatewayUsers,
) -> std::io::Result<Vec<(PathBuf, Option<u32>)>> {
    match std::fs::read_dir(base) {
        Ok(rd) => {
            let mut dirs: Vec<(PathBuf, Option<u32>)> = rd
                .flatten()
                .filter_map(|e| {
                    let uid = lock_dir_in(&e.file_name().to_string_lossy(), in_state)?;
                    Some((e.path(), uid))
                })
                .collect();
            dirs.sort();
            Ok(dirs)
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => match users {
            GatewayUsers::Only(set) => Ok(set
                .iter()
                .map(|u| (base.join(lock_dir_name(Some(*u))), Some(*u)))
                .collect()),
            GatewayUsers::Anyone(_) => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// A place to look for lock dirs in: a lock base (`lock_bases`), or the
/// temp dir of a running gateway process as it sees it.
struct Base {
    path: PathBuf,
    /// Must be readable for the gateway's liveness to be known.
    required: bool,
    /// `<stateDir>/tmp`.
    in_state: bool,
    /// A gateway process's temp dir: only the lock dir of its uid (when
    /// known) is looked at there.
    gateway_uid: Option<u32>,
}

/// Whether the dir `d` is one of `seen` (pushing it if not): the same dir
/// as a file (device and inode, or volume and file index), never by its
/// resolved path, which for a gateway's `/proc/<pid>/root/tmp/...` names
/// sessfix's own `/tmp/...` even in another mount namespace; the same path
/// when either cannot be `stat`ed.
fn seen_before(seen: &mut Vec<PathBuf>, d: &Path) -> bool {
    let dup = seen
        .iter()
        .any(|s| fsx::same_file(s, d).unwrap_or_else(|_| s == d));
    if !dup {
        seen.push(d.to_path_buf());
    }
    dup
}

/// The gateway singleton lock of this state dir, in every place a gateway
/// may keep it (`lock_bases`), in the lock dir of any user
/// (`lock_dir_uid`; sessfix may run as root while the gateway runs as its
/// own user, or the other way round). A lock is this state dir's when its
/// name is the hash of one of this state dir's config paths (`lock_names`),
/// or when its `configPath` is this state dir's config as a file
/// (`same_config`), whatever its spelling. A live owner wins.
///
/// Each running gateway process (`Processes::gateways`) of a user who may
/// run a gateway here (`gateway_users`) is also looked at where it keeps
/// its lock: `openclaw-<its uid>` under its own `os.tmpdir()`, through its
/// root (`Processes::tmp_dir_of`: another `TMPDIR`, a systemd
/// `PrivateTmp=`). Where that cannot be read (its `environ` or root, of
/// another user's process), that is a place that cannot be read.
///
/// A lock dir that cannot be listed but can be searched (execute-only
/// access) still has this state dir's lock names opened by path.
///
/// A place that cannot be read counts only if a live lock of this state dir
/// may be there: a lock base, a lock file, or the lock dir of a user who
/// may run a gateway here (`gateway_users`). Such a place is settled by the
/// process table (`settle_blocked`): listed in `cleared` when no gateway
/// process that could lock there runs, else in `unchecked` (the gateway's
/// liveness is then unknown).
///
/// Under `<stateDir>/tmp` every `gateway.<8 hex>.lock` belongs to this state
/// dir; one whose `configPath` is not this state dir's config here was
/// written by a gateway that sees the state dir elsewhere (a container over
/// a bind mount, another host): its pid is another pid namespace's, so its
/// liveness is unknown here.
pub fn gateway_lock(opts: &ReadOptions, procs: &dyn Processes) -> GatewayFacts {
    if let Some(why) = &opts.state_dir_unknown {
        // No state dir: no config path to name its lock by, nowhere to look.
        return GatewayFacts {
            lock_path: None,
            pid: None,
            payload_starttime: None,
            proc_state: None,
            unchecked: vec![(opts.state_dir.clone(), why.clone())],
            cleared: Vec::new(),
            no_state_dir: true,
        };
    }
    let names = lock_names(opts);
    let configs = config_path_candidates(&opts.state_dir, opts.config_path.as_deref());
    let users = gateway_users(&opts.state_dir, &configs);
    let table = procs.gateways();
    let mut found: Option<GatewayFacts> = None;
    let mut blocked: Vec<Blocked> = Vec::new();
    let mut seen_dirs: Vec<PathBuf> = Vec::new();
    let bases = bases_to_search(opts, procs, &users, &table, &mut blocked);
    for base in &bases {
        let in_state = base.in_state;
        let mut block = |p: &Path, e: &std::io::Error, note: &str, place: Place| {
            if base.required && e.kind() != std::io::ErrorKind::NotFound {
                blocked.push(Blocked {
                    path: p.to_path_buf(),
                    why: format!("{e}{note}"),
                    owner: owner_of(p).or(match place {
                        Place::LockDir(u) | Place::LockFile(u) => u,
                        _ => None,
                    }),
                    in_state,
                    place,
                });
            }
        };
        let dirs = match base.gateway_uid {
            Some(u) => vec![(base.path.join(lock_dir_name(Some(u))), Some(u))],
            None => match lock_dirs(&base.path, base.in_state, &users) {
                Ok(d) => d,
                Err(e) => {
                    block(&base.path, &e, "", Place::Base);
                    continue;
                }
            },
        };
        for (d, uid) in dirs {
            if seen_before(&mut seen_dirs, &d) {
                continue;
            }
            let candidate = users.includes(uid);
            let mut files: Vec<(PathBuf, bool)> = Vec::new();
            match std::fs::read_dir(&d) {
                Ok(listing) => {
                    for e in listing.flatten() {
                        let n = e.file_name().to_string_lossy().into_owned();
                        if names.iter().any(|(x, _)| *x == n) {
                            files.push((e.path(), true));
                        } else if is_hashed_lock_name(&n) || (in_state && n == "gateway.state.lock")
                        {
                            files.push((e.path(), false));
                        }
                    }
                }
                Err(e) => {
                    let by_name = e.kind() == std::io::ErrorKind::PermissionDenied
                        && lock_files_by_name(&d, &names, in_state, &mut files);
                    if candidate {
                        let note = if by_name {
                            "; this state dir's lock names were opened there by path, but a lock under another spelling of its config path is found only by listing the dir"
                        } else {
                            ""
                        };
                        block(&d, &e, note, Place::LockDir(uid));
                    }
                }
            }
            files.sort();
            for (path, named) in files {
                let bytes = match fsx::read_regular(&path, 1 << 16) {
                    Ok((b, _)) => b,
                    Err(e) => {
                        if named || candidate {
                            block(&path, &e, "", Place::LockFile(uid));
                        }
                        continue;
                    }
                };
                let Some(facts) = lock_facts(path, named, &bytes, in_state, &configs, procs) else {
                    continue;
                };
                let rank = |f: &GatewayFacts| match &f.proc_state {
                    Some(s) if s.is_alive() => 2,
                    Some(s) if s.is_unknown() => 1,
                    _ => 0,
                };
                // Prefer a live owner, then an unknown one, then the first.
                if found.as_ref().is_none_or(|f| rank(&facts) > rank(f)) {
                    found = Some(facts);
                }
            }
        }
    }
    let mut facts = found.unwrap_or(GatewayFacts {
        lock_path: None,
        pid: None,
        payload_starttime: None,
        proc_state: None,
        unchecked: Vec::new(),
        cleared: Vec::new(),
        no_state_dir: false,
    });
    if !blocked.is_empty() {
        #[cfg(unix)]
        // SAFETY: getuid cannot fail.
        let me = Some(unsafe { libc::getuid() });
        #[cfg(not(unix))]
        let me = None;
        (facts.unchecked, facts.cleared) = settle_blocked(&blocked, &table, me);
    }
    facts
}

/// Where to look for lock dirs: the OS temp dirs of [`lock_bases`], then
/// the temp dir of every gateway process of `table` run by one of `users`
/// (a gateway whose uid cannot be read may be anyone's). A gateway temp dir
/// that cannot be found is pushed to `blocked`.
fn bases_to_search(
    opts: &ReadOptions,
    procs: &dyn Processes,
    users: &GatewayUsers,
    table: &Result<GatewayTable, String>,
    blocked: &mut Vec<Blocked>,
) -> Vec<Base> {
    let state_tmp = opts.state_dir.join("tmp");
    let mut bases: Vec<Base> = lock_bases(opts)
        .into_iter()
        .map(|(path, required)| Base {
            in_state: path == state_tmp,
            path,
            required,
            gateway_uid: None,
        })
        .collect();
    for &(pid, uid) in table.as_ref().map(|t| t.gateways.as_slice()).unwrap_or(&[]) {
        // A gateway whose uid cannot be read may be anyone's.
        if uid.is_some() && !users.includes(uid) {
            continue;
        }
        match procs.tmp_dir_of(pid) {
            Ok(Some(path)) => bases.push(Base {
                path,
                required: true,
                in_state: false,
                gateway_uid: uid,
            }),
            Ok(None) => {}
            Err((path, why)) => blocked.push(Blocked {
                path,
                why: format!(
                    "{why}: the temp dir where gateway pid {pid} keeps its lock cannot be found"
                ),
                owner: uid,
                in_state: false,
                place: Place::Gateway { pid, uid },
            }),
        }
    }
    bases
}

/// The facts of the lock file at `path` (`bytes` read from it), if it is
/// this state dir's: `named` after it, or recording one of `configs` as its
/// config path. A lock under `<stateDir>/tmp` recording another config path
/// was written by a gateway in another pid namespace: its pid is not checked.
fn lock_facts(
    path: PathBuf,
    named: bool,
    bytes: &[u8],
    in_state: bool,
    configs: &[PathBuf],
    procs: &dyn Processes,
) -> Option<GatewayFacts> {
    let v = lock_json(bytes);
    let pid = v.get("pid").and_then(serde_json::Value::as_u64);
    let config = v.get("configPath").and_then(serde_json::Value::as_str);
    let ours = named || config.is_some_and(|c| same_config(Path::new(c), configs));
    let foreign = in_state && !ours && config.is_some();
    if !ours && !foreign {
        return None;
    }
    let proc_state = pid.map(|p| {
            if foreign {
                let whose = if cfg!(windows) {
                    "another host, a container or WSL, whose pid {p} is not one of this machine's; run sessfix where that gateway runs"
                } else {
                    "a container or another host, whose pid {p} is not one of this pid namespace's; run sessfix inside that container"
                };
                crate::rules::ProcState::Unknown {
                    why: format!(
                        "the lock was written by a gateway that sees this state dir's config as {}: {}",
                        config.unwrap_or(""),
                        whose.replace("{p}", &p.to_string())
                    ),
                }
            } else {
                procs.state(p)
            }
        });
    Some(GatewayFacts {
        lock_path: Some(path),
        pid,
        payload_starttime: v.get("startTime").and_then(serde_json::Value::as_f64),
        proc_state,
        unchecked: Vec::new(),
        cleared: Vec::new(),
        no_state_dir: false,
    })
}

/// A lock dir that cannot be listed: this state dir's lock names (and
/// under `<stateDir>/tmp`, `gateway.state.lock`) opened by path, as
/// execute-only access allows, each found one added to `files` (`true`:
/// named after this state dir). `false`: the dir cannot be searched either.
fn lock_files_by_name(
    d: &Path,
    names: &[(String, PathBuf)],
    in_state: bool,
    files: &mut Vec<(PathBuf, bool)>,
) -> bool {
    let state_lock = in_state.then_some("gateway.state.lock");
    let wanted = names
        .iter()
        .map(|(n, _)| (n.as_str(), true))
        .chain(state_lock.map(|n| (n, false)));
    for (n, named) in wanted {
        let p = d.join(n);
        match std::fs::symlink_metadata(&p) {
            Ok(_) => files.push((p, named)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return false,
        }
    }
    true
}

/// `gateway.<8 lowercase hex>.lock`.
fn is_hashed_lock_name(n: &str) -> bool {
    n.strip_prefix("gateway.")
        .and_then(|r| r.strip_suffix(".lock"))
        .is_some_and(|h| {
            h.len() == 8
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_era_lock_payload_with_its_token_is_read() {
        let v = lock_json(b"{\"pid\":42,\"startTime\":9}\n 0f3a9c");
        assert_eq!(v["pid"], 42);
        assert!(is_hashed_lock_name("gateway.0a1b2c3d.lock"));
        assert!(!is_hashed_lock_name("gateway.state.lock"));
        assert!(!is_hashed_lock_name("gateway.0A1B2C3D.lock"));
    }

    #[test]
    fn only_the_gateways_own_lock_dir_names_are_lock_dirs() {
        assert_eq!(lock_dir_uid("openclaw-0", false), Some(Some(0)));
        assert_eq!(lock_dir_uid("openclaw-1000", false), Some(Some(1000)));
        // OpenClaw's log dir and its state-lock dirs are not lock dirs.
        assert_eq!(lock_dir_uid("openclaw", false), None);
        assert_eq!(lock_dir_uid("openclaw-state-locks-0", false), None);
        assert_eq!(lock_dir_uid("openclaw-", false), None);
        assert_eq!(lock_dir_uid("openclaw-1x", false), None);
        assert_eq!(lock_dir_uid("openclaw-99999999999", false), None);
        // Windows: no uid, the bare name.
        assert_eq!(lock_dir_uid("openclaw", true), Some(None));
        assert_eq!(lock_dir_uid("openclaw-0", true), None);
        assert_eq!(lock_dir_name(Some(7)), "openclaw-7");
        assert_eq!(lock_dir_name(None), "openclaw");
    }

    fn written(path: &str, uid: u32, mode: u32, is_dir: bool) -> Written {
        Written {
            path: PathBuf::from(path),
            uid,
            mode,
            is_dir,
        }
    }

    #[test]
    fn gateway_users_are_the_writers_the_caller_and_root() {
        let w = [
            written("/s", 1000, 0o700, true),
            written("/s/agents/main/sessions", 1000, 0o755, true),
            written("/s/agents/main/sessions/sessions.json", 1001, 0o600, false),
        ];
        assert_eq!(
            gateway_users_from(&[65534, 65534], &w),
            GatewayUsers::Only([0, 1000, 1001, 65534].into_iter().collect())
        );
        let only = gateway_users_from(&[1000], &w);
        assert!(only.includes(Some(0)) && only.includes(Some(1001)));
        assert!(!only.includes(Some(1002)) && !only.includes(None));
        // A group-writable sessions dir: anyone in the group may run one.
        let mut w = w.to_vec();
        w[1].mode = 0o775;
        let any = gateway_users_from(&[1000], &w);
        assert_eq!(
            any,
            GatewayUsers::Anyone(Some(PathBuf::from("/s/agents/main/sessions")))
        );
        assert!(any.includes(Some(4242)) && any.includes(None));
        // A group-writable file is not: the gateway replaces it by a rename.
        w[1].mode = 0o755;
        w[2].mode = 0o666;
        assert!(matches!(
            gateway_users_from(&[1000], &w),
            GatewayUsers::Only(_)
        ));
    }

    fn blocked(path: &str, owner: Option<u32>, in_state: bool) -> Blocked {
        Blocked {
            path: PathBuf::from(path),
            why: "Permission denied (os error 13)".into(),
            owner,
            in_state,
            place: Place::LockDir(owner),
        }
    }

    #[test]
    fn an_unreadable_lock_dir_is_settled_by_the_process_table() {
        use super::super::process::GatewayTable;
        let b = [
            blocked("/tmp/openclaw-0", Some(0), false),
            blocked("/s/tmp/openclaw-1000", Some(1000), true),
        ];
        let table = |gateways: Vec<(u64, Option<u32>)>, host_wide| {
            Ok(GatewayTable {
                gateways,
                host_wide,
            })
        };
        // No gateway process on the whole host: both cleared.
        let (unchecked, cleared) = settle_blocked(&b, &table(vec![], true), Some(65534));
        assert!(unchecked.is_empty(), "{unchecked:?}");
        assert_eq!(cleared.len(), 2);
        assert!(cleared[0].1.contains("no OpenClaw gateway process"));
        // Only this pid namespace's table: the state dir's tmp/ may be a
        // bind mount another container's gateway uses.
        let (unchecked, cleared) = settle_blocked(&b, &table(vec![], false), Some(65534));
        assert_eq!(cleared.len(), 1);
        assert_eq!(unchecked.len(), 1);
        assert_eq!(unchecked[0].0, PathBuf::from("/s/tmp/openclaw-1000"));
        assert!(unchecked[0].1.contains("another container"));
        // A gateway of root runs: neither is settled (under the state dir
        // any user's gateway counts), and each says how to let sessfix
        // read it.
        let (unchecked, cleared) =
            settle_blocked(&b, &table(vec![(77, Some(0))], true), Some(65534));
        assert!(cleared.is_empty());
        assert_eq!(unchecked.len(), 2);
        assert!(unchecked[0].1.contains("pid 77 uid 0"), "{unchecked:?}");
        assert!(unchecked[1].1.contains("pid 77 uid 0"), "{unchecked:?}");
        assert!(unchecked[0].1.contains("run sessfix as root"));
        assert!(unchecked[0]
            .1
            .contains("setfacl -m u:65534:rx /tmp/openclaw-0"));
        assert!(unchecked[1]
            .1
            .contains("as uid 1000 (its owner) or as root"));
        // The table cannot be read: nothing settled, the reason said.
        let (unchecked, cleared) = settle_blocked(&b, &Err("hidepid=2".into()), Some(65534));
        assert!(cleared.is_empty());
        assert!(unchecked.iter().all(|(_, w)| w.contains("hidepid=2")));
    }

    #[test]
    fn an_unreadable_lock_dir_of_a_uid_is_settled_by_that_uids_gateways_only() {
        use super::super::process::GatewayTable;
        let table = |gateways: Vec<(u64, Option<u32>)>| {
            Ok(GatewayTable {
                gateways,
                host_wide: true,
            })
        };
        let root_dir = [blocked("/tmp/openclaw-0", Some(0), false)];
        // A gateway of uid 1002 locks only in openclaw-1002: root's dir is
        // settled, saying why.
        let (unchecked, cleared) =
            settle_blocked(&root_dir, &table(vec![(77, Some(1002))]), Some(1001));
        assert!(unchecked.is_empty(), "{unchecked:?}");
        assert_eq!(cleared.len(), 1);
        assert!(
            cleared[0]
                .1
                .contains("no OpenClaw gateway process of uid 0"),
            "{cleared:?}"
        );
        assert!(cleared[0].1.contains("pid 77 uid 1002"), "{cleared:?}");
        // A gateway of root, or one whose uid cannot be read, keeps it open.
        for g in [(78, Some(0)), (79, None)] {
            let (unchecked, cleared) =
                settle_blocked(&root_dir, &table(vec![(77, Some(1002)), g]), Some(1001));
            assert!(cleared.is_empty());
            assert!(
                unchecked[0].1.contains(&format!("pid {}", g.0)),
                "{unchecked:?}"
            );
            assert!(!unchecked[0].1.contains("pid 77"), "{unchecked:?}");
        }
        // A lock file in that dir alike; a lock base whatever its owner
        // (any user's lock dir may be in it).
        let mut file = blocked("/tmp/openclaw-0/gateway.0a1b2c3d.lock", Some(0), false);
        file.place = Place::LockFile(Some(0));
        let (_, cleared) = settle_blocked(&[file], &table(vec![(77, Some(1002))]), Some(1001));
        assert_eq!(cleared.len(), 1);
        let mut base = blocked("/tmp", Some(0), false);
        base.place = Place::Base;
        let (unchecked, _) = settle_blocked(&[base], &table(vec![(77, Some(1002))]), Some(1001));
        assert_eq!(unchecked.len(), 1);
        // Under <stateDir>/tmp the uid in a name may be another user
        // namespace's: any gateway keeps it open.
        let shared = [blocked("/s/tmp/openclaw-0", Some(0), true)];
        let (unchecked, _) = settle_blocked(&shared, &table(vec![(77, Some(1002))]), Some(1001));
        assert_eq!(unchecked.len(), 1, "{unchecked:?}");
        // A gateway process whose temp dir cannot be found: itself.
        let gw = Blocked {
            path: PathBuf::from("/proc/77/environ"),
            why: "Permission denied".into(),
            owner: Some(1002),
            in_state: false,
            place: Place::Gateway {
                pid: 77,
                uid: Some(1002),
            },
        };
        let (unchecked, _) = settle_blocked(&[gw], &table(vec![(77, Some(1002))]), Some(1001));
        assert!(unchecked[0].1.contains("pid 77 uid 1002"), "{unchecked:?}");
        assert!(unchecked[0]
            .1
            .contains("run sessfix as uid 1002 (its owner) or as root"));
        assert!(!unchecked[0].1.contains("setfacl"), "{unchecked:?}");
    }

    #[test]
    fn the_advice_for_an_unreadable_place_works_without_setfacl() {
        let d = blocked("/tmp/openclaw-0", Some(0), false);
        let how = d.how(Some(1001));
        assert!(how.contains("run sessfix as root"), "{how}");
        assert!(
            how.contains("`setfacl -m u:1001:rx /tmp/openclaw-0`"),
            "{how}"
        );
        assert!(how.contains("`chmod o+rx /tmp/openclaw-0`"), "{how}");
        assert!(how.contains("`chmod o+x /tmp/openclaw-0` lets sessfix open this state dir's lock there by its name"), "{how}");
        let mut f = blocked("/tmp/openclaw-7/gateway.0a1b2c3d.lock", Some(7), false);
        f.place = Place::LockFile(Some(7));
        let how = f.how(Some(1001));
        assert!(how.contains("as uid 7 (its owner) or as root"), "{how}");
        assert!(
            how.contains("`chmod o+r /tmp/openclaw-7/gateway.0a1b2c3d.lock`"),
            "{how}"
        );
    }

    #[test]
    #[cfg(unix)]
    fn a_lock_names_this_config_as_a_file_whatever_its_spelling() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().join("state");
        std::fs::create_dir(&state).unwrap();
        let config = state.join("openclaw.json");
        let ours = config_path_candidates(&state, None);
        // The config does not exist yet: the same dir and name count.
        assert!(same_config(&state.join("./openclaw.json"), &ours));
        std::fs::write(&config, "{}").unwrap();
        std::os::unix::fs::symlink(&state, d.path().join("link")).unwrap();
        for spelled in [
            d.path().join("link/openclaw.json"),
            state.join("../state/openclaw.json"),
            d.path().join("link/../state/./openclaw.json"),
        ] {
            assert!(same_config(&spelled, &ours), "{}", spelled.display());
        }
        std::fs::write(d.path().join("openclaw.json"), "{}").unwrap();
        assert!(!same_config(&d.path().join("openclaw.json"), &ours));
        assert!(!same_config(&d.path().join("missing/openclaw.json"), &ours));
        assert!(!same_config(Path::new("state/openclaw.json"), &ours));
        // The legacy name in the same dir is another file.
        assert!(!same_config(&d.path().join("link/other.json"), &ours));
    }

    #[test]
    #[cfg(unix)]
    fn a_lock_of_this_config_under_another_spelling_is_found_live() {
        use crate::rules::ProcState;
        let d = tempfile::tempdir().unwrap();
        let state = d.path().join("state");
        std::fs::create_dir_all(state.join("agents/main/sessions")).unwrap();
        std::fs::write(state.join("openclaw.json"), "{}").unwrap();
        std::os::unix::fs::symlink(&state, d.path().join("alias")).unwrap();
        let tmp = d.path().join("tmp");
        let dir = tmp.join("openclaw-4321");
        std::fs::create_dir_all(&dir).unwrap();
        // The gateway hashed the symlinked spelling: the name is not one
        // sessfix computes for `state`.
        let spelled = d.path().join("alias/openclaw.json");
        let h = Sha256::digest(spelled.to_string_lossy().as_bytes());
        let hex: String = h.iter().take(4).map(|b| format!("{b:02x}")).collect();
        let lock = dir.join(format!("gateway.{hex}.lock"));
        std::fs::write(
            &lock,
            serde_json::json!({"pid": 99, "configPath": spelled}).to_string(),
        )
        .unwrap();
        let opts = ReadOptions {
            state_dir: state.clone(),
            agent: None,
            store: None,
            home: None,
            tmp_dir: tmp,
            config_path: None,
            keep_index: false,
            sqlite_edit_keys: Vec::new(),
            tails: None,
            state_dir_unknown: None,
        };
        assert!(!lock_names(&opts).iter().any(|(n, _)| lock.ends_with(n)));
        let mut procs = crate::state::process::FakeProcesses::default();
        procs.table.insert(
            99,
            ProcState::Alive {
                starttime: None,
                argv: Some(vec!["openclaw".into(), "gateway".into()]),
            },
        );
        let facts = gateway_lock(&opts, &procs);
        assert_eq!(facts.lock_path.as_deref(), Some(lock.as_path()));
        assert!(facts.proc_state.is_some_and(|s| s.is_alive()));
        // A lock of another config beside it is not this state dir's.
        std::fs::write(
            &lock,
            serde_json::json!({"pid": 99, "configPath": d.path().join("other.json")}).to_string(),
        )
        .unwrap();
        assert_eq!(gateway_lock(&opts, &procs).lock_path, None);
    }
}
