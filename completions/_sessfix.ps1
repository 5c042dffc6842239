
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'sessfix' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'sessfix'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'sessfix' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The OpenClaw state dir [default: as the gateway resolves it]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only this agent')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Fix the clock (RFC 3339), for tests and reproducible reports')
            [CompletionResult]::new('--stale-ms', '--stale-ms', [CompletionResultType]::ParameterName, 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)')
            [CompletionResult]::new('--gateway-pid', '--gateway-pid', [CompletionResultType]::ParameterName, 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)')
            [CompletionResult]::new('--openclaw-version', '--openclaw-version', [CompletionResultType]::ParameterName, 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read process facts from this proc filesystem (tests)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Report every inconsistency and what the next boot will do with each session')
            [CompletionResult]::new('repair', 'repair', [CompletionResultType]::ParameterValue, 'Repair the state so the next boot resumes interrupted sessions')
            [CompletionResult]::new('undo', 'undo', [CompletionResultType]::ParameterValue, 'Restore the files changed by the last repair not yet undone, if they are still as it left them; list the backups (--list)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff): sessfix(1), or sessfix-COMMAND(1); or install them all (--install)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sessfix;scan' {
            [CompletionResult]::new('--severity', '--severity', [CompletionResultType]::ParameterName, 'Show only findings at least this severe (text, --json''s findings array, --quiet''s lines); the totals and the exit code stay those of the whole state')
            [CompletionResult]::new('--code', '--code', [CompletionResultType]::ParameterName, 'Show only findings with this code, every one (repeatable; README''s Findings lists the codes); the totals and the exit code stay those of the whole state')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'A waiting turn (a stranded session, or one the next boot resumes) last updated longer ago than this is old: a warning (session-old-turn), as `repair --max-age` ends it [default: 3d]')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The OpenClaw state dir [default: as the gateway resolves it]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only this agent')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Fix the clock (RFC 3339), for tests and reproducible reports')
            [CompletionResult]::new('--stale-ms', '--stale-ms', [CompletionResultType]::ParameterName, 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)')
            [CompletionResult]::new('--gateway-pid', '--gateway-pid', [CompletionResultType]::ParameterName, 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)')
            [CompletionResult]::new('--openclaw-version', '--openclaw-version', [CompletionResultType]::ParameterName, 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read process facts from this proc filesystem (tests)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of tables (schema/scan.schema.json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout and no progress (for cron and scripts): the exit code, and on stderr one line per warning or error finding, as `repair --quiet`')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout and no progress (for cron and scripts): the exit code, and on stderr one line per warning or error finding, as `repair --quiet`')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the release''s notes in full, and every finding (without it, a code found more than 3 times in a severity is shown once, with its count and first finding)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the release''s notes in full, and every finding (without it, a code found more than 3 times in a severity is shown once, with its count and first finding)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'sessfix;repair' {
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'Where backups go [default: <state-dir>/sessfix-backups]')
            [CompletionResult]::new('--untombstone', '--untombstone', [CompletionResultType]::ParameterName, 'SQLite era (OpenClaw 2026.8+): drop the restart-recovery cycle that rejects every turn of this session, keeping its history: a tombstone (restart recovery gave up), or a cycle and run fence left on a finished session ("changed while starting work. Retry.")')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'SQLite era: re-queue the turn of this session that a stop dropped (`killed` with abortedLastRun); never automatic, as a user''s /stop leaves the same state')
            [CompletionResult]::new('--prune-dead-letters', '--prune-dead-letters', [CompletionResultType]::ParameterName, 'Delivery queue: remove dead letters older than this (e.g. 30d), each backed up: payload-free tombstones, and dead letters that still hold a reply too (given with --requeue-replies, the requeue wins)')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'End waiting turns (stranded sessions, and those the next boot resumes) last updated longer ago than this (e.g. 2d, 12h) instead of resuming them; without it, those older than 3d are a warning')
            [CompletionResult]::new('--lock-wait', '--lock-wait', [CompletionResultType]::ParameterName, 'How long to wait for another sessfix run''s lock on this state dir before giving up with exit 7 (0s: do not wait)')
            [CompletionResult]::new('--keep-backups', '--keep-backups', [CompletionResultType]::ParameterName, 'After a run that changed something, prune this state dir''s older backup runs but the N newest (the run just made counted, never pruned); `all` keeps every run')
            [CompletionResult]::new('--keep-backups-for', '--keep-backups-for', [CompletionResultType]::ParameterName, 'Keep backup runs made less than this long ago too (e.g. 30d), however many there are')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The OpenClaw state dir [default: as the gateway resolves it]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only this agent')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Fix the clock (RFC 3339), for tests and reproducible reports')
            [CompletionResult]::new('--stale-ms', '--stale-ms', [CompletionResultType]::ParameterName, 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)')
            [CompletionResult]::new('--gateway-pid', '--gateway-pid', [CompletionResultType]::ParameterName, 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)')
            [CompletionResult]::new('--openclaw-version', '--openclaw-version', [CompletionResultType]::ParameterName, 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read process facts from this proc filesystem (tests)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the plan and change nothing')
            [CompletionResult]::new('--detailed-exitcode', '--detailed-exitcode', [CompletionResultType]::ParameterName, 'With --dry-run: exit 0 when there is nothing to change and nothing needs a person, 1 when a person is needed (whatever the plan), 8 when the plan would change files and nothing else needs a person (as `terraform plan -detailed-exitcode`); 3, 4 and 6 as without it')
            [CompletionResult]::new('--diff', '--diff', [CompletionResultType]::ParameterName, 'Show the plan as unified diffs too (each index, and each transcript cut as removed lines)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the plan (and, when applied, the results) as one JSON document on stdout (schema/repair.schema.json)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Apply without asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Apply without asking')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stdout and no progress (for cron and ExecStartPre); stderr still has one line per thing that needs a person')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stdout and no progress (for cron and ExecStartPre); stderr still has one line per thing that needs a person')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Write even though a gateway looks live (only when that verdict is wrong)')
            [CompletionResult]::new('--keep-transcripts', '--keep-transcripts', [CompletionResultType]::ParameterName, 'Never edit transcripts (no artifact removal, no torn-line cut)')
            [CompletionResult]::new('--end-orphans', '--end-orphans', [CompletionResultType]::ParameterName, 'End running rows that no boot ever ends: a key boot recovery skips (acp, cron, subagent) whose transcript is gone')
            [CompletionResult]::new('--restore-index', '--restore-index', [CompletionResultType]::ParameterName, 'Restore a missing, empty or unparseable sessions.json from its best intact copy (a complete temp file, sessions.json.bak.<ms> or a sessfix backup), backed up like every write, then repair the restored sessions')
            [CompletionResult]::new('--rebuild-dropped', '--rebuild-dropped', [CompletionResultType]::ParameterName, 'File era: add an index entry for each session a rebuild of the index dropped (`session-dropped`: a recent plain transcript no entry names), keyed `agent:<id>:restored:<sessionId>`, so that clients list it again and a turn on that key continues it with its history')
            [CompletionResult]::new('--clear-dead-leases', '--clear-dead-leases', [CompletionResultType]::ParameterName, 'SQLite era: remove leases (state/openclaw.sqlite) whose owner is positively dead, such as the maintenance lease that keeps the gateway and `openclaw doctor --fix` from starting for a minute')
            [CompletionResult]::new('--requeue-replies', '--requeue-replies', [CompletionResultType]::ParameterName, 'Delivery queue: put dead-lettered replies that were never sent, and pending ones that failed before, back as pending with their retries reset, so the next boot sends them (`delivery-queue/` files; 2026.6.1 to 2026.7.x `outbound` rows, before a 2026.8.1+ upgrade deletes them)')
            [CompletionResult]::new('--may-duplicate', '--may-duplicate', [CompletionResultType]::ParameterName, 'With --requeue-replies: sends that may have reached the chat too (a send a restart interrupted): the user may get them twice')
            [CompletionResult]::new('--send-unsent-replies', '--send-unsent-replies', [CompletionResultType]::ParameterName, 'Delivery queue: queue each restart-resumed turn''s reply that is only in its transcript (2026.4.25 to 2026.5.28 resume with deliver: false) for the session''s chat, as a delivery-queue/ file the next boot sends')
            [CompletionResult]::new('--dead-letter-failing', '--dead-letter-failing', [CompletionResultType]::ParameterName, 'Delivery queue: make pending replies whose last error can never succeed ("No conversation reference found", "chat not found", ...) dead letters, kept whole, instead of replaying them at every boot')
            [CompletionResult]::new('--if-stopped', '--if-stopped', [CompletionResultType]::ParameterName, 'For cron: when a gateway is live, change nothing and exit 0 (one line on stderr unless --quiet) instead of refusing with exit 4')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'sessfix;undo' {
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Undo this run (an id from --list) instead of the newest not yet undone; refused while a newer run not undone changed the same files')
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'Where backups are [default: <state-dir>/sessfix-backups]')
            [CompletionResult]::new('--lock-wait', '--lock-wait', [CompletionResultType]::ParameterName, 'How long to wait for another sessfix run''s lock on this state dir before giving up with exit 7 (0s: do not wait)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The OpenClaw state dir [default: as the gateway resolves it]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only this agent')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Fix the clock (RFC 3339), for tests and reproducible reports')
            [CompletionResult]::new('--stale-ms', '--stale-ms', [CompletionResultType]::ParameterName, 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)')
            [CompletionResult]::new('--gateway-pid', '--gateway-pid', [CompletionResultType]::ParameterName, 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)')
            [CompletionResult]::new('--openclaw-version', '--openclaw-version', [CompletionResultType]::ParameterName, 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read process facts from this proc filesystem (tests)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List every backup run, newest first: its id, when it was made, what it changed, its size and whether it was undone; changes nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what undo would restore, file by file, and what it would refuse; changes nothing (exits as the real run would)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print --list or --dry-run as one JSON document (schema/undo.schema.json)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Restore even though a gateway is live or its liveness is unknown')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Restore without asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Restore without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'sessfix;completions' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The OpenClaw state dir [default: as the gateway resolves it]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only this agent')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Fix the clock (RFC 3339), for tests and reproducible reports')
            [CompletionResult]::new('--stale-ms', '--stale-ms', [CompletionResultType]::ParameterName, 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)')
            [CompletionResult]::new('--gateway-pid', '--gateway-pid', [CompletionResultType]::ParameterName, 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)')
            [CompletionResult]::new('--openclaw-version', '--openclaw-version', [CompletionResultType]::ParameterName, 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read process facts from this proc filesystem (tests)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'sessfix;man' {
            [CompletionResult]::new('--install', '--install', [CompletionResultType]::ParameterName, 'Write every page into DIR/man1/ instead (e.g. ~/.local/share/man, or /usr/local/share/man as root), then `man sessfix` reads them')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The OpenClaw state dir [default: as the gateway resolves it]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only this agent')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Fix the clock (RFC 3339), for tests and reproducible reports')
            [CompletionResult]::new('--stale-ms', '--stale-ms', [CompletionResultType]::ParameterName, 'Transcript lock stale threshold: ms as the gateway''s variable takes it, or a duration (`30m`) (2026.5.12''s boot cleanup uses 30 min)')
            [CompletionResult]::new('--gateway-pid', '--gateway-pid', [CompletionResultType]::ParameterName, 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)')
            [CompletionResult]::new('--openclaw-version', '--openclaw-version', [CompletionResultType]::ParameterName, 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read process facts from this proc filesystem (tests)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'sessfix;help' {
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Report every inconsistency and what the next boot will do with each session')
            [CompletionResult]::new('repair', 'repair', [CompletionResultType]::ParameterValue, 'Repair the state so the next boot resumes interrupted sessions')
            [CompletionResult]::new('undo', 'undo', [CompletionResultType]::ParameterValue, 'Restore the files changed by the last repair not yet undone, if they are still as it left them; list the backups (--list)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff): sessfix(1), or sessfix-COMMAND(1); or install them all (--install)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sessfix;help;scan' {
            break
        }
        'sessfix;help;repair' {
            break
        }
        'sessfix;help;undo' {
            break
        }
        'sessfix;help;completions' {
            break
        }
        'sessfix;help;man' {
            break
        }
        'sessfix;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
