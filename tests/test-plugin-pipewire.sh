#!/bin/sh
# test-plugin-pipewire: config/hushd-filter-chain.conf in a real, private PipeWire (with
# pipewire-pulse and WirePlumber on a private D-Bus bus; no sound card: the dummy driver
# clocks the graph), the plugin found through LADSPA_PATH as a user's LADSPA folder.
#   test-plugin-pipewire.sh CONF PLUGIN_DIR
# - without the plugin, PipeWire starts all the same (no source)
# - the drop-in, copied into pipewire.conf.d, makes the source "hushd denoised microphone"
#   that denoises the default microphone (here a virtual one, "testmic")
# - a tone pulsed like speech (0.5 s on, 0.5 s off, -9 dBFS RMS) in white noise
#   (-40 dBFS, alone for the first 2 s) played into the microphone comes out with the
#   tone at its level (+-1 dB) and the noise between the pulses at least 10 dB lower
# - pw-cli set-param bypass = 1 while it runs: the noise comes back to its level
set -u
conf=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
plugin_dir=$(cd "$2" && pwd)
for tool in pipewire pipewire-pulse wireplumber dbus-daemon pactl parec pw-cat pw-link pw-cli; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/deps.sh installs it)"; exit 77; }
done
py=/usr/bin/python3
. "$(dirname "$0")/pipewire-private.sh"
tmp=$(mktemp -d /tmp/hushd-test-plugin-pw.XXXXXX) || exit 1
pids=""
cleanup() {
  pipewire_private_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir -p "$tmp/config/pipewire/pipewire.conf.d"
cp "$conf" "$tmp/config/pipewire/pipewire.conf.d/"
# without the plugin PipeWire still starts (the drop-in's nofail), with no such source
mkdir "$tmp/empty"
export LADSPA_PATH="$tmp/empty"
pipewire_private_start "$tmp" || fail "PipeWire did not start with the drop-in and no plugin"
sleep 0.5
pactl list sources | grep -q 'hushd denoised microphone' && fail "a source without the plugin?"
pipewire_private_stop
echo "ok   no plugin: PipeWire starts all the same"

export LADSPA_PATH="$plugin_dir"
pipewire_private_start "$tmp" ||
  { cat "$tmp"/*.log; echo "FAIL: private PipeWire did not start"; exit 1; }
for i in $(seq 50); do pactl list sources | grep -q 'Description: hushd denoised microphone' && break; sleep 0.1; done
pactl list sources | grep -q 'Description: hushd denoised microphone' ||
  { cat "$tmp/pipewire.log"; echo "FAIL: no \"hushd denoised microphone\" (the drop-in did not load)"; exit 1; }
echo "ok   the drop-in made \"hushd denoised microphone\""

# the default microphone: a virtual source the test plays into
pactl load-module module-null-sink sink_name=testmic media.class=Audio/Source/Virtual \
  channel_map=mono >/dev/null || fail "no virtual microphone"
pactl set-default-source testmic
# 2 s of noise alone (the start the noise model gets here), then the pulses
$py -c "
import numpy as np, soundfile as sf
rate = 48000
t = np.arange(rate * 40) / rate
on = (t >= 2) & (np.floor(t * 2) % 2 == 0)
x = 0.5 * np.sin(2 * np.pi * 440 * t) * on + 0.01 * np.random.default_rng(1).standard_normal(len(t))
sf.write('$tmp/feed.wav', x.astype('float32'), rate, subtype='FLOAT')"
pw-cat --playback --target 0 --channels 1 --channel-map MONO \
  -P '{ node.name = hushd-test-feed }' "$tmp/feed.wav" &
pids="$pids $!"
for i in $(seq 50); do pw-link -o | grep -q '^hushd-test-feed:output_MONO$' && break; sleep 0.1; done
pw-link hushd-test-feed:output_MONO testmic:input_MONO || fail "cannot link the feed to testmic"
# the denoised microphone recorded from now on; the filter runs while something records
parec -d hushd_denoised_mic --latency-msec=20 --raw --format=float32le --rate=48000 \
  --channels=1 >"$tmp/rec.raw" 2>/dev/null &
pids="$pids $!"
pw-link -l | grep -A1 '^testmic:capture_MONO' | grep -q 'capture.hushd_denoised_mic' ||
  fail "WirePlumber did not link the default microphone to the filter's capture side"

# Levels of what was recorded between two marks (byte offsets), in 20 ms windows: half
# hold the tone, half the noise between the pulses; the 75th and 25th percentiles are
# the middle of each half, unmoved by a few windows lost to a busy machine.
mark() { stat -c %s "$tmp/rec.raw"; }
levels() {
  $py -c "
import numpy as np
x = np.fromfile('$tmp/rec.raw', '<f4', count=($2 - $1) // 4, offset=$1 // 4 * 4)
w = x[: len(x) // 960 * 960].reshape(-1, 960)
db = 10 * np.log10(np.mean(w.astype(np.float64) ** 2, axis=1) + 1e-20)
print('%.1f %.1f' % tuple(np.percentile(db, [75, 25])) if len(db) >= 50 else '-200 -200')"
}
sleep 5  # the lead-in and the first pulses: the noise model settles
a=$(mark); sleep 2; b=$(mark)
set -- $(levels "$a" "$b")
echo "     defaults: tone $1 dBFS (played -9.0), noise between pulses $2 dBFS (played -40.0)"
$py -c "import sys; sys.exit(not -10 < $1 < -8)" || fail "tone at $1 dBFS, expected -9 +- 1"
$py -c "import sys; sys.exit(not $2 < -50)" || fail "noise at $2 dBFS: not reduced by 10 dB"

pw-cli set-param capture.hushd_denoised_mic Props '{ params = [ "hushd:bypass" 1 ] }' >/dev/null ||
  fail "pw-cli set-param failed"
pw-cli enum-params capture.hushd_denoised_mic Props | grep -A1 '"hushd:bypass"' | grep -q 'true' ||
  fail "bypass does not read back as set"
sleep 0.5
a=$(mark); sleep 2; b=$(mark)
set -- $(levels "$a" "$b")
echo "     bypass = 1: tone $1 dBFS, noise between pulses $2 dBFS"
$py -c "import sys; sys.exit(not -10 < $1 < -8)" || fail "bypassed tone at $1 dBFS"
$py -c "import sys; sys.exit(not -41.5 < $2 < -38.5)" || fail "bypassed noise at $2 dBFS, expected -40"
grep -i "error.*hushd\|hushd.*error" "$tmp/pipewire.log" && fail "PipeWire logged errors about hushd"

echo "$fails failures"
[ "$fails" -eq 0 ]
