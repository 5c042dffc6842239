//! Cutting a transcript's torn last line (no newline, not JSON), so that
//! the gateway's next append starts on a clean line.

use super::{Plan, TranscriptCut};
use crate::state::Agent;
use std::collections::HashSet;
use std::path::PathBuf;

/// Torn last lines of transcripts inside the state dir.
pub(super) fn torn_cuts(agent: &Agent, plan: &mut Plan) {
    let mut cut: HashSet<PathBuf> = plan.transcripts.iter().map(|c| c.path.clone()).collect();
    for s in agent
        .sessions
        .iter()
        .filter(|s| !s.shadowed && !s.transcript_outside)
    {
        let Some(t) = &s.transcript else { continue };
        let Ok(tail) = &t.tail else { continue };
        let Some(at) = tail.torn_at else { continue };
        if !tail.has_records {
            // Not one JSON line before the fragment: not positively a
            // transcript (binary, or a single partial line); leave it.
            plan.left_alone.push(format!(
                "{}: {} ends without a newline but has no complete JSON line to cut back to",
                s.key,
                t.path.display()
            ));
            continue;
        }
        if !cut.insert(t.path.clone()) {
            continue; // an artifact cut already ends before the torn bytes
        }
        plan.transcripts.push(TranscriptCut::new(
            agent,
            &s.key,
            &t.path,
            tail,
            at,
            "torn last line (no newline, not JSON) moves to the backup so the next append starts on a clean line",
        ));
    }
}
