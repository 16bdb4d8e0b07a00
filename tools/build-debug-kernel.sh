#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Build the debug kernel of the VM selftests (KASAN, lockdep, kmemleak,
# UBSAN, DMA-API debug, failslab, ...) from Debian's linux-source-6.12 with
# tools/debug-kernel/config, once, into a cache outside the checkout keyed
# by the source version, the compiler, the config and this script:
#
#   ${QNPU_KERNEL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/qnpu/debug-kernel}/KEY/
#       version                  the kernel release
#       RELEASE/root/boot/vmlinuz-RELEASE, RELEASE/root/lib/modules/...
#       RELEASE/build            what `make M=` of a module needs
#
# laid out like build/kernel, so tools/qnpu-vm boots it with
# QNPU_VM_KERNEL_DIR=<that dir>. Prints the directory on stdout.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
frag=$top/tools/debug-kernel/config
tarball=/usr/src/linux-source-6.12.tar.xz
cache=${QNPU_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qnpu/debug-kernel}

[ -f "$tarball" ] || { echo "build-debug-kernel: $tarball missing (run make deps)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$({ echo "$srcver"; gcc --version | head -n 1; cat "$frag" "$0"; } |
	sha256sum | cut -c1-16)
out=$cache/$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

log() { echo "build-debug-kernel: $*" >&2; }
work=$cache/$key.tmp
rm -rf "$work"
mkdir -p "$work"
log "extracting linux-source $srcver"
tar -C "$work" -xJf "$tarball"
src=$work/linux-source-6.12
jobs=$(nproc)

log "configuring (allnoconfig + $(basename "$frag"))"
make -s -C "$src" KCONFIG_ALLCONFIG="$frag" allnoconfig >&2
make -s -C "$src" olddefconfig >&2
missing=$(grep -E '^CONFIG_' "$frag" | while read -r line; do
	grep -qxF "$line" "$src/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
	log "options the kernel did not take:"
	echo "$missing" >&2
	exit 1
fi

log "building with $jobs jobs (about 10-20 minutes)"
nice -n 10 make -s -C "$src" -j"$jobs" bzImage modules >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	exit 1
}
rel=$(make -s -C "$src" kernelrelease)

dst=$work/out
mkdir -p "$dst/$rel/root/boot"
cp "$src/arch/x86/boot/bzImage" "$dst/$rel/root/boot/vmlinuz-$rel"
cp "$src/System.map" "$src/.config" "$dst/$rel/"
make -s -C "$src" modules_install INSTALL_MOD_PATH="$dst/$rel/root" >&2
(cd "$src" && srctree=. SRCARCH=x86 CC=gcc HOSTCC=gcc \
	sh scripts/package/install-extmod-build "$dst/$rel/build") >&2
cp "$src/.config" "$dst/$rel/build/"
echo "$rel" > "$dst/version"
touch "$dst/.done"

rm -rf "$out"
mv "$dst" "$out"
rm -rf "$work"
log "cached in $out"
echo "$out"
