#!/usr/bin/python3
"""test-hushctl: the hushctl client against the real OSC server on an engine driven
in-process (osc-testd): output text and exit status 0 (done), 1 (no reply), 2 (usage
or an error reply).  usage: test-hushctl.py OSC-TESTD HUSHCTL"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

TESTD, HUSHCTL = sys.argv[1], sys.argv[2]


class Hushctl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="hushd-ctl-")
        cls.server = subprocess.Popen([TESTD, "--state-dir", cls.dir],
                                      stdout=subprocess.PIPE, text=True)
        line = cls.server.stdout.readline()
        cls.port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))

    @classmethod
    def tearDownClass(cls):
        cls.server.send_signal(signal.SIGTERM)
        cls.server.communicate(timeout=10)
        shutil.rmtree(cls.dir)

    def ctl(self, *args, port=None):
        r = subprocess.run([HUSHCTL, "--port", str(port or self.port), *args],
                           capture_output=True, text=True, timeout=10)
        return r.returncode, r.stdout, r.stderr

    def test_ping_answers(self):
        rc, out, err = self.ctl("ping")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^pong from 127\.0\.0\.1:%d in \d+\.\d ms\n$" % self.port)

    def test_set_and_get_round_trip(self):
        self.assertEqual(self.ctl("set", "release_ms", "250"), (0, "release_ms 250\n", ""))
        self.assertEqual(self.ctl("get", "release_ms"), (0, "250\n", ""))
        self.assertEqual(self.ctl("set", "adapt", "off"), (0, "adapt 0\n", ""))
        self.assertEqual(self.ctl("set", "adapt", "on"), (0, "adapt 1\n", ""))
        self.assertEqual(self.ctl("set", "release_ms", "60"), (0, "release_ms 60\n", ""))

    def test_get_without_name_lists_every_parameter(self):
        rc, out, _ = self.ctl("get")
        self.assertEqual(rc, 0)
        lines = out.splitlines()
        self.assertEqual(len(lines), 20)
        self.assertIn("threshold        3", lines)
        self.assertIn("fft_size         1024", lines)

    def test_error_replies_are_printed_with_status_2(self):
        cases = [
            (("set", "threshold", "31"),
             "/hushd/param/threshold: threshold: 31 is out of range [-10, 30] dB"),
            (("set", "fft_size", "512"),
             "/hushd/param/fft_size: fft_size cannot change while running: it needs a restart"),
            (("set", "bypass", "maybe"),
             "/hushd/param/bypass: bypass: 'maybe' is not a number (allowed: [0, 1])"),
            (("get", "nope"), "/hushd/param/nope: unknown parameter 'nope'"),
            (("info", "nope"), "/hushd/info/nope: unknown parameter 'nope'"),
            (("profile", "load", "../x"), "/hushd/profile/load: profile name '../x' is not "
             "allowed: 1 to 100 characters, no '/', no '..'"),
        ]
        for args, msg in cases:
            self.assertEqual(self.ctl(*args), (2, "", "hushctl: %s\n" % msg), args)
        self.assertEqual(self.ctl("get", "threshold"), (0, "3\n", ""))

    def test_info_and_list(self):
        self.assertEqual(self.ctl("info", "wet"), (0, "wet: float in [0, 1], default 1, live\n"
                         "  mix of denoised (1) and latency-aligned dry (0) signal\n", ""))
        rc, out, _ = self.ctl("list")
        self.assertEqual(rc, 0)
        self.assertEqual(len(out.splitlines()), 40)
        self.assertIn("fft_size = 1024: int in [0, 16384] samples, default 0, needs a restart\n",
                      out)

    def test_status_prints_every_figure(self):
        rc, out, _ = self.ctl("status")
        self.assertEqual(rc, 0)
        labels = [l[:12].strip() for l in out.splitlines()]
        self.assertEqual(labels, ["input", "output", "reduction", "noise floor", "latency",
                                  "cpu load", "xruns", "overruns", "underruns", "uptime",
                                  "osc dropped", "osc refused", "bad samples"])
        self.assertIn("latency          16.0 ms\n", out)

    def test_status_watch_draws_bars_until_interrupted(self):
        p = subprocess.Popen([HUSHCTL, "--port", str(self.port), "status", "--watch"],
                             stdout=subprocess.PIPE, text=True)
        lines = [p.stdout.readline() for _ in range(3)]
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=5)
        self.assertEqual(p.returncode, 0)
        for line in lines + rest.splitlines(True):
            self.assertRegex(line, r"^in [#.]{30} +-?\d+\.\d dBFS  out +-?\d+\.\d dBFS  "
                             r"reduction [#.]{30} +\d+\.\d dB\n$")

    def test_bypass_learn_profile_and_save(self):
        self.assertEqual(self.ctl("bypass", "on"), (0, "bypass on\n", ""))
        self.assertEqual(self.ctl("get", "bypass"), (0, "1\n", ""))
        self.assertEqual(self.ctl("bypass", "off"), (0, "bypass off\n", ""))
        rc, out, _ = self.ctl("learn", "0.2")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^learning the noise for 0\.2 s\.\.\.\n"
                              r"learned: noise floor -\d+\.\d dB\n$")
        self.assertEqual(self.ctl("profile", "save", "ctl"), (0, "profile ctl saved\n", ""))
        with open(os.path.join(self.dir, "ctl.profile")) as f:
            self.assertEqual(f.readline(), "hushd-noise-profile 2\n")
            self.assertEqual(f.readline(), "kind learned\n")
        self.assertEqual(self.ctl("profile", "load", "ctl"), (0, "profile ctl loaded\n", ""))
        rc, out, _ = self.ctl("save")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^config saved by 127\.0\.0\.1:%d " % self.port)
        with open(os.path.join(self.dir, "hushd.conf")) as f:
            self.assertEqual(f.readline(), "threshold = 3\n")

    def test_usage_errors_give_status_2(self):
        hint = "Try 'hushctl --help'.\n"
        self.assertEqual(self.ctl(), (2, "", "hushctl: no command given\n" + hint))
        self.assertEqual(self.ctl("bogus"), (2, "", "hushctl: unknown command: bogus\n" + hint))
        self.assertEqual(self.ctl("bypass", "maybe"),
                         (2, "", "hushctl: bypass takes on or off\n" + hint))
        self.assertEqual(self.ctl("learn", "soon"),
                         (2, "", "hushctl: not a number of seconds: soon\n" + hint))
        self.assertEqual(self.ctl("ping", port="70000"),
                         (2, "", "hushctl: --port: not a port in [1, 65535]: 70000\n" + hint))

    def test_help_lists_every_command_and_parameter(self):
        r = subprocess.run([HUSHCTL, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        for word in ["get [NAME]", "set NAME VALUE", "info NAME", "list", "status [--watch]",
                     "learn SECONDS", "bypass on|off", "profile save NAME",
                     "profile load NAME", "save", "ping", "--host", "--port"]:
            self.assertIn(word, r.stdout)
        for name in ["threshold", "reduction_db", "attack_ms", "hold_ms", "release_ms",
                     "freq_smooth_hz", "wet", "adapt", "bypass", "channels_linked",
                     "fft_size", "hop_size"]:
            self.assertRegex(r.stdout, r"\n  %s +" % name)


class NoDaemon(unittest.TestCase):
    def test_no_reply_within_1_s_gives_status_1(self):
        # a port that was free a moment ago: nobody answers there
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        t0 = time.monotonic()
        r = subprocess.run([HUSHCTL, "--port", str(port), "ping"], capture_output=True,
                           text=True, timeout=10)
        took = time.monotonic() - t0
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", "hushctl: no reply from 127.0.0.1:%d - is hushd running?\n"
                          % port))
        self.assertGreater(took, 0.9)
        self.assertLess(took, 3)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
