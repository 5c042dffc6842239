//! The JSON document other tools rely on.

use super::ReportRenderer;
use crate::analyze::Report;
use std::io::Write;

pub struct Json;

impl ReportRenderer for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
