#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools/arm64-kernel.sh: the arm64 guest of the platform-device lane, once
# per machine, in a cache outside the checkout keyed by the kernel version,
# the linux-source version, the cross compiler and this script:
#
#   ${QNPU_ARM64_CACHE:-${XDG_CACHE_HOME:-~/.cache}/qnpu/arm64}/KEY/
#       version                      the kernel release (6.12.N+deb12-arm64)
#       RELEASE/root/boot/vmlinuz-RELEASE, RELEASE/root/lib/modules/RELEASE/
#       RELEASE/build                the headers: `make -C .../build M=...`
#       drm/Module.symvers           what modules built against drm.ko need
#       sysroot/                     arm64 busybox, libdrm and protobuf-c
#
# laid out like build/kernel, so tools/qnpu-vm --arch aarch64 boots it.
#
# Debian's arm64 kernel and headers are unpacked, never installed
# (installing the arm64 headers package would remove the host's compilers).
# Debian's arm64 config leaves CONFIG_DRM_ACCEL unset, so drm.ko is rebuilt
# from linux-source-6.12 with the accel core (drivers/accel/drm_accel.c)
# against the arm64 headers and replaces Debian's in the guest's modules:
# its exports keep Debian's CRCs, so Debian's DRM helpers load on it.
# Prints the directory on stdout.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz
cache=${QNPU_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qnpu/arm64}
log() { echo "arm64-kernel: $*" >&2; }

kv_amd64=$("$top/tools/kernel-version.sh")
[ -n "$kv_amd64" ] || { log "no linux-image-6.12 package (run make deps)"; exit 1; }
base=${kv_amd64%-amd64}
kv=$base-arm64
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
	{ log "linux-source-6.12 missing (run make deps)"; exit 1; }
imgver=$(apt-cache policy "linux-image-$kv:arm64" | awk '/Candidate:/ {print $2}')
if [ "$imgver" != "$srcver" ]; then
	log "linux-image-$kv:arm64 is '$imgver', linux-source-6.12 is $srcver:"
	log "the arm64 packages must match (dpkg --add-architecture arm64; make deps)"
	exit 1
fi
key=$({ echo "$kv $srcver"; aarch64-linux-gnu-gcc --version | head -n 1; cat "$0"; } |
	sha256sum | cut -c1-16)
out=$cache/$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/$key.lock"
flock 9
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

work=$cache/$key.tmp
rm -rf "$work"
mkdir -p "$work/deb" "$work/out/$kv/root" "$work/out/sysroot"
log "downloading Debian's arm64 $kv, busybox, libdrm and protobuf-c"
(cd "$work/deb" && apt-get download -qq "linux-image-$kv:arm64" \
	"linux-headers-$kv:arm64" busybox-static:arm64 libdrm-dev:arm64 \
	libprotobuf-c-dev:arm64 >/dev/null 2>"$work/download.log") || {
	cat "$work/download.log" >&2
	exit 1
}
root=$work/out/$kv/root
dpkg-deb -x "$work"/deb/linux-image-*.deb "$root"
dpkg-deb -x "$work"/deb/linux-headers-*.deb "$root"
for d in busybox-static libdrm-dev libprotobuf-c-dev; do
	dpkg-deb -x "$work"/deb/"$d"_*.deb "$work/out/sysroot"
done
# The headers' scripts and tools are links into the (foreign) kbuild
# package: the host's amd64 one of the same version serves.
kbuild=/usr/lib/linux-kbuild-${base%-*}+deb12
[ -d "$kbuild" ] || kbuild=$(ls -d /usr/lib/linux-kbuild-6.12* | head -n 1)
ln -sfn "$kbuild" "$root/usr/lib/$(basename "$kbuild")"
ln -sfn "root/usr/src/linux-headers-$kv" "$work/out/$kv/build"

log "building drm.ko with the accel core (about 3 minutes)"
drm=$work/out/drm
mkdir -p "$drm"
tar -C "$work" -xJf "$tarball" --no-wildcards-match-slash --wildcards \
	'linux-source-6.12/drivers/gpu/drm/Makefile' \
	'linux-source-6.12/drivers/gpu/drm/*.[ch]' \
	'linux-source-6.12/drivers/accel/drm_accel.c'
ksrc=$work/linux-source-6.12
cp "$ksrc"/drivers/gpu/drm/*.[ch] "$ksrc/drivers/accel/drm_accel.c" "$drm/"
# drm_trace.h names its own path for define_trace.h, relative to include/.
mkdir -p "$drm/tp/a/b" "$drm/tp/drivers/gpu/drm"
cp "$drm/drm_trace.h" "$drm/tp/drivers/gpu/drm/"
{
	sed -n '1,/^obj-\$(CONFIG_DRM)[[:space:]]*+= drm.o/p' "$ksrc/drivers/gpu/drm/Makefile" |
		sed -e 's/^subdir-ccflags/ccflags/' -e '/^obj-\$(CONFIG_DRM)/d' \
			-e 's|^drm-\$(CONFIG_DRM_ACCEL) += ../../accel/drm_accel.o|drm-y += drm_accel.o|'
	echo 'obj-m := drm.o'
	echo 'ccflags-y += -DCONFIG_DRM_ACCEL=1'
	echo 'CFLAGS_drm_trace_points.o += -I$(src)/tp/a/b'
} > "$drm/Kbuild"
grep -q '^drm-y += drm_accel.o' "$drm/Kbuild" || { log "drm's Makefile changed shape"; exit 1; }
hdr=$root/usr/src/linux-headers-$kv
nice -n 10 make -s -C "$hdr" M="$drm" -j"$(nproc)" modules >"$work/drm-build.log" 2>&1 || {
	tail -n 30 "$work/drm-build.log" >&2
	exit 1
}
grep -q 'accel_open' "$drm/Module.symvers" || { log "drm.ko has no accel_open"; exit 1; }
mods=$root/lib/modules/$kv
rm -f "$mods"/kernel/drivers/gpu/drm/drm.ko*
cp "$drm/drm.ko" "$mods/kernel/drivers/gpu/drm/drm.ko"
find "$drm" -mindepth 1 -maxdepth 1 ! -name Module.symvers -exec rm -rf {} +
depmod -b "$root" "$kv"
rm -rf "$work/deb" "$ksrc"
echo "$kv" > "$work/out/version"
touch "$work/out/.done"
rm -rf "$out"
mv "$work/out" "$out"
rm -rf "$work"
log "cached in $out"
echo "$out"
