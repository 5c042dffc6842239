//! The walk and the parsing, on answers built byte by byte as xnu's
//! `sys/proc_info.h` lays them out for macOS on arm64 and x86_64 alike
//! (little-endian, LP64; the offsets are checked against the structures
//! when building for those targets). None was captured on a Mac.

use super::*;
use std::collections::HashMap;
use std::path::Path;

const EPERM: i32 = 1;

/// A `PROC_PIDLISTFDS` answer.
fn fd_list(entries: &[(i32, u32)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (fd, ty) in entries {
        b.extend_from_slice(&fd.to_ne_bytes());
        b.extend_from_slice(&ty.to_ne_bytes());
    }
    b
}

/// A `vnode_fdinfowithpath` for a regular file opened read-write.
fn vnode(dev: u32, ino: u64, path: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; VNODE_FDINFOWITHPATH_SIZE];
    let mut put = |at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
    // proc_fileinfo: fi_openflags FREAD|FWRITE, fi_offset, fi_type DTYPE_VNODE.
    put(0, &3u32.to_ne_bytes());
    put(8, &4096i64.to_ne_bytes());
    put(16, &1i32.to_ne_bytes());
    // vinfo_stat: vst_dev, vst_mode 0100644, vst_nlink, vst_ino, vst_uid.
    put(24, &dev.to_ne_bytes());
    put(28, &0o100644u16.to_ne_bytes());
    put(30, &1u16.to_ne_bytes());
    put(32, &ino.to_ne_bytes());
    put(40, &501u32.to_ne_bytes());
    // vnode_info: vi_type VREG after the 136-byte vinfo_stat.
    put(24 + 136, &1i32.to_ne_bytes());
    put(VIP_PATH_OFFSET, path);
    b
}

/// A `proc_bsdshortinfo` of a running process.
fn short(name: &[u8], uid: u32, ruid: u32) -> Vec<u8> {
    let mut b = vec![0u8; PROC_BSDSHORTINFO_SIZE];
    b[..4].copy_from_slice(&4242u32.to_ne_bytes());
    b[12..16].copy_from_slice(&2u32.to_ne_bytes());
    b[16..16 + name.len()].copy_from_slice(name);
    for (at, v) in [
        (36, uid),
        (40, 20),
        (44, ruid),
        (48, 20),
        (52, uid),
        (56, 20),
    ] {
        b[at..at + 4].copy_from_slice(&u32::to_ne_bytes(v));
    }
    b
}

/// A `KERN_PROCARGS2` buffer.
fn procargs(argv: &[&str]) -> Vec<u8> {
    let mut b = (argv.len() as i32).to_ne_bytes().to_vec();
    b.extend_from_slice(b"/opt/homebrew/bin/node\0\0\0");
    for a in argv {
        b.extend_from_slice(a.as_bytes());
        b.push(0);
    }
    b
}

struct Fake {
    pids: Result<Vec<i32>, i32>,
    fds: HashMap<i32, Result<Vec<u8>, i32>>,
    vnodes: HashMap<(i32, i32), Result<Vec<u8>, i32>>,
    short: HashMap<i32, Result<Vec<u8>, i32>>,
    args: HashMap<i32, Vec<u8>>,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            pids: Ok(Vec::new()),
            fds: HashMap::new(),
            vnodes: HashMap::new(),
            short: HashMap::new(),
            args: HashMap::new(),
        }
    }
}

impl Libproc for Fake {
    fn all_pids(&self) -> Result<Vec<i32>, i32> {
        self.pids.clone()
    }
    fn list_fds(&self, pid: i32) -> Result<Vec<u8>, i32> {
        self.fds.get(&pid).cloned().unwrap_or(Err(ESRCH))
    }
    fn vnode_path_info(&self, pid: i32, fd: i32) -> Result<Vec<u8>, i32> {
        self.vnodes.get(&(pid, fd)).cloned().unwrap_or(Err(EBADF))
    }
    fn short_info(&self, pid: i32) -> Result<Vec<u8>, i32> {
        self.short.get(&pid).cloned().unwrap_or(Err(ESRCH))
    }
    fn procargs2(&self, pid: i32) -> Option<Vec<u8>> {
        self.args.get(&pid).cloned()
    }
}

