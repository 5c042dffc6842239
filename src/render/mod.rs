//! Output formats, one per file behind a small trait.

pub mod json;
pub mod table;

use crate::analyze::Report;
use std::io::Write;

/// Whether to colour output.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
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

/// Renders a scan report.
pub trait ReportRenderer {
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()>;
}
