# pipewire-private.sh: sourced by tests that need a real PipeWire and no sound card.
#   pipewire_private_start DIR
# Starts a private D-Bus session bus, pipewire, pipewire-pulse and WirePlumber with DIR
# as HOME, XDG_CONFIG_HOME (DIR/config: put drop-ins in DIR/config/pipewire/...) and
# runtime folder (DIR/run), logs in DIR/*.log; adds their process ids to $pids (stop them
# in reverse order, e.g. with pipewire_private_stop) and returns 1 when pactl gets no
# answer within 5 s. PipeWire's dummy driver clocks the graph.
pipewire_private_start() {
  mkdir -p -m 700 "$1/run"
  mkdir -p "$1/config"
  unset PULSE_SERVER PIPEWIRE_REMOTE
  export HOME="$1" XDG_CONFIG_HOME="$1/config" PIPEWIRE_RUNTIME_DIR="$1/run" \
    XDG_RUNTIME_DIR="$1/run" DBUS_SESSION_BUS_ADDRESS="unix:path=$1/run/bus"
  dbus-daemon --session --nofork --address="$DBUS_SESSION_BUS_ADDRESS" >"$1/dbus.log" 2>&1 &
  pids="$pids $!"
  pipewire >"$1/pipewire.log" 2>&1 &
  pids="$pids $!"
  sleep 0.3
  pipewire-pulse >"$1/pipewire-pulse.log" 2>&1 &
  pids="$pids $!"
  wireplumber >"$1/wireplumber.log" 2>&1 &
  pids="$pids $!"
  for _ in $(seq 50); do pactl info >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# Stops every process in $pids, the last started first (clients before their servers).
pipewire_private_stop() {
  for p in $(printf '%s\n' $pids | tac); do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  pids=""
}
