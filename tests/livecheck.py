#!/usr/bin/python3
"""livecheck: the live tests' shared parts: hushd on a JACK dummy server (Hushd), jack-loop
(loop), the offline reference (offline), and the checker that compares a live recording
with the offline output a period at a time and tells the machine's stalls from hushd's
faults (live_run, judge, judged_run, check_live_equals_offline).

    import livecheck as lc
    lc.programs(hushd, jack_loop, stall_probe, hushctl)   # the built programs
    ref = lc.offline(tmp, x)
    r, v = lc.judged_run(tmp, x, ref)
    lc.check_live_equals_offline(v)
    sys.exit(1 if lc.failures else 0)
"""
import os
import re
import subprocess
import sys
import threading

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jackenv import JackServer  # noqa: E402
from hushdproc import LiveHushd  # noqa: E402
from verdict import check, failures, free_udp_port  # noqa: E402,F401

HUSHD = JACK_LOOP = STALL_PROBE = HUSHCTL = None


def programs(hushd, jack_loop, stall_probe, hushctl=None):
    """Names the built programs the helpers run."""
    global HUSHD, JACK_LOOP, STALL_PROBE, HUSHCTL
    HUSHD, JACK_LOOP, STALL_PROBE, HUSHCTL = hushd, jack_loop, stall_probe, hushctl


RATE, PERIOD = 48000, 256
WORKER_PRIORITY = 40  # what hushd asks for its DSP worker (daemon/live.c RT_PRIORITY)
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


class Hushd(LiveHushd):
    """hushd in live mode on the JACK server; stderr goes to a file we can poll."""

    def __init__(self, jack, args=("--no-osc",), env_extra=None):
        super().__init__(HUSHD, jack, args, env_extra)

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
    'recorder_missed' cycles, 'stalls' measured, and 'stall_at'(position in y): the
    longest stall in ms whose window holds the cycle that position was recorded in, or 0."""
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

    def stall_at(pos):
        i = max(0, np.searchsorted(frames, pos, side="right") - 1)
        t = ns[i] + (pos - frames[i]) * 1e9 / RATE
        near = [b - a for a, b in stalls
                if a <= t + STALL_AFTER_S * 1e9 and b >= t - STALL_BEFORE_S * 1e9]
        return max(near) / 1e6 if near else 0.0

    def explained(j):
        return stall_at(latency + j * PERIOD)

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
            "recorder_missed": len(missed), "stalls": len(stalls), "stall_at": stall_at}


def offline(tmp, x):
    sf.write(f"{tmp}/offline-in.wav", x, RATE, subtype="FLOAT")
    subprocess.run([HUSHD, "--input", f"{tmp}/offline-in.wav", "--output",
                    f"{tmp}/offline-out.wav"], check=True)
    return sf.read(f"{tmp}/offline-out.wav", dtype="float32")[0]


def live_run(tmp, x, env_extra=None, args=("--no-osc",), during=None):
    """Starts hushd (with args) on a fresh realtime JACK server and plays x into it as soon
    as its stream runs (no lead-in), with the stall probe running; returns the figures.
    during(h, playing): run in a thread while x plays (playing, a threading.Event, is
    cleared when it ends); what it returns is r["during"]."""
    with JackServer(RATE, PERIOD, realtime=True) as jack:
        # the probe watches hushd's start and stop too: its counts cover them
        probe = subprocess.Popen([STALL_PROBE, f"{tmp}/stalls.txt", str(WORKER_PRIORITY)],
                                 stdout=subprocess.PIPE, text=True)
        h = Hushd(jack, args, env_extra=env_extra)
        started = h.wait_for(r"frames in hushd", 10)
        playing, seen = threading.Event(), []
        playing.set()
        side = during and threading.Thread(target=lambda: seen.append(during(h, playing)))
        if side:
            side.start()
        try:
            y, client_xruns = loop(jack, tmp, x, 1.0, f"{tmp}/cycles.txt")
        except subprocess.TimeoutExpired:  # the server's clock crawled: a stalled machine
            y = client_xruns = None
        finally:
            playing.clear()
            if side:
                side.join()
        rc, took = h.stop()
        probe.terminate()
        probe_line = probe.communicate(timeout=10)[0].strip()
        xrun_lines = [l for l in jack.log().splitlines() if "XRun" in l]
        realtime = jack.realtime
    return {"started": started, "y": y, "client_xruns": client_xruns, "rc": rc,
            "took": took, "text": h.text(), "latency": h.latency_frames(),
            "xrun_lines": xrun_lines, "realtime": realtime, "probe": probe_line,
            "stalls": read_stalls(f"{tmp}/stalls.txt"), "during": seen[0] if seen else None}


def judged_run(tmp, x, ref, env_extra=None, unjudged=None, **run_opts):
    """live_run (with run_opts) and judge, redone while the machine's stalls leave too
    little to judge: less than MIN_VERIFIED exact, more than MAX_COVERED of the run
    within a stall's window, or unjudged(r, v) names why. After RUNS such runs the test is
    skipped (exit 77) with the figures: a machine that busy cannot tell anything about
    hushd (a non-realtime setup under load stalls every thread every few ms)."""
    for attempt in range(1, RUNS + 1):
        r = live_run(tmp, x, env_extra, **run_opts)
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
        why = unjudged and unjudged(r, v)
        if why:
            print(f"run {attempt}: not judged: {why}")
        elif v["verified"] >= MIN_VERIFIED and v["covered"] <= MAX_COVERED:
            return r, v
    print(f"SKIP: the machine stalled too much to judge hushd in {RUNS} runs")
    sys.exit(77)


def check_live_equals_offline(v):
    """The checker's verdict on judge's figures: no glitch without a machine stall before
    it, the exact periods within GOOD_ERR_DB, the drifted ones within DRIFT_DB."""
    blamed = [g for g in v["glitches"] if not g[2]]
    check(not blamed, f"glitches with no machine stall measured before them (hushd's "
          f"fault): {len(blamed)} of {len(v['glitches'])}")
    check(v["verified"] >= MIN_VERIFIED and v["err_db"] < GOOD_ERR_DB,
          f"live output = offline output over {100 * v['verified']:.1f} % of the run "
          f"(the rest after measured stalls): error {v['err_db']:.1f} dB < {GOOD_ERR_DB} dB")
    check(v["drifted"] == 0 or v["drift_db"] < DRIFT_DB,
          f"after a machine stall, live stays within {v['drift_db']:.1f} dB (< {DRIFT_DB} "
          f"dB) of offline")


def hushctl(port, *args):
    r = subprocess.run([HUSHCTL, "--port", port, *args], capture_output=True, text=True,
                       timeout=10)
    return r.returncode, r.stdout.strip() + r.stderr.strip()
