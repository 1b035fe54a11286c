#!/usr/bin/python3
"""The live daemon on a real (virtual) audio device, no mocks.

    test-live-jack.py HUSHD JACK_LOOP ALLOC_COUNT_SO HUSHCTL STALL_PROBE TEST

Each TEST starts its own private JACK dummy server (tests/jackenv.py), runs the real hushd
binary on it through PortAudio's JACK host API (device "system"; PortAudio names the
client after hushd's PaJack_SetClientName, "hushd", with ports in_0 and out_0, and
connects them to system:capture_1 / system:playback_1), and drives it with jack-loop, a
JACK client that plays into hushd:in_0 and records hushd:out_0 sample-aligned.

Tests:
  audio-path  30 s of noisy speech-like sound, from its first sample, into a hushd that
              has just started: the recording equals the offline output of the same
              input (hushd --input/--output) within -90 dB after aligning by the latency
              hushd reports, except where a machine stall was measured (stall-probe)
              just before; every glitch (silence from an underrun, a skip) follows such a
              stall; the noise in the pauses is reduced by 12 dB or more from the first
              2 s on; the measured latency equals the reported one within a period;
              hushd's late JACK cycles are the machine's.
  late-worker the same checker on a hushd whose worker sleeps 20 ms about once a second
              (HUSHD_TEST_LATE_MS): it must blame hushd for those glitches.
  signals     SIGINT and SIGTERM each end hushd with exit status 0 within 1 s.
  reconnect   killing the JACK server makes hushd report the loss; it reconnects when a
              server of the same name starts again; SIGTERM while it waits still exits 0
              within 1 s.
  no-alloc    zero allocations on the audio callback's and the worker's threads after
              start-up while sound flows (alloc-count.so preloaded).
  osc         hushctl reaches the live daemon: a parameter set over OSC is in effect,
              the status carries the stated latency, and the parameter survives the
              restart in place after the JACK server was killed.
  reload      SIGHUP re-reads the config file: a live parameter changes in place (OSC
              shows it), a change of fft_size reopens with the new size; a bad file
              changes nothing.
  two-devices two streams: input from another JACK client (jack-play, which PortAudio
              lists as a device), output to system; the sound arrives at its level
              (bypass) and the stated latency is sane.
  devices     --list-devices shows the JACK device; a device name that matches nothing,
              or an index out of range, is exit status 2 with a message listing the
              candidates.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jackenv import JackServer  # noqa: E402

HUSHD, JACK_LOOP, ALLOC_SO, HUSHCTL, STALL_PROBE, TEST = sys.argv[1:7]
RATE, PERIOD = 48000, 256
WORKER_PRIORITY = 40  # what hushd asks for its DSP worker (daemon/live.c RT_PRIORITY)
DEV = ["--input-device", "system", "--output-device", "system", "--frames", str(PERIOD)]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def noisy_speechlike(seconds, seed=7, with_voice=False):
    """Voiced 'syllables' (harmonics of a gliding f0, 120-240 Hz) with pauses, in white
    noise at -40 dBFS and 50 Hz hum: what a microphone in a room gives. The first
    syllable starts at the first sample. with_voice: also the clean voice alone."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    x = np.zeros(n)
    t = 0
    while t < n:
        length = int(rng.uniform(0.12, 0.4) * RATE)
        seg = np.arange(min(length, n - t))
        f0 = rng.uniform(120, 240) * (1 + 0.1 * seg / RATE)
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        voice = sum(np.sin(k * phase) / k for k in range(1, 12))
        x[t:t + seg.size] = 0.1 * voice * np.hanning(seg.size)
        t += seg.size + int(rng.uniform(0.05, 0.5) * RATE)
    voice = x.copy()
    x += 0.01 * rng.standard_normal(n) + 0.003 * np.sin(2 * np.pi * 50 * np.arange(n) / RATE)
    return (x.astype(np.float32), voice) if with_voice else x.astype(np.float32)


