#!/usr/bin/python3
"""scripts/crossmix on a small generated set: every item gets another item's noise, at its
own SNR by the dev set's definition, and noisy = clean + noise exactly in 16 bits.

Usage: test-crossmix.py CROSSMIX
"""
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

crossmix = sys.argv[1]
failed = 0


def check(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what)
    failed += not ok


def snr_db(clean, noise, rate):
    f = int(0.02 * rate)
    k = len(clean) // f
    ce = (clean[:k * f].reshape(k, f) ** 2).sum(1)
    ne = (noise[:k * f].reshape(k, f) ** 2).sum(1)
    active = ce >= ce.max() * 1e-4
    return 10 * np.log10(ce[active].mean() / ne[active].mean())


with tempfile.TemporaryDirectory() as tmp:
    src, out = os.path.join(tmp, "set"), os.path.join(tmp, "out")
    for d in ("clean", "noise", "noisy"):
        os.makedirs(os.path.join(src, d))
    rng = np.random.default_rng(3)
    rate, n = 16000, 32000
    rows = []
    kinds = [("white", 0.0), ("hum", 5.0), ("pink", 10.0), ("fan", -5.0), ("brown", 15.0)]
    for i, (kind, snr) in enumerate(kinds):
        t = np.arange(n) / rate
        clean = np.where(t > 1.0, 0.1 * np.sin(2 * np.pi * (150 + 20 * i) * t), 0.0)
        noise = 0.01 * (i + 1) * rng.standard_normal(n)
        item = f"d{i + 1:02d}_{kind}_snr{int(snr)}_talker{i}"
        ci = np.round(clean * 32767).astype(np.int16)
        ni = np.round(noise * 32767).astype(np.int16)
        sf.write(os.path.join(src, "clean", item + ".flac"), ci, rate, subtype="PCM_16")
        sf.write(os.path.join(src, "noise", item + ".flac"), ni, rate, subtype="PCM_16")
        sf.write(os.path.join(src, "noisy", item + ".flac"), ci + ni, rate, subtype="PCM_16")
        rows.append({"id": item, "speech_source": "test", "speech_kind": "tts", "noise_type": kind,
                     "noise_kind": "synthetic", "snr_db": f"{snr:.2f}", "rate": str(rate),
                     "seconds": "2.0", "lead_in_s": "1.0"})
    with open(os.path.join(src, "manifest.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)

    r = subprocess.run([crossmix, src, out], capture_output=True, text=True)
    check(r.returncode == 0 and "5 items" in r.stdout, f"crossmix ran: {r.stdout.strip()}")
    made = list(csv.DictReader(open(os.path.join(out, "manifest.csv"))))
    check(len(made) == 5, f"{len(made)} rows in the new manifest")
    for orig, new in zip(rows, made):
        other = rows[(rows.index(orig) + 3) % 5]
        check(new["noise_type"] == other["noise_type"] and new["id"].startswith("x"),
              f"{new['id']}: the noise of {other['id']}")
        c, _ = sf.read(os.path.join(out, "clean", new["id"] + ".flac"), dtype="int16")
        z, _ = sf.read(os.path.join(out, "noise", new["id"] + ".flac"), dtype="int16")
        y, _ = sf.read(os.path.join(out, "noisy", new["id"] + ".flac"), dtype="int16")
        check(np.array_equal(y.astype(np.int32), c.astype(np.int32) + z.astype(np.int32)),
              f"{new['id']}: noisy == clean + noise sample for sample")
        got = snr_db(c.astype(float), z.astype(float), rate)
        check(abs(got - float(orig["snr_db"])) < 0.05,
              f"{new['id']}: SNR {got:.2f} dB (wanted {orig['snr_db']})")
    r = subprocess.run([crossmix, os.path.join(tmp, "missing"), out], capture_output=True,
                       text=True)
    check(r.returncode == 2 and "missing/manifest.csv: No such file or directory" in r.stderr,
          f"a missing set: exit {r.returncode}, {r.stderr.strip()}")

print(f"{'FAIL' if failed else 'ok'}: {failed} failed")
sys.exit(1 if failed else 0)
