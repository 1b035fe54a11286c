#!/usr/bin/python3
"""The README's parameter list is the table's: the block under '## Parameters' equals the
parameter and preset part of `hushd --help`, which is generated from dsp/params.h.

Usage: test-readme-params.py HUSHD README.md
"""
import subprocess
import sys

hushd, readme = sys.argv[1:3]
help_text = subprocess.run([hushd, "--help"], capture_output=True, text=True, check=True).stdout
want = help_text[help_text.index("Parameters ("):help_text.index("Exit status")].rstrip()
text = open(readme).read()
section = text[text.index("## Parameters"):]
got = section[section.index("```\n") + 4:section.index("\n```", section.index("```\n") + 4)]
if got != want:
    import difflib
    sys.stdout.writelines(difflib.unified_diff(got.splitlines(True), want.splitlines(True),
                                               "README.md", "hushd --help"))
    print("FAIL README.md's parameter list differs from hushd --help (regenerate it)")
    sys.exit(1)
print(f"ok   README.md lists the {want.count(' default ')} parameters exactly as hushd --help")