class Hushd:
    """hushd in live mode on the JACK server; stderr goes to a file we can poll."""

    def __init__(self, jack, args=("--no-osc",), env_extra=None):
        self.log = tempfile.NamedTemporaryFile("w+", prefix="hushd-live-", suffix=".log")
        env = jack.env()
        env.update(env_extra or {})
        self.proc = subprocess.Popen([HUSHD, *DEV, *args], stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=env)

    def text(self):
        with open(self.log.name) as f:
            return f.read()

    def wait_for(self, pattern, timeout_s, count=1):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.text())) >= count:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self, sig=signal.SIGTERM):
        """Sends sig; returns (exit status, seconds until it exited)."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return rc, time.monotonic() - t0

    def osc_port(self):
        m = re.search(r"OSC control on [\d.]+:(\d+)", self.text())
        return m.group(1) if m else None

    def latency_frames(self):
        m = re.search(r"(\d+) frames in hushd", self.text())
        return int(m.group(1)) if m else None


def final_counts(text):
    m = re.search(r"xruns (\d+), overruns (\d+), underruns (\d+)", text)
    return tuple(int(v) for v in m.groups()) if m else None


def loop(jack, tmp, x, tail_s, cycles=None):
    """Plays x into hushd and records its output; returns (recording, client xruns).
    cycles: a file for jack-loop's "FRAME CLOCK_NS" line per recorded cycle."""
    sf.write(f"{tmp}/play.wav", x, RATE, subtype="FLOAT")
    r = subprocess.run([JACK_LOOP, "hushd:in_0", "hushd:out_0", f"{tmp}/play.wav",
                        f"{tmp}/rec.wav", str(tail_s)] + ([cycles] if cycles else []),
                       env=jack.env(), capture_output=True,
                       text=True, timeout=len(x) / RATE + tail_s + 30)
    if r.returncode:
        sys.exit("jack-loop failed: " + r.stderr)
    y, _ = sf.read(f"{tmp}/rec.wav", dtype="float32")
    return y, int(re.search(r"xruns (\d+)", r.stdout).group(1))


# ---- live = offline, with the machine's stalls measured and told from hushd's ----
#
# A busy or virtual machine stops any thread now and then, hushd's worker included; then
# the out ring runs dry (an underrun) through no fault of hushd's, or a JACK cycle of
# hushd's is lost with its input. A stall probe (stall-probe: a thread per CPU at the
# worker's priority, waking every 1 ms) measures those stalls while the sound plays, and
# jack-loop notes when each cycle was recorded and which ones its recorder missed.
# The recording is compared with the offline output one period at a time:
#   exact   within GOOD_ERR_DB of offline (relative to the mean period's energy);
#   broken  ZERO_RUN or more samples of silence where offline has sound (an underrun
#           fills with zeros), or off by more than BROKEN_DB: a glitch starts with it;
#   drifted in between: after input was lost, the engine's state (noise tracker, gate)
#           differs slightly from the offline engine's for a while.
# Every glitch must start during or just after a measured stall of STALL_MS or more;
# one with none is hushd's fault and fails the test (a hushd that sleeps 20 ms now and
# then, HUSHD_TEST_LATE_MS, must fail: late-worker). Until the first glitch the machine
# explains, every period must be exact; after it, drifted periods are allowed.
STALL_MS = 3.0          # a probe wake-up this late is a machine stall: the worker has about
                        # one period (5.3 ms) to spare, and the probe sees a stall up to
                        # its own 1 ms period short
STALL_BEFORE_S = 0.1    # a stall explains glitches recorded up to this long after it
STALL_AFTER_S = 0.02    # ... and from this long before it (cycles are timed at their end)
GOOD_ERR_DB = -90       # a period of live output within this of offline is exact
BROKEN_DB = 0           # a period off by more than its own energy is broken
ZERO_RUN = 16           # ... and one with this many samples of silence
DRIFT_DB = -15          # drifted periods together: -22 dB measured after a 106 ms stall
MIN_VERIFIED = 0.5      # share of the run that must be exact, else the run is redone
MAX_COVERED = 0.3       # share of the run within stall windows beyond which no glitch
                        # could be blamed: the run is redone
