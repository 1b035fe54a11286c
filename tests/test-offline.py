#!/usr/bin/env python3
"""The real hushd binary on real files (offline mode).

Usage: test-offline.py HUSHD PARAMS_H ENGINE_REF

Proves: the output has the input's rate, channels, sample format and length at 16, 44.1
and 48 kHz, mono and stereo, 16-bit and float; with reduction_db=0 it equals the input
(no delay) within -90 dB; with denoising on it is exactly what one engine_process call
over the whole file gives after latency compensation (ENGINE_REF); channels_linked shares one mask; every kind of bad input
exits 2 with its one-line message and leaves an existing output byte-identical with no
temporary file behind; a WAV or FLAC cut short (header announces 4 s, the file holds
less) is exit 2 naming the file and where it stopped, with or without --learn; SIGINT,
SIGTERM and SIGHUP mid-run are exit 1, old output kept, no temporary file, and an
ignored SIGHUP (nohup) stays ignored; --spectrogram writes a 1200x900 PNG without changing the audio;
--save-profile/--profile round trip, a profile of another fft or rate is refused; the
progress bar shows on a terminal only; --help/--version; --demo; NaN, +-Inf and 1e20 in a
float file are counted in the closing message and taken as 0.
WAV files are written and parsed here; FLAC files are written with python3-soundfile.
"""
import array
import math
import os
import pty
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

import soundfile

HUSHD, PARAMS_H, ENGINE_REF = (os.path.abspath(a) for a in sys.argv[1:4])
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# --- WAV files -------------------------------------------------------------------

PCM, FLOAT = 1, 3


def write_wav(path, rate, channels, samples, fmt):
    """samples: interleaved floats in [-1, 1]; fmt PCM (16-bit) or FLOAT (32-bit)."""
    if fmt == PCM:
        data = array.array("h", (max(-32768, min(32767, round(x * 32768))) for x in samples))
        bits = 16
    else:
        data = array.array("f", samples)
        bits = 32
    payload = data.tobytes()
    block = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    chunks = b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
    if fmt == FLOAT:
        chunks += b"fact" + struct.pack("<II", 4, len(samples) // channels)
    chunks += b"data" + struct.pack("<I", len(payload)) + payload
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)


def read_wav(path):
    """Returns dict(rate, channels, fmt, bits, samples) with samples as floats."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE", path + ": not a WAV"
    pos, info = 12, {}
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        body = raw[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if fmt == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes
                fmt = struct.unpack("<H", body[24:26])[0]
            info.update(fmt=fmt, channels=ch, rate=rate, bits=bits)
        elif cid == b"data":
            if info["fmt"] == PCM and info["bits"] == 16:
                a = array.array("h")
                a.frombytes(body[:len(body) // 2 * 2])
                info["samples"] = [x / 32768 for x in a]
            elif info["fmt"] == FLOAT and info["bits"] == 32:
                a = array.array("f")
                a.frombytes(body[:len(body) // 4 * 4])
                info["samples"] = list(a)
            else:
                raise AssertionError(f"{path}: unexpected format {info}")
        pos += 8 + size + (size & 1)
    return info


def test_signal(rate, channels, seconds, seed=1, tone_hz=440):
    """Tone bursts in noise, on in the second and fourth quarter of every second;
    channel c has its tone at tone_hz + 220 c."""
    rng = random.Random(seed)
    out = []
    for i in range(int(rate * seconds)):
        on = (i * 4 // rate) % 2
        for c in range(channels):
            tone = 0.3 * on * math.sin(2 * math.pi * (tone_hz + 220 * c) * i / rate)
            out.append(tone + rng.gauss(0, 0.02))
    return out


def error_db(ref, got):
    """Error of got against ref in dB relative to ref's power (-inf when identical)."""
    e = sum((a - b) ** 2 for a, b in zip(ref, got))
    s = sum(a * a for a in ref)
    return 10 * math.log10(e / s) if e > 0 else -math.inf


