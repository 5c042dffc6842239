
use builtin;
use str;

set edit:completion:arg-completer[sessfix] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'sessfix'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'sessfix'= {
            cand --state-dir 'The OpenClaw state dir [default: as the gateway resolves it]'
            cand --profile 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`'
            cand --store 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)'
            cand --agent 'Only this agent'
            cand --now 'Fix the clock (RFC 3339), for tests and reproducible reports'
            cand --stale-ms 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)'
            cand --gateway-pid 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)'
            cand --openclaw-version 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]'
            cand --color 'When to use colour'
            cand --proc-root 'Read process facts from this proc filesystem (tests)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand scan 'Report every inconsistency and what the next boot will do with each session'
            cand repair 'Repair the state so the next boot resumes interrupted sessions'
            cand undo 'Restore the files changed by the last repair not yet undone, if they are still as it left them; list the backups (--list)'
            cand completions 'Print a shell completion script'
            cand man 'Print a man page (roff): sessfix(1), or sessfix-COMMAND(1); or install them all (--install)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sessfix;scan'= {
            cand --severity 'Show only findings at least this severe (text, --json''s findings array, --quiet''s lines); the totals and the exit code stay those of the whole state'
            cand --code 'Show only findings with this code, every one (repeatable; README''s Findings lists the codes); the totals and the exit code stay those of the whole state'
            cand --max-age 'A waiting turn (a stranded session, or one the next boot resumes) last updated longer ago than this is old: a warning (session-old-turn), as `repair --max-age` ends it [default: 3d]'
            cand --state-dir 'The OpenClaw state dir [default: as the gateway resolves it]'
            cand --profile 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`'
            cand --store 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)'
            cand --agent 'Only this agent'
            cand --now 'Fix the clock (RFC 3339), for tests and reproducible reports'
            cand --stale-ms 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)'
            cand --gateway-pid 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)'
            cand --openclaw-version 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]'
            cand --color 'When to use colour'
            cand --proc-root 'Read process facts from this proc filesystem (tests)'
            cand --json 'Print one JSON document instead of tables (schema/scan.schema.json)'
            cand -q 'Print nothing on stdout and no progress (for cron and scripts): the exit code, and on stderr one line per warning or error finding, as `repair --quiet`'
            cand --quiet 'Print nothing on stdout and no progress (for cron and scripts): the exit code, and on stderr one line per warning or error finding, as `repair --quiet`'
            cand -v 'Show the release''s notes in full, and every finding (without it, a code found more than 3 times in a severity is shown once, with its count and first finding)'
            cand --verbose 'Show the release''s notes in full, and every finding (without it, a code found more than 3 times in a severity is shown once, with its count and first finding)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'sessfix;repair'= {
            cand --backup-dir 'Where backups go [default: <state-dir>/sessfix-backups]'
            cand --untombstone 'SQLite era (OpenClaw 2026.8+): drop the restart-recovery cycle that rejects every turn of this session, keeping its history: a tombstone (restart recovery gave up), or a cycle and run fence left on a finished session ("changed while starting work. Retry.")'
            cand --resume 'SQLite era: re-queue the turn of this session that a stop dropped (`killed` with abortedLastRun); never automatic, as a user''s /stop leaves the same state'
            cand --prune-dead-letters 'Delivery queue: remove dead letters older than this (e.g. 30d), each backed up: payload-free tombstones, and dead letters that still hold a reply too (given with --requeue-replies, the requeue wins)'
            cand --max-age 'End waiting turns (stranded sessions, and those the next boot resumes) last updated longer ago than this (e.g. 2d, 12h) instead of resuming them; without it, those older than 3d are a warning'
            cand --lock-wait 'How long to wait for another sessfix run''s lock on this state dir before giving up with exit 7 (0s: do not wait)'
            cand --keep-backups 'After a run that changed something, prune this state dir''s older backup runs but the N newest (the run just made counted, never pruned); `all` keeps every run'
            cand --keep-backups-for 'Keep backup runs made less than this long ago too (e.g. 30d), however many there are'
            cand --state-dir 'The OpenClaw state dir [default: as the gateway resolves it]'
            cand --profile 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`'
            cand --store 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)'
            cand --agent 'Only this agent'
            cand --now 'Fix the clock (RFC 3339), for tests and reproducible reports'
            cand --stale-ms 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)'
            cand --gateway-pid 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)'
            cand --openclaw-version 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]'
            cand --color 'When to use colour'
            cand --proc-root 'Read process facts from this proc filesystem (tests)'
            cand --dry-run 'Show the plan and change nothing'
            cand --detailed-exitcode 'With --dry-run: exit 0 when there is nothing to change and nothing needs a person, 1 when a person is needed (whatever the plan), 8 when the plan would change files and nothing else needs a person (as `terraform plan -detailed-exitcode`); 3, 4 and 6 as without it'
            cand --diff 'Show the plan as unified diffs too (each index, and each transcript cut as removed lines)'
            cand --json 'Print the plan (and, when applied, the results) as one JSON document on stdout (schema/repair.schema.json)'
            cand -y 'Apply without asking'
            cand --yes 'Apply without asking'
            cand -q 'Print nothing on stdout and no progress (for cron and ExecStartPre); stderr still has one line per thing that needs a person'
            cand --quiet 'Print nothing on stdout and no progress (for cron and ExecStartPre); stderr still has one line per thing that needs a person'
            cand --force 'Write even though a gateway looks live (only when that verdict is wrong)'
            cand --keep-transcripts 'Never edit transcripts (no artifact removal, no torn-line cut)'
            cand --end-orphans 'End running rows that no boot ever ends: a key boot recovery skips (acp, cron, subagent) whose transcript is gone'
            cand --restore-index 'Restore a missing, empty or unparseable sessions.json from its best intact copy (a complete temp file, sessions.json.bak.<ms> or a sessfix backup), backed up like every write, then repair the restored sessions'
            cand --rebuild-dropped 'File era: add an index entry for each session a rebuild of the index dropped (`session-dropped`: a recent plain transcript no entry names), keyed `agent:<id>:restored:<sessionId>`, so that clients list it again and a turn on that key continues it with its history'
            cand --clear-dead-leases 'SQLite era: remove leases (state/openclaw.sqlite) whose owner is positively dead, such as the maintenance lease that keeps the gateway and `openclaw doctor --fix` from starting for a minute'
            cand --requeue-replies 'Delivery queue: put dead-lettered replies that were never sent, and pending ones that failed before, back as pending with their retries reset, so the next boot sends them (`delivery-queue/` files; 2026.6.1 to 2026.7.x `outbound` rows, before a 2026.8.1+ upgrade deletes them)'
            cand --may-duplicate 'With --requeue-replies: sends that may have reached the chat too (a send a restart interrupted): the user may get them twice'
            cand --send-unsent-replies 'Delivery queue: queue each restart-resumed turn''s reply that is only in its transcript (2026.4.25 to 2026.5.28 resume with deliver: false) for the session''s chat, as a delivery-queue/ file the next boot sends'
            cand --dead-letter-failing 'Delivery queue: make pending replies whose last error can never succeed ("No conversation reference found", "chat not found", ...) dead letters, kept whole, instead of replaying them at every boot'
            cand --if-stopped 'For cron: when a gateway is live, change nothing and exit 0 (one line on stderr unless --quiet) instead of refusing with exit 4'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'sessfix;undo'= {
            cand --run 'Undo this run (an id from --list) instead of the newest not yet undone; refused while a newer run not undone changed the same files'
            cand --backup-dir 'Where backups are [default: <state-dir>/sessfix-backups]'
            cand --lock-wait 'How long to wait for another sessfix run''s lock on this state dir before giving up with exit 7 (0s: do not wait)'
            cand --state-dir 'The OpenClaw state dir [default: as the gateway resolves it]'
            cand --profile 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`'
            cand --store 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)'
            cand --agent 'Only this agent'
            cand --now 'Fix the clock (RFC 3339), for tests and reproducible reports'
            cand --stale-ms 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)'
            cand --gateway-pid 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)'
            cand --openclaw-version 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]'
            cand --color 'When to use colour'
            cand --proc-root 'Read process facts from this proc filesystem (tests)'
            cand --list 'List every backup run, newest first: its id, when it was made, what it changed, its size and whether it was undone; changes nothing'
            cand --dry-run 'Show what undo would restore, file by file, and what it would refuse; changes nothing (exits as the real run would)'
            cand --json 'Print --list or --dry-run as one JSON document (schema/undo.schema.json)'
            cand --force 'Restore even though a gateway is live or its liveness is unknown'
            cand -y 'Restore without asking'
            cand --yes 'Restore without asking'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'sessfix;completions'= {
            cand --state-dir 'The OpenClaw state dir [default: as the gateway resolves it]'
            cand --profile 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`'
            cand --store 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)'
            cand --agent 'Only this agent'
            cand --now 'Fix the clock (RFC 3339), for tests and reproducible reports'
            cand --stale-ms 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)'
            cand --gateway-pid 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)'
            cand --openclaw-version 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]'
            cand --color 'When to use colour'
            cand --proc-root 'Read process facts from this proc filesystem (tests)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'sessfix;man'= {
            cand --install 'Write every page into DIR/man1/ instead (e.g. ~/.local/share/man, or /usr/local/share/man as root), then `man sessfix` reads them'
            cand --state-dir 'The OpenClaw state dir [default: as the gateway resolves it]'
            cand --profile 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`'
            cand --store 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)'
            cand --agent 'Only this agent'
            cand --now 'Fix the clock (RFC 3339), for tests and reproducible reports'
            cand --stale-ms 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)'
            cand --gateway-pid 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)'
            cand --openclaw-version 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]'
            cand --color 'When to use colour'
            cand --proc-root 'Read process facts from this proc filesystem (tests)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'sessfix;help'= {
            cand scan 'Report every inconsistency and what the next boot will do with each session'
            cand repair 'Repair the state so the next boot resumes interrupted sessions'
            cand undo 'Restore the files changed by the last repair not yet undone, if they are still as it left them; list the backups (--list)'
            cand completions 'Print a shell completion script'
            cand man 'Print a man page (roff): sessfix(1), or sessfix-COMMAND(1); or install them all (--install)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sessfix;help;scan'= {
        }
        &'sessfix;help;repair'= {
        }
        &'sessfix;help;undo'= {
        }
        &'sessfix;help;completions'= {
        }
        &'sessfix;help;man'= {
        }
        &'sessfix;help;help'= {
        }
    ]
    $completions[$command]
}
