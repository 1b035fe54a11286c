#!/usr/bin/python3
"""Every command and message that README.md and docs/*.md show is checked against the
built programs, so none can go stale. A fenced block says what it holds by its info string:

  ```console   a transcript: "$ COMMAND" lines, each followed by what it prints (stdout and
               stderr). The command runs in bash in a scratch folder, with the build tree's
               hushd and hushctl first on the PATH and hushctl talking to a real OSC server
               (osc-testd: the daemon's OSC code on an in-process engine). The output must
               match line for line; "…" in an expected line matches any text.
  ```sh        commands shown, not run: hushd's must parse (run with --print-config appended),
               hushctl's must run against the OSC server, scripts/NAME must exist, oscsend's
               path must be one the daemon routes, any other program must be in KNOWN.
Anywhere in the text, an OSC path (/hushd/..., /ping) must be one that daemon/*.c routes
or sends.
  ```ini       a config file: must load (hushd --config FILE --print-config). With
               "```ini file=NAME" it is written into the scratch folder as NAME for the
               transcripts after it instead (it may then be a bad file on purpose).
  ```text      diagrams and tables of figures: not checked.

Any other fence (or none) is an error, so text added later is covered the same way.
README.md stays at most 250 lines.
The scratch folder holds take1.wav (hushd --demo's noisy speech), take44.wav (the same
samples said to be at 44100 Hz), notes.txt and an empty silence.wav; HOME is a fresh folder.
Everything runs beside a private JACK dummy server (tests/jackenv.py), so hushd's one audio
device is "system", as on the machines that run the live tests.

docs/QUALITY.md's blocks are tables of measured figures written by scripts/eval's runs; its
untagged fences count as text.

usage: test-docs.py BUILD_ROOT SOURCE_ROOT [--update]
  --update writes what the programs print into the console blocks (check the diff!)
"""
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jackenv import JackServer  # noqa: E402

BUILD, ROOT = (os.path.abspath(p) for p in sys.argv[1:3])
UPDATE = "--update" in sys.argv[3:]
UNTAGGED_AS_TEXT = {"docs/QUALITY.md"}
README_MAX_LINES = 250  # a user's page: what, how to start, where to read on
HUSHD = os.path.join(BUILD, "daemon", "hushd")
TESTD = os.path.join(BUILD, "tests", "osc-testd")
KNOWN = {"systemctl", "journalctl", "jackd", "jack_connect", "pw-link", "pactl", "meson",
         "ninja", "apt-get", "dpkg-buildpackage", "dpkg", "lintian", "man", "git", "cd",
         "sudo", "valgrind", "taskset", "pavucontrol", "source", "tests/jackenv.py",
         "mkdir", "cp", "pw-cli"}
FENCE = re.compile(r"^```(.*)$")
OSC_PATH = re.compile(r"(?<![\w.~])(/hushd(?:/[a-zA-Z_]+)*/?|/ping|/pong)(?![\w.])")


def blocks(path):
    """(line number, info words, lines) of every fenced block in a Markdown file."""
    out, current = [], None
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        m = FENCE.match(line.strip()) if line.lstrip().startswith("```") else None
        if current is None and m:
            current = (n, m.group(1).split(), [])
        elif current is not None and line.strip() == "```":
            out.append(current)
            current = None
        elif current is not None:
            current[2].append(line)
    if current is not None:
        out.append((current[0], ["unclosed"], current[2]))
    return out


def transcript(lines):
    """console lines -> [(command, expected output lines)]."""
    steps = []
    for line in lines:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def matches(expected, got):
    if len(expected) != len(got):
        return False
    for e, g in zip(expected, got):
        pattern = "^" + ".*".join(re.escape(p) for p in e.split("…")) + "$"
        if not re.match(pattern, g):
            return False
    return True


def osc_routes():
    paths = set()
    for src in glob.glob(os.path.join(ROOT, "daemon", "*.c")):
        paths |= set(re.findall(r'"(/(?:hushd/[a-z_/]*|ping|pong))"', open(src).read()))
    return paths


