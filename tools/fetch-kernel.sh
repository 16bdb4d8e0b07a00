#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Fetch Debian's newest 6.12 kernel image for the guest into build/kernel
# (unpacked, not installed on the host) and check its headers are there.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/kernel
kver=$("$top/tools/kernel-version.sh")
[ -n "$kver" ] || { echo "fetch-kernel: no linux-image-6.12 package (run make deps)" >&2; exit 1; }

if [ ! -d "/lib/modules/$kver/build" ]; then
	echo "fetch-kernel: headers for $kver missing (run make deps)" >&2
	exit 1
fi

if [ ! -f "$out/$kver/.done" ]; then
	rm -rf "$out/$kver"
	mkdir -p "$out/$kver/deb"
	(cd "$out/$kver/deb" && apt-get download -qq "linux-image-$kver" 2>/dev/null)
	dpkg-deb -x "$out/$kver"/deb/linux-image-*.deb "$out/$kver/root"
	rm -rf "$out/$kver/deb"
	depmod -b "$out/$kver/root" "$kver"
	touch "$out/$kver/.done"
fi
ln -sfn "$kver" "$out/current"
echo "$kver" > "$out/version"
