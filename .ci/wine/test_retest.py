"""Tests of retest.py on `cargo test` output as the Wine job saw it.

    python3 -B -m unittest discover -s .ci/wine -p 'test_*.py'
"""
import io
import subprocess
import unittest

import retest

RUN_LIB = "     Running unittests src/lib.rs (target/x86_64-pc-windows-gnu/release/deps/sessfix-1.exe)"
RUN_PROPS = "     Running tests/properties.rs (target/x86_64-pc-windows-gnu/release/deps/properties-2.exe)"
OK_LIB = """
running 2 tests
test a ... ok
test b ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
"""


def props(panic):
    return f"""
running 2 tests
test tail_reader_keeps_the_lines_recovery_keeps ... ok
test scan_and_dry_run_never_write ... FAILED

failures:

---- scan_and_dry_run_never_write stdout ----

thread 'scan_and_dry_run_never_write' (1448) panicked at tests/common/mod.rs:212:40:
{panic}
replay with SESSFIX_PROPTEST_SEED=2560592051164706850 SESSFIX_PROPTEST_FACTOR=1


failures:
    scan_and_dry_run_never_write

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 58.01s

error: test failed, to rerun pass `--test properties`
"""


WINE = ('called `Result::unwrap()` on an `Err` value: Os { code: 1359, kind: Uncategorized, '
        'message: "Internal error." }')
REAL = "assertion `left == right` failed: the dry run wrote sessions.json"
TAIL = "error: 1 target failed:\n    `--test properties`\n"


def log(panic):
    return "\n".join([RUN_LIB, OK_LIB, RUN_PROPS, props(panic), TAIL])


class FakeCargo:
    """Stands in for subprocess.run: answers each run with the next output."""

    def __init__(self, *outputs):
        self.outputs = list(outputs)
        self.calls = []

    def __call__(self, cmd, **_):
        self.calls.append(cmd)
        out = self.outputs.pop(0)
        return subprocess.CompletedProcess(cmd, 0 if "test result: ok" in out else 101, out)


ALONE_OK = RUN_PROPS + """
running 1 test
test scan_and_dry_run_never_write ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out; finished in 50.2s
"""
ALONE_WINE = RUN_PROPS + props(WINE).replace("1 passed; 1 failed", "0 passed; 1 failed")


def settle(text, status, run):
    out = io.StringIO()
    code = retest.settle(text, status, ["--release", "--locked"], run=run, out=out)
    return code, out.getvalue()


class Settle(unittest.TestCase):
    def test_a_failure_to_start_a_process_is_run_again_alone_and_passes(self):
        run = FakeCargo(ALONE_OK)
        code, out = settle(log(WINE), 101, run)
        self.assertEqual(code, 0, out)
        self.assertEqual(run.calls, [["cargo", "test", "--target", "x86_64-pc-windows-gnu", "--release", "--locked",
                                      "--test", "properties", "--", "--exact", "scan_and_dry_run_never_write"]])
        self.assertIn("2 test binaries: 4 passed, 0 failed, 0 ignored", out)
        self.assertIn("tests/properties.rs: scan_and_dry_run_never_write", out)

    def test_a_real_failure_is_never_run_again(self):
        run = FakeCargo()
        code, out = settle(log(REAL), 101, run)
        self.assertEqual(code, 1)
        self.assertEqual(run.calls, [])
        self.assertIn("3 passed, 1 failed", out)

    def test_it_is_run_again_at_most_twice(self):
        run = FakeCargo(ALONE_WINE, ALONE_WINE)
        code, out = settle(log(WINE), 101, run)
        self.assertEqual(code, 1)
        self.assertEqual(len(run.calls), 2)
        self.assertIn("failed again when run alone", out)

    def test_a_run_again_that_fails_otherwise_stays_failed(self):
        run = FakeCargo(RUN_PROPS + props(REAL))
        code, _ = settle(log(WINE), 101, run)
        self.assertEqual(code, 1)
        self.assertEqual(len(run.calls), 1)

    def test_a_build_failure_is_a_failure(self):
        text = "error[E0425]: cannot find value `x`\nerror: could not compile `sessfix` (test \"actions\")\n"
        code, out = settle(text, 101, FakeCargo())
        self.assertEqual(code, 1)
        self.assertIn("no failed test named", out)

    def test_a_failed_target_with_no_failed_test_is_a_failure(self):
        # properties' failure is Wine's, but cargo also names the lib, whose
        # binary failed without naming a test (it crashed, say).
        text = log(WINE).replace(TAIL, "error: 2 targets failed:\n    `--lib`\n    `--test properties`\n")
        code, out = settle(text, 101, FakeCargo(ALONE_OK))
        self.assertEqual(code, 1)
        self.assertIn("['--lib']", out)

    def test_a_green_run_passes_and_is_summed(self):
        text = "\n".join([RUN_LIB, OK_LIB, RUN_PROPS, OK_LIB])
        code, out = settle(text, 0, FakeCargo())
        self.assertEqual(code, 0)
        self.assertIn("2 test binaries: 4 passed, 0 failed, 0 ignored", out)


class Selector(unittest.TestCase):
    def test_each_kind_of_binary(self):
        self.assertEqual(retest.selector("src/lib.rs"), ["--lib"])
        self.assertEqual(retest.selector("src/main.rs"), ["--bin", "sessfix"])
        self.assertEqual(retest.selector("tests/properties.rs"), ["--test", "properties"])
        with self.assertRaises(ValueError):
            retest.selector("benches/x.rs")

    def test_harness_arguments_are_not_passed_on(self):
        self.assertEqual(retest.split_args(["--release", "--", "--test-threads", "1"]), ["--release"])


if __name__ == "__main__":
    unittest.main()
