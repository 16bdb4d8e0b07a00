#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Build qemu-system-x86_64 with the qnpu device under build/qemu.
# QEMU 10.0 comes as Debian's (trixie) source package; the qnpu sources
# are staged into it as hw/misc/qnpu. Re-running rebuilds only what
# changed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/qemu
mkdir -p "$out"

src=$(ls -d "$out"/qemu-10.0.*/ 2>/dev/null | head -n 1 || true)
if [ -z "$src" ] || [ ! -f "$src/.qnpu-patched" ]; then
	rm -rf "$out"/qemu-10.0.* "$out"/qemu_10.0.*
	(cd "$out" && apt-get source -qq qemu/trixie >/dev/null 2>"$out/source.log") || {
		cat "$out/source.log" >&2
		echo "build-qemu: apt-get source qemu/trixie failed (run make deps)" >&2
		exit 1
	}
	src=$(ls -d "$out"/qemu-10.0.*/ | head -n 1)
	case "$src" in */qemu-10.0.*) ;; *) echo "build-qemu: no QEMU 10.0 source" >&2; exit 1;; esac
	# The Debian tarball has no edk2 blobs to unpack.
	sed -i 's/unpack_edk2_blobs = bzip2.found()/unpack_edk2_blobs = false/' "$src/meson.build"
	sed -i "s|^    'hw/misc',\$|    'hw/misc',\n    'hw/misc/qnpu',|" "$src/meson.build"
	grep -q "'hw/misc/qnpu'" "$src/meson.build"
	echo "subdir('qnpu')" >> "$src/hw/misc/meson.build"
	printf '\nsource qnpu/Kconfig\n' >> "$src/hw/misc/Kconfig"
	ln -sfn "$out/stage" "$src/hw/misc/qnpu"
	touch "$src/.qnpu-patched"
fi
src=${src%/}

# Stage the device sources (rsync keeps mtimes: ninja rebuilds only edits).
mkdir -p "$out/stage/include"
rsync -a --delete --exclude include "$top/emulator/" "$out/stage/"
rsync -a "$top/hw/qnpu_regs.h" "$top/uapi/drm/qnpu_cmdbuf.h" "$out/stage/include/"

bld=$out/obj
if [ ! -f "$bld/build.ninja" ]; then
	mkdir -p "$bld"
	(cd "$bld" && "$src/configure" --python=/usr/bin/python3 \
		--target-list=x86_64-softmmu --without-default-features \
		--enable-tcg --disable-docs --disable-install-blobs \
		--disable-werror >"$out/configure.log" 2>&1) || {
		tail -n 30 "$out/configure.log" >&2
		exit 1
	}
fi
ninja -C "$bld" qemu-system-x86_64 >"$out/ninja.log" 2>&1 || {
	grep -B2 -A8 -m5 'error' "$out/ninja.log" >&2 || tail -n 40 "$out/ninja.log" >&2
	exit 1
}
ln -sf obj/qemu-system-x86_64 "$out/qemu-system-x86_64"
