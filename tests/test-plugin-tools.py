#!/usr/bin/python3
"""The LADSPA plugin through hosts nobody here wrote: Debian's ladspa-sdk tools.

  test-plugin-tools.py PLUGIN.so HUSHD PARAMS_H FILTER_CHAIN_CONF

- analyseplugin lists hushd_mono and hushd_stereo, every live parameter of dsp/params.h
  as an input control with the table's bounds, and the "latency" output port.
- applyplugin on noisy speech (made by `hushd --demo`: espeak-ng speech in noise, 22050 Hz,
  and the same resampled to 48 kHz)
  with every control at the table's default gives what `hushd --input --output` gives,
  shifted by the latency the plugin reports (read here through ctypes, as a host reads it),
  within 1e-4; the shift that matches best is that latency. Mono and stereo.
- config/hushd-filter-chain.conf sets every control to the table's default (LADSPA's
  default hints cannot say 3 dB or 10 ms: the drop-in carries the exact values).
applyplugin reads 16-bit samples as n / 32767.5 and writes trunc(y * 32767.5); hushd is
given exactly the samples the plugin saw (a float WAV) and its float output is compared
with applyplugin's 16-bit one, so the bound covers one truncation step (3.05e-5).
"""
import ctypes
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

plugin, hushd, params_h, conf = sys.argv[1:5]
fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    fails += not ok


# The table: name, min, max, default, live, from dsp/params.h's X-macro.
with open(params_h) as f:
    text = f.read()
table = [(m[0], float(m[1]), float(m[2]), float(m[3]), m[4] == "1") for m in re.findall(
    r"X\((\w+), HP_\w+, \"[^\"]*\", (-?[\d.]+), (-?[\d.]+), (-?[\d.]+), ([01]),", text)]
live = [t for t in table if t[4]]
check(len(table) >= 20 and len(live) >= 17, f"{len(table)} parameters, {len(live)} live, in params.h")

# ---- analyseplugin ----
out = subprocess.run(["analyseplugin", plugin], capture_output=True, text=True).stdout
blocks = out.split("Plugin Name:")[1:]
labels = [re.search(r'Plugin Label: "(\w+)"', b).group(1) for b in blocks]
check(labels == ["hushd_mono", "hushd_stereo"], f"analyseplugin labels {labels}")
ids = [re.search(r"Unique ID: (\d+)", b).group(1) for b in blocks]
check(len(set(ids)) == 2, f"unique IDs {ids}")
for label, b in zip(labels, blocks):
    ports = re.findall(r'"([^"]+)" (input|output), (control|audio)(.*)', b)
    controls = [(n, rest) for n, d, k, rest in ports if d == "input" and k == "control"]
    check([n for n, _ in controls] == [t[0] for t in live],
          f"{label}: one input control per live parameter, in table order")
    for (name, rest), (_, lo, hi, default, _) in zip(controls, live):
        if "toggled" in rest:
            ok = lo == 0 and hi == 1 and re.search(r"default ([01])\b", rest)
        else:
            m = re.match(r", (-?[\d.e+]+) to (-?[\d.e+]+), default (-?[\d.e+]+)", rest)
            ok = m and float(m.group(1)) == lo and float(m.group(2)) == hi
        check(bool(ok), f"{label}: {name}{rest} (table {lo:g}..{hi:g}, default {default:g})")
    check(any(n == "latency" and d == "output" and k == "control" for n, d, k, _ in ports),
          f'{label}: output control "latency"')
    audio = [(n, d) for n, d, k, _ in ports if k == "audio"]
    check(len(audio) == (2 if label == "hushd_mono" else 4), f"{label}: audio ports {audio}")


# ---- the filter-chain drop-in: every control at the table's default ----
with open(conf) as f:
    controls = dict(re.findall(r'^\s*"(\w+)"\s*=\s*(-?[\d.]+)\s*$', f.read(), re.M))
check(list(controls) == [t[0] for t in live], f"{conf}: one control per live parameter, in table order")
for name, lo, hi, default, _ in live:
    check(name in controls and float(controls[name]) == default,
          f"{conf}: {name} = {controls.get(name)} (table default {default:g})")


# ---- the latency as a host reads it: instantiate, connect, activate ----
class Hint(ctypes.Structure):
    _fields_ = [("hint", ctypes.c_int), ("lower", ctypes.c_float), ("upper", ctypes.c_float)]


HANDLE = ctypes.c_void_p


class Descriptor(ctypes.Structure):
    pass


