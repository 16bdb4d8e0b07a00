#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools/build-qemu.sh [x86_64|aarch64]: build qemu-system-TARGET with the
# qnpu devices into build/qemu/ (default x86_64).
#
# QEMU 10.0 comes as Debian's (trixie) source package; the qnpu sources
# (emulator/) are staged into it as hw/misc/qnpu and
# emulator/qemu/virt-platform-bus.patch puts qnpu-platform on the arm virt
# machine's platform bus. The tree is built once per machine into a cache
# outside the checkout, keyed by the source version, the compiler, the
# patch, the aarch64 device list and this script:
#
#   ${QNPU_QEMU_CACHE:-${XDG_CACHE_HOME:-~/.cache}/qnpu/qemu}/KEY/
#       src/   obj-x86_64/   obj-aarch64/   stage/
#
# A run stages this checkout's device sources (files whose bytes changed
# get a new mtime, so ninja rebuilds exactly those, whichever checkout
# built last), builds under a lock, and copies the binary out.
set -eu

target=${1:-x86_64}
case "$target" in
x86_64) targs="--target-list=x86_64-softmmu" ;;
aarch64) targs="--target-list=aarch64-softmmu --without-default-devices
	--with-devices-aarch64=qnpu-virt" ;;
*) echo "build-qemu: unknown target $target (x86_64 or aarch64)" >&2; exit 1 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
patch=$top/emulator/qemu/virt-platform-bus.patch
mak=$top/emulator/qemu/qnpu-virt.mak
cache=${QNPU_QEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qnpu/qemu}
out=$top/build/qemu
log() { echo "build-qemu: $*" >&2; }

dsc=$(apt-get source --print-uris -qq qemu/trixie 2>/dev/null |
	awk '$2 ~ /\.dsc$/ {print $2}')
case "$dsc" in
qemu_10.0.*) ;;
*) log "no QEMU 10.0 source package (run make deps)"; exit 1 ;;
esac
key=$({ echo "$dsc"; gcc --version | head -n 1; cat "$patch" "$mak" "$0"; } |
	sha256sum | cut -c1-16)
tree=$cache/$key
mkdir -p "$cache" "$out"

# Fetch, unpack and patch the source once per key.
prepare_source() {
	[ -f "$tree/src/.qnpu-patched" ] && return 0
	log "fetching and patching $dsc"
	rm -rf "$tree"
	mkdir -p "$tree/dl"
	(cd "$tree/dl" && apt-get source -qq qemu/trixie >/dev/null 2>"$tree/source.log") || {
		cat "$tree/source.log" >&2
		log "apt-get source qemu/trixie failed (run make deps)"
		exit 1
	}
	mv "$tree"/dl/qemu-10.0.*/ "$tree/src"
	rm -rf "$tree/dl"
	src=$tree/src
	# The Debian tarball has no edk2 blobs to unpack.
	sed -i 's/unpack_edk2_blobs = bzip2.found()/unpack_edk2_blobs = false/' "$src/meson.build"
	sed -i "s|^    'hw/misc',\$|    'hw/misc',\n    'hw/misc/qnpu',|" "$src/meson.build"
	grep -q "'hw/misc/qnpu'" "$src/meson.build"
	echo "subdir('qnpu')" >> "$src/hw/misc/meson.build"
	printf '\nsource qnpu/Kconfig\n' >> "$src/hw/misc/Kconfig"
	(cd "$src" && patch -s -p1 < "$patch")
	cp "$mak" "$src/configs/devices/aarch64-softmmu/qnpu-virt.mak"
	ln -sfn "$tree/stage" "$src/hw/misc/qnpu"
	touch "$src/.qnpu-patched"
}

# Stage the device sources by content: an unchanged file keeps its mtime.
stage_sources() {
	mkdir -p "$tree/stage/include"
	rsync -rlc --delete --exclude include "$top/emulator/" "$tree/stage/"
	rsync -rlc "$top/hw/qnpu_regs.h" "$top/uapi/drm/qnpu_cmdbuf.h" \
		"$tree/stage/include/"
}

build() {
	bld=$tree/obj-$target
	if [ ! -f "$bld/build.ninja" ]; then
		log "configuring for $target"
		mkdir -p "$bld"
		# shellcheck disable=SC2086 # $targs is a list of options
		(cd "$bld" && "$tree/src/configure" --python=/usr/bin/python3 $targs \
			--without-default-features --enable-tcg --disable-docs \
			--disable-install-blobs --disable-werror >"$bld/configure.log" 2>&1) || {
			tail -n 30 "$bld/configure.log" >&2
			rm -f "$bld/build.ninja"
			exit 1
		}
	fi
	[ -f "$bld/qemu-system-$target" ] ||
		log "building qemu-system-$target (x86_64 about 3 minutes, aarch64 about 12)"
	nice -n 5 ninja -C "$bld" "qemu-system-$target" >"$bld/ninja.log" 2>&1 || {
		grep -B2 -A8 -m5 'error' "$bld/ninja.log" >&2 || tail -n 40 "$bld/ninja.log" >&2
		exit 1
	}
	cp "$bld/qemu-system-$target" "$out/qemu-system-$target.new"
	mv "$out/qemu-system-$target.new" "$out/qemu-system-$target"
}

exec 9>"$cache/$key.lock"
flock 9
prepare_source
stage_sources
build
