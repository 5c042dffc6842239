//! `sessfix scan`: read, analyse, render. Never writes.
//!
//! The report is written as it is read (`render::ReportSink`): each agent's
//! rows leave memory once it is analysed, so a scan of 100,000 sessions
//! holds no more than an agent or two at a time.

use super::{Context, Fatal};
use crate::analyze::exit::{self, Mode};
use crate::analyze::Severity;
use crate::cli::{ScanArgs, SeverityChoice};
use crate::exit::Exit;
use crate::ops::PersonLines;
use crate::render::filter::{Filter, Filtered};
use crate::render::{json::JsonSink, table::TableSink, table::Tables, ReportSink};

/// The findings `--severity` and `--code` show; an unknown code is a usage
/// error naming the closest codes (or listing them).
pub fn filter(args: &ScanArgs) -> Result<Filter, Fatal> {
    let min = args.severity.map(|s| match s {
        SeverityChoice::Error => Severity::Error,
        SeverityChoice::Warning => Severity::Warning,
        SeverityChoice::Info => Severity::Info,
    });
    Filter::parse(min, &args.code).map_err(|message| Fatal {
        exit: Exit::Usage,
        message,
    })
}

pub fn run(ctx: &Context, args: &ScanArgs, filter: Filter) -> Result<Exit, Fatal> {
    if args.quiet {
        return quiet(ctx, filter);
    }
    let mut sink: Box<dyn ReportSink> = if args.json {
        Box::new(Filtered {
            inner: JsonSink::default(),
            filter,
        })
    } else {
        let tables = Tables {
            style: ctx.style,
            now_ms: ctx.settings.now_ms,
            width: crate::render::table::output_width(),
            verbose: args.verbose,
            actions: ctx.settings.action_options,
        };
        Box::new(TableSink::new(tables, filter))
    };
    let report = ctx.report_into(sink.as_mut())?;
    let mut out = crate::render::stdout();
    sink.finish(&report, &report.findings, &mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| Fatal::operational(format!("cannot write the report: {e}")))?;
    super::say_what_needs_a_person(&report, exit::unreadable);
    Ok(exit::for_report(&report, Mode::Scan))
}

/// `scan --quiet`: nothing on stdout; on stderr the lines `repair --quiet`
/// prints, one per warning or error finding the filter shows, and one per
/// part of the state that could not be read whatever the filter (the exit
/// code 3 they give is explained).
fn quiet(ctx: &Context, filter: Filter) -> Result<Exit, Fatal> {
    let mut lines = Filtered {
        inner: PersonLines::new(crate::boot::show(&ctx.read.state_dir)),
        filter,
    };
    let report = ctx.report_into(&mut lines)?;
    crate::ops::person::say(&mut lines, &report);
    let Filtered { filter, .. } = lines;
    super::say_what_needs_a_person(&report, |f| exit::unreadable(f) && !filter.admits(f));
    Ok(exit::for_report(&report, Mode::Scan))
}
