#!/usr/bin/python3
"""The generated bash completion, sourced into a real bash: hushd's options, --set's
parameter names, presets, device names from `hushd --list-devices` (on a private JACK
dummy server, whose device is "system"), and hushctl's commands and parameter names.

usage: test-docs-completion.py COMPLETION_DIR HUSHD_DIR"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jackenv import JackServer  # noqa: E402

COMPLETIONS, BINDIR = sys.argv[1:3]


def complete(*words, env=None):
    """COMPREPLY for the command line `words` (the last one is being completed)."""
    cmd = words[0]
    script = (f'source "{os.path.join(COMPLETIONS, cmd)}"\n'
              'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()\n'
              f'_{cmd}\nprintf "%s\\n" "${{COMPREPLY[@]}}"\n')
    env = dict(env or os.environ)
    env["PATH"] = os.path.abspath(BINDIR) + ":" + env.get("PATH", "")
    r = subprocess.run(["bash", "-c", script, "bash", *words], capture_output=True,
                       text=True, env=env, timeout=30, check=True)
    return [w for w in r.stdout.split("\n") if w]


class Completion(unittest.TestCase):
    def test_hushd_options(self):
        self.assertEqual(complete("hushd", "--pre"), ["--preset"])
        self.assertEqual(complete("hushd", "--list"), ["--list-devices"])
        self.assertIn("--no-osc", complete("hushd", "--"))

    def test_set_completes_every_parameter_name_with_its_equals_sign(self):
        self.assertEqual(complete("hushd", "--set", "rel"), ["release_ms="])
        names = complete("hushd", "-s", "")
        self.assertEqual(len(names), 20)
        self.assertIn("active_reduction_db=", names)

    def test_presets(self):
        self.assertEqual(complete("hushd", "--preset", ""),
                         ["voice", "gentle", "strong", "low-latency"])

    def test_device_names_and_indexes_from_list_devices(self):
        with JackServer(period=256) as jack:
            self.assertEqual(complete("hushd", "--input-device", "sy", env=jack.env()),
                             ["system"])
            self.assertIn("0", complete("hushd", "--output-device", "", env=jack.env()))

    def test_hushctl_commands_and_parameters(self):
        self.assertEqual(complete("hushctl", "s"), ["set", "status", "save"])
        self.assertEqual(complete("hushctl", "--port", "9041", "get", "thr"), ["threshold"])
        self.assertEqual(complete("hushctl", "info", "fft"), ["fft_size"])
        self.assertEqual(complete("hushctl", "set", "fft"), [],
                         "set offers only live parameters")
        self.assertEqual(complete("hushctl", "profile", ""), ["save", "load"])
        self.assertEqual(complete("hushctl", "bypass", "o"), ["on", "off"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
