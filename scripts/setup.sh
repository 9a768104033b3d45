#!/usr/bin/env bash
# Installs what building, running and testing edgelive needs on Debian 12, and nothing when it is
# all there already. Called by `make run`, `make test`, `make deb`, `make bench`; safe to run repeatedly.
set -euo pipefail

want_build=(pkg-config libuv1-dev libhttp-parser-dev libavcodec-dev libavformat-dev libavfilter-dev libavutil-dev
            libswscale-dev libswresample-dev libva-dev libsystemd-dev libsqlite3-dev libssl-dev)
# Real peers for the tests: ffmpeg pushes and probes, GStreamer pushes with rtmp2sink, curl fetches; the interop
# matrix plays with GStreamer's playbin/playbin3 (counted from Python through gi) and headless Chromium; openssl
# decrypts envelope segments and makes throwaway certificates.
want_test=(ffmpeg curl python3-venv gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
           gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
           python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 chromium openssl)
# The .deb (make deb): dpkg-deb, dpkg-shlibdeps (dpkg-dev), strip (binutils), lintian to check it.
want_deb=(dpkg-dev binutils lintian)
# The install test boots the .deb in a debootstrapped Debian 12 under its own systemd (unshare, nsenter).
want_install_test=(debootstrap util-linux systemd)
# Benchmarks compare against nginx with Debian's RTMP module.
want_bench=(nginx-light libnginx-mod-rtmp time wrk)

want=("${want_build[@]}")
case "${1:-run}" in
  test)  want+=("${want_test[@]}" "${want_deb[@]}" "${want_install_test[@]}") ;;
  deb)   want+=("${want_deb[@]}") ;;
  bench) want+=("${want_test[@]}" "${want_bench[@]}") ;;
  run)   want+=(ffmpeg) ;;
  fuzz)  ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
  echo "setup: the Swift toolchain (6.x) is not on PATH; install it from swift.org and retry" >&2
  exit 1
fi

# Fuzzing (make fuzz, and make test's short run): libFuzzer and AddressSanitizer ship in the Swift toolchain's
# clang runtime, and scripts/fuzz.sh links with the toolchain's lld; a toolchain without them cannot fuzz.
if [ "${1:-run}" = test ] || [ "${1:-run}" = fuzz ]; then
  toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
  if ! compgen -G "$toolchain/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null \
     || ! compgen -G "$toolchain/lib/clang/*/lib/linux/libclang_rt.asan-*.a" >/dev/null \
     || [ ! -x "$toolchain/bin/ld.lld" ]; then
    echo "setup: $toolchain has no libFuzzer, AddressSanitizer or lld; install the swift.org toolchain for Linux" >&2
    exit 1
  fi
fi

# Python tools for the end-to-end tests live in a project virtualenv.
if [ "${1:-run}" = test ] || [ "${1:-run}" = bench ]; then
  # Re-installed whenever the requirements change (the copy in .venv records what is installed).
  if [ ! -x .venv/bin/pytest ] || ! cmp -s Tests/e2e/requirements.txt .venv/requirements.installed; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install -q -r Tests/e2e/requirements.txt
    cp Tests/e2e/requirements.txt .venv/requirements.installed
  fi
fi
