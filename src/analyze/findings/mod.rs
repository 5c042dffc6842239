//! The findings, one family per file: what is wrong with an agent's index
//! (`store`, `index`), its entries and transcripts (`entry`), its locks
//! (`lock`) and the files left beside them (`leftover`). Each words what
//! the boots decided (`boot`); none decides what a boot does.

pub(crate) mod agent_db;
pub(crate) mod delivery;
pub(crate) mod entry;
pub(crate) mod index;
pub(crate) mod leftover;
pub(crate) mod lock;
pub(crate) mod store;

use super::{Finding, Kind, Severity};
use std::path::Path;

pub(crate) type MakeFinding<'a> =
    dyn Fn(Kind, Severity, Option<&str>, Option<&Path>, String, String) -> Finding + 'a;
