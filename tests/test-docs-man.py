#!/usr/bin/python3
"""The man pages as built: groff -man -ww prints no warning, and each page names every
option, parameter, preset, config key, hushctl command, exit status and OSC path there is.
The lists come from the programs themselves (--help, --print-config) and, for OSC, from
the path literals in daemon/*.c, so a new one that the pages miss fails here.

usage: test-docs-man.py HUSHD HUSHCTL SOURCE_ROOT MANDIR(build/docs/gen)"""
import glob
import os
import re
import subprocess
import sys
import unittest

HUSHD, HUSHCTL, ROOT, MANDIR = sys.argv[1:5]
sys.path.insert(0, os.path.join(ROOT, "docs", "gen"))
import gendocs  # noqa: E402


def render(page):
    """The page as plain text, one long line per paragraph, no hyphenation."""
    r = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=1000n", "-rHY=0",
                        os.path.join(MANDIR, page)], capture_output=True, text=True,
                       check=True, env=dict(os.environ, LC_ALL="C.UTF-8"))
    return r.stdout.replace("\u2010", "-").replace("\u2212", "-")


class ManPages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.help = gendocs.parse_hushd_help(gendocs.run(HUSHD, "--help"))
        cls.ctl = gendocs.parse_hushctl_help(gendocs.run(HUSHCTL, "--help"))
        cls.conf = gendocs.parse_print_config(
            gendocs.run(HUSHD, "--config", "/dev/null", "--print-config"))
        cls.pages = {p: render(p) for p in ("hushd.1", "hushctl.1", "hushd-virtual-mic.1",
                                            "hushd.conf.5")}

    def assert_all_in(self, page, words):
        missing = [w for w in words if w not in self.pages[page]]
        self.assertEqual(missing, [], f"{page} lacks these")

    def test_groff_prints_no_warning(self):
        for page in self.pages:
            r = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(MANDIR, page)],
                               capture_output=True, text=True,
                               env=dict(os.environ, LC_ALL="C.UTF-8"))
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), page)

    def test_hushd_page_has_every_option_parameter_preset_and_exit_status(self):
        options = [t for _, rows in self.help["groups"] for t, _ in rows if t.startswith("-")]
        self.assertGreater(len(options), 20)
        self.assert_all_in("hushd.1", options)
        self.assertEqual(len(self.help["params"]), 20)
        self.assert_all_in("hushd.1", [f"{p['name']} ({p['range']}, default {p['default']}"
                                       for p in self.help["params"]])
        self.assert_all_in("hushd.1", [p["help"] for p in self.help["params"]])
        self.assert_all_in("hushd.1", [n for n, _ in self.help["presets"]])
        self.assertEqual([c for c, _ in self.help["exit"]], ["0", "1", "2"])
        self.assert_all_in("hushd.1", [f"{c}      {m}" for c, m in self.help["exit"]])

    def test_hushd_page_has_every_osc_path_of_the_source(self):
        paths = set()
        for src in glob.glob(os.path.join(ROOT, "daemon", "*.c")):
            if os.path.basename(src) != "hushctl.c":
                paths |= set(re.findall(r'"(/(?:hushd/[a-z_/]*|ping|pong))"', open(src).read()))
        self.assertGreater(len(paths), 14)
        self.assert_all_in("hushd.1", sorted(paths))
        page = self.pages["hushd.1"]
        osc = page[page.index("\nOSC CONTROL\n"):page.index("\nSIGNALS\n")]
        documented = set(re.findall(r"(/(?:hushd/[a-z_/]+|ping|pong))\b", osc))
        unknown = [p for p in documented if not any(p == s or p.startswith(s) and s.endswith("/")
                                                    for s in paths)]
        self.assertEqual(unknown, [], "hushd.1 names OSC paths the daemon does not have")

    def test_hushctl_page_has_every_command_option_and_exit_status(self):
        self.assert_all_in("hushctl.1", [t for t, _ in self.ctl["commands"]])
        self.assert_all_in("hushctl.1", [t for t, _ in self.ctl["options"]])
        self.assert_all_in("hushctl.1", [p["name"] for p in self.help["params"]])
        self.assert_all_in("hushctl.1", [f"{c}      {m}" for c, m in self.ctl["exit"]])

    def test_conf_page_has_every_section_and_key_with_its_default(self):
        keys = [(s, k, v) for s, _, rows in self.conf for k, _, _, v in rows]
        self.assertGreater(len(keys), 30)
        self.assert_all_in("hushd.conf.5", [f"[{s}]" for s, _, _ in self.conf])
        self.assert_all_in("hushd.conf.5", [f"{k} = {v or chr(34) * 2}" for _, k, v in keys])

    def test_pages_have_examples_and_files(self):
        for page, text in self.pages.items():
            self.assertIn("\nEXAMPLES\n", text, page)
            self.assertIn("\nSEE ALSO\n", text, page)
        self.assertIn("/hushd/hushd.conf", self.pages["hushd.1"])
        self.assertIn("hushd.service", self.pages["hushd.1"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