const STATE: &str = "/Users/ana/.openclaw";
const DB: &str = "/Users/ana/.openclaw/state/openclaw.sqlite";
const WAL: &str = "/Users/ana/.openclaw/agents/main/agent/openclaw-agent.sqlite-wal";

fn wanted(p: &Path) -> bool {
    p.starts_with(STATE) && p.to_string_lossy().contains(".sqlite")
}

fn run(fake: &Fake, owners: &[u32]) -> Result<Vec<(u64, PathBuf)>, String> {
    let files = [PathBuf::from(DB), PathBuf::from(WAL)];
    let held = Held {
        wanted: &wanted,
        files: &files,
        owners,
    };
    let ids = [
        (0x1000004, 77, PathBuf::from(DB)),
        (0x1000004, 78, PathBuf::from(WAL)),
    ];
    holders_with(fake, &held, &ids, 100)
}

/// This process (100), launchd (1, root's), ana's gateway holding the
/// database (200), ana's agent holding the WAL through a path the kernel
/// could not name (300), bob's node (400, uid 502), a process gone while
/// listed (500), and ana's node with a descriptor closed while read (600).
fn host() -> Fake {
    let mut f = Fake {
        pids: Ok(vec![0, 1, 100, 200, 300, 400, 500, 600]),
        ..Fake::default()
    };
    let vnode_fds = |fds: &[i32]| {
        let mut e: Vec<(i32, u32)> = fds.iter().map(|fd| (*fd, PROX_FDTYPE_VNODE)).collect();
        e.push((9, 2)); // a socket: never asked about
        Ok(fd_list(&e))
    };
    f.fds.insert(0, Err(EPERM));
    f.short.insert(0, Ok(short(b"kernel_task", 0, 0)));
    f.fds.insert(1, Err(EPERM));
    f.short.insert(1, Ok(short(b"launchd", 0, 0)));
    f.fds.insert(100, vnode_fds(&[3]));
    f.vnodes
        .insert((100, 3), Ok(vnode(0x1000004, 77, DB.as_bytes())));
    f.fds.insert(200, vnode_fds(&[0, 21]));
    f.vnodes
        .insert((200, 0), Ok(vnode(0x1000004, 5, b"/dev/ttys001\0")));
    f.vnodes.insert(
        (200, 21),
        Ok(vnode(
            0x1000004,
            77,
            b"/Users/ana/.openclaw/state/openclaw.sqlite\0",
        )),
    );
    f.fds.insert(300, vnode_fds(&[4]));
    f.vnodes.insert((300, 4), Ok(vnode(0x1000004, 78, b"\0")));
    f.fds.insert(400, Err(EPERM));
    f.short.insert(400, Ok(short(b"node", 502, 502)));
    f.fds.insert(600, vnode_fds(&[5, 6]));
    f.short.insert(600, Ok(short(b"node", 501, 501)));
    // Its socket, if it were asked about as a vnode, would be the database.
    f.vnodes
        .insert((600, 9), Ok(vnode(0x1000004, 77, DB.as_bytes())));
    f.vnodes
        .insert((600, 6), Ok(vnode(0x1000004, 99, b"/tmp/x\0")));
    f
}

#[test]
fn holders_are_found_by_path_or_identity_and_others_skipped() {
    let got = run(&host(), &[501]).unwrap();
    assert_eq!(
        got,
        [(200, PathBuf::from(DB)), (300, PathBuf::from(WAL))],
        "not this process (100), not other users' or gone ones"
    );
}

