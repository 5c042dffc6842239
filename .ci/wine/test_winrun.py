"""Tests of winrun.could_not_start on what Wine 8.0's cmd printed.

    python3 -B -m unittest discover -s .ci/wine -p 'test_*.py'
"""
import unittest

from winrun import could_not_start

SHELL_EXECUTE = ("Application could not be started, or no application associated with the specified file.\r\n"
                 "ShellExecuteEx failed: Internal error.\r\n\r\n")
RECOGNIZE = "Can't recognize 'C:\\w\\bin\\sessfix.exe --state-dir C:\\w\\s1 scan' as an internal or external command, or batch script.\r\n"


class CouldNotStart(unittest.TestCase):
    def test_shell_execute_failing_on_stdout(self):
        self.assertTrue(could_not_start(SHELL_EXECUTE, ""))

    def test_cannot_recognize_on_stderr(self):
        self.assertTrue(could_not_start("", RECOGNIZE))

    def test_output_of_the_program_is_never_a_failure_to_start(self):
        self.assertFalse(could_not_start('{"findings": []}\n' + SHELL_EXECUTE, ""))
        self.assertFalse(could_not_start('{"findings": []}\n', ""))
        self.assertFalse(could_not_start("", "error: cannot read C:\\w\\s1\\openclaw.json\n"))


if __name__ == "__main__":
    unittest.main()
