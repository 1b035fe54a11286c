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
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jackenv import JackServer  # noqa: E402
from livecheck import (PERIOD, RATE, Hushd, check, check_live_equals_offline,  # noqa: E402
                       failures, final_counts, free_udp_port, hushctl, judged_run, loop,
                       noisy_speechlike, offline, programs)

HUSHD, JACK_LOOP, ALLOC_SO, HUSHCTL, STALL_PROBE, TEST = sys.argv[1:7]
programs(HUSHD, JACK_LOOP, STALL_PROBE, HUSHCTL)


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
    check_live_equals_offline(v)
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
    # hushd's counts cover its start and stop, outside the recording: there a machine
    # stall of a period or more, measured by the probe, may explain them
    period_stalls = sum(b - a >= PERIOD / RATE * 1e9 for a, b in r["stalls"])
    check(counts is not None and (counts[1:] == (0, 0) or v["glitches"] or period_stalls),
          f"hushd's rings: overruns, underruns = {counts and counts[1:]} over {seconds:.0f} "
          f"s, none without a glitch or a machine stall of a period or more "
          f"({period_stalls}) to show for it")
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
                 r'.*"system"'),
                (["--output-device", "4294967295"],  # used to wrap to -1 and crash
                 r"--output-device 4294967295: no device with that index; output devices: "
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
