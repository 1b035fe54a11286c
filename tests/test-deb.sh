#!/bin/bash
# The Debian package: dpkg-buildpackage -us -uc -b on a copy of the source tree (tracked
# and new files, not build folders) makes hushd_VERSION_ARCH.deb; lintian finds no error;
# the package holds the programs, the default config, the user unit, the man pages and
# the completion; the programs extracted with dpkg-deb -x run (--version, --demo).
# usage: test-deb.sh SOURCE_ROOT HUSHD(build tree, for the version)
set -u
root=$1 hushd=$2
version=$("$hushd" --version | awk '{print $2}')
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
tmp=$(mktemp -d /tmp/hushd-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }

mkdir "$tmp/src"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$root" && git ls-files -co --exclude-standard -z | grep -zv '^build' |
     tar -cf - --null -T -) | tar -xf - -C "$tmp/src" || fail "copying the source"
else
  tar -C "$root" --exclude='./build*' --exclude=./debian/hushd -cf - . | tar -xf - -C "$tmp/src"
fi
(cd "$tmp/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" nice dpkg-buildpackage -us -uc -b \
   >"$tmp/build.log" 2>&1) || { tail -40 "$tmp/build.log"; fail "dpkg-buildpackage"; }
deb=$tmp/hushd_${version}_${arch}.deb
[ -f "$deb" ] || { ls "$tmp"; fail "no $(basename "$deb")"; }
echo "ok   dpkg-buildpackage made $(basename "$deb")"

lint=$(lintian "$deb" 2>&1 | grep -v 'running with root privileges')
echo "lintian: ${lint:-(nothing)}"
if grep -q '^E:' <<<"$lint"; then fail "lintian reports errors"; fi
echo "ok   lintian reports no error"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/hushd ./usr/bin/hushctl ./usr/bin/hushd-virtual-mic ./etc/hushd/hushd.conf \
         ./usr/lib/systemd/user/hushd.service ./usr/share/man/man1/hushd.1.gz \
         ./usr/share/man/man1/hushctl.1.gz ./usr/share/man/man1/hushd-virtual-mic.1.gz \
         ./usr/share/man/man5/hushd.conf.5.gz \
         ./usr/share/bash-completion/completions/hushd \
         ./usr/share/bash-completion/completions/hushctl \
         ./usr/lib/ladspa/libhushd_ladspa.so ./usr/share/hushd/hushd-filter-chain.conf; do
  grep -qxF "$f" <<<"$contents" || fail "the package lacks $f"
done
dpkg-deb -I "$deb" conffiles | grep -qx /etc/hushd/hushd.conf || fail "hushd.conf is no conffile"
echo "ok   the package holds $(grep -vc '/$' <<<"$contents") files, hushd.conf a conffile"

dpkg-deb -x "$deb" "$tmp/root" || fail "dpkg-deb -x"
got=$("$tmp/root/usr/bin/hushd" --version) || fail "extracted hushd --version"
[ "$got" = "hushd $version" ] || fail "hushd --version said '$got'"
got=$("$tmp/root/usr/bin/hushctl" --version) || fail "extracted hushctl --version"
[ "$got" = "hushctl $version" ] || fail "hushctl --version said '$got'"
(cd "$tmp" && "$tmp/root/usr/bin/hushd" --demo "$tmp/demo" >"$tmp/demo.log" 2>&1) ||
  { cat "$tmp/demo.log"; fail "extracted hushd --demo"; }
for f in demo-noisy.wav demo-denoised.wav demo-spectrogram.png; do
  [ -s "$tmp/demo/$f" ] || fail "--demo wrote no $f"
done
echo "ok   the extracted hushd $version runs --version and --demo:" \
  "$(grep -o "noise-only end.*" "$tmp/demo.log")"
