#!/bin/sh
# test-virtual-mic: scripts/hushd-virtual-mic against a real, private PipeWire with
# pipewire-pulse and WirePlumber (which links streams, and needs a D-Bus session bus:
# a private one too). No sound card: PipeWire's dummy driver clocks the graph.
#   test-virtual-mic.sh SCRIPT
# - without pactl, and without a server, it says what is missing (exit status 1)
# - it creates the source "hushd denoised microphone", once, moves a playing hushd
#   stream into it, and a tone played by that stream comes out of the source
# - --remove leaves no trace
set -u
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
for tool in pipewire pipewire-pulse wireplumber dbus-daemon pactl pacat parec; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/deps.sh installs it)"; exit 77; }
done
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/hushd-test-vmic.XXXXXX) || exit 1
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir -m 700 "$tmp/empty" "$tmp/run"
unset PULSE_SERVER PIPEWIRE_REMOTE
export HOME="$tmp" XDG_CONFIG_HOME="$tmp/config" PIPEWIRE_RUNTIME_DIR="$tmp/run"

out=$(PATH=/nonexistent /bin/sh "$script" 2>&1)
[ $? -eq 1 ] && printf '%s' "$out" | grep -q "pactl is missing" || fail "no pactl: '$out'"
out=$(XDG_RUNTIME_DIR="$tmp/empty" "$script" 2>&1)
[ $? -eq 1 ] && printf '%s' "$out" | grep -q "no audio server answers pactl" ||
  fail "no server: '$out'"

. "$(dirname "$0")/pipewire-private.sh"
pipewire_private_start "$tmp" || { cat "$tmp"/*.log; echo "FAIL: private PipeWire did not start"; exit 1; }

# a "hushd" playing a 440 Hz tone, amplitude 0.5 (-9 dBFS RMS), to the default sink
$py -c "
import numpy as np, sys
t = np.arange(48000 * 30) / 48000
sys.stdout.buffer.write((0.5 * np.sin(2 * np.pi * 440 * t)).astype('<f4').tobytes())" >"$tmp/tone.raw"
pacat --playback --raw --format=float32le --rate=48000 --channels=1 \
  --property=application.process.binary=hushd "$tmp/tone.raw" &
pids="$pids $!"
for i in $(seq 50); do pactl list sink-inputs | grep -q '^[[:space:]]*Sink: [0-9]\{1,9\}$' && break; sleep 0.1; done

out=$("$script") || fail "create: exit status $?"
printf '%s\n' "$out" | grep -q 'created "hushd denoised microphone"' || fail "create said '$out'"
printf '%s\n' "$out" | grep -q "hushd's output now feeds it" || fail "hushd not moved: '$out'"
out=$("$script") || fail "second run: exit status $?"
printf '%s\n' "$out" | grep -q "already exists" || fail "second run said '$out'"
n=$(pactl list sources | grep -c 'Description: hushd denoised microphone')
[ "$n" -eq 1 ] || fail "$n sources named \"hushd denoised microphone\", expected 1"

timeout 1.5 parec -d hushd_mic --latency-msec=20 --raw --format=float32le --rate=48000 --channels=1 \
  >"$tmp/rec.raw" 2>/dev/null
level=$($py -c "
import numpy as np
x = np.fromfile('$tmp/rec.raw', '<f4')[4800:]
print('%.1f' % (10 * np.log10(np.mean(x ** 2) + 1e-20) if len(x) > 4800 else -200))")
echo "tone through hushd_output -> hushd_mic: $level dBFS (sent -9.0 dBFS RMS)"
$py -c "import sys; sys.exit(not -12 < float('$level') < -6)" || fail "recorded level $level dBFS"

out=$("$script" --remove) || fail "remove: exit status $?"
pactl list short modules | grep -q hushd && fail "modules left after --remove"
pactl list sources | grep -q 'hushd denoised microphone' && fail "source left after --remove"
out=$("$script" --remove) || fail "second remove: exit status $?"
printf '%s\n' "$out" | grep -q "no \"hushd denoised microphone\" to remove" || fail "second remove said '$out'"

echo "$fails failures"
[ "$fails" -eq 0 ]
