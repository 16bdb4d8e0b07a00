#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Install every Debian and npm package the qnpu project needs, idempotently.
# Run as root. Package sources are derived from the machine's own Debian
# sources entry, so no host is named here.
#
#   tools/deps.sh          what make check needs (torch too: the model zoo)
#   tools/deps.sh model    the same (retraining the demo model needs torch)
#   tools/deps.sh bench    the same (make bench's PyTorch peer)
set -eu

DEB_PKGS="
build-essential pkg-config git make gcc rsync cpio xz-utils zstd kmod file
busybox-static dpkg-dev
libdrm-dev libcmocka-dev sparse clang-14 libfuzzer-14-dev libclang-rt-14-dev llvm-14
ninja-build python3-pycotap libglib2.0-dev libpixman-1-dev libfdt-dev
flex bison python3-venv qemu-system-data seabios ipxe-qemu
libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata dataset-fashion-mnist
gnuplot-nox python3-onnx python3-numpy python3-torch python3-torchvision libopenblas0-pthread
python3-dev
linux-source-6.12 libelf-dev bc libssl-dev
gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross device-tree-compiler dt-schema
"

SRCDIR=/etc/apt/sources.list.d
BASE=$SRCDIR/debian.sources

need_update=0

# A deb822 stanza derived from the main Debian entry, with other Types/Suites.
derive_source() { # file types suites
	[ -f "$1" ] && return 0
	[ -f "$BASE" ] || { echo "deps: $BASE not found" >&2; exit 1; }
	awk -v types="$2" -v suites="$3" '
		BEGIN { RS = ""; FS = "\n" }
		/Suites:[^\n]*bookworm( |\n|$)/ || /Suites: bookworm$/ {
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/) print "Types: " types
				else if ($i ~ /^Suites:/) print "Suites: " suites
				else if ($i !~ /^#/) print $i
			}
			exit
		}' "$BASE" > "$1.tmp"
	if ! grep -q '^URIs:' "$1.tmp"; then
		rm -f "$1.tmp"
		echo "deps: no bookworm entry in $BASE" >&2
		exit 1
	fi
	mv "$1.tmp" "$1"
	need_update=1
}

# The arm64 lane downloads (never installs) arm64 packages: Debian's arm64
# kernel and headers, busybox, libdrm and protobuf-c (tools/arm64-kernel.sh).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	need_update=1
fi

derive_source $SRCDIR/qnpu-trixie-src.sources deb-src trixie
derive_source $SRCDIR/qnpu-backports.sources deb bookworm-backports

missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

stamp=/var/lib/apt/periodic/qnpu-update-stamp
if [ "$need_update" = 1 ] || [ ! -f "$stamp" ] ||
   [ -n "$(missing $DEB_PKGS meson)" ]; then
	if [ "$need_update" = 1 ] || [ ! -f "$stamp" ] ||
	   [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
		apt-get update -qq >&2
		mkdir -p "$(dirname "$stamp")" && touch "$stamp"
	fi
fi

# Debian's newest 6.12 kernel, image and headers (the guest kernel).
kver=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
	awk '{print $1}' | sed 's/^linux-image-//' | sort -V | tail -n 1)
if [ -z "$kver" ]; then
	echo "deps: no linux-image-6.12.*+deb12-amd64 in the package lists" >&2
	exit 1
fi

todo=$(missing $DEB_PKGS "linux-headers-$kver")
if [ -n "$todo" ]; then
	echo "deps: installing" $todo >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $todo >&2
fi

meson_ok=$(meson --version 2>/dev/null | awk -F. '$1 > 1 || ($1 == 1 && $2 >= 5) {print "y"}')
if [ "$meson_ok" != y ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-t bookworm-backports meson >&2
fi

echo "$kver"
