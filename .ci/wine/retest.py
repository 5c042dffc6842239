"""The outcome of the test suite under Wine (.ci/wine-test.sh), with the
tests that Wine could not start a process for run again.

Under load, Wine 8.0's CreateProcess now and then fails with
ERROR_INTERNAL_ERROR (1359, "Internal error.") before the child runs: a test
that starts sessfix then panics on `Os { code: 1359, .. }` (seen once in the
440 tests of a loaded CI run, in a property test that starts sessfix some
hundred times). Such a failure says nothing of sessfix, which never ran.

    python3 -B .ci/wine/retest.py LOG CARGO_STATUS [CARGO_TEST_ARGS...]

LOG is `cargo test`'s output, CARGO_STATUS its exit code, and the rest the
arguments it was given after the target. A failed test whose output shows
that error is run again alone (`cargo test <args> --test NAME -- --exact
TEST`), at most twice; any other failure stays a failure. Prints the summed
counts and what was run again; exits 0 only when nothing failed in the end.
"""
import re
import subprocess
import sys

TARGET = "x86_64-pc-windows-gnu"
# `called `Result::unwrap()` on an `Err` value: Os { code: 1359, kind: Uncategorized, message: "Internal error." }`
WINE_COULD_NOT_START = re.compile(r"Os \{ code: 1359\b")
RUNNING = re.compile(r"^\s+Running (unittests )?(\S+)")
FAILED = re.compile(r"^test (\S+) \.\.\. FAILED$")
SECTION = re.compile(r"^---- (\S+) stdout ----$")
RESULT = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")


def selector(source):
    """The `cargo test` arguments that select the binary built from `source`
    (as `Running` names it: `src/lib.rs`, `src/main.rs`, `tests/x.rs`)."""
    if source == "src/lib.rs":
        return ["--lib"]
    m = re.fullmatch(r"src/(?:main|bin/(\w+))\.rs", source)
    if m:
        return ["--bin", m.group(1) or "sessfix"]
    m = re.fullmatch(r"tests/(\w+)\.rs", source)
    if m:
        return ["--test", m.group(1)]
    raise ValueError(f"retest: cannot tell which test binary {source!r} is")


def parse(log):
    """(totals, failures): totals is [passed, failed, ignored, binaries];
    failures maps (source, test) to that test's captured output."""
    totals = [0, 0, 0, 0]
    failures = {}
    source, section, lines = None, None, []

    def close():
        if section is not None:
            failures[(source, section)] = "\n".join(lines)

    for line in log.splitlines():
        m = RUNNING.match(line)
        if m:
            close()
            source, section, lines = m.group(2), None, []
            continue
        m = FAILED.match(line)
        if m:
            failures.setdefault((source, m.group(1)), "")
            continue
        m = SECTION.match(line)
        if m:
            close()
            section, lines = m.group(1), []
            continue
        if section is not None and line == "failures:":
            close()
            section = None
            continue
        m = RESULT.match(line)
        if m:
            close()
            section = None
            for i in range(3):
                totals[i] += int(m.group(i + 1))
            totals[3] += 1
            continue
        if section is not None:
            lines.append(line)
    close()
    return totals, failures


def failed_targets(log):
    """The targets `cargo test --no-fail-fast` names as failed at its end
    (`error: 1 target failed:` then lines like `    `--test properties``),
    as argument lists; None when it names none."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^error: \d+ targets? failed:$", line):
            out = []
            for t in lines[i + 1:]:
                m = re.match(r"^\s+`(.+)`$", t)
                if not m:
                    break
                out.append(m.group(1).split())
            return out
    return None


def split_args(args):
    """`cargo test` arguments without what goes to the test harness (after `--`)."""
    return args[: args.index("--")] if "--" in args else list(args)


def run_again(source, test, cargo_args, run=subprocess.run):
    """Runs `test` alone; returns (passed, output)."""
    cmd = ["cargo", "test", "--target", TARGET, *split_args(cargo_args), *selector(source),
           "--", "--exact", test]
    p = run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    totals, failures = parse(p.stdout)
    return p.returncode == 0 and totals[0] == 1 and not failures, p.stdout


def settle(log, status, cargo_args, run=subprocess.run, out=sys.stdout):
    """Prints the outcome; returns the exit code (0: nothing failed in the end)."""
    (passed, failed, ignored, binaries), failures = parse(log)
    targets = failed_targets(log)
    if status != 0 and (targets is None or not failures):
        print(f"wine-test: cargo test exited {status} with no failed test named (a build failure?)", file=out)
        return 1
    unexplained = [t for t in targets or [] if t not in [selector(s) for s, _ in failures]]
    if unexplained:
        print(f"wine-test: cargo test names failed targets with no failed test: {unexplained}", file=out)
        return 1
    again = []
    for (source, test), output in sorted(failures.items(), key=lambda f: (f[0][0] or "", f[0][1])):
        if not WINE_COULD_NOT_START.search(output):
            continue
        for _ in range(2):
            ok, output = run_again(source, test, cargo_args, run)
            if ok or not WINE_COULD_NOT_START.search(output):
                break
        if ok:
            again.append(f"{source}: {test}")
            passed += 1
            failed -= 1
        else:
            print(f"wine-test: {source}: {test} failed again when run alone:\n{output}", file=out)
    print(f"wine-test: {binaries} test binaries: {passed} passed, {failed} failed, {ignored} ignored", file=out)
    if again:
        print(f"wine-test: {len(again)} test(s) failed only because Wine could not start a process "
              f"(os error 1359) and passed when run again: {', '.join(again)}", file=out)
    return 0 if failed == 0 else 1


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8", errors="replace") as f:
        log = f.read()
    return settle(log, int(argv[1]), argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