RUNS = 3                # attempts when stalls left too little to judge


def read_stalls(path):
    """stall-probe's notes as (start_ns, end_ns) of every stall of STALL_MS or more."""
    stalls = []
    with open(path) as f:
        for line in f:
            _, due, late = (int(v) for v in line.split())
            if late >= STALL_MS * 1e6:
                stalls.append((due, due + late))
    return stalls


def judge(ref, y, latency, cycles_path, stalls):
    """Compares the recording y (hushd's output at `latency` frames) with the offline
    output ref, one period at a time. Returns a dict of figures: 'glitches' as (second,
    periods, longest stall in ms that explains it, or 0), the 'verified' (exact) and
    'drifted' shares, 'err_db' over the exact periods, 'drift_db' over the drifted ones,
    'recorder_missed' cycles, 'stalls' measured."""
    cyc = np.loadtxt(cycles_path, dtype=np.int64, ndmin=2)
    frames, ns = cyc[:, 0], cyc[:, 1]
    # cycles the recorder never ran (the machine kept it off its CPU): stalls too
    missed = [(ns[i], ns[i + 1]) for i in np.nonzero(np.diff(frames) > PERIOD)[0]]
    stalls = stalls + missed
    seg = y[latency:latency + len(ref)].astype(np.float64)
    n = len(seg) // PERIOD * PERIOD
    err = ((seg[:n] - ref[:n]) ** 2).reshape(-1, PERIOD).sum(axis=1)
    energy = (ref[:n].astype(np.float64) ** 2).reshape(-1, PERIOD).sum(axis=1)
    exact = err <= energy.mean() * 10 ** (GOOD_ERR_DB / 10)
    zeros = lambda v: (v[:n].reshape(-1, PERIOD) == 0).sum(axis=1)
    broken = ~exact & ((err > energy * 10 ** (BROKEN_DB / 10)) |
                       ((zeros(seg) >= ZERO_RUN) & (zeros(ref) < ZERO_RUN)))

    def explained(j):
        pos = latency + j * PERIOD  # in the recording
        i = max(0, np.searchsorted(frames, pos, side="right") - 1)
        t = ns[i] + (pos - frames[i]) * 1e9 / RATE
        near = [b - a for a, b in stalls
                if a <= t + STALL_AFTER_S * 1e9 and b >= t - STALL_BEFORE_S * 1e9]
        return max(near) / 1e6 if near else 0.0

    glitches, j, drift_ok = [], 0, False
    while j < len(exact):
        starts = broken[j] or (not exact[j] and not drift_ok)
        if not starts:
            j += 1
            continue
        k = j
        while k < len(exact) and (broken[k:k + 4].any() or
                                  (not drift_ok and not exact[k:k + 4].all())):
            k += 1
        stall_ms = explained(j)
        glitches.append((j * PERIOD / RATE, max(1, k - j), stall_ms))
        drift_ok = drift_ok or stall_ms > 0
        j = max(k, j + 1)
    drifted = ~exact & ~broken
    # share of the run inside some stall's window: there no glitch could be blamed
    covered = np.zeros(len(exact), bool)
    t_of = np.interp(latency + np.arange(len(exact)) * PERIOD, frames, ns)
    for a, b in stalls:
        covered |= (t_of >= a - STALL_AFTER_S * 1e9) & (t_of <= b + STALL_BEFORE_S * 1e9)
    db = lambda m: 10 * np.log10(err[m].sum() / max(energy[m].sum(), 1e-30) + 1e-30)
    return {"glitches": glitches, "verified": exact.mean(), "drifted": drifted.mean(),
            "covered": covered.mean(),
            "err_db": db(exact), "drift_db": db(drifted),
            "recorder_missed": len(missed), "stalls": len(stalls)}


def offline(tmp, x):
    sf.write(f"{tmp}/offline-in.wav", x, RATE, subtype="FLOAT")
    subprocess.run([HUSHD, "--input", f"{tmp}/offline-in.wav", "--output",
                    f"{tmp}/offline-out.wav"], check=True)
    return sf.read(f"{tmp}/offline-out.wav", dtype="float32")[0]


