#!/usr/bin/python3
"""jackenv: a private, headless JACK server for tests (JACK dummy backend, no sound card).

As a module:
    from jackenv import JackServer
    with JackServer(period=256) as jack:          # started and up when the block starts
        subprocess.run([...], env=jack.env())     # clients see JACK_DEFAULT_SERVER=<name>
        jack.stop(); jack.start()                 # restart under the same name
As a command (for shell tests):
    tests/jackenv.py [--rate 48000] [--period 256] [--realtime 0|1] -- COMMAND ARGS...
runs COMMAND with JACK_DEFAULT_SERVER set and returns its exit status.

Each server gets a unique name (hushd-test-<pid>-<n>), runs `jackd --no-realtime -d dummy`
(or `jackd -R` when asked and allowed),
is paced in real time, and is stopped on exit (and gets SIGTERM if the test dies). Clients get JACK_NO_START_SERVER=1 so a
client never starts a server of its own when ours is down, and XDG_STATE_HOME in a
folder of this server's own (removed when the test ends), so a live hushd never
remembers its noise model in the user's state folder nor resumes one from there. On stop, the files jackd made
in /dev/shm for this name are removed, and the shared ones (jack-shm-registry, jack_db-UID)
too when they were not there before and no other jackd is running.
"""
import atexit
import ctypes
import glob
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SHM = "/dev/shm"
_count = itertools.count()


def _other_jackd_running(own_pid):
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == own_pid:
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "jackd":
                    return True
        except OSError:
            pass
    return False


def _die_with_parent():
    """jackd gets SIGTERM when the test process dies, even by SIGKILL."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class JackServer:
    def __init__(self, rate=48000, period=256, name=None, realtime=False):
        """realtime: run jackd with SCHED_FIFO when this machine allows it (check
        self.realtime after start); a loaded machine gives a non-realtime server xruns."""
        self.rate, self.period = rate, period
        self.realtime = realtime and subprocess.run(["chrt", "-f", "1", "true"],
                                                    capture_output=True).returncode == 0
        self.name = name or f"hushd-test-{os.getpid()}-{next(_count)}"
        self.proc = None
        self.log_path = None
        self.state_home = tempfile.mkdtemp(prefix=f"{self.name}-state-")
        atexit.register(shutil.rmtree, self.state_home, True)
        self._shared_before = {p for p in (f"{SHM}/jack-shm-registry",
                                           f"{SHM}/jack_db-{os.getuid()}") if os.path.exists(p)}

    def env(self, base=None):
        e = dict(os.environ if base is None else base)
        e["JACK_DEFAULT_SERVER"] = self.name
        e["JACK_NO_START_SERVER"] = "1"
        e["JACK_NO_AUDIO_RESERVATION"] = "1"
        e["XDG_STATE_HOME"] = self.state_home
        return e

    def start(self, timeout_s=10.0):
        if not _other_jackd_running(-1):
            # No server runs, so what the shared registry still lists is stale: a server
            # killed with SIGKILL (the reconnect tests) never unregisters, and after a
            # few of them jackd refuses to start with "Too many servers already active".
            for p in glob.glob(f"{SHM}/jack-shm-registry") + \
                    glob.glob(f"{SHM}/jack-{os.getuid()}-*"):
                try:
                    os.unlink(p)
                except OSError:
                    pass
        self.log_path = f"/tmp/{self.name}.jackd.log"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["jackd"] + (["-R", "-P", "70"] if self.realtime else ["--no-realtime"])
            + ["-n", self.name, "-d", "dummy",
             "-r", str(self.rate), "-p", str(self.period)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env(),
            preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jackd exited with {self.proc.returncode}: "
                                   + open(self.log_path).read())
            r = subprocess.run(["jack_lsp"], env=self.env(), capture_output=True, text=True)
            if r.returncode == 0 and "system:playback_1" in r.stdout:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"jackd {self.name} did not come up in {timeout_s} s")

    def log(self):
        """What jackd printed so far (it names the client that was late at an xrun)."""
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        own = self.proc.pid if self.proc else -1
        self.proc = None
        for p in glob.glob(f"{SHM}/jack*{self.name}*"):
            try:
                os.unlink(p)
            except OSError:
                pass
        if not _other_jackd_running(own):
            for p in (f"{SHM}/jack-shm-registry", f"{SHM}/jack_db-{os.getuid()}"):
                if p not in self._shared_before:
                    subprocess.run(["rm", "-rf", p])
        if self.log_path and os.path.exists(self.log_path):
            os.unlink(self.log_path)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _exit_on_signal(sig, frame):
    sys.exit(128 + sig)


def main(argv):
    signal.signal(signal.SIGTERM, _exit_on_signal)  # so the server is stopped and cleaned
    rate, period, realtime = 48000, 256, False
    args = argv[1:]
    while args and args[0] != "--":
        opt, val = args[0], args[1]
        if opt == "--rate":
            rate = int(val)
        elif opt == "--period":
            period = int(val)
        elif opt == "--realtime":
            realtime = val == "1"
        else:
            sys.exit(f"jackenv: unknown option {opt}")
        args = args[2:]
    if not args[1:]:
        sys.exit("usage: jackenv.py [--rate HZ] [--period FRAMES] [--realtime 0|1] -- COMMAND ARGS...")
    with JackServer(rate, period, realtime=realtime) as jack:
        return subprocess.call(args[1:], env=jack.env())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