Descriptor._fields_ = [
    ("unique_id", ctypes.c_ulong), ("label", ctypes.c_char_p), ("properties", ctypes.c_int),
    ("name", ctypes.c_char_p), ("maker", ctypes.c_char_p), ("copyright", ctypes.c_char_p),
    ("port_count", ctypes.c_ulong), ("port_descriptors", ctypes.POINTER(ctypes.c_int)),
    ("port_names", ctypes.POINTER(ctypes.c_char_p)), ("hints", ctypes.POINTER(Hint)),
    ("data", ctypes.c_void_p),
    ("instantiate", ctypes.CFUNCTYPE(HANDLE, ctypes.POINTER(Descriptor), ctypes.c_ulong)),
    ("connect_port", ctypes.CFUNCTYPE(None, HANDLE, ctypes.c_ulong, ctypes.POINTER(ctypes.c_float))),
    ("activate", ctypes.CFUNCTYPE(None, HANDLE)),
    ("run", ctypes.CFUNCTYPE(None, HANDLE, ctypes.c_ulong)),
    ("run_adding", ctypes.c_void_p), ("set_run_adding_gain", ctypes.c_void_p),
    ("deactivate", ctypes.c_void_p),
    ("cleanup", ctypes.CFUNCTYPE(None, HANDLE)),
]
lib = ctypes.CDLL(os.path.abspath(plugin))
lib.ladspa_descriptor.restype = ctypes.POINTER(Descriptor)
lib.ladspa_descriptor.argtypes = [ctypes.c_ulong]


def reported_latency(index, rate):
    d = lib.ladspa_descriptor(index)
    h = d.contents.instantiate(d, rate)
    cells = [ctypes.c_float(0) for _ in range(d.contents.port_count)]
    latency = None
    for p in range(d.contents.port_count):
        d.contents.connect_port(h, p, ctypes.pointer(cells[p]))
        if d.contents.port_names[p] == b"latency":
            latency = cells[p]
    d.contents.activate(h)
    value = latency.value
    d.contents.cleanup(h)
    return int(value)


# ---- applyplugin against hushd --input/--output ----
def compare(tmp, noisy16, label, index):
    info = sf.info(noisy16)
    ints = sf.read(noisy16, dtype="int16", always_2d=True)[0]
    seen = (ints / 32767.5).astype(np.float32)  # what applyplugin hands the plugin
    sf.write(f"{tmp}/seen.wav", seen, info.samplerate, subtype="FLOAT")
    subprocess.run([hushd, "--quiet", "--input", f"{tmp}/seen.wav", "--output",
                    f"{tmp}/hushd.wav"], check=True)
    ref = sf.read(f"{tmp}/hushd.wav", dtype="float32", always_2d=True)[0]
    defaults = [f"{t[3]:g}" for t in live]
    r = subprocess.run(["applyplugin", "-s", "1", noisy16, f"{tmp}/plugin.wav", plugin, label]
                       + defaults, capture_output=True, text=True)
    check(r.returncode == 0, f"{label}: applyplugin ran ({r.stderr.strip()[:200]})")
    got = sf.read(f"{tmp}/plugin.wav", dtype="int16", always_2d=True)[0] / 32767.5
    latency = reported_latency(index, info.samplerate)
    n = len(ref)
    # the shift that matches best, over 0.5 s from the middle of the file
    mid, w = n // 2, info.samplerate // 2
    errors = [np.max(np.abs(got[lag + mid:lag + mid + w] - ref[mid:mid + w]))
              for lag in range(0, 4096)]
    measured = int(np.argmin(errors))
    err = got[latency:latency + n] - ref
    print(f"     {label} at {info.samplerate} Hz, {n} frames x {ref.shape[1]}: reported latency "
          f"{latency}, measured {measured}; |plugin - hushd| max {np.max(np.abs(err)):.2e}, "
          f"rms {np.sqrt(np.mean(err ** 2)):.2e}; next best shift max {sorted(errors)[1]:.2e}")
    check(measured == latency, f"{label}: reported latency {latency} = measured {measured}")
    check(np.max(np.abs(err)) < 1e-4, f"{label}: applyplugin = hushd --input/--output within 1e-4")
    # the quietest tenth of 20 ms frames (pauses: noise alone), before and after
    frames = len(seen) // 441 * 441
    p_in = np.mean(seen[:frames].reshape(-1, 441 * seen.shape[1]) ** 2, axis=1)
    p_out = np.mean(got[latency:latency + frames].reshape(-1, 441 * seen.shape[1]) ** 2, axis=1)
    quiet = np.argsort(p_in)[: len(p_in) // 10]
    drop = 10 * np.log10(np.mean(p_out[quiet]) / np.mean(p_in[quiet]))
    check(drop < -10, f"{label}: pauses {drop:.1f} dB after the plugin (at least 10 dB less)")


with tempfile.TemporaryDirectory(prefix="hushd-test-plugin-") as tmp:
    subprocess.run([hushd, "--demo", tmp], check=True, capture_output=True)
    mono = f"{tmp}/demo-noisy.wav"
    compare(tmp, mono, "hushd_mono", 0)
    # the same at 48 kHz (fft 1024): resampled 22050 -> 48000 = 320/147
    x, rate = sf.read(mono, dtype="int16")
    y = np.clip(np.round(resample_poly(x.astype(np.float64), 320, 147)), -32768, 32767)
    sf.write(f"{tmp}/mono48.wav", y.astype(np.int16), 48000, subtype="PCM_16")
    compare(tmp, f"{tmp}/mono48.wav", "hushd_mono", 0)
    # stereo: the demo on the left, the same reversed in time on the right
    sf.write(f"{tmp}/stereo.wav", np.stack([x, x[::-1]], axis=1), rate, subtype="PCM_16")
    compare(tmp, f"{tmp}/stereo.wav", "hushd_stereo", 1)

print(f"{fails} failures")
sys.exit(1 if fails else 0)
