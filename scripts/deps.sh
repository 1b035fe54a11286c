# deps.sh: sourced by scripts/run, scripts/test and scripts/bench.
# Installs the Debian packages hushd needs, only those that are missing, and builds.
# Works as root on a fresh Debian 12; as a normal user it asks for sudo when needed.

HUSHD_PACKAGES="gcc libc6-dev meson ninja-build pkg-config
  libfftw3-dev portaudio19-dev liblo-dev liblo-tools libsndfile1-dev libinih-dev
  libsystemd-dev libcairo2-dev libcmocka-dev libspeexdsp-dev
  libasound2-dev libjack-jackd2-dev jackd2 jack-tools espeak-ng systemd
  python3 python3-numpy python3-scipy python3-soundfile
  pipewire pipewire-bin pipewire-pulse wireplumber pulseaudio-utils dbus-daemon ladspa-sdk
  groff-base bash-completion debhelper dpkg-dev devscripts lintian fakeroot
  clang libclang-rt-14-dev"

hushd_install_deps() {
  local missing=() p
  for p in $HUSHD_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "hushd: installing missing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || return 1
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

# hushd_build [BUILDDIR]: configure (once) and build; quiet unless it fails.
hushd_build() {
  local dir=${1:-build}
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log" >&2; return 1; }
    rm -f "$dir.setup.log"
  fi
  ninja -C "$dir" >"$dir/ninja.log" 2>&1 || { cat "$dir/ninja.log" >&2; return 1; }
}
