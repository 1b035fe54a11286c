#!/usr/bin/python3
"""The live daemon's lifecycle (daemon/live.c's state machine, daemon/lifecycle.c's
signals) against the real hushd on a private JACK dummy server (tests/jackenv.py).

    test-lifecycle.py HUSHD HUSHCTL TEST

Tests:
  stop-during-restart  a SIGHUP that restarts the engine (fft_size changed in the file)
          followed by SIGTERM 0, 10, ..., 200 ms later: every run ends with exit status 0
          within 1 s of the SIGTERM, whichever state it lands in (reload, the exec, the
          new process starting, opening the stream).
  hup-during-restart   a second SIGHUP (a new threshold in the file) sent 0..150 ms after
          one that restarts the engine is applied: threshold and fft_size read over OSC
          are the file's once it settles, and the process still runs.
  jack-dies-stopping   the JACK server stopping while hushd stops (SIGTERM to jackd,
          then to hushd 0..100 ms later, and the other way round; SIGTERM, not SIGKILL,
          which would leave a slot in JACK's shared server registry): hushd ends with exit
          status 0 within 3 s (never a signal, never a core, never libjack's 5 s wait),
          and its last line says how it stopped.
  jack-dies-opening    the JACK server stopping 0..375 ms after hushd starts, while it
          connects (NOTIFY_SOCKET set, so a missing device is waited for), then SIGTERM to
          hushd 1.5 s later: it either ended before with status 1 and the line saying the
          server went away while it opened (or, after a failed open, closed) its stream
          (PortAudio asserts there), or the
          SIGTERM ends it with status 0 within 1 s (libjack can block for 5 s there);
          never a signal or a core.
  room    the noise model is remembered in the state folder ($XDG_STATE_HOME/hushd/
          last.profile; [dsp] adapt = 0 keeps a model still on the dummy's silence): a
          profile loaded over OSC, SIGTERM, a new start shows the same noise floor
          (hushctl status, within 1 dB); so does a restart in place for a hop_size change
          (SIGHUP) and one after the JACK server stopped and came back (with a model
          loaded over OSC just before); --fresh starts at -200 dB; another channel
          count or fft_size ignores the file with a log line; with a 1 s save interval
          (HUSHD_TEST_MODEL_SAVE_S) a model loaded over OSC survives a SIGKILL.
  wait-device  under a service manager (NOTIFY_SOCKET: this test's own datagram socket)
          with no JACK server for 3 s: READY=1 arrives within 2 s anyway, STATUS= names
          the device it waits for, hushd keeps running (a TimeoutStartSec= of 2 s would
          not kill it); then the server starts and the stream opens, STATUS= turns to
          latency and counts, and WATCHDOG=1 (sent only while the engine's hops advance)
          keeps coming.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hushdproc import LiveHushd  # noqa: E402
from jackenv import JackServer  # noqa: E402
from roomnoise import learn_profiles  # noqa: E402
from verdict import check, failures, free_udp_port  # noqa: E402

HUSHD, HUSHCTL, TEST = sys.argv[1:4]
def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)


class Hushd(LiveHushd):
    def __init__(self, jack, tmp, args, env_extra=None):
        env = {"XDG_CONFIG_HOME": f"{tmp}/xdg", "XDG_STATE_HOME": f"{tmp}/state", "HOME": tmp}
        env.update(env_extra or {})
        super().__init__(HUSHD, jack, args, env, f"{tmp}/hushd-{time.monotonic_ns()}.log")


class Stalls:
    """The machine's own scheduling stalls while a step runs: how late a 5 ms sleep of
    this process wakes up. A stop that takes longer than 1 s only because the whole
    machine stood still is the machine's fault, not hushd's."""

    def __init__(self):
        self.worst = 0.0

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if now >= end:
                return
            step = min(0.005, end - now)
            time.sleep(step)
            self.worst = max(self.worst, time.monotonic() - now - step)


def ctl(port, *args):
    r = subprocess.run([HUSHCTL, "--port", str(port), *args],
                       capture_output=True, text=True, timeout=10)
    return r.stdout.strip() if r.returncode == 0 else None


def test_stop_during_restart(tmp):
    conf = f"{tmp}/hushd.conf"
    took_all, slow = [], []
    with JackServer() as jack:
        for i, offset_ms in enumerate(range(0, 201, 10)):
            write(conf, "[dsp]\nfft_size = 1024\n")
            h = Hushd(jack, tmp, ["--config", conf, "--no-osc"])
            if not h.wait_for(r"frames in hushd", 15):
                check(False, f"offset {offset_ms} ms: hushd starts: {h.text()[-500:]!r}")
                h.proc.kill()
                continue
            write(conf, "[dsp]\nfft_size = 2048\n")
            stalls = Stalls()
            h.proc.send_signal(signal.SIGHUP)
            stalls.sleep(offset_ms / 1000)
            h.proc.send_signal(signal.SIGTERM)
            rc, took = h.wait(5)
            took_all.append(took)
            allowed = 1.0 + stalls.worst
            ok = rc == 0 and took < allowed
            if not ok:
                slow.append(offset_ms)
                print(h.text()[-1500:])
            check(ok, f"SIGHUP (fft 1024 -> 2048), SIGTERM {offset_ms} ms later: exit "
                  f"status {rc} after {took:.3f} s (want 0 within 1 s; machine stall "
                  f"{stalls.worst * 1000:.0f} ms)")
    check(not slow and len(took_all) == 21,
          f"all 21 offsets end with 0 within 1 s; slowest {max(took_all, default=0):.3f} s")


def test_hup_during_restart(tmp):
    conf = f"{tmp}/hushd.conf"
    with JackServer() as jack:
        for offset_ms in range(0, 151, 10):
            port = free_udp_port()
            write(conf, "[dsp]\nthreshold = 2\nfft_size = 1024\n")
            h = Hushd(jack, tmp, ["--config", conf, "--osc-port", str(port)])
            if not h.wait_for(r"frames in hushd", 15):
                check(False, f"offset {offset_ms} ms: hushd starts: {h.text()[-500:]!r}")
                h.proc.kill()
                continue
            write(conf, "[dsp]\nthreshold = 2\nfft_size = 2048\n")
            h.proc.send_signal(signal.SIGHUP)
            time.sleep(offset_ms / 1000)
            write(conf, "[dsp]\nthreshold = 5\nfft_size = 2048\n")
            h.proc.send_signal(signal.SIGHUP)
            # settled: the new stream runs and answers (a second restart is allowed)
            h.wait_for(r"fft 2048,", 15)
            got = None
            end = time.monotonic() + 10
            while time.monotonic() < end:
                got = (ctl(port, "get", "fft_size"), ctl(port, "get", "threshold"))
                if got == ("2048", "5"):
                    break
                time.sleep(0.2)
            alive = h.proc.poll() is None
            check(got == ("2048", "5") and alive,
                  f"second SIGHUP {offset_ms} ms into a restart: fft_size, threshold = "
                  f"{got} (want 2048, 5), running {alive}")
            h.proc.send_signal(signal.SIGTERM)
            rc, took = h.wait(5)
            check(rc == 0, f"then SIGTERM: exit status {rc} after {took:.2f} s")
            if got != ("2048", "5") or rc != 0:
                print(h.text()[-2000:])


def test_jack_dies_stopping(tmp):
    for order in ("jack-first", "hushd-first"):
        for gap_ms in (0, 10, 30, 100):
            jack = JackServer().start()
            try:
                h = Hushd(jack, tmp, ["--no-osc"])
                if not h.wait_for(r"frames in hushd", 15):
                    check(False, f"{order} {gap_ms} ms: hushd starts")
                    continue
                time.sleep(0.3)
                if order == "jack-first":
                    jack.proc.send_signal(signal.SIGTERM)
                    time.sleep(gap_ms / 1000)
                    h.proc.send_signal(signal.SIGTERM)
                else:
                    h.proc.send_signal(signal.SIGTERM)
                    time.sleep(gap_ms / 1000)
                    jack.proc.send_signal(signal.SIGTERM)
                rc, took = h.wait(10)
                text = h.text()
                last = text.strip().splitlines()[-1] if text.strip() else ""
                check(rc == 0 and took < 3 and "stopped" in last,
                      f"jackd and hushd SIGTERM ({order}, {gap_ms} ms apart): exit "
                      f"status {rc} after {took:.2f} s, last line {last!r}")
                if rc not in (0, 1):
                    print(text[-2000:])
            finally:
                jack.stop()


def test_jack_dies_opening(tmp):
    outcomes = {}
    for offset_ms in range(0, 400, 25):
        jack = JackServer().start()
        try:
            h = Hushd(jack, tmp, ["--no-osc"], {"NOTIFY_SOCKET": f"{tmp}/no-manager"})
            time.sleep(offset_ms / 1000)
            jack.proc.send_signal(signal.SIGTERM)
            time.sleep(1.5)
            early = h.proc.poll()
            h.proc.send_signal(signal.SIGTERM)
            rc, took = h.wait(5)
            text = h.text().strip()
            last = text.splitlines()[-1] if text else ""
            if early is not None:
                ok = rc == 1 and "the audio server went away" in last
            else:
                ok = rc == 0 and took < 1.0 and "stopped" in last
            kind = re.sub(r" after .*|;.*", "", last)
            outcomes[kind] = outcomes.get(kind, 0) + 1
            check(ok, f"JACK stops {offset_ms} ms after hushd starts: exit status {rc}"
                  f"{' before the SIGTERM' if early is not None else f' {took:.2f} s after SIGTERM'}"
                  f", last line {last!r}")
        finally:
            jack.stop()
    print(f"# outcomes: {outcomes}")


def floor_db(port, near=None, timeout_s=6.0):
    """The noise floor hushctl status shows. The status is the engine's meters, taken once
    a second, so a model just loaded shows up to a second (more on a busy machine) later:
    with near, waits until the floor is within 1 dB of it (else returns the last one);
    without, until it is a model's (above -150 dB)."""
    end = time.monotonic() + timeout_s
    while True:
        st = ctl(port, "status") or ""
        m = re.search(r"noise floor +(-?\d+\.\d) dB", st)
        f = float(m.group(1)) if m else None
        done = f is not None and (abs(f - near) < 1 if near is not None else f > -150)
        if done or time.monotonic() >= end:
            return f
        time.sleep(0.2)


