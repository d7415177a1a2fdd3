#!/bin/sh
# Prepares cross-compiling for arm64 with cgo on an amd64 Debian 12 host: the cross compilers,
# qemu-user-static (to run arm64 binaries) and an arm64 sysroot holding Debian's OpenCV.
#
# The sysroot is a separate tree, made with mmdebstrap's "extract" variant (packages unpacked,
# no maintainer scripts, nothing emulated), not a multiarch install: on bookworm,
# libopencv-dev:arm64 cannot be co-installed with libopencv-dev (amd64) — apt removes the amd64
# one — and the native build needs it. Usage: arm64-sysroot.sh [DIR]
set -eu

SYSROOT=${1:-${SITEGATE_ARM64_SYSROOT:-/var/cache/sitegate/sysroot-arm64}}
SUITE=bookworm
PKGS="libopencv-dev,libavcodec-dev,libavutil-dev,libswscale-dev,libc6-dev,libstdc++-12-dev"
STAMP="$SYSROOT/.sitegate-sysroot"
WANT="$SUITE $PKGS v1"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

missing=""
for p in gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user-static mmdebstrap pkg-config; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing Debian packages:$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
	exit 0
fi

echo "making the arm64 sysroot in $SYSROOT (about 1.1 GB, a few minutes)"
tmp="$SYSROOT.tmp"
$SUDO rm -rf "$tmp"
$SUDO mkdir -p "$(dirname "$SYSROOT")"
$SUDO mmdebstrap --quiet --variant=extract --architectures=arm64 --include="$PKGS" "$SUITE" "$tmp" \
	"deb http://deb.debian.org/debian $SUITE main" \
	"deb http://deb.debian.org/debian $SUITE-updates main" \
	"deb http://deb.debian.org/debian-security $SUITE-security main"

# What maintainer scripts would have done and a link needs: BLAS and LAPACK are chosen with
# update-alternatives, so their sonames are links made at install time.
lib="$tmp/usr/lib/aarch64-linux-gnu"
$SUDO ln -sf blas/libblas.so.3 "$lib/libblas.so.3"
$SUDO ln -sf lapack/liblapack.so.3 "$lib/liblapack.so.3"
# qemu-aarch64-static -L looks up every absolute path in the sysroot first: device nodes and a
# /tmp there would shadow the host's (ptys, temporary folders), so the sysroot has none.
$SUDO rm -rf "$tmp/dev" "$tmp/tmp" "$tmp/proc" "$tmp/sys" "$tmp/run"

echo "$WANT" | $SUDO tee "$tmp/.sitegate-sysroot" >/dev/null
$SUDO rm -rf "$SYSROOT"
$SUDO mv "$tmp" "$SYSROOT"
echo "arm64 sysroot ready: $SYSROOT"
