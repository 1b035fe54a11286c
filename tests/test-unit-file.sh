#!/bin/sh
# test-unit-file: `systemd-analyze verify` of the generated user unit prints nothing.
#   test-unit-file.sh HUSHD_SERVICE HUSHD
# verify needs ExecStart's binary to exist, so it checks a copy that starts the built
# hushd. As a user manager (--user) it needs $XDG_RUNTIME_DIR, which a container or a CI
# job without a login session lacks ("Failed to initialize manager: No such device or
# address"): a private one is made here.
set -u
unit=$1
hushd=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d /tmp/hushd-test-unit.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/runtime"
export XDG_RUNTIME_DIR="$tmp/runtime" HOME="$tmp"
fails=0

verify() { systemd-analyze verify --user --man=no "$1" 2>&1; }

sed "s|^ExecStart=.*|ExecStart=$hushd|" "$unit" >"$tmp/hushd.service"
out=$(verify "$tmp/hushd.service")
if [ -n "$out" ]; then
  printf '%s\n' "$out"
  echo "FAIL: systemd-analyze verify printed the lines above"
  fails=$((fails + 1))
fi

# the check itself can fail: a misspelt setting must make verify speak
sed 's/^Type=notify$/Type=notifyy/' "$tmp/hushd.service" >"$tmp/broken.service"
[ -n "$(verify "$tmp/broken.service")" ] || {
  echo "FAIL: verify said nothing about Type=notifyy"
  fails=$((fails + 1))
}

# what the unit promises, as the service manager reads it
for want in Type=notify "ExecReload=kill -HUP \$MAINPID" Restart=on-failure \
  WatchdogSec=10 "After=pipewire.service pipewire-pulse.service" \
  WantedBy=default.target NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
  "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" LockPersonality=yes \
  MemoryDenyWriteExecute=yes SystemCallArchitectures=native StateDirectory=hushd \
  ConfigurationDirectory=hushd; do
  grep -qxF "$want" "$unit" || { echo "FAIL: unit lacks '$want'"; fails=$((fails + 1)); }
done
for banned in PrivateDevices RestrictRealtime; do
  ! grep -q "^$banned=" "$unit" || { echo "FAIL: $banned= breaks audio"; fails=$((fails + 1)); }
done
grep -q '^ExecStart=/.*/hushd$' "$unit" || { echo "FAIL: ExecStart is not an absolute path"; fails=$((fails + 1)); }
echo "$fails failures"
[ "$fails" -eq 0 ]
