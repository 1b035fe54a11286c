#!/usr/bin/python3
"""gendocs: the man pages and the bash completion, made from what the built programs say.

`hushd --help` is generated from the option list and the parameter table (dsp/params.h),
`hushd --config /dev/null --print-config` from the config table, `hushctl --help` from
hushctl's command list: this script reads those texts, never a copy of them, so an option,
parameter, preset, config key or command added there appears here at the next build.

usage: gendocs.py man TEMPLATE OUTPUT HUSHD HUSHCTL SYSCONFDIR PREFIX
       gendocs.py completion TEMPLATE OUTPUT HUSHD HUSHCTL
A template's @@NAME@@ markers are replaced by generated text (see MARKERS below).
"""
import re
import subprocess
import sys


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def roff(text):
    """Escapes text for a roff line (not a request): backslashes and minus signs."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def help_blocks(text):
    """Splits a --help text into (heading, lines) blocks at lines that end with ':' and do
    not start with a blank."""
    blocks, current = [], None
    for line in text.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            current = (line.rstrip()[:-1], [])
            blocks.append(current)
        elif current is not None:
            current[1].append(line)
    return blocks


def two_columns(lines):
    """'  TERM   description' rows with continuation lines indented to the description
    column -> [(term, description)]."""
    rows = []
    for line in lines:
        if not line.strip():
            continue
        m = re.match(r"^ {2,6}(\S.*?)(?: {2,}(\S.*))?$", line)
        indent = len(line) - len(line.lstrip())
        if rows and indent > 8:
            rows[-1] = (rows[-1][0], (rows[-1][1] + " " + line.strip()).strip())
        elif m:
            rows.append((m.group(1).strip(), (m.group(2) or "").strip()))
    return rows


def option_term(term):
    """'-i, --input FILE' -> bold option names, italic arguments."""
    out = []
    for word in term.split(", "):
        name, _, arg = word.partition(" ")
        out.append("\\fB" + roff(name) + "\\fR" + (" \\fI" + roff(arg) + "\\fR" if arg else ""))
    return ", ".join(out)


def parse_hushd_help(text):
    """-> {option groups: [(heading, [(term, description)])], params, presets, exit}."""
    groups, params, presets, exits = [], [], [], []
    for heading, lines in help_blocks(text):
        if heading.startswith("Parameters"):
            for line in lines:
                m = re.match(r"^  (\w+) +(.+?) +default (\S+) +(live|restart)$", line)
                if m:
                    params.append({"name": m.group(1), "range": m.group(2),
                                   "default": m.group(3), "live": m.group(4), "help": ""})
                elif line.startswith("      ") and params:
                    params[-1]["help"] = line.strip()
        elif heading.startswith("Presets"):
            presets = two_columns(lines)
        else:
            groups.append((heading, two_columns(lines)))
    m = re.search(r"^Exit status: (.*)\.$", text, re.M)
    if m:
        exits = [tuple(x.split(" ", 1)) for x in m.group(1).split(", ")]
    return {"groups": groups, "params": params, "presets": presets, "exit": exits}


def parse_hushctl_help(text):
    blocks = dict(help_blocks(text))
    m = re.search(r"^exit status: (.*)$", text, re.M)
    return {"commands": two_columns(blocks["commands"]), "options": two_columns(blocks["options"]),
            "exit": [tuple(x.split(" ", 1)) for x in m.group(1).split(", ")]}


def parse_print_config(text):
    """--print-config's file -> [(section, comment, [(key, help, range_default, value)])]."""
    sections, comment = [], []
    for line in text.splitlines():
        if line.startswith("["):
            sections.append((line.strip("[]"), "", []))
            comment = []
        elif not sections:
            continue
        elif line.startswith("#"):
            comment.append(line[1:].strip())
        elif "=" in line:
            key, _, value = line.partition("=")
            help_ = comment[0] if comment else ""
            rng = comment[1] if len(comment) > 1 else ""
            sections[-1][2].append((key.strip(), help_, rng, value.strip()))
            comment = []
        elif not line.strip() and comment and not sections[-1][2]:
            name, _, keys = sections[-1]
            sections[-1] = (name, " ".join(comment), keys)
            comment = []
    return sections


def tp(term, text):
    return ".TP\n" + term + "\n" + roff(text) + "\n"


def exit_section(exits):
    return "".join(tp("\\fB" + code + "\\fR", meaning) for code, meaning in exits)