#[test]
fn an_unreadable_process_that_may_be_openclaw_makes_the_answer_unknown() {
    // ana's node whose descriptors cannot be read (a hardened process).
    let mut f = host();
    f.pids.as_mut().unwrap().push(700);
    f.fds.insert(700, Err(EPERM));
    f.short.insert(700, Ok(short(b"node", 501, 501)));
    let e = run(&f, &[501]).unwrap_err();
    assert!(
        e.contains("pid 700") && e.contains("PROC_PIDLISTFDS") && e.contains("uid 501"),
        "{e}"
    );
    assert!(e.contains("run sessfix as its user or root"), "{e}");
    // The files are root's: the same node of ana's cannot have them open.
    assert_eq!(run(&f, &[0]).map(|h| h.len()), Ok(2));
    // Its command line, when readable, decides alone.
    f.args
        .insert(700, procargs(&["node", "/srv/www/server.js"]));
    assert!(run(&f, &[501]).is_ok());
    f.args.insert(
        700,
        procargs(&["node", "/opt/openclaw/openclaw.mjs", "gateway"]),
    );
    assert!(run(&f, &[501]).unwrap_err().contains("names OpenClaw"));
    // Gone before its name could be read: skipped.
    f.args.remove(&700);
    f.short.insert(700, Err(ESRCH));
    assert!(run(&f, &[501]).is_ok());
    // Nothing of it can be read: unknown.
    f.short.insert(700, Err(EPERM));
    let e = run(&f, &[501]).unwrap_err();
    assert!(e.contains("neither its command line nor"), "{e}");
    // A truncated answer about it: unknown as well.
    f.short
        .insert(700, Ok(short(b"node", 501, 501)[..40].to_vec()));
    assert!(run(&f, &[501]).unwrap_err().contains("returned 40 bytes"));
}

#[test]
fn a_root_process_named_like_openclaw_is_unknown_to_another_user() {
    let mut f = host();
    f.short.insert(400, Ok(short(b"node", 502, 0)));
    let e = run(&f, &[501]).unwrap_err();
    assert!(e.contains("pid 400") && e.contains("as root"), "{e}");
}

#[test]
fn a_vnode_answer_too_short_to_name_the_file_is_unreadable() {
    let mut f = host();
    f.vnodes
        .insert((600, 5), Ok(vnode(1, 2, b"/x\0")[..100].to_vec()));
    f.short.insert(600, Ok(short(b"node", 501, 501)));
    let e = run(&f, &[501]).unwrap_err();
    assert!(e.contains("pid 600") && e.contains("100 bytes"), "{e}");
    // Another errno than a closed descriptor: unreadable too.
    f.vnodes.insert((600, 5), Err(EPERM));
    assert!(run(&f, &[501]).unwrap_err().contains("fd 5"));
    // The process not OpenClaw's: skipped.
    f.short.insert(600, Ok(short(b"Finder", 501, 501)));
    assert_eq!(run(&f, &[501]).map(|h| h.len()), Ok(2));
}

#[test]
fn a_table_that_cannot_be_listed_is_unknown() {
    let f = Fake {
        pids: Err(EPERM),
        ..Fake::default()
    };
    assert!(run(&f, &[501]).unwrap_err().contains("cannot be listed"));
}

#[test]
fn fd_lists_keep_only_whole_entries() {
    let b = fd_list(&[(0, 1), (1, 1), (3, 2), (4, 6), (17, 1)]);
    assert_eq!(parse_fd_list(&b), [(0, 1), (1, 1), (3, 2), (4, 6), (17, 1)]);
    assert_eq!(parse_fd_list(&b[..13]), [(0, 1)]);
    assert_eq!(parse_fd_list(&b[..7]), []);
}