def live_run(tmp, x, env_extra=None):
    """Starts hushd on a fresh realtime JACK server and plays x into it as soon as its
    stream runs (no lead-in), with the stall probe running; returns the figures."""
    with JackServer(RATE, PERIOD, realtime=True) as jack:
        h = Hushd(jack, env_extra=env_extra)
        started = h.wait_for(r"frames in hushd", 10)
        probe = subprocess.Popen([STALL_PROBE, f"{tmp}/stalls.txt", str(WORKER_PRIORITY)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            y, client_xruns = loop(jack, tmp, x, 1.0, f"{tmp}/cycles.txt")
        except subprocess.TimeoutExpired:  # the server's clock crawled: a stalled machine
            y = client_xruns = None
        finally:
            probe.terminate()
            probe_line = probe.communicate(timeout=10)[0].strip()
        rc, took = h.stop()
        xrun_lines = [l for l in jack.log().splitlines() if "XRun" in l]
        realtime = jack.realtime
    return {"started": started, "y": y, "client_xruns": client_xruns, "rc": rc,
            "took": took, "text": h.text(), "latency": h.latency_frames(),
            "xrun_lines": xrun_lines, "realtime": realtime, "probe": probe_line,
            "stalls": read_stalls(f"{tmp}/stalls.txt")}


def judged_run(tmp, x, ref, env_extra=None):
    """live_run and judge, redone while the machine's stalls leave too little to judge:
    less than MIN_VERIFIED exact, or more than MAX_COVERED of the run within a stall's
    window. After RUNS such runs the test is skipped (exit 77) with the figures: a
    machine that busy cannot tell anything about hushd (a non-realtime setup under load
    stalls every thread every few ms)."""
    for attempt in range(1, RUNS + 1):
        r = live_run(tmp, x, env_extra)
        if r["y"] is None:
            print(f"run {attempt}: the JACK server played {len(x) / RATE:.0f} s in more than "
                  f"{len(x) / RATE + 31:.0f} s; stall probe: {r['probe']}")
            continue
        if r["latency"] is None:
            return r, None
        v = judge(ref, r["y"], r["latency"], f"{tmp}/cycles.txt", r["stalls"])
        print(f"run {attempt}: stall probe: {r['probe']}; stalls >= {STALL_MS} ms: "
              f"{v['stalls']} (recorder missed {v['recorder_missed']} cycles), their "
              f"windows cover {100 * v['covered']:.1f} % of the run; glitches "
              f"{len(v['glitches'])}; of {len(ref) / RATE:.0f} s: exact "
              f"{100 * v['verified']:.1f} % (error {v['err_db']:.1f} dB), drifted after a "
              f"stall {100 * v['drifted']:.1f} % (error {v['drift_db']:.1f} dB)")
        for at, periods, stall_ms in v["glitches"]:
            print(f"  glitch at {at:7.3f} s, {periods} periods: " +
                  (f"after a machine stall of {stall_ms:.1f} ms" if stall_ms else
                   "no machine stall measured: hushd's fault"))
        if v["verified"] >= MIN_VERIFIED and v["covered"] <= MAX_COVERED:
            return r, v
    print(f"SKIP: the machine stalled too much to judge hushd in {RUNS} runs")
    sys.exit(77)


def test_audio_path(tmp):
    # issue 12: noisy speech from the first sample, into a hushd that has just started;
    # live must equal offline on the same input (silence before it leaves the engine as
    # it starts, so the stream's first silent hops do not matter) and be denoised.
    seconds = 30.0
    x, voice = noisy_speechlike(seconds, with_voice=True)
    ref = offline(tmp, x)
    r, v = judged_run(tmp, x, ref)
    check(r["started"], "hushd starts on the JACK dummy")
    reported = r["latency"]
    y = r["y"]
    print(f"reported latency {reported} frames; realtime server {r['realtime']}")
    n = len(ref) - 8192
    lags = np.arange(0, 8192)
    measured = int(lags[int(np.argmax([np.dot(y[lag:lag + n], ref[:n]) for lag in lags]))])
    check(reported is not None and abs(measured - reported) <= PERIOD,
          f"measured latency {measured} = reported {reported} within one period ({PERIOD})")
    if v is None:
        return
    blamed = [g for g in v["glitches"] if not g[2]]
    check(not blamed, f"glitches with no machine stall measured before them (hushd's "
          f"fault): {len(blamed)} of {len(v['glitches'])}")
    check(v["verified"] >= MIN_VERIFIED and v["err_db"] < GOOD_ERR_DB,
          f"live output = offline output over {100 * v['verified']:.1f} % of the run "
          f"(the rest after measured stalls): error {v['err_db']:.1f} dB < {GOOD_ERR_DB} dB")
    check(v["drifted"] == 0 or v["drift_db"] < DRIFT_DB,
          f"after a machine stall, live stays within {v['drift_db']:.1f} dB (< {DRIFT_DB} "
          f"dB) of offline")
    # denoised from the start: the noise in the pauses (voice silent) is reduced
    seg = y[reported:reported + len(x)].astype(np.float64)
    pause = np.abs(voice[:len(seg)]) == 0
    for name, span in (("first 2 s", slice(0, 2 * RATE)), ("whole run", slice(None))):
        p = pause[span]
        red = 10 * np.log10(np.mean(x[span][p].astype(np.float64) ** 2) /
                            max(np.mean(seg[span][p] ** 2), 1e-30))
        check(red >= 12, f"noise in the pauses reduced by {red:.1f} dB (>= 12) over the "
              f"{name}")
    counts = final_counts(r["text"])
    check(r["rc"] == 0 and r["took"] < 1.0, f"SIGTERM: exit {r['rc']} after {r['took']:.2f} s")
    check(counts is not None and (counts[1:] == (0, 0) or v["glitches"]),
          f"hushd's rings: overruns, underruns = {counts and counts[1:]} over {seconds:.0f} "
          f"s, none without a glitch to show for it")
    # An xrun is a cycle the server could not finish in time; it names every client it
    # waited for, and its state: "Triggered" (it had not even begun: the machine kept its
    # thread off the CPU) or "Running" (it was still at work). hushd's callback only
    # copies, so only its Running late cycles can be its own, and only those beyond the
    # machine's stalls of a period or more (each can make any client late). A
    # non-realtime server on a busy machine starves every client: not asserted there.
    xrun_lines = r["xrun_lines"]
    late = lambda who, state="": sum(f"client = {who} was not finished, state = {state}"
                                     in l for l in xrun_lines)
    long_stalls = sum(b - a >= PERIOD / RATE * 1e9 for a, b in r["stalls"])
    by_hushd = max(0, late("hushd", "Running") - long_stalls)
    for line in xrun_lines:
        print("jackd: " + line)
    print(f"xruns: hushd counted {counts and counts[0]}, the test client saw "
          f"{r['client_xruns']}; late cycles of hushd: {late('hushd')} "
          f"({late('hushd', 'Running')} running), of the test clients "
          f"{late('hushd-test-play') + late('hushd-test-rec')}; machine stalls of a period "
          f"or more: {long_stalls}")
    check(counts is not None and counts[0] <= r["client_xruns"] + len(xrun_lines),
          "hushd counts no xrun the server did not have")
    if r["realtime"]:
        check(by_hushd == 0, f"late cycles of hushd while running, beyond the machine's "
              f"stalls, on a realtime server: {by_hushd}")
    else:
        print("note: non-realtime JACK server (realtime not allowed here): xruns not asserted")


def test_late_worker(tmp):
    # The checker above must still catch a hushd that is late by itself: the worker
    # sleeps 20 ms before one hop in 200 (about once a second, HUSHD_TEST_LATE_MS).
    x = noisy_speechlike(12.0)
    ref = offline(tmp, x)
    r, v = judged_run(tmp, x, ref, {"HUSHD_TEST_LATE_MS": "20"})
    check(v is not None, "hushd starts with HUSHD_TEST_LATE_MS=20")
    if v is None:
        return
    blamed = [g for g in v["glitches"] if not g[2]]
    injected = int(len(x) / PERIOD / 200)
    check(len(blamed) >= injected // 2,
          f"the checker blames hushd for {len(blamed)} glitches of {len(v['glitches'])} "
          f"({injected} sleeps injected; want >= {injected // 2})")
    counts = final_counts(r["text"])
    check(counts is not None and counts[2] >= PERIOD * len(blamed) // 2,
          f"hushd's own count shows it: {counts and counts[2]} underrun frames")


def test_signals(tmp):
    with JackServer(RATE, PERIOD) as jack:
        for sig in (signal.SIGINT, signal.SIGTERM):
            h = Hushd(jack)
            started = h.wait_for(r"frames in hushd", 10)
            time.sleep(0.5)
            rc, took = h.stop(sig)
            name = signal.Signals(sig).name
            check(started and rc == 0 and took < 1.0,
                  f"{name}: exit status {rc} after {took:.2f} s (want 0 within 1 s)")
            check(f"stopped by {name}" in h.text(), f"{name}: hushd says it was stopped")


def test_reconnect(tmp):
    jack = JackServer(RATE, PERIOD).start()
    try:
        h = Hushd(jack)
        check(h.wait_for(r"frames in hushd", 10), "hushd starts")
        jack.stop(signal.SIGKILL)
        check(h.wait_for(r"lost the audio device", 5), "the server's death is reported")
        time.sleep(1.0)
        check(h.proc.poll() is None, "hushd keeps running without a server")
        jack.start()
        check(h.wait_for(r"frames in hushd", 15, count=2),
              "hushd reconnects to the new server of the same name")
        y, _ = loop(jack, tmp, noisy_speechlike(1.0), 1.0)
        check(np.sqrt(np.mean(y ** 2)) > 1e-3, "sound flows after the reconnect")
        jack.stop()
        check(h.wait_for(r"lost the audio device", 5, count=2), "second loss reported")
        time.sleep(0.6)  # now inside the reopen backoff
        rc, took = h.stop()
        check(rc == 0 and took < 1.0,
              f"SIGTERM while reconnecting: exit {rc} after {took:.2f} s")
    finally:
        jack.stop()


def test_no_alloc(tmp):
    with JackServer(RATE, PERIOD) as jack:
        h = Hushd(jack, env_extra={"LD_PRELOAD": ALLOC_SO})  # without OSC: its thread is
        # not an audio thread, but keep the count to the callback and the worker
        check(h.wait_for(r"frames in hushd", 10), "hushd starts with alloc-count preloaded")
        loop(jack, tmp, noisy_speechlike(4.0), 0.5)
        h.proc.send_signal(signal.SIGUSR2)
        check(h.wait_for(r"alloc-count: threads", 5), "alloc-count reports")
        rc, _ = h.stop()
        m = re.search(r"alloc-count: threads (\d+) allocations (\d+)", h.text())
        threads, allocs = int(m.group(1)), int(m.group(2))
        check(threads == 2, f"watched threads: {threads} (audio callback and DSP worker)")
        check(allocs == 0, f"allocations on them after start-up: {allocs}")
        check(rc == 0, f"exit status {rc}")


def hushctl(port, *args):
    r = subprocess.run([HUSHCTL, "--port", port, *args], capture_output=True, text=True,
                       timeout=10)
    return r.returncode, r.stdout.strip() + r.stderr.strip()


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_osc(tmp):
    jack = JackServer(RATE, PERIOD).start()
    try:
        h = Hushd(jack, ["--osc-port", str(free_udp_port())])
        check(h.wait_for(r"frames in hushd", 10) and h.osc_port() is not None,
              "hushd starts with OSC control on a free port")
        port = h.osc_port()
        rc, out = hushctl(port, "set", "threshold", "2.5")
        check(rc == 0 and "2.5" in out, f"hushctl set threshold 2.5: {rc} {out!r}")
        time.sleep(1.2)  # the status is refreshed every second
        rc, out = hushctl(port, "status")
        stated = re.search(r"latency ([\d.]+) ms: \d+ frames", h.text()).group(1)
        check(rc == 0 and re.search(rf"latency\D*{re.escape(stated)}", out) is not None,
              f"hushctl status shows the stated latency {stated} ms: {out!r}")
        jack.stop(signal.SIGKILL)
        check(h.wait_for(r"lost the audio device", 5), "the server's death is reported")
        jack.start()
        check(h.wait_for(r"frames in hushd", 15, count=2), "hushd reconnects")
        check(h.wait_for(r"OSC control on", 5, count=2), "OSC is back after the restart")
        rc, out = hushctl(h.osc_port(), "get", "threshold")
        check(rc == 0 and out.split()[-1] in ("2.5", "2.50", "2.500"),
              f"threshold after the restart in place: {out!r} (want 2.5)")
        rc, took = h.stop()
        check(rc == 0 and took < 1.0, f"SIGTERM: exit {rc} after {took:.2f} s")
    finally:
        jack.stop()


def test_reload(tmp):
    conf = f"{tmp}/hushd.conf"
    with open(conf, "w") as f:
        f.write("[dsp]\nthreshold = 2\n")
    with JackServer(RATE, PERIOD) as jack:
        h = Hushd(jack, ["--config", conf, "--osc-port", str(free_udp_port())])
        check(h.wait_for(r"frames in hushd", 10), "hushd starts with a config file")
        rc, out = hushctl(h.osc_port(), "get", "threshold")
        check(out.split()[-1] == "2", f"threshold from the file: {out!r}")
        with open(conf, "w") as f:
            f.write("[dsp]\nthreshold = 3\n")
        h.proc.send_signal(signal.SIGHUP)
        check(h.wait_for(r"reloaded .*: .*threshold", 5), "SIGHUP: the change is logged")
        rc, out = hushctl(h.osc_port(), "get", "threshold")
        check(out.split()[-1] == "3", f"threshold after SIGHUP: {out!r} (want 3)")
        check(len(re.findall(r"frames in hushd", h.text())) == 1,
              "a live parameter does not reopen the stream")
        with open(conf, "w") as f:
            f.write("[dsp]\nthreshold = 3\ntreshold = 4\n")
        h.proc.send_signal(signal.SIGHUP)
        check(h.wait_for(r"reload: .*hushd.conf:3: unknown key 'treshold'", 5),
              "a bad file is reported with FILE:LINE")
        with open(conf, "w") as f:
            f.write("[dsp]\nthreshold = 3\nfft_size = 2048\n")
        h.proc.send_signal(signal.SIGHUP)
        check(h.wait_for(r"fft 2048, hop 512", 10), "fft_size 2048: reopened with it")
        check(h.wait_for(r"OSC control on", 5, count=2), "OSC is back after the reopen")
        rc, out = hushctl(h.osc_port(), "get", "threshold")
        check(out.split()[-1] == "3", f"threshold after the reopen: {out!r} (want 3)")
        rc, took = h.stop()
        check(rc == 0 and took < 1.0, f"SIGTERM: exit {rc} after {took:.2f} s")


def test_two_devices(tmp):
    amp, freq = 0.2, 300.0
    t = np.arange(int(20 * RATE)) / RATE
    sf.write(f"{tmp}/tone.wav", (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32),
             RATE, subtype="FLOAT")
    with JackServer(RATE, PERIOD, realtime=True) as jack:
        src = subprocess.Popen(["jack-play", f"{tmp}/tone.wav"], env=jack.env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)  # PortAudio lists the JACK clients that exist at its start
            h = Hushd(jack, ["--no-osc", "--input-device", "jack-play", "--set", "bypass=1"])
            check(h.wait_for(r"frames in hushd", 10), "hushd starts with two devices")
            m = re.search(r'two devices: "jack-play-\d+" -> "system".*\n.*latency ([\d.]+) ms: '
                          r"(\d+) frames in hushd", h.text())
            check(m is not None, "the start line says two devices, jack-play -> system")
            if m:
                stated = float(m.group(1))
                hushd_ms = 1000 * int(m.group(2)) / RATE
                check(hushd_ms <= stated < hushd_ms + 100,
                      f"stated latency {stated} ms is hushd's {hushd_ms:.1f} ms plus a sane "
                      "device latency")
            time.sleep(1.0)
            sf.write(f"{tmp}/silence.wav", np.zeros(3 * RATE, np.float32), RATE,
                     subtype="FLOAT")
            r = subprocess.run([JACK_LOOP, "system:playback_2", "hushd:out_0",
                                f"{tmp}/silence.wav", f"{tmp}/rec.wav", "0"], env=jack.env(),
                               capture_output=True, text=True, timeout=30)
            y = sf.read(f"{tmp}/rec.wav", dtype="float32")[0]
            level = 20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2)) + 1e-12)
            want = 20 * np.log10(amp / np.sqrt(2))
            check(r.returncode == 0 and abs(level - want) < 1.0,
                  f"the tone arrives through two streams: {level:.2f} dBFS (want {want:.2f})")
            rc, took = h.stop()
            counts = re.search(r"underruns (\d+), frames dropped (\d+), repeated (\d+)",
                               h.text())
            print("two devices: " + (counts.group(0) if counts else "no closing line"))
            check(rc == 0 and counts is not None, f"SIGTERM: exit {rc}, counts reported")
        finally:
            src.terminate()
            src.wait()