def man_markers(hushd, hushctl, sysconfdir, prefix):
    h = parse_hushd_help(run(hushd, "--help"))
    c = parse_hushctl_help(run(hushctl, "--help"))
    conf = parse_print_config(run(hushd, "--config", "/dev/null", "--print-config"))
    version = run(hushd, "--version").split()[-1]
    options = ""
    for heading, rows in h["groups"]:
        if not rows or not any(t.startswith("-") for t, _ in rows):
            continue
        options += ".SS " + roff(heading) + "\n"
        options += "".join(tp(option_term(t), d) for t, d in rows)
    params = "".join(
        tp("\\fB" + roff(p["name"]) + "\\fR (" + roff(p["range"]) + ", default " +
           roff(p["default"]) + ", " + ("live" if p["live"] == "live" else "needs a restart") + ")",
           p["help"]) for p in h["params"])
    presets = "".join(tp("\\fB" + roff(n) + "\\fR", d) for n, d in h["presets"])
    sections = ""
    for name, comment, keys in conf:
        sections += ".SS [" + roff(name) + "]\n" + (roff(comment) + "\n" if comment else "")
        for key, help_, rng, value in keys:
            sections += tp("\\fB" + roff(key) + "\\fR = \\fI" + roff(value or '""') + "\\fR",
                           help_ + (" (" + rng + ")" if rng else ""))
    commands = "".join(tp("\\fB" + roff(t.split(" ", 1)[0]) + "\\fR" +
                          (" \\fI" + roff(t.split(" ", 1)[1]) + "\\fR" if " " in t else ""), d)
                       for t, d in c["commands"])
    ctl_options = "".join(tp(option_term(t), d) for t, d in c["options"])
    names = ", ".join("\\fB" + roff(p["name"]) + "\\fR" for p in h["params"])
    return {
        "VERSION": roff(version),
        "SYSCONFDIR": roff(sysconfdir),
        "PREFIX": roff(prefix),
        "HUSHD_OPTIONS": options,
        "PARAMETERS": params,
        "PARAMETER_NAMES": names,
        "PRESETS": presets,
        "HUSHD_EXIT": exit_section(h["exit"]),
        "CONFIG_SECTIONS": sections,
        "HUSHCTL_COMMANDS": commands,
        "HUSHCTL_OPTIONS": ctl_options,
        "HUSHCTL_EXIT": exit_section(c["exit"]),
    }


def split_options(terms):
    """'-i, --input FILE' terms -> (names that take an argument, names that do not)."""
    takes_arg, flags = [], []
    for term in terms:
        if not term.startswith("-"):
            continue
        words = term.split(", ")
        has_arg = " " in words[-1]
        for word in words:
            (takes_arg if has_arg else flags).append(word.partition(" ")[0])
    return takes_arg, flags


def completion_markers(hushd, hushctl):
    h = parse_hushd_help(run(hushd, "--help"))
    c = parse_hushctl_help(run(hushctl, "--help"))
    takes_arg, flags = split_options(t for _, rows in h["groups"] for t, _ in rows)
    ctl_args, ctl_flags = split_options(t for t, _ in c["options"])
    return {
        "HUSHD_ARG_OPTIONS": " ".join(takes_arg),
        "HUSHD_FLAGS": " ".join(flags),
        "PARAMS": " ".join(p["name"] for p in h["params"]),
        "LIVE_PARAMS": " ".join(p["name"] for p in h["params"] if p["live"] == "live"),
        "PRESETS": " ".join(n for n, _ in h["presets"]),
        "HUSHCTL_COMMANDS": " ".join(dict.fromkeys(t.split(" ", 1)[0] for t, _ in c["commands"])),
        "HUSHCTL_ARG_OPTIONS": " ".join(ctl_args),
        "HUSHCTL_ARG_OPTIONS_CASE": "|".join(ctl_args),
        "HUSHCTL_FLAGS": " ".join(ctl_flags),
    }


def fill(template, markers):
    text = open(template).read()
    for name, value in markers.items():
        text = text.replace("@@" + name + "@@", value)
    left = re.findall(r"@@\w+@@", text)
    if left:
        sys.exit(f"gendocs: {template}: unknown markers {' '.join(sorted(set(left)))}")
    return text


def main():
    mode, template, output = sys.argv[1:4]
    if mode == "man":
        markers = man_markers(*sys.argv[4:8])
        text = re.sub(r"\n\n+", "\n", fill(template, markers))
    else:
        text = fill(template, completion_markers(*sys.argv[4:6]))
    with open(output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
