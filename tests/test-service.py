#!/usr/bin/python3
"""hushd as systemd runs it: the real binary on a private JACK dummy server
(tests/jackenv.py), with NOTIFY_SOCKET pointing at this test's own AF_UNIX datagram
socket, as systemd's would.

    test-service.py HUSHD HUSHCTL TEST

Tests:
  notify  READY=1 arrives (it means serving, see test-lifecycle.py), the stream
          starts; WATCHDOG=1 (WATCHDOG_USEC=0.4 s)
          keeps arriving every ~0.2 s; STATUS= lines carry latency and xrun counts; when
          the DSP worker stalls (HUSHD_TEST_STALL_AFTER_S=3, a test-only switch read by
          the worker at start) the pings stop; SIGTERM sends STOPPING=1 and exits 0.
  reload  SIGHUP with a good file changes a live parameter without a new stream
          (RELOADING=1, then READY=1; the value read back over OSC with hushctl); with a
          bad file hushd logs FILE:LINE, keeps the old value and keeps running (and
          pinging); an fft_size change reopens the stream with a new engine (hushd
          restarts itself in place; OSC answers again). `hushctl save` then writes
          a value set over OSC into the file, keeping its comment (and not the
          devices and port, which came from the command line). stderr is made the
          "journal" (JOURNAL_STREAM = its device:inode), so the lines carry sd-daemon
          priorities: <3> for the bad file, <5> for the reload.
  profile [noise] profile = NAME starts the live engine from NAME.profile in the state
          folder ($STATE_DIRECTORY): profiles learned offline from white noise 20 dB
          apart give noise floors 20 dB apart (adapt = 0 keeps them); a profile that is
          not there stops the start with exit status 2 and its name.
  reconnect  after the JACK server dies and comes back (hushd restarts itself in place to
          reopen it), a value set over OSC is still in effect, READY=1 comes again, and a
          SIGHUP still sets the live parameters from the file.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hushdproc import LiveHushd  # noqa: E402
from jackenv import JackServer  # noqa: E402
from roomnoise import learn_profiles  # noqa: E402
from verdict import check, failures, free_udp_port  # noqa: E402

HUSHD, HUSHCTL, TEST = sys.argv[1:4]
class Notify:
    """The service manager's end: a datagram socket, read all the time by a thread (as
    systemd does: a full socket queue would block hushd's sd_notify), messages kept with
    their arrival times."""

    def __init__(self, tmp):
        self.path = f"{tmp}/notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages = []  # (monotonic time, text)
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while not self.closed:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.monotonic(), data.decode()))

    def close(self):
        self.closed = True
        os.unlink(self.path)

    def poll(self, seconds):
        if seconds > 0:
            time.sleep(seconds)

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def wait_for(self, text, timeout_s, after=0.0):
        """Time of the first message starting with text after `after`, or None."""
        end = time.monotonic() + timeout_s
        while True:
            for t, m in self.snapshot():
                if t > after and m.startswith(text):
                    return t
            if time.monotonic() >= end:
                return None
            time.sleep(0.02)

    def times(self, text, start, end):
        return [t for t, m in self.snapshot() if m == text and start <= t < end]


class Hushd(LiveHushd):
    def __init__(self, jack, tmp, args, env_extra):
        super().__init__(HUSHD, jack, args, env_extra, f"{tmp}/hushd.log")


def start(jack, tmp, notify, args=(), **env):
    env_extra = {"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
                 "XDG_CONFIG_HOME": f"{tmp}/xdg", "HOME": tmp}
    env_extra.update(env)
    return Hushd(jack, tmp, args, env_extra)


def test_notify(tmp):
    notify = Notify(tmp)
    with JackServer() as jack:
        h = start(jack, tmp, notify, ["--no-osc"], HUSHD_TEST_STALL_AFTER_S="3")
        ready = notify.wait_for("READY=1", 10)
        check(ready is not None, "READY=1 arrives")
        check(wait_log(h, "frames in hushd", 10),
              "the stream starts after READY=1 (its latency line is logged)")
        if ready is None:
            h.stop()
            return
        notify.poll(ready + 5.5 - time.monotonic())
        busy = notify.times("WATCHDOG=1", ready, ready + 2.4)
        gaps = [b - a for a, b in zip(busy, busy[1:])]
        check(len(busy) >= 9 and max(gaps) < 0.4,
              f"WATCHDOG=1 while the worker runs: {len(busy)} in 2.4 s, "
              f"longest gap {max(gaps, default=9):.2f} s (interval 0.4 s)")
        stalled = notify.times("WATCHDOG=1", ready + 3.5, ready + 5.5)
        last = max(notify.times("WATCHDOG=1", ready, ready + 5.5))
        check(not stalled, f"no WATCHDOG=1 once the worker stalls: last ping "
              f"{last - ready:.2f} s after READY, stall at ~3 s, {len(stalled)} pings after")
        status = [m for _, m in notify.snapshot() if m.startswith("STATUS=")]
        check(any(re.match(r"STATUS=latency \d+\.\d ms, xruns \d+, overruns \d+, "
                           r"underruns \d+$", m) for m in status),
              f"STATUS= with latency and xruns: {status[-1] if status else None!r}")
        check(h.proc.poll() is None, "hushd itself keeps running (systemd would restart it)")
        t = time.monotonic()
        rc, _ = h.stop()
        check(notify.wait_for("STOPPING=1", 2, after=t) is not None, "SIGTERM: STOPPING=1")
        check(rc == 0, f"SIGTERM: exit status {rc}")


def hushctl(port):
    def ctl(*args):
        r = subprocess.run([HUSHCTL, "--port", str(port), *args], capture_output=True,
                           text=True, timeout=10)
        return r.stdout.strip() if r.returncode == 0 else f"exit {r.returncode}: {r.stderr}"
    return ctl


def writer(conf):
    def write(text):
        with open(conf + ".new", "w") as f:
            f.write(text)
        os.rename(conf + ".new", conf)
    return write


def wait_log(h, text, timeout_s, count=1):
    end = time.monotonic() + timeout_s
    while h.text().count(text) < count and time.monotonic() < end:
        time.sleep(0.05)
    return h.text().count(text) >= count


def test_reload(tmp):
    conf = f"{tmp}/hushd.conf"
    port = free_udp_port()
    ctl, write = hushctl(port), writer(conf)

    write("# my settings\n[dsp]\nthreshold = 2\n")
    notify = Notify(tmp)
    with JackServer() as jack:
        h = start(jack, tmp, notify, ["--config", conf, "--osc-port", str(port)],
                  JOURNAL_STREAM="stderr")
        ready = notify.wait_for("READY=1", 10)
        check(ready is not None, "READY=1 arrives")
        check(ctl("get", "threshold") == "2", "OSC: threshold is 2 from the file")

        def hup(expect_log, timeout_s=5):
            t = time.monotonic()
            h.proc.send_signal(signal.SIGHUP)
            reloading = notify.wait_for("RELOADING=1", timeout_s, after=t)
            again = notify.wait_for("READY=1", timeout_s, after=t)
            end = time.monotonic() + timeout_s
            while expect_log not in h.text() and time.monotonic() < end:
                time.sleep(0.05)
            return reloading is not None and again is not None and again >= reloading, \
                expect_log in h.text()

        write("# my settings\n[dsp]\nthreshold = 3\n")
        notified, logged = hup(f"\n<5>reloaded {conf}: threshold 2 -> 3\n")
        check(notified, "good file: RELOADING=1, then READY=1")
        check(logged, "good file: threshold 2 -> 3, applied live")
        got = ctl("get", "threshold")
        check(got == "3", f"good file: OSC reads threshold {got}")
        check(h.text().count("frames in hushd") == 1, "good file: the stream went on")

        write("# my settings\n[dsp]\nthreshold = 31\n")
        notified, logged = hup(f"\n<3>reload: {conf}:3: threshold: 31 is out of range [-10, 30] "
                               "dB; keeping the settings\n")
        check(notified and logged, "bad file: FILE:LINE error logged, RELOADING=1/READY=1")
        t = time.monotonic()
        notify.poll(1.0)
        check(h.proc.poll() is None and len(notify.times("WATCHDOG=1", t, t + 1.0)) >= 3,
              "bad file: hushd keeps running and pinging")
        got = ctl("get", "threshold")
        check(got == "3", f"bad file: OSC still reads threshold {got}")

        write("# my settings\n[dsp]\nthreshold = 3\nfft_size = 2048\n")
        notified, logged = hup("fft_size 0 -> 2048; restarting the audio stream", 10)
        check(notified and logged and wait_log(h, "frames in hushd", 10, count=2),
              "fft_size: the stream is reopened")
        check(h.text().count("frames in hushd") == 2 and
              re.search(r"engine 1536 \+", h.text()) is not None,
              "fft_size: a new stream with the 2048-point engine (latency 2048 - 512)")
        got = ctl("get", "fft_size")
        check(got == "2048", f"fft_size: OSC answers on the new engine: fft_size {got}")

        ctl("set", "wet", "0.5")
        saved = ctl("save")
        with open(conf) as f:
            text = f.read()
        check(saved.startswith("config saved") and
              text == "# my settings\n[dsp]\nthreshold = 3\nfft_size = 2048\nwet = 0.5\n",
              # (devices and port came from the command line: not written)
              f"hushctl save: {saved!r}; the file is now {text!r}")
        check(h.stop()[0] == 0, "exit status 0")


def test_reconnect(tmp):
    conf = f"{tmp}/hushd.conf"
    port = free_udp_port()
    ctl, write = hushctl(port), writer(conf)
    write("[dsp]\nthreshold = 2\n")
    notify = Notify(tmp)
    jack = JackServer().start()
    try:
        h = start(jack, tmp, notify, ["--config", conf, "--osc-port", str(port)])
        check(notify.wait_for("READY=1", 10) is not None, "READY=1 arrives")
        check(wait_log(h, "frames in hushd", 10), "the stream starts")
        check(ctl("set", "wet", "0.5") == "wet 0.5", "OSC: wet set to 0.5")
        # SIGTERM, not SIGKILL: a killed jackd leaves its slot in JACK's shared server
        # registry (8 slots), and concurrent test runs would run out of them
        jack.stop(signal.SIGTERM)
        lost = time.monotonic()
        check(wait_log(h, "lost the audio device", 5), "the server's death is reported")
        jack.start()
        check(wait_log(h, "frames in hushd", 15, count=2), "hushd reopens the new server")
        check(notify.wait_for("READY=1", 10, after=lost) is not None, "READY=1 again")
        got = ctl("get", "wet")
        check(got == "0.5", f"after the restart in place OSC reads wet {got} (was set to 0.5)")
        write("[dsp]\nthreshold = 3\nwet = 0.25\n")
        h.proc.send_signal(signal.SIGHUP)
        wait_log(h, "reloaded ", 5)
        got = ctl("get", "threshold"), ctl("get", "wet")
        check(got == ("3", "0.25"), f"SIGHUP after the restart: threshold, wet = {got}")
        rc, _ = h.stop()
        check(rc == 0, f"exit status {rc}")
        if rc:
            print(h.text()[-2000:])
    finally:
        jack.stop()


def test_profile(tmp):
    state = f"{tmp}/state"
    learn_profiles(HUSHD, tmp, state, 3)
    floors = {}
    with JackServer() as jack:
        for name in ("loud", "quiet", "missing"):
            conf = f"{tmp}/{name}.conf"
            writer(conf)(f"[dsp]\nadapt = 0\n[noise]\nprofile = {name}\n")
            port = free_udp_port()
            notify = Notify(tmp)
            h = start(jack, tmp, notify, ["--config", conf, "--osc-port", str(port)],
                      STATE_DIRECTORY=state)
            if name == "missing":
                rc = h.proc.wait(10)
                check(rc == 2 and f"{state}/missing.profile: cannot open: No such file" in
                      h.text(), f"a missing profile: exit status {rc}, {h.text().strip()!r}")
                break
            check(notify.wait_for("READY=1", 10) is not None, f"{name}: READY=1")
            # READY=1 means serving; the meters are the engine's from its first hops on
            check(wait_log(h, "frames in hushd", 10), f"{name}: the stream starts")
            time.sleep(0.3)
            status = hushctl(port)("status")
            m = re.search(r"noise floor +(-?\d+\.\d) dB", status)
            floors[name] = float(m.group(1)) if m else None
            check(h.stop()[0] == 0, f"{name}: noise floor {floors[name]} dB, exit status 0")
            notify.close()
    if None not in floors.values() and len(floors) == 2:
        diff = floors["loud"] - floors["quiet"]
        check(abs(diff - 20) < 1, f"noise floors {diff:.1f} dB apart (profiles 20 dB apart)")


def main():
    with tempfile.TemporaryDirectory(prefix="hushd-test-service-") as tmp:
        {"notify": test_notify, "reload": test_reload, "reconnect": test_reconnect,
         "profile": test_profile}[TEST](tmp)
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


main()
