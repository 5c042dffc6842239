//! `sessfix scan`: read, analyse, render. Never writes.
//!
//! The report is written as it is read (`render::ReportSink`): each agent's
//! rows leave memory once it is analysed, so a scan of 100,000 sessions
//! holds no more than an agent or two at a time.

use super::{Context, Fatal};
use crate::analyze::exit::{self, Mode};
use crate::cli::ScanArgs;
use crate::exit::Exit;
use crate::render::{json::JsonSink, table::TableSink, table::Tables, ReportSink};

pub fn run(ctx: &Context, args: &ScanArgs) -> Result<Exit, Fatal> {
    let mut sink: Box<dyn ReportSink> = if args.json {
        Box::new(JsonSink::default())
    } else {
        Box::new(TableSink::new(Tables {
            style: ctx.style,
            now_ms: ctx.settings.now_ms,
            width: crate::render::table::output_width(),
        }))
    };
    let report = ctx.report_into(sink.as_mut())?;
    let mut out = crate::render::stdout();
    sink.finish(&report, &report.findings, &mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| Fatal::operational(format!("cannot write the report: {e}")))?;
    super::say_what_needs_a_person(&report, exit::unreadable);
    Ok(exit::for_report(&report, Mode::Scan))
}
