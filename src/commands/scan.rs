//! `sessfix scan`: read, analyse, render. Never writes.

use super::{Context, Fatal};
use crate::analyze::exit::{self, Mode};
use crate::analyze::Report;
use crate::cli::ScanArgs;
use crate::exit::Exit;
use crate::render::{json::Json, table::Tables, Renderer};

pub fn run(ctx: &Context, args: &ScanArgs) -> Result<Exit, Fatal> {
    let report = ctx.report()?;
    let renderer: Box<dyn Renderer<Report>> = if args.json {
        Box::new(Json)
    } else {
        Box::new(Tables {
            style: ctx.style,
            now_ms: ctx.settings.now_ms,
            width: crate::render::table::output_width(),
        })
    };
    let mut out = crate::render::stdout();
    renderer
        .render(&report, &mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| Fatal::operational(format!("cannot write the report: {e}")))?;
    super::say_what_needs_a_person(&report, exit::unreadable);
    Ok(exit::for_report(&report, Mode::Scan))
}