def test_room(tmp):
    state = f"{tmp}/state/hushd"  # Hushd sets XDG_STATE_HOME = tmp/state
    learn_profiles(HUSHD, tmp, state, 5)
    conf = f"{tmp}/hushd.conf"
    port = free_udp_port()
    args = ["--config", conf, "--osc-port", str(port)]
    write(conf, "[dsp]\nadapt = 0\n")
    jack = JackServer().start()
    h = None

    def start(extra=(), env=None):
        h = Hushd(jack, tmp, args + list(extra), env)
        ok = h.wait_for(r"frames in hushd", 15)
        time.sleep(1.3)  # the status is the engine's meters, taken once a second
        return h, ok

    def stop(h, what):
        h.proc.send_signal(signal.SIGTERM)
        rc, took = h.wait(5)
        check(rc == 0, f"{what}: SIGTERM, exit status {rc}")

    try:
        h, ok = start()
        check(ctl(port, "profile", "load", "loud") == "profile loud loaded",
              "a model loaded over OSC (profile load loud)")
        loaded = floor_db(port)
        stop(h, "first run")
        check(os.path.exists(f"{state}/last.profile"), "last.profile written at the stop")

        h, ok = start()
        again = floor_db(port, loaded)
        check(ok and "noise model resumed from" in h.text() and loaded is not None and
              again is not None and abs(again - loaded) < 1,
              f"a new start resumes it: noise floor {again} dB, was {loaded} dB")

        write(conf, "[dsp]\nadapt = 0\nhop_size = 512\n")
        h.proc.send_signal(signal.SIGHUP)
        ok = h.wait_for(r"hop 512", 15)
        kept = floor_db(port, loaded)
        check(ok and kept is not None and abs(kept - loaded) < 1,
              f"a restart in place (SIGHUP, hop_size 256 -> 512) keeps it: {kept} dB")

        check(ctl(port, "profile", "load", "quiet") == "profile quiet loaded",
              "another model loaded over OSC (profile load quiet)")
        quiet = floor_db(port, None if loaded is None else loaded - 20)
        jack.stop()
        check(h.wait_for(r"lost the audio device", 5), "the JACK server stopped: loss told")
        jack.start()
        ok = h.wait_for(r"frames in hushd", 15, count=3)
        kept = floor_db(port, quiet)
        check(ok and quiet is not None and kept is not None and abs(kept - quiet) < 1 and
              abs(quiet - loaded) > 10,
              f"after the JACK server came back the model loaded over OSC is kept: {kept} dB "
              f"(quiet {quiet} dB, loud {loaded} dB)")
        stop(h, "restarted run")

        h, ok = start(["--fresh"])
        fresh = floor_db(port, -200.0)
        check(ok and "resumed" not in h.text() and fresh is not None and fresh <= -199,
              f"--fresh starts clean: noise floor {fresh} dB")
        stop(h, "--fresh run")

        write(conf, "[dsp]\nadapt = 0\nfft_size = 2048\n")
        h, ok = start()
        other = floor_db(port, -200.0)
        line = re.search(r"noise model not resumed: .*", h.text())
        check(ok and line is not None and "fft 2048" in line.group(0) and
              other is not None and other <= -199,
              f"fft_size 2048: the file is ignored ({line.group(0) if line else None!r}), "
              f"noise floor {other} dB")
        stop(h, "fft 2048 run")

        h, ok = start(["--channels", "2"])
        line = re.search(r"noise model not resumed: .*", h.text())
        check(ok and line is not None and "this stream has 2" in line.group(0),
              f"--channels 2: the file is ignored ({line.group(0) if line else None!r})")
        stop(h, "2-channel run")

        write(conf, "[dsp]\nadapt = 0\n")
        h, ok = start(["--fresh"], {"HUSHD_TEST_MODEL_SAVE_S": "1"})
        check(ctl(port, "profile", "load", "loud") == "profile loud loaded",
              "save every 1 s: loud loaded over OSC")
        time.sleep(2.5)
        h.proc.kill()
        h.proc.wait()
        h, ok = start()
        after = floor_db(port, loaded)
        check(ok and after is not None and abs(after - loaded) < 1,
              f"saved while running: after a SIGKILL the next start shows {after} dB")
        stop(h, "last run")
        h = None
    finally:
        if h and h.proc.poll() is None:
            h.proc.kill()
        if h and failures:
            print(h.text()[-2000:])
        jack.stop()


