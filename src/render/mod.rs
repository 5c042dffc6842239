//! Output formats, one per file behind a small trait.

pub mod backups;
pub mod filter;
pub mod json;
pub mod listing;
pub mod man;
pub mod plan;
pub mod table;
#[cfg(test)]
pub(crate) mod testing;

use crate::analyze::{Finding, LockReport, Report, SessionReport};
use std::io::Write;

/// Whether to colour output.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

/// `--color auto`: colour on a terminal, unless `NO_COLOR` is set to
/// something (an empty one counts as unset) or `TERM` is `dumb` (a terminal
/// that does not interpret escapes, as Emacs shells and some CI logs say).
pub fn auto_color(
    is_terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
}

impl Style {
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

impl Style {
    /// Colour for a stream: `always`, `never`, or (auto) on a terminal
    /// unless `NO_COLOR` is set to something (an empty `NO_COLOR` counts as
    /// unset, as the convention says).
    pub fn for_stream(choice: crate::cli::ColorChoice, is_terminal: bool) -> Style {
        use crate::cli::ColorChoice;
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => auto_color(
                is_terminal,
                std::env::var_os("NO_COLOR").as_deref(),
                std::env::var_os("TERM").as_deref(),
            ),
        };
        Style { color }
    }
}

/// Standard output that ends quietly when its reader goes away: once a write
/// fails with a broken pipe (`sessfix scan | head`), everything after it is
/// dropped and the command ends with the exit code it was going to have,
/// without an error message.
pub struct PipeSafe<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> PipeSafe<W> {
    pub fn new(inner: W) -> Self {
        PipeSafe {
            inner,
            closed: false,
        }
    }

    fn guard<T>(&mut self, r: std::io::Result<T>, none: T) -> std::io::Result<T> {
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(none)
            }
            r => r,
        }
    }
}

impl<W: Write> Write for PipeSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.guard(r, buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.guard(r, ())
    }
}

/// Buffered standard output that ends quietly on a broken pipe.
pub fn stdout() -> PipeSafe<std::io::BufWriter<std::io::StdoutLock<'static>>> {
    PipeSafe::new(std::io::BufWriter::new(std::io::stdout().lock()))
}

pub use crate::text::plural;

/// Renders one kind of document `D` from data in memory: the scan `Report`
/// or one of `repair`'s `RepairDoc`s. One renderer per output format, as
/// hyperfine has an exporter per format: `json::Json` writes both documents,
/// `table::Tables` the scan report a person reads, `plan::PlanView` repair's
/// text. Errors are the writer's.
pub trait Renderer<D: ?Sized> {
    fn render(&self, doc: &D, out: &mut dyn Write) -> std::io::Result<()>;
}

/// Writes a report as it is read (`scan`, `repair --dry-run`), as
/// hyperfine's exporters write results as they come: each agent's rows are
/// given to `rows` as soon as the agent is analysed (and are then dropped),
/// and `finish` writes the whole document at the end, byte for byte what
/// rendering the whole `Report` writes (`Renderer<Report>` is `render_whole`:
/// every row at once, then `finish`). Rows put aside between the two are in
/// a `fsx::spill::Spill`: a report of 100,000 sessions is never in memory whole.
/// Errors are the writer's or the temporary file's.
pub trait ReportSink {
    /// Put rows aside: one agent's, as soon as it is analysed (or, for a
    /// report in memory, all of them: `render_whole`).
    fn rows(
        &mut self,
        sessions: &[SessionReport],
        locks: &[LockReport],
        findings: &[Finding],
    ) -> std::io::Result<()>;
    /// Write the document: `report`'s head (its fields before the rows; its
    /// own rows are not read), the rows put aside in order, findings most
    /// severe first, `head_findings` (those of no agent: the gateway's, the
    /// release's) before those put aside of the same severity.
    fn finish(
        &mut self,
        report: &Report,
        head_findings: &[Finding],
        out: &mut dyn Write,
    ) -> std::io::Result<()>;
}

/// A sink that writes no rows: for a command that shows none (the text of
/// `repair --dry-run` shows the plan alone), so that they, and the findings
/// its exit code does not need, leave memory as they come.
pub struct Discard;

impl ReportSink for Discard {
    fn rows(
        &mut self,
        _: &[SessionReport],
        _: &[LockReport],
        _: &[Finding],
    ) -> std::io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _: &Report, _: &[Finding], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }
}

/// Write `report`, held whole in memory, through `sink`.
pub fn render_whole(
    sink: &mut dyn ReportSink,
    report: &Report,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    sink.rows(&report.sessions, &report.locks, &report.findings)?;
    sink.finish(report, &[], out)
}

/// Severities, most severe first: the order findings are written in.
pub const SEVERITIES: [crate::analyze::Severity; 3] = [
    crate::analyze::Severity::Error,
    crate::analyze::Severity::Warning,
    crate::analyze::Severity::Info,
];

/// Where `f`'s severity stands in `SEVERITIES`.
pub fn severity_index(f: &Finding) -> usize {
    use crate::analyze::Severity;
    match f.severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// A document `repair` shows, from data in memory.
#[derive(Debug, Clone, Copy)]
pub enum RepairDoc<'a> {
    /// `repair --dry-run`: the report and the plan a real run would carry out.
    DryRun {
        report: &'a Report,
        plan: &'a crate::plan::Plan,
    },
    /// A plan alone (before the question, with nothing to do, or with `--yes --diff`).
    Plan(&'a crate::plan::Plan),
    /// What a real run did; `applied` false (declined, or nothing to do):
    /// nothing, and `outcome` is empty.
    Applied {
        plan: &'a crate::plan::Plan,
        applied: bool,
        outcome: &'a crate::apply::Outcome,
    },
}

#[cfg(test)]
mod color_tests {
    use super::auto_color;
    use std::ffi::OsStr;

    #[test]
    fn auto_colour_only_on_a_terminal_that_interprets_escapes() {
        let s = |v: &'static str| Some(OsStr::new(v));
        assert!(auto_color(true, None, s("xterm-256color")));
        assert!(auto_color(true, s(""), None));
        assert!(!auto_color(false, None, s("xterm")));
        assert!(!auto_color(true, s("1"), s("xterm")));
        assert!(!auto_color(true, None, s("dumb")));
    }
}