#[test]
fn vnode_answers_give_identity_and_path() {
    let b = vnode(
        0x1000004,
        77,
        b"/Users/ana/.openclaw/state/openclaw.sqlite\0",
    );
    let v = parse_vnode_path_info(&b).unwrap();
    assert_eq!((v.dev, v.ino), (0x1000004, 77));
    assert_eq!(v.path, Some(DB.as_bytes()));
    // Cut inside the path, before its NUL: the identity only.
    let v = parse_vnode_path_info(&b[..VIP_PATH_OFFSET + 10]).unwrap();
    assert_eq!((v.ino, v.path), (77, None));
    // Shorter than the identity: nothing.
    assert_eq!(parse_vnode_path_info(&b[..VIP_PATH_OFFSET - 1]), None);
    // A path filling MAXPATHLEN without a NUL, and an empty one: no path.
    let long = vec![b'a'; MAXPATHLEN];
    assert_eq!(
        parse_vnode_path_info(&vnode(1, 2, &long)).unwrap().path,
        None
    );
    assert_eq!(
        parse_vnode_path_info(&vnode(1, 2, b"\0")).unwrap().path,
        None
    );
    // Bytes that are not UTF-8 are kept as they are.
    let odd = b"/Users/ana/.openclaw-\xff\xfe/state/openclaw.sqlite\0";
    let b = vnode(1, 2, odd);
    let v = parse_vnode_path_info(&b).unwrap();
    assert_eq!(v.path, Some(&odd[..odd.len() - 1]));
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::ffi::OsStrExt::as_bytes(path_from_bytes(v.path.unwrap()).as_os_str()),
        &odd[..odd.len() - 1]
    );
    assert!(path_from_bytes(v.path.unwrap()).ends_with("state/openclaw.sqlite"));
}

#[test]
fn short_info_gives_name_and_uids() {
    let w = parse_short_info(&short(b"openclaw-gateway", 501, 0)).unwrap();
    assert_eq!(w.name, "openclaw-gateway", "16 bytes, no NUL");
    assert_eq!(w.uids, [501, 0, 501]);
    assert_eq!(
        parse_short_info(&short(b"node", 1, 1)).unwrap().name,
        "node"
    );
    assert_eq!(parse_short_info(&short(b"node", 1, 1)[..63]), None);
}

#[test]
fn openclaw_runs_under_node_bun_or_its_own_name() {
    for n in [
        "node",
        "Node",
        "nodejs",
        "bun",
        "openclaw",
        "openclaw-gateway",
    ] {
        assert!(openclaw_like_name(n), "{n}");
    }
    for n in [
        "launchd",
        "zsh",
        "sqlite3",
        "Python",
        "bundle",
        "kernel_task",
        "",
    ] {
        assert!(!openclaw_like_name(n), "{n}");
    }
}

#[test]
fn the_decision_on_an_unreadable_process() {
    let node = |uid, ruid| ShortInfo {
        name: "node".into(),
        uids: [uid, ruid, uid],
    };
    let owners = [501];
    let argv = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // A readable command line decides alone, whatever the name and uid.
    let gw = argv(&["/usr/local/bin/OpenClaw", "gateway"]);
    assert!(unreadable_may_hold(Some(&gw), Ok(&node(502, 502)), &owners).is_some());
    let other = argv(&["node", "/srv/app.js"]);
    assert_eq!(
        unreadable_may_hold(Some(&other), Ok(&node(501, 501)), &owners),
        None
    );
    // Else a name OpenClaw may run under, and an owner's or root's uid.
    assert!(unreadable_may_hold(None, Ok(&node(501, 501)), &owners).is_some());
    assert!(unreadable_may_hold(None, Ok(&node(502, 0)), &owners).is_some());
    assert_eq!(
        unreadable_may_hold(None, Ok(&node(502, 502)), &owners),
        None
    );
    let zsh = ShortInfo {
        name: "zsh".into(),
        uids: [501; 3],
    };
    assert_eq!(unreadable_may_hold(None, Ok(&zsh), &owners), None);
    // Nothing readable: unknown.
    assert!(unreadable_may_hold(None, Err("EPERM"), &owners).is_some());
}
