//! The findings of one severity as `scan`'s text lists them: every one in
//! full (`--verbose`, `--code`), or grouped by code, where a code found more
//! than `GROUP_OVER` times is shown once, with its count and its first
//! finding, and named for `--code` to list them all (as rustc ends a run of
//! like diagnostics with "... and N more", and ruff counts them by code).
//!
//! Memory stays bounded either way: listed in full, the text is put aside in
//! a `Spill`; grouped, at most `GROUP_OVER` findings of each code are kept
//! (the others are only counted), whatever the size of the state.

use super::table::Tables;
use crate::analyze::{Finding, Kind};
use crate::fsx::spill::Spill;
use std::collections::BTreeMap;
use std::io::Write;

/// A code found more often than this in one severity is shown as a group.
pub const GROUP_OVER: usize = 3;

/// The findings of one severity, put aside as they come.
pub enum Listing {
    /// Every finding's text, in the order found, and how many.
    All { spill: Spill, n: usize },
    /// In the order found, at most `GROUP_OVER` findings of each code, and
    /// how many of each code came.
    Grouped {
        kept: Vec<Finding>,
        counts: BTreeMap<Kind, usize>,
    },
}

impl Listing {
    /// An empty listing: grouped by code, or (`all`) every finding in full.
    pub fn new(all: bool) -> Listing {
        if all {
            Listing::All {
                spill: Spill::default(),
                n: 0,
            }
        } else {
            Listing::Grouped {
                kept: Vec::new(),
                counts: BTreeMap::new(),
            }
        }
    }

    /// Put `f` aside (its text, or itself while its code has few).
    pub fn push(&mut self, t: &Tables, f: &Finding) -> std::io::Result<()> {
        match self {
            Listing::All { spill, n } => {
                let mut text = Vec::new();
                t.finding(f, 1, &mut text)?;
                *n += 1;
                spill.push(&text)
            }
            Listing::Grouped { kept, counts } => {
                let n = counts.entry(f.kind).or_default();
                *n += 1;
                if *n <= GROUP_OVER {
                    kept.push(f.clone());
                }
                Ok(())
            }
        }
    }

    /// The codes shown as a group once `head` (findings of this severity
    /// that come before those put aside) is written with them.
    pub fn grouped(&self, head: &[&Finding]) -> Vec<Kind> {
        let Listing::Grouped { counts, .. } = self else {
            return Vec::new();
        };
        let mut all = counts.clone();
        for f in head {
            *all.entry(f.kind).or_default() += 1;
        }
        all.into_iter()
            .filter(|&(_, n)| n > GROUP_OVER)
            .map(|(k, _)| k)
            .collect()
    }

    /// Write `head`, then the findings put aside, each code found more than
    /// `GROUP_OVER` times as one group where its first finding stands.
    /// Returns how many findings that is.
    pub fn write(
        &mut self,
        t: &Tables,
        head: &[&Finding],
        out: &mut dyn Write,
    ) -> std::io::Result<usize> {
        let grouped = self.grouped(head);
        match self {
            Listing::All { spill, n } => {
                for f in head {
                    t.finding(f, 1, out)?;
                }
                spill.copy_to(out)?;
                Ok(head.len() + *n)
            }
            Listing::Grouped { kept, counts } => {
                let mut total = counts.clone();
                for f in head {
                    *total.entry(f.kind).or_default() += 1;
                }
                let mut written: Vec<Kind> = Vec::new();
                for f in head.iter().copied().chain(kept.iter()) {
                    if !grouped.contains(&f.kind) {
                        t.finding(f, 1, out)?;
                    } else if !written.contains(&f.kind) {
                        t.finding(f, total[&f.kind], out)?;
                        written.push(f.kind);
                    }
                }
                Ok(total.values().sum())
            }
        }
    }
}
