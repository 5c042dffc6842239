# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sessfix_global_optspecs
    string join \n state-dir= profile= store= agent= now= stale-ms= gateway-pid= openclaw-version= color= proc-root= h/help V/version
end

function __fish_sessfix_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sessfix_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sessfix_using_subcommand
    set -l cmd (__fish_sessfix_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sessfix -n "__fish_sessfix_needs_command" -l state-dir -d 'The OpenClaw state dir [default: as the gateway resolves it]' -r -F
complete -c sessfix -n "__fish_sessfix_needs_command" -l profile -d 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`' -r
complete -c sessfix -n "__fish_sessfix_needs_command" -l store -d 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)' -r -F
complete -c sessfix -n "__fish_sessfix_needs_command" -l agent -d 'Only this agent' -r
complete -c sessfix -n "__fish_sessfix_needs_command" -l now -d 'Fix the clock (RFC 3339), for tests and reproducible reports' -r
complete -c sessfix -n "__fish_sessfix_needs_command" -l stale-ms -d 'Transcript lock stale threshold: ms as the gateway\'s variable takes it, or a duration (`30m`) (2026.5.12\'s boot cleanup uses 30 min)' -r
complete -c sessfix -n "__fish_sessfix_needs_command" -l gateway-pid -d 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)' -r
complete -c sessfix -n "__fish_sessfix_needs_command" -l openclaw-version -d 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]' -r
complete -c sessfix -n "__fish_sessfix_needs_command" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sessfix -n "__fish_sessfix_needs_command" -l proc-root -d 'Read process facts from this proc filesystem (tests)' -r -F
complete -c sessfix -n "__fish_sessfix_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessfix -n "__fish_sessfix_needs_command" -s V -l version -d 'Print version'
complete -c sessfix -n "__fish_sessfix_needs_command" -f -a "scan" -d 'Report every inconsistency and what the next boot will do with each session'
complete -c sessfix -n "__fish_sessfix_needs_command" -f -a "repair" -d 'Repair the state so the next boot resumes interrupted sessions'
complete -c sessfix -n "__fish_sessfix_needs_command" -f -a "undo" -d 'Restore the files changed by the last repair not yet undone, if they are still as it left them; list the backups (--list)'
complete -c sessfix -n "__fish_sessfix_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c sessfix -n "__fish_sessfix_needs_command" -f -a "man" -d 'Print a man page (roff): sessfix(1), or sessfix-COMMAND(1); or install them all (--install)'
complete -c sessfix -n "__fish_sessfix_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l severity -d 'Show only findings at least this severe (text, --json\'s findings array, --quiet\'s lines); the totals and the exit code stay those of the whole state' -r -f -a "error\t''
warning\t''
info\t''"
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l code -d 'Show only findings with this code, every one (repeatable; README\'s Findings lists the codes); the totals and the exit code stay those of the whole state' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l max-age -d 'A waiting turn (a stranded session, or one the next boot resumes) last updated longer ago than this is old: a warning (session-old-turn), as `repair --max-age` ends it [default: 3d]' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l state-dir -d 'The OpenClaw state dir [default: as the gateway resolves it]' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l profile -d 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l store -d 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l agent -d 'Only this agent' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l now -d 'Fix the clock (RFC 3339), for tests and reproducible reports' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l stale-ms -d 'Transcript lock stale threshold: ms as the gateway\'s variable takes it, or a duration (`30m`) (2026.5.12\'s boot cleanup uses 30 min)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l gateway-pid -d 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l openclaw-version -d 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l proc-root -d 'Read process facts from this proc filesystem (tests)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -l json -d 'Print one JSON document instead of tables (schema/scan.schema.json)'
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -s q -l quiet -d 'Print nothing on stdout and no progress (for cron and scripts): the exit code, and on stderr one line per warning or error finding, as `repair --quiet`'
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -s v -l verbose -d 'Show the release\'s notes in full, and every finding (without it, a code found more than 3 times in a severity is shown once, with its count and first finding)'
complete -c sessfix -n "__fish_sessfix_using_subcommand scan" -s h -l help -d 'Print help'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l backup-dir -d 'Where backups go [default: <state-dir>/sessfix-backups]' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l untombstone -d 'SQLite era (OpenClaw 2026.8+): drop the restart-recovery cycle that rejects every turn of this session, keeping its history: a tombstone (restart recovery gave up), or a cycle and run fence left on a finished session ("changed while starting work. Retry.")' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l resume -d 'SQLite era: re-queue the turn of this session that a stop dropped (`killed` with abortedLastRun); never automatic, as a user\'s /stop leaves the same state' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l prune-dead-letters -d 'Delivery queue: remove dead letters older than this (e.g. 30d), each backed up: payload-free tombstones, and dead letters that still hold a reply too (given with --requeue-replies, the requeue wins)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l max-age -d 'End waiting turns (stranded sessions, and those the next boot resumes) last updated longer ago than this (e.g. 2d, 12h) instead of resuming them; without it, those older than 3d are a warning' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l lock-wait -d 'How long to wait for another sessfix run\'s lock on this state dir before giving up with exit 7 (0s: do not wait)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l keep-backups -d 'After a run that changed something, prune this state dir\'s older backup runs but the N newest (the run just made counted, never pruned); `all` keeps every run' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l keep-backups-for -d 'Keep backup runs made less than this long ago too (e.g. 30d), however many there are' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l state-dir -d 'The OpenClaw state dir [default: as the gateway resolves it]' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l profile -d 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l store -d 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l agent -d 'Only this agent' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l now -d 'Fix the clock (RFC 3339), for tests and reproducible reports' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l stale-ms -d 'Transcript lock stale threshold: ms as the gateway\'s variable takes it, or a duration (`30m`) (2026.5.12\'s boot cleanup uses 30 min)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l gateway-pid -d 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l openclaw-version -d 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l proc-root -d 'Read process facts from this proc filesystem (tests)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l dry-run -d 'Show the plan and change nothing'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l detailed-exitcode -d 'With --dry-run: exit 0 when there is nothing to change and nothing needs a person, 1 when a person is needed (whatever the plan), 8 when the plan would change files and nothing else needs a person (as `terraform plan -detailed-exitcode`); 3, 4 and 6 as without it'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l diff -d 'Show the plan as unified diffs too (each index, and each transcript cut as removed lines)'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l json -d 'Print the plan (and, when applied, the results) as one JSON document on stdout (schema/repair.schema.json)'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -s y -l yes -d 'Apply without asking'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -s q -l quiet -d 'Print nothing on stdout and no progress (for cron and ExecStartPre); stderr still has one line per thing that needs a person'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l force -d 'Write even though a gateway looks live (only when that verdict is wrong)'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l keep-transcripts -d 'Never edit transcripts (no artifact removal, no torn-line cut)'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l end-orphans -d 'End running rows that no boot ever ends: a key boot recovery skips (acp, cron, subagent) whose transcript is gone'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l restore-index -d 'Restore a missing, empty or unparseable sessions.json from its best intact copy (a complete temp file, sessions.json.bak.<ms> or a sessfix backup), backed up like every write, then repair the restored sessions'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l rebuild-dropped -d 'File era: add an index entry for each session a rebuild of the index dropped (`session-dropped`: a recent plain transcript no entry names), keyed `agent:<id>:restored:<sessionId>`, so that clients list it again and a turn on that key continues it with its history'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l clear-dead-leases -d 'SQLite era: remove leases (state/openclaw.sqlite) whose owner is positively dead, such as the maintenance lease that keeps the gateway and `openclaw doctor --fix` from starting for a minute'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l requeue-replies -d 'Delivery queue: put dead-lettered replies that were never sent, and pending ones that failed before, back as pending with their retries reset, so the next boot sends them (`delivery-queue/` files; 2026.6.1 to 2026.7.x `outbound` rows, before a 2026.8.1+ upgrade deletes them)'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l may-duplicate -d 'With --requeue-replies: sends that may have reached the chat too (a send a restart interrupted): the user may get them twice'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l send-unsent-replies -d 'Delivery queue: queue each restart-resumed turn\'s reply that is only in its transcript (2026.4.25 to 2026.5.28 resume with deliver: false) for the session\'s chat, as a delivery-queue/ file the next boot sends'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l dead-letter-failing -d 'Delivery queue: make pending replies whose last error can never succeed ("No conversation reference found", "chat not found", ...) dead letters, kept whole, instead of replaying them at every boot'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -l if-stopped -d 'For cron: when a gateway is live, change nothing and exit 0 (one line on stderr unless --quiet) instead of refusing with exit 4'
complete -c sessfix -n "__fish_sessfix_using_subcommand repair" -s h -l help -d 'Print help'
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l run -d 'Undo this run (an id from --list) instead of the newest not yet undone; refused while a newer run not undone changed the same files' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l backup-dir -d 'Where backups are [default: <state-dir>/sessfix-backups]' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l lock-wait -d 'How long to wait for another sessfix run\'s lock on this state dir before giving up with exit 7 (0s: do not wait)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l state-dir -d 'The OpenClaw state dir [default: as the gateway resolves it]' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l profile -d 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l store -d 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l agent -d 'Only this agent' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l now -d 'Fix the clock (RFC 3339), for tests and reproducible reports' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l stale-ms -d 'Transcript lock stale threshold: ms as the gateway\'s variable takes it, or a duration (`30m`) (2026.5.12\'s boot cleanup uses 30 min)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l gateway-pid -d 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l openclaw-version -d 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l proc-root -d 'Read process facts from this proc filesystem (tests)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l list -d 'List every backup run, newest first: its id, when it was made, what it changed, its size and whether it was undone; changes nothing'
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l dry-run -d 'Show what undo would restore, file by file, and what it would refuse; changes nothing (exits as the real run would)'
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l json -d 'Print --list or --dry-run as one JSON document (schema/undo.schema.json)'
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -l force -d 'Restore even though a gateway is live or its liveness is unknown'
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -s y -l yes -d 'Restore without asking'
complete -c sessfix -n "__fish_sessfix_using_subcommand undo" -s h -l help -d 'Print help'
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l state-dir -d 'The OpenClaw state dir [default: as the gateway resolves it]' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l profile -d 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l store -d 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l agent -d 'Only this agent' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l now -d 'Fix the clock (RFC 3339), for tests and reproducible reports' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l stale-ms -d 'Transcript lock stale threshold: ms as the gateway\'s variable takes it, or a duration (`30m`) (2026.5.12\'s boot cleanup uses 30 min)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l gateway-pid -d 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l openclaw-version -d 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -l proc-root -d 'Read process facts from this proc filesystem (tests)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand completions" -s h -l help -d 'Print help'
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l install -d 'Write every page into DIR/man1/ instead (e.g. ~/.local/share/man, or /usr/local/share/man as root), then `man sessfix` reads them' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l state-dir -d 'The OpenClaw state dir [default: as the gateway resolves it]' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l profile -d 'Use ~/.openclaw-NAME, as `openclaw --profile NAME`' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l store -d 'Only this index, a sessions.json file (as `openclaw sessions --store`); without a state dir, the one it sits in (<state>/agents/<id>/sessions/)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l agent -d 'Only this agent' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l now -d 'Fix the clock (RFC 3339), for tests and reproducible reports' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l stale-ms -d 'Transcript lock stale threshold: ms as the gateway\'s variable takes it, or a duration (`30m`) (2026.5.12\'s boot cleanup uses 30 min)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l gateway-pid -d 'Predict boot cleanup for a gateway that will run as this pid (in a container it gets the same pid at every start, e.g. 1)' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l openclaw-version -d 'The OpenClaw release the next boot runs (e.g. 2026.5.12, 2026.7.1-2) [default: the installed openclaw package, else what last used the state; unknown: every release line is predicted]' -r
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -l proc-root -d 'Read process facts from this proc filesystem (tests)' -r -F
complete -c sessfix -n "__fish_sessfix_using_subcommand man" -s h -l help -d 'Print help'
complete -c sessfix -n "__fish_sessfix_using_subcommand help; and not __fish_seen_subcommand_from scan repair undo completions man help" -f -a "scan" -d 'Report every inconsistency and what the next boot will do with each session'
complete -c sessfix -n "__fish_sessfix_using_subcommand help; and not __fish_seen_subcommand_from scan repair undo completions man help" -f -a "repair" -d 'Repair the state so the next boot resumes interrupted sessions'
complete -c sessfix -n "__fish_sessfix_using_subcommand help; and not __fish_seen_subcommand_from scan repair undo completions man help" -f -a "undo" -d 'Restore the files changed by the last repair not yet undone, if they are still as it left them; list the backups (--list)'
complete -c sessfix -n "__fish_sessfix_using_subcommand help; and not __fish_seen_subcommand_from scan repair undo completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c sessfix -n "__fish_sessfix_using_subcommand help; and not __fish_seen_subcommand_from scan repair undo completions man help" -f -a "man" -d 'Print a man page (roff): sessfix(1), or sessfix-COMMAND(1); or install them all (--install)'
complete -c sessfix -n "__fish_sessfix_using_subcommand help; and not __fish_seen_subcommand_from scan repair undo completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
