//! The files a plan changes that the OS would refuse to change now, found
//! before anything is written, so a repair that cannot finish does not
//! start (Windows: the read-only attribute, a handle open without delete
//! sharing; nothing is known in advance on Unix: `fsx::os::replace_blocked`).

use crate::fsx;
use crate::plan::Plan;
use std::path::Path;

/// Each file of `plan` that cannot be changed now, as `<path>: <why>`, in
/// the plan's order. Indexes and queue files are replaced and lock files
/// removed (an open handle without delete sharing blocks those);
/// transcripts are cut and databases edited in place (only the read-only
/// attribute blocks those).
pub fn blocked(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut check = |p: &Path, in_use: bool| {
        if let Some(why) = fsx::os::replace_blocked(p, in_use) {
            let line = format!("{}: {why}", p.display());
            if !out.contains(&line) {
                out.push(line);
            }
        }
    };
    for w in &plan.indexes {
        check(&w.path, true);
    }
    for r in &plan.removals {
        check(&r.path, true);
    }
    for q in &plan.queues {
        check(&q.path, true);
    }
    for c in &plan.transcripts {
        check(&c.path, false);
    }
    for s in &plan.sqlite {
        check(&s.path, false);
    }
    out
}
