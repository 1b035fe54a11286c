#!/bin/sh
# test-config-cli: the real hushd binary and its config file.
#   test-config-cli.sh HUSHD SOURCE_ROOT
# - the shipped config/hushd.conf is exactly what --print-config gives for the defaults
# - every tests/config/bad_*.conf makes hushd exit with status 2 and print its
#   expected "FILE:LINE: message" line
# - --print-config shows the file's values with the command line on top
# - an input device index too large for an int (it used to wrap to -1 and crash hushd)
#   or negative is exit status 2 with a message, on whatever devices this machine has
set -u
hushd=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") root=$2
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

tmp=$(mktemp -d /tmp/hushd-test-config-cli.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/xdg" HOME="$tmp"

"$hushd" --config /dev/null --print-config >"$tmp/defaults.conf" || fail "--print-config failed"
if ! cmp -s "$tmp/defaults.conf" "$root/config/hushd.conf"; then
  diff -u "$root/config/hushd.conf" "$tmp/defaults.conf"
  fail "config/hushd.conf differs from --print-config (regenerate it with:" \
    "hushd --config /dev/null --print-config > config/hushd.conf)"
fi

cd "$root/tests/config" || exit 1
n=0
for f in bad_*.conf; do
  n=$((n + 1))
  want="hushd: $(sed -n '1s/^# expect: //p' "$f")"
  got=$("$hushd" --config "$f" --print-config 2>&1 >/dev/null)
  status=$?
  [ "$status" -eq 2 ] || fail "$f: exit status $status, expected 2"
  [ "$got" = "$want" ] || fail "$f: stderr '$got', expected '$want'"
done
[ "$n" -ge 15 ] || fail "only $n bad_*.conf files"

out=$("$hushd" --config good_full.conf --set threshold=4 --frames 512 --print-config) ||
  fail "--print-config with good_full.conf failed"
for line in "threshold = 4" "frames = 512" "rate = 44100" "hold_ms = 120" \
  "reduction_db = 30" "input_device = USB Audio: mic"; do
  printf '%s\n' "$out" | grep -qxF "$line" || fail "print-config lacks '$line'"
done

# the file from $XDG_CONFIG_HOME is found without --config
mkdir -p "$XDG_CONFIG_HOME/hushd"
printf '[dsp]\nwet = 0.25\n' >"$XDG_CONFIG_HOME/hushd/hushd.conf"
"$hushd" --print-config | grep -qxF "wet = 0.25" || fail "\$XDG_CONFIG_HOME/hushd/hushd.conf not read"

# No JACK server (a name nobody runs): PortAudio finds this machine's devices, if any.
# The input device is looked up first (the output, on JACK: tests/test-live-jack.py).
for index in 4294967295 2147483648 99999999999999999999 -1; do
  got=$(JACK_DEFAULT_SERVER="hushd-test-none-$$" JACK_NO_START_SERVER=1 \
    "$hushd" --config /dev/null --no-osc --input-device "$index" 2>&1 >/dev/null)
  status=$?
  [ "$status" -eq 2 ] || fail "--input-device $index: exit status $status, expected 2"
  case $got in
    *"--input-device $index: no device with that index"*) ;;
    *) fail "--input-device $index: stderr '$got'" ;;
  esac
done

echo "$n bad files checked, $fails failures"
[ "$fails" -eq 0 ]