class Checker:
    def __init__(self, scratch, port, base_env):
        self.scratch, self.port = scratch, port
        self.work = os.path.join(scratch, "work")
        self.env = dict(base_env, HOME=os.path.join(scratch, "home"), LC_ALL="C.UTF-8",
                        PATH=os.pathsep.join([os.path.join(BUILD, "daemon"),
                                              os.path.join(ROOT, "scripts"),
                                              os.environ.get("PATH", "")]))
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "STATE_DIRECTORY", "NOTIFY_SOCKET"):
            self.env.pop(var, None)
        self.routes = osc_routes()
        self.failures = 0
        self.checked = 0

    def bash(self, command, timeout=60):
        prelude = f'hushctl() {{ command hushctl --port {self.port} "$@"; }}\n'
        return subprocess.run(["bash", "-c", prelude + command], cwd=self.work, env=self.env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)

    def fail(self, where, msg):
        self.failures += 1
        print(f"FAIL {where}: {msg}")

    def console(self, where, lines):
        printed = []
        for command, expected in transcript(lines):
            self.checked += 1
            try:
                out = self.bash(command).stdout.splitlines()
            except subprocess.TimeoutExpired:
                self.fail(where, f"$ {command}: still running after 60 s")
                continue
            printed += ["$ " + command] + out
            while expected and not expected[-1].strip():
                expected.pop()
            if not matches(expected, out) and not UPDATE:
                self.fail(where, f"$ {command}\n  shown:\n    " + "\n    ".join(expected) +
                          "\n  printed:\n    " + "\n    ".join(out))
        return printed

    def sh(self, where, lines):
        for line in lines:
            command = re.sub(r"(^|\s)#.*$", "", line).strip()
            if not command or command.startswith("["):
                continue
            self.checked += 1
            words = shlex.split(command)
            prog = words[0]
            if "=" in prog and not prog.startswith("-"):  # VAR=value prog ...
                words = words[1:]
                prog = words[0]
            if prog == "hushd":
                cmd = command.split(">")[0].split("|")[0]
                r = self.bash(cmd + " --print-config")
                if r.returncode != 0:
                    self.fail(where, f"{command}: does not parse: {r.stdout.strip()}")
            elif prog == "hushctl":
                r = self.bash(command + (" & sleep 1; kill %1" if "--watch" in words else ""),
                              timeout=10)
                if r.returncode != 0:
                    self.fail(where, f"{command}: exit {r.returncode}: {r.stdout.strip()}")
            elif prog.startswith("scripts/") or prog in ("hushd-virtual-mic",):
                path = os.path.join(ROOT, "scripts", os.path.basename(prog))
                if not os.access(path, os.X_OK):
                    self.fail(where, f"{command}: no executable {path}")
            elif prog == "oscsend":
                path = words[3] if len(words) > 3 else ""
                if not any(path == r or r.endswith("/") and path.startswith(r)
                           for r in self.routes):
                    self.fail(where, f"{command}: hushd has no OSC path {path}")
            elif prog not in KNOWN:
                self.fail(where, f"{command}: unknown program {prog} (add it to KNOWN in "
                                 "tests/test-docs.py if it is meant)")

    def ini(self, where, info, lines):
        text = "\n".join(lines) + "\n"
        target = next((w[5:] for w in info if w.startswith("file=")), None)
        if target:
            with open(os.path.join(self.work, target), "w") as f:
                f.write(text)
            return
        self.checked += 1
        path = os.path.join(self.scratch, "check.conf")
        with open(path, "w") as f:
            f.write(text)
        r = self.bash(f"hushd --config {shlex.quote(path)} --print-config")
        if r.returncode != 0:
            self.fail(where, f"config does not load: {r.stdout.strip()}")

    def osc_paths(self, name, text):
        """Every OSC path the text names must be one the daemon routes or sends."""
        for n, line in enumerate(text.split("\n"), 1):
            for path in re.findall(OSC_PATH, line):
                self.checked += 1
                if not any(path == r or r.endswith("/") and path.startswith(r)
                           for r in self.routes):
                    self.fail(f"{name}:{n}", f"hushd has no OSC path {path}")

    def document(self, path):
        name = os.path.relpath(path, ROOT)
        updates = []
        for line, info, lines in blocks(path):
            where = f"{name}:{line}"
            kind = info[0] if info else ("text" if name in UNTAGGED_AS_TEXT else "")
            if kind == "console":
                printed = self.console(where, lines)
                if UPDATE and printed != lines:
                    updates.append((line, len(lines), printed))
            elif kind == "sh":
                self.sh(where, lines)
            elif kind == "ini":
                self.ini(where, info, lines)
            elif kind != "text":
                self.fail(where, f"a fenced block must say console, sh, ini or text, "
                                 f"not '{' '.join(info)}'")
        self.osc_paths(name, open(path, encoding="utf-8").read())
        if updates:
            text = open(path, encoding="utf-8").read().split("\n")
            for line, count, printed in reversed(updates):
                text[line:line + count] = printed
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(text))
            print(f"updated {len(updates)} transcripts in {name}")


def make_scratch(scratch):
    work = os.path.join(scratch, "work")
    os.makedirs(work)
    os.makedirs(os.path.join(scratch, "home"))
    subprocess.run([HUSHD, "--demo", os.path.join(scratch, "demo"), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, HOME=scratch))
    shutil.copy(os.path.join(scratch, "demo", "demo-noisy.wav"), os.path.join(work, "take1.wav"))
    with open(os.path.join(work, "notes.txt"), "w") as f:
        f.write("not audio\n")
    with wave.open(os.path.join(work, "take1.wav"), "rb") as r:
        with wave.open(os.path.join(work, "take44.wav"), "wb") as w:
            w.setparams(r.getparams())
            w.setframerate(44100)
            w.writeframes(r.readframes(r.getnframes()))
    with wave.open(os.path.join(work, "silence.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)


def main():
    scratch = tempfile.mkdtemp(prefix="hushd-docs-")
    docs = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs",
                                                                             "*.md")))
    server = None
    try:
        make_scratch(scratch)
        state = os.path.join(scratch, "state")
        os.makedirs(state)
        server = subprocess.Popen([TESTD, "--state-dir", state], stdout=subprocess.PIPE,
                                  text=True)
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)",
                             server.stdout.readline()).group(1))
        with JackServer(period=256) as jack:
            checker = Checker(scratch, port, jack.env())
            for doc in docs:
                checker.document(doc)
        readme_lines = open(docs[0], encoding="utf-8").read().count("\n")
        if readme_lines > README_MAX_LINES:
            checker.fail("README.md", f"{readme_lines} lines, more than {README_MAX_LINES}: "
                                      "move the details into docs/")
    finally:
        if server:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=10)
        shutil.rmtree(scratch)
    if checker.failures:
        print(f"FAIL {checker.failures} of {checker.checked} checks in {len(docs)} files")
        sys.exit(1)
    print(f"ok   {checker.checked} commands, transcripts, config files and OSC paths in "
          f"{len(docs)} files agree with the built programs")


if __name__ == "__main__":
    main()
