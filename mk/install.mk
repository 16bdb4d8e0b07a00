# SPDX-License-Identifier: MIT
#
# mk/install.mk: make install.
# Included by the top Makefile; variables and paths are its own.

# Where Debian's python3 finds packages under PREFIX.
PYDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(shell \
	/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages)

print-pydir:
	@echo $(PYDIR)

install: libnpu tools
	install -d $(DESTDIR)$(PYDIR)/qnpu
	install -m 644 $(B)/python/qnpu/__init__.py $(DESTDIR)$(PYDIR)/qnpu/
	install -m 755 $(B)/python/qnpu/_qnpu.so $(DESTDIR)$(PYDIR)/qnpu/
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/npu \
		$(DESTDIR)$(PREFIX)/include/drm $(DESTDIR)$(PREFIX)/bin
	install -m 644 libnpu/include/npu/*.h $(DESTDIR)$(PREFIX)/include/npu/
	install -m 644 uapi/drm/qnpu_accel.h uapi/drm/qnpu_cmdbuf.h \
		$(DESTDIR)$(PREFIX)/include/drm/
	install -m 755 $(B)/lib/libnpu.so.$(NPU_SOVER) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libnpu.so.$(NPU_SOVER) $(DESTDIR)$(PREFIX)/lib/libnpu.so
	install -m 644 $(B)/lib/libnpu.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/lib/libnpu-emu.so.0 $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|' libnpu/libnpu.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/libnpu.pc
	install -m 755 $(B)/bin/npu-info $(B)/bin/npu-top $(B)/bin/npu-run \
		$(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(UDEVDIR)/rules.d
	install -m 644 driver/70-qnpu.rules $(DESTDIR)$(UDEVDIR)/rules.d/
