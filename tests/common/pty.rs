//! A pseudo-terminal for tests of what a person at a terminal sees: the
//! child gets the terminal as stdin and stderr (and stdout unless redirected),
//! with a chosen window size. Built on `openpty(3)` through libc, so the
//! test controls the window size and each descriptor.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Pty {
    master: std::fs::File,
    output: mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
    pub child: Child,
}

impl Pty {
    /// Spawn `cmd` on a new terminal of `cols` columns. A `stdout` or
    /// `stderr` given replaces the terminal there.
    pub fn spawn(mut cmd: Command, cols: u16, stdout: Option<Stdio>, stderr: Option<Stdio>) -> Pty {
        let (mut master, mut slave) = (0, 0);
        // macOS takes `*mut` for the terminal settings and size, Linux
        // `*const`: a `*mut` fits both.
        let mut ws = libc::winsize {
            ws_row: 40,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &raw mut ws,
            )
        };
        assert_eq!(rc, 0, "openpty failed");
        let slave = unsafe { OwnedFd::from_raw_fd(slave) };
        cmd.stdin(slave.try_clone().unwrap())
            .stderr(stderr.unwrap_or_else(|| slave.try_clone().unwrap().into()))
            .stdout(stdout.unwrap_or_else(|| slave.try_clone().unwrap().into()));
        let child = cmd.spawn().unwrap();
        drop(slave);
        let master = unsafe { std::fs::File::from_raw_fd(master) };
        let mut reader = master.try_clone().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once the child has gone and the terminal has no writer.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            master,
            output: rx,
            seen: Vec::new(),
            child,
        }
    }

    /// Wait until the terminal has shown `needle`; everything shown so far.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = String::from_utf8_lossy(&self.seen).into_owned();
            if text.contains(needle) {
                return text;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => panic!("the terminal never showed {needle:?}; it showed:\n{text}"),
            }
        }
    }

    pub fn send(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).unwrap();
    }

    /// Wait for the child; its exit code and everything the terminal showed.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        while let Ok(chunk) = self.output.recv_timeout(Duration::from_millis(300)) {
            self.seen.extend(chunk);
        }
        (
            status.code(),
            String::from_utf8_lossy(&self.seen).into_owned(),
        )
    }
}

/// `text` without colour and cursor escape sequences and carriage returns:
/// what a person reads.
pub fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    // parameters, then one final byte in @..~
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}