def test_devices(tmp):
    # No JACK server (a name nobody runs) and, as on a build machine, no sound card:
    # hushd says so in one line, without the sound libraries' own chatter.
    env = dict(os.environ, JACK_DEFAULT_SERVER=f"hushd-test-none-{os.getpid()}",
               JACK_NO_START_SERVER="1")
    r = subprocess.run([HUSHD, "--list-devices"], env=env, capture_output=True, text=True,
                       timeout=20)
    if "(no audio devices found)" in r.stdout:
        r = subprocess.run([HUSHD, "--no-osc"], env=env, capture_output=True, text=True,
                           timeout=20)
        check(r.returncode == 2 and r.stderr.startswith("hushd: no default input device") and
              r.stderr.count("\n") == 1 and "--demo" in r.stderr,
              f"no device at all: exit {r.returncode}, one line pointing to --demo: "
              f"{r.stderr!r}")
    else:
        print("note: this machine has audio devices without JACK; the no-device case is "
              "not checked")
    with JackServer(RATE, PERIOD) as jack:
        r = subprocess.run([HUSHD, "--list-devices"], env=jack.env(), capture_output=True,
                           text=True, timeout=20)
        line = [l for l in r.stdout.splitlines() if " system " in l]
        check(r.returncode == 0 and line and "JACK Audio Connection Kit" in line[0]
              and re.search(r"\s2\s+2\s+48000", line[0]) is not None,
              f"--list-devices lists system (JACK, 2 in, 2 out, 48000 Hz): {line}")
        for args, want in (
                (["--input-device", "nosuchdevice"],
                 r'--input-device "nosuchdevice" matches no input device; input devices: '
                 r'.*\d+ "system" \(JACK Audio Connection Kit\)'),
                (["--output-device", "999"],
                 r"--output-device 999: no device with that index; output devices: "
                 r'.*"system"')):
            r = subprocess.run([HUSHD, *args], env=jack.env(), capture_output=True,
                               text=True, timeout=20)
            lastline = r.stderr.strip().splitlines()[-1]
            check(r.returncode == 2 and re.search(want, lastline) is not None,
                  f"{args}: exit {r.returncode}, {lastline!r}")


TESTS = {"audio-path": test_audio_path, "late-worker": test_late_worker,
         "signals": test_signals,
         "reconnect": test_reconnect, "no-alloc": test_no_alloc, "osc": test_osc,
         "reload": test_reload, "two-devices": test_two_devices,
         "devices": test_devices}

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(1))  # meson timeout: clean up
    with tempfile.TemporaryDirectory(prefix="hushd-live-") as tmp:
        TESTS[TEST](tmp)
    print(f"{TEST}: {len(failures)} failed")
    sys.exit(1 if failures else 0)