def read_png(path):
    """Returns (width, height, rows) of an 8-bit RGB PNG; rows[y][3 * x + channel]."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", path + ": not a PNG"
    pos, idat = 8, b""
    while pos < len(raw):
        size, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + size]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 2), f"{path}: not 8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + size
    data, stride, rows, prev = zlib.decompress(idat), width * 3, [], bytearray(width * 3)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = data[start], bytearray(data[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, rows


def run(*args, env=None):
    p = subprocess.run([HUSHD, *args], capture_output=True, text=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


tmp = tempfile.mkdtemp(prefix="hushd-offline-")
os.chdir(tmp)


def leftovers():
    return [f for f in os.listdir(tmp) if ".tmp-" in f]


# --- formats, length, alignment --------------------------------------------------

for rate in (16000, 44100, 48000):
    for channels in (1, 2):
        for fmt, name in ((PCM, "16-bit"), (FLOAT, "float")):
            what = f"{rate} Hz {channels} ch {name}"
            x = test_signal(rate, channels, 1.5, seed=rate + channels)
            write_wav("in.wav", rate, channels, x, fmt)
            rc, _, err = run("-i", "in.wav", "-o", "out.wav")
            y = read_wav("out.wav")
            check(rc == 0 and err == "", f"{what}: exit 0, nothing on stderr ({rc} {err!r})")
            check((y["rate"], y["channels"], y["fmt"], y["bits"], len(y["samples"])) ==
                  (rate, channels, fmt, 16 if fmt == PCM else 32, len(x)),
                  f"{what}: same rate, channels, format and length")
            rc, _, _ = run("-i", "in.wav", "-o", "same.wav", "--set", "reduction_db=0")
            db = error_db(read_wav("in.wav")["samples"], read_wav("same.wav")["samples"])
            check(rc == 0 and db < -90,
                  f"{what}: reduction_db=0 gives the input back, aligned: {db:.1f} dB < -90")
            if rate == 48000 and channels == 1 and fmt == FLOAT:
                db = error_db(x, y["samples"])
                check(db > -30, f"{what}: with defaults the gate acts: {db:.1f} dB > -30")

# hushd's output is the engine's: one engine_process call over the whole file, shifted
# by the latency, gives the same samples (16-bit: after the same rounding).
for fmt, name in ((FLOAT, "float"), (PCM, "16-bit")):
    for settings in ([], ["channels_linked=0"], ["fft_size=512", "hop_size=128"]):
        write_wav("ref-in.wav", 48000, 2, test_signal(48000, 2, 1.5, seed=11), fmt)
        run("-i", "ref-in.wav", "-o", "ref-out.wav", *[a for v in settings for a in ("--set", v)])
        subprocess.run([ENGINE_REF, "ref-in.wav", "ref.raw", *settings], check=True)
        ref = array.array("f")
        with open("ref.raw", "rb") as f:
            ref.frombytes(f.read())
        if fmt == PCM:
            ref = [max(-32768, min(32767, round(v * 32768))) / 32768 for v in ref]
        got = read_wav("ref-out.wav")["samples"]
        same = sum(1 for a, b in zip(ref, got) if a == b)
        check(len(got) == len(ref) == same,
              f"{name} {' '.join(settings) or 'defaults'}: hushd's output is exactly the "
              f"engine's ({same} of {len(ref)} samples equal)")

# channels_linked=1: one mask for all channels, so a channel that is half another comes
# out as exactly half of it; identical channels come out identical either way.
x = test_signal(48000, 1, 1.5, seed=7)
write_wav("st.wav", 48000, 2, [v for s in x for v in (s, 0.5 * s)], FLOAT)
run("-i", "st.wav", "-o", "st-out.wav", "--set", "channels_linked=1")
y = read_wav("st-out.wav")["samples"]
db = error_db(y[1::2], [0.5 * v for v in y[0::2]])
check(db < -100, f"linked stereo: right = left / 2 after the gate: {db:.1f} dB < -100")
write_wav("st.wav", 48000, 2, [v for s in x for v in (s, s)], FLOAT)
for linked in ("0", "1"):
    run("-i", "st.wav", "-o", "st-out.wav", "--set", "channels_linked=" + linked)
    y = read_wav("st-out.wav")["samples"]
    check(y[0::2] == y[1::2], f"channels_linked={linked}: identical channels stay identical")

# --- bad input: exit 2, one line, output untouched, nothing left behind -------------

x = test_signal(48000, 1, 1.0)
write_wav("good.wav", 48000, 1, x, PCM)
write_wav("zero.wav", 48000, 1, [], PCM)
with open("text.wav", "w") as f:
    f.write("this is not audio\n")
with open("riff.wav", "wb") as f:
    f.write(b"RIFF\x10\x00\x00\x00WAVEjunkjunk")
open("empty.wav", "wb").close()
os.mkdir("folder.wav")
with open("garbage.profile", "w") as f:
    f.write("hello\n")
with open("short.profile", "w") as f:
    f.write("hushd-noise-profile 1\nrate 48000\nfft 1024\nbins 513\n-60 3\n")
with open("huge.profile", "w") as f:
    f.write("hushd-noise-profile 1\n" + "#" * (1 << 20))
OLD = b"precious earlier result\n"

bad_cases = [
    (["-i", "missing.wav"], "missing.wav: cannot open: No such file or directory"),
    (["-i", "folder.wav"], "folder.wav: is a directory, not an audio file"),
    (["-i", "empty.wav"], "empty.wav: the file is empty"),
    (["-i", "text.wav"],
     "text.wav: not an audio file libsndfile can read (Format not recognised.)"),
    (["-i", "riff.wav"], "riff.wav: not an audio file libsndfile can read ("),
    (["-i", "zero.wav"], "zero.wav: holds no audio (0 frames)"),
    (["-i", "good.wav", "--set", "nope=1"], "unknown parameter 'nope' (hushd --help lists them)"),
    (["-i", "good.wav", "--set", "reduction_db=100"],
     "reduction_db: 100 is out of range [0, 80] dB"),
    (["-i", "good.wav", "--set", "threshold=-11"], "threshold: -11 is out of range [-10, 30] dB"),
    (["-i", "good.wav", "--set", "fft_size=1000"],
     "fft_size: 1000 is not a power of two in [64, 16384] (or 0 = auto)"),
    (["-i", "good.wav", "--set", "fft_size=1024", "--set", "hop_size=300"],
     "good.wav (48000 Hz, 1 channel): hop_size: 300 must divide fft_size 1024 and be at most 512"),
    (["-i", "good.wav", "--set", "hop_size=1024"],
     "good.wav (48000 Hz, 1 channel): hop_size: 1024 must divide fft_size 1024 and be at most 512"),
    (["-i", "good.wav", "--profile", "missing.profile"],
     "missing.profile: cannot open: No such file or directory"),
    (["-i", "good.wav", "--profile", "garbage.profile"],
     "garbage.profile: not a hushd noise profile"),
    (["-i", "good.wav", "--profile", "huge.profile"],
     "huge.profile: larger than 1048576 bytes: not a noise profile"),
    (["-i", "good.wav", "--profile", "short.profile"],
     "short.profile: noise profile line 6 (bin 1) is not 'power_db std_db'"),
    (["-i", "good.wav", "--spectrogram", "no/such/dir/sg.png"],
     "no/such/dir/sg.png: cannot create a file there: No such file or directory"),
]
if os.geteuid() != 0:  # root reads any file: the folder case above stands in for it
    shutil.copy("good.wav", "locked.wav")
    os.chmod("locked.wav", 0)
    bad_cases.append((["-i", "locked.wav"], "locked.wav: cannot open: Permission denied"))

for args, message in bad_cases:
    with open("out.wav", "wb") as f:
        f.write(OLD)
    rc, out, err = run(*args, "-o", "out.wav")
    with open("out.wav", "rb") as f:
        kept = f.read() == OLD
    line = err.rstrip("\n")
    check(rc == 2 and "\n" not in line and line.startswith("hushd: " + message) and kept and
          not leftovers() and out == "",
          f"bad input {' '.join(args)}: exit 2, '{message}', output kept "
          f"(rc {rc}, {err!r}, kept {kept}, left {leftovers()})")

rc, _, err = run("-i", "good.wav", "-o", "no/such/dir/out.wav")
check(rc == 2 and err == "hushd: no/such/dir/out.wav: cannot create a file there: "
      "No such file or directory\n", f"output folder missing: exit 2 ({rc} {err!r})")
shutil.copy("good.wav", "self.wav")
rc, _, err = run("-i", "self.wav", "-o", "self.wav")
with open("self.wav", "rb") as a, open("good.wav", "rb") as b:
    same = a.read() == b.read()
check(rc == 2 and same and
      err == "hushd: self.wav: is the input file; write the result to another file\n",
      f"output = input: refused, input intact ({rc} {err!r})")

# --- cut short: the header announces 4 s, the file holds less -----------------------

rng = random.Random(5)
x = [rng.gauss(0, 0.1) for _ in range(4 * 48000)]  # noise: FLAC cannot pack it much
write_wav("whole.wav", 48000, 1, x, PCM)
soundfile.write("whole.flac", x, 48000, subtype="PCM_16")
for name in ("whole.wav", "whole.flac"):
    with open(name, "rb") as f:
        data = f.read()
    with open("cut" + name[5:], "wb") as f:
        f.write(data[:150000])
cut_cases = [
    ("cut.wav", r"cut\.wav: the file is cut short: its header announces 4\.000 s of audio, it "
     r"holds 1\.562 s"),
    ("cut.flac", r"cut\.flac: the file is cut short or damaged: read 1\.\d+ s of the 4\.000 s "
     r"its header announces \(.+\)"),
]
for extra in ([], ["--learn", "3"]):
    for name, want in cut_cases:
        out = "out" + name[3:]
        with open(out, "wb") as f:
            f.write(OLD)
        rc, _, err = run("-i", name, "-o", out, *extra)
        with open(out, "rb") as f:
            kept = f.read() == OLD
        check(rc == 2 and re.fullmatch("hushd: " + want + "\n", err) is not None and kept and
              not leftovers(), f"{name} {' '.join(extra)}: exit 2, where it stopped, output "
              f"kept, no temporary file (rc {rc}, {err!r}, kept {kept}, left {leftovers()})")
# Through a pipe: a cut is found by the header's size; a streaming writer's "unknown"
# size (0xffffffff) ends where the data ends.
with open("whole.wav", "rb") as f:
    data = f.read()
stream = bytearray(data)
stream[4:8] = stream[data.index(b"data") + 4:data.index(b"data") + 8] = b"\xff" * 4
for what, feed, want_rc, want_err in (
        ("cut", data[:150000], 2, r"hushd: /dev/stdin: the file is cut short or damaged: read "
         r"1\.562 s of the 4\.000 s its header announces \(no more data\)\n"),
        ("of unknown length", bytes(stream), 0, "")):
    p = subprocess.run([HUSHD, "-i", "/dev/stdin", "-o", "piped.wav"], input=feed,
                       capture_output=True, timeout=60)
    err = p.stderr.decode()
    frames = soundfile.info("piped.wav").frames if p.returncode == 0 else None
    check(p.returncode == want_rc and re.fullmatch(want_err, err) is not None and
          frames in (None, 4 * 48000) and not leftovers(),
          f"WAV {what} through a pipe: exit {want_rc} ({p.returncode} {err!r} {frames})")
for name in ("whole.wav", "whole.flac"):
    rc, _, err = run("-i", name, "-o", "out" + name[5:], "--learn", "1")
    info = soundfile.info("out" + name[5:])
    check(rc == 0 and err == "" and info.frames == 4 * 48000,
          f"{name} uncut: exit 0, 4 s out ({rc} {err!r} {info.frames})")

# Interrupted: the input is a FIFO that the test feeds half of, then a signal. hushd
# stops at its next block, removes its temporary file and leaves the old output. With
# SIGHUP ignored when hushd starts (nohup), the run goes on to the end.


def interrupt(sig, ignore_hup=False):
    if not os.path.exists("fifo.wav"):
        os.mkfifo("fifo.wav")
    with open("out.wav", "wb") as f:
        f.write(OLD)
    ignore = (lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)) if ignore_hup else None
    p = subprocess.Popen([HUSHD, "-i", "fifo.wav", "-o", "out.wav"], stderr=subprocess.PIPE,
                         text=True, preexec_fn=ignore)
    with open("good.wav", "rb") as src, open("fifo.wav", "wb") as fifo:
        data = src.read()
        fifo.write(data[:len(data) // 2])
        fifo.flush()
        while not leftovers() and p.poll() is None:  # processing has begun
            pass
        p.send_signal(sig)
        if ignore_hup:
            fifo.write(data[len(data) // 2:])
    err = p.communicate(timeout=60)[1]
    with open("out.wav", "rb") as f:
        kept = f.read() == OLD
    return p.returncode, err, kept


for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    rc, err, kept = interrupt(sig)
    check(rc == 1 and err == f"hushd: interrupted by {sig.name}; out.wav left as it was\n" and
          kept and not leftovers(),
          f"{sig.name}: exit 1, old output kept, no temporary file ({rc} {err!r})")
rc, err, kept = interrupt(signal.SIGHUP, ignore_hup=True)
check(rc == 0 and err == "" and not kept and not leftovers() and
      len(read_wav("out.wav")["samples"]) == 48000,
      f"SIGHUP ignored at start (nohup): the run ends, 1 s written ({rc} {err!r})")

# --- spectrogram -----------------------------------------------------------------

x = test_signal(44100, 2, 2.0, tone_hz=5000)
write_wav("sg-in.wav", 44100, 2, x, PCM)
run("-i", "sg-in.wav", "-o", "plain.wav")
rc, _, err = run("-i", "sg-in.wav", "-o", "pic.wav", "--spectrogram", "sg.png")
width, height, rows = read_png("sg.png")
check(rc == 0 and (width, height) == (1200, 900),
      f"--spectrogram: a 1200x900 PNG ({rc} {err!r} {width}x{height})")


def brightness(panel, t_s, f_hz):
    """Sum of R, G, B at time t_s and frequency f_hz of a panel (0 input, 1 mask,
    2 output), from picture.c's layout: plots 990x220 at x 80, y 42 + 280 i; the
    time axis spans the 2 s file, the frequency axis 0 to 22.05 kHz."""
    x = 80 + int(t_s / 2.0 * 990)
    y = 42 + 280 * panel + int(220 * (1 - f_hz / 22050))
    return sum(rows[y][3 * x:3 * x + 3])


# The tone is on in [1.25, 1.5) s and off in [1.5, 1.75) s: the spectrograms are
# brighter where it is on, at its frequency only, and the mask open there.
for panel, name in ((0, "input"), (1, "mask"), (2, "output")):
    on, off = brightness(panel, 1.375, 5000), brightness(panel, 1.625, 5000)
    elsewhere = brightness(panel, 1.375, 15000)
    check(on > off + 100 and on > elsewhere + 100,
          f"--spectrogram {name} panel shows the tone where and when it is: "
          f"{on} on, {off} off, {elsewhere} at 15 kHz")
with open("plain.wav", "rb") as a, open("pic.wav", "rb") as b:
    check(a.read() == b.read(), "--spectrogram leaves the audio byte-identical")
check(not leftovers(), "no temporary files after successful runs")

# --- FFTW wisdom -----------------------------------------------------------------

rc, _, err = run("-i", "plain.wav", "-o", "w1.wav", "--wisdom", "fft.wisdom")
with open("fft.wisdom") as f:
    wisdom = f.read()
check(rc == 0 and wisdom.startswith("(fftw-3") and "fftwf_wisdom" in wisdom,
      f"--wisdom FILE: measured plans saved as single-precision wisdom ({rc} {err!r})")
run("-i", "plain.wav", "-o", "w0.wav")
rc, _, err = run("-i", "plain.wav", "-o", "w2.wav", "--wisdom", "fft.wisdom")
db = error_db(read_wav("w0.wav")["samples"], read_wav("w2.wav")["samples"])
# A binary gate can flip a bin that sits right on its threshold when the FFT rounds
# differently, so the bound is looser than the STFT's own -137 dB.
check(rc == 0 and db < -80, f"measured plans give the estimated plans' output: {db:.1f} dB < -80")
with open("not.wisdom", "w") as f:
    f.write("junk\n")
rc, _, err = run("-i", "plain.wav", "-o", "w3.wav", "--wisdom", "not.wisdom")
check(rc == 2 and err == "hushd: not.wisdom: not an FFTW wisdom file (single precision)\n" and
      not os.path.exists("w3.wav"), f"a bad wisdom file: exit 2, no output ({rc} {err!r})")
check(not leftovers(), "no temporary files after the wisdom runs")

# --- noise profiles --------------------------------------------------------------

x = test_signal(48000, 1, 2.0, seed=3)
write_wav("p-in.wav", 48000, 1, x, FLOAT)
rc, _, err = run("-i", "p-in.wav", "-o", "learned.wav", "--learn", "1", "--set", "adapt=0",
                 "--save-profile", "noise.profile")
with open("noise.profile") as f:
    text = f.read()
check(rc == 0 and text.startswith("hushd-noise-profile 2\nkind learned\nrate 48000\nfft 1024\nbins 513\n"),
      f"--save-profile writes a versioned profile ({rc} {err!r})")
rc, _, err = run("-i", "p-in.wav", "-o", "loaded.wav", "--profile", "noise.profile",
                 "--set", "adapt=0", "--save-profile", "again.profile")
db = error_db(read_wav("learned.wav")["samples"], read_wav("loaded.wav")["samples"])
with open("again.profile") as f:
    again = f.read()
check(rc == 0 and db < -100, f"--profile gives the learned run's output: {db:.1f} dB < -100")
check(again == text, "a frozen loaded profile is saved back unchanged")
for args, message in (
        (["--set", "fft_size=512"],
         "noise.profile: noise profile is for 48000 Hz, fft 1024; this stream is 48000 Hz, "
         "fft 512"),
        (["-i", "sg-in.wav"],
         "noise.profile: noise profile is for 48000 Hz, fft 1024; this stream is 44100 Hz, "
         "fft 1024")):
    with open("out.wav", "wb") as f:
        f.write(OLD)
    rc, _, err = run("-i", "p-in.wav", "-o", "out.wav", "--profile", "noise.profile", *args)
    with open("out.wav", "rb") as f:
        kept = f.read() == OLD
    check(rc == 2 and err == "hushd: " + message + "\n" and kept,
          f"profile of another stream refused: {' '.join(args)} ({rc} {err!r})")

# --- progress bar: on a terminal only ----------------------------------------------

write_wav("long.wav", 16000, 1, test_signal(16000, 1, 6.0), PCM)


def run_on_terminal(*args):
    master, slave = pty.openpty()
    p = subprocess.Popen([HUSHD, *args], stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return p.wait(), seen.decode(errors="replace")


rc, seen = run_on_terminal("-i", "long.wav", "-o", "long-out.wav")
check(rc == 0 and "hushd: [" in seen and "100%  6.0 s of 6.0 s" in seen and
      seen.endswith("\n"), f"progress bar on a terminal ({rc} {seen[-120:]!r})")
rc, seen = run_on_terminal("-i", "long.wav", "-o", "long-out.wav", "--quiet")
check(rc == 0 and seen == "", f"no bar with --quiet ({seen!r})")
rc, seen = run_on_terminal("-i", "good.wav", "-o", "short-out.wav")
check(rc == 0 and seen == "", f"no bar for a 1 s file ({seen!r})")
rc, _, err = run("-i", "long.wav", "-o", "long-out.wav")
check(rc == 0 and err == "", f"no bar when stderr is not a terminal ({err!r})")

# --- --help, --version -------------------------------------------------------------

with open(PARAMS_H) as f:
    names = re.findall(r"X\((\w+), HP_", f.read())
rc, out, err = run("--help")
missing = [n for n in names if f"\n  {n} " not in out]
check(rc == 0 and len(names) >= 12 and not missing and "--spectrogram" in out and
      "--demo" in out, f"--help: exit 0, lists all {len(names)} parameters (missing {missing})")
rc, out, _ = run("--version")
check(rc == 0 and re.fullmatch(r"hushd \d+\.\d+\.\d+\n", out) is not None,
      f"--version: exit 0 ({out!r})")
rc, out, err = run("--no-such-option")
check(rc == 2 and err == "hushd: unknown option '--no-such-option' (hushd --help lists them)\n",
      f"unknown option: exit 2 ({err!r})")

# --- bad samples ---------------------------------------------------------------------

# A float file with NaN, +Inf, -Inf and 1e20 in it: exit 0, the message names the count,
# every output sample is finite, and the output equals the output for the same file with
# zeros there.
rate = 48000
clean = test_signal(rate, 1, 2.0, seed=5)
zeroed, bad = list(clean), list(clean)
for at, value in zip((12000, 12001, 30000, 45000), (math.nan, math.inf, -math.inf, 1e20)):
    bad[at], zeroed[at] = value, 0.0
write_wav("bad-samples.wav", rate, 1, bad, FLOAT)
write_wav("zeroed-samples.wav", rate, 1, zeroed, FLOAT)
rc, _, err = run("--input", "bad-samples.wav", "--output", "bad-out.wav")
rc2, _, err2 = run("--input", "zeroed-samples.wav", "--output", "zeroed-out.wav")
got, ref = read_wav("bad-out.wav")["samples"], read_wav("zeroed-out.wav")["samples"]
check(rc == 0 and "bad_samples 4 " in err and rc2 == 0 and "bad_samples" not in err2,
      f"bad samples: exit 0, the message counts 4 ({rc} {err!r} {err2!r})")
check(all(math.isfinite(x) for x in got), "bad samples: every output sample is finite")
check(got == ref, "bad samples: the output equals that for the file with zeros there")

# --- the demo ----------------------------------------------------------------------

demo_voices = [("espeak-ng", None)] if shutil.which("espeak-ng") else []
demo_voices.append(("a synthetic voice", dict(os.environ, PATH=os.path.join(tmp, "nothing"))))
for voice, env in demo_voices:
    rc, out, err = run("--demo", "demo", env=env)
    files = sorted(os.listdir("demo"))
    noisy, denoised = read_wav("demo/demo-noisy.wav"), read_wav("demo/demo-denoised.wav")
    with open("demo/demo-spectrogram.png", "rb") as f:
        head = f.read(24)
    check(rc == 0 and files == ["demo-denoised.wav", "demo-noisy.wav", "demo-spectrogram.png"]
          and f"speech from {voice}" in out and os.path.join(tmp, "demo") in out and
          len(noisy["samples"]) == len(denoised["samples"]) and
          struct.unpack(">II", head[16:24]) == (1200, 900),
          f"--demo with {voice}: three files, printed where ({rc} {out!r} {err!r} {files})")
    m = re.search(r"noise-only end: (-?[\d.]+) dB before, (-?[\d.]+) dB after", out)
    check(m is not None and float(m.group(2)) < float(m.group(1)) - 3,
          f"--demo with {voice}: the noise-only end is quieter by more than 3 dB ({out!r})")
    shutil.rmtree("demo")

rc, _, err = run("--demo", "good.wav")
check(rc == 2 and err == "hushd: good.wav: is not a folder\n", f"--demo into a file: exit 2 ({err!r})")

shutil.rmtree(tmp)
print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
