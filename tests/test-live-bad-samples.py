#!/usr/bin/python3
"""Bad samples on the live path (issue 12), on a real (virtual) device, no mocks.

    test-live-bad-samples.py HUSHD JACK_LOOP HUSHCTL STALL_PROBE

8 s of noisy speech-like sound with NaN, +Inf, -Inf and 1e20 in one period at 1.5 s,
played by jack-loop into the real hushd on a realtime JACK dummy server from its start
(tests/livecheck.py, as live-audio-path does):
  - the recording holds no NaN or infinite sample;
  - `hushctl status` while the sound plays shows "bad samples" 4 once they were played
    (0 before, never another count) and no figure NaN or infinite;
  - the closing line after SIGTERM says "bad samples 4";
  - the recording equals, by the live checker's rules (-90 dB a period, every glitch
    after a measured machine stall), the offline output (hushd --input --output) of the
    file with zeros in place of the bad samples: they were taken as exactly 0;
  - offline, from 0.5 s after the last bad sample on, that output is within -30 dB a
    period of the untouched file's: the bad samples are forgotten (a model they had
    poisoned would stay about 0 dB off). Not bit for bit: four samples made 0 move the
    noise model a little, and a bin near the gate's threshold may decide the other way in
    a few periods up to 2.5 s later (-37.5 to -38 dB a period measured).
"""
import os
import re
import signal
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecheck import (PERIOD, RATE, check,  # noqa: E402
                       check_live_equals_offline, failures, free_udp_port, hushctl,
                       judged_run, noisy_speechlike, offline, programs)

HUSHD, JACK_LOOP, HUSHCTL, STALL_PROBE = sys.argv[1:5]
SECONDS = 8.0
BAD_AT = int(1.5 * RATE) // PERIOD * PERIOD  # one JACK period holds all four: played together
BAD = {BAD_AT: np.nan, BAD_AT + 50: np.inf, BAD_AT + 100: -np.inf, BAD_AT + 150: 1e20}
FORGET_S = 0.5  # issue 12: this long after the last bad sample they are forgotten
FORGET_DB = -30.0  # a trace of the zeros may flip a few bins' decisions (-37.5 measured)
POLL_S = 0.25


def poll_status(h, playing):
    """hushctl status every POLL_S while the sound plays: a list of (seconds since
    jack-loop started, bad samples, whether every figure is finite)."""
    port, polls, t0 = h.osc_port(), [], time.monotonic()
    while playing.is_set():
        rc, out = hushctl(port, "status")
        m = re.search(r"^bad samples\s+(\S+)$", out, re.M)
        if rc == 0 and m:
            polls.append((time.monotonic() - t0, float(m.group(1)),
                          re.search(r"nan|inf", out) is None))
        time.sleep(POLL_S)
    return polls


def closing_count(text):
    """The bad samples hushd's closing line counts, or None."""
    m = re.search(r"stopped by SIGTERM.*bad samples (\d+)", text)
    return int(m.group(1)) if m else None


def lost_in_a_stall(r, v):
    """A machine stall when the period with the bad samples was played may have kept the
    player from playing it: such a run cannot tell what hushd counts."""
    count, stall_ms = closing_count(r["text"]), v["stall_at"](BAD_AT)
    if count != len(BAD) and stall_ms:
        return (f"hushd counted {count} bad samples, and they were played within the "
                f"window of a {stall_ms:.1f} ms machine stall")
    return None


def offline_forgets(ref_zeroed, ref_clean, a):
    """The offline outputs of the zeroed and of the untouched file from sample a on: the
    worst period's error in dB relative to the mean period."""
    n = (len(ref_clean) - a) // PERIOD * PERIOD
    err = ((ref_zeroed[a:a + n].astype(np.float64) - ref_clean[a:a + n]) ** 2)
    energy = (ref_clean[a:a + n].astype(np.float64) ** 2).reshape(-1, PERIOD).sum(axis=1)
    return 10 * np.log10(err.reshape(-1, PERIOD).sum(axis=1).max() / energy.mean() + 1e-30)


def test_bad_samples(tmp):
    x = noisy_speechlike(SECONDS)
    bad, zeroed = x.copy(), x.copy()
    for at, value in BAD.items():
        bad[at], zeroed[at] = value, 0
    ref_clean, ref_zeroed = offline(tmp, x), offline(tmp, zeroed)
    forget_at = (max(BAD) + int(FORGET_S * RATE)) // PERIOD * PERIOD
    worst = offline_forgets(ref_zeroed, ref_clean, forget_at)
    check(worst < FORGET_DB, f"offline, {FORGET_S} s after the last bad sample on: the "
          f"output for the zeroed file is that for the untouched file (worst period "
          f"{worst:.1f} dB < {FORGET_DB} dB)")
    ref = ref_zeroed

    r, v = judged_run(tmp, bad, ref, unjudged=lost_in_a_stall,
                      args=("--osc-port", str(free_udp_port())), during=poll_status)
    check(r["started"], "hushd starts on the JACK dummy with OSC")
    y = r["y"]
    nonfinite = int(np.count_nonzero(~np.isfinite(y)))
    check(nonfinite == 0, f"non-finite samples in the {len(y) / RATE:.1f} s recording: "
          f"{nonfinite}")
    polls = r["during"] or []
    counts = sorted({int(c) for _, c, _ in polls})
    shown = [t for t, c, _ in polls if c == len(BAD)]
    print(f"hushctl status polls: {len(polls)}; bad samples seen {counts}; 4 from "
          f"{shown[0] if shown else float('nan'):.2f} s (played at {BAD_AT / RATE:.2f} s)")
    check(shown and set(counts) <= {0, len(BAD)}, f"hushctl status during the run shows bad "
          f"samples 4 (counts seen: {counts})")
    check(polls and all(ok for _, _, ok in polls),
          f"every hushctl status figure finite in {len(polls)} polls")
    count = closing_count(r["text"])
    check(r["rc"] == 0 and count == len(BAD),
          f"SIGTERM: exit {r['rc']}, the closing line counts {count} bad samples (want 4)")
    if v is not None:
        check_live_equals_offline(v)


if __name__ == "__main__":
    programs(HUSHD, JACK_LOOP, STALL_PROBE, HUSHCTL)
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(1))  # meson timeout: clean up
    with tempfile.TemporaryDirectory(prefix="hushd-live-bad-") as tmp:
        test_bad_samples(tmp)
    print(f"bad-samples: {len(failures)} failed")
    sys.exit(1 if failures else 0)