class NotifySocket:
    """The service manager's end of sd_notify: messages with their arrival times."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setblocking(False)
        self.got = []

    def read(self):
        while True:
            try:
                self.got.append((time.monotonic(), self.sock.recv(4096).decode()))
            except BlockingIOError:
                return self.got

    def watch(self, seconds):
        """reads on arrival for that long (a message's time is when it came)"""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.read()
            time.sleep(0.01)

    def first(self, prefix, after=0.0):
        return next(((t, m) for t, m in self.read() if t >= after and m.startswith(prefix)),
                    (None, None))


def test_wait_device(tmp):
    notify = NotifySocket(f"{tmp}/notify")
    jack = JackServer()  # its name, not started yet
    env = {"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"}
    t0 = time.monotonic()
    h = Hushd(jack, tmp, ["--osc-port", str(free_udp_port())], env)
    try:
        notify.watch(3)
        ready, _ = notify.first("READY=1")
        _, status = notify.first("STATUS=serving OSC, waiting for the audio device")
        alive = h.proc.poll() is None
        check(ready is not None and ready - t0 < 2,
              f"no device: READY=1 after {(ready or t0 + 99) - t0:.2f} s (want < 2 s)")
        check(status is not None and 'input "system"' in status,
              f"no device: {status!r}")
        check(alive and "frames in hushd" not in h.text(),
              f"no device for 3 s: hushd runs on ({alive}), no stream")
        jack.start()
        t1 = time.monotonic()
        opened = h.wait_for(r"frames in hushd", 15)
        check(opened, f"the server starts: the stream opens "
              f"({time.monotonic() - t1:.1f} s, backoff at most 4 s)")
        notify.watch(3)
        t_lat, _ = notify.first("STATUS=latency", after=t1)
        pings = [t for t, m in notify.read() if m == "WATCHDOG=1" and t > time.monotonic() - 2]
        check(t_lat is not None and len(pings) >= 3,
              f"audio flows: STATUS=latency... ({t_lat is not None}), {len(pings)} "
              f"WATCHDOG=1 in the last 2 s (interval 1 s)")
        h.proc.send_signal(signal.SIGTERM)
        rc, took = h.wait(5)
        check(rc == 0 and notify.first("STOPPING=1")[0] is not None,
              f"SIGTERM: STOPPING=1, exit status {rc}")
    finally:
        if h.proc.poll() is None:
            h.proc.kill()
        jack.stop()


def main():
    with tempfile.TemporaryDirectory(prefix="hushd-test-lifecycle-") as tmp:
        {"stop-during-restart": test_stop_during_restart,
         "hup-during-restart": test_hup_during_restart,
         "jack-dies-stopping": test_jack_dies_stopping, "room": test_room,
         "jack-dies-opening": test_jack_dies_opening,
         "wait-device": test_wait_device}[TEST](tmp)
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


main()
