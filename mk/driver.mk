# SPDX-License-Identifier: MIT
#
# mk/driver.mk: the kernel driver, its lint, and the kernel headers and
# scripts taken from Debian's linux-source-6.12.
# Included by the top Makefile; variables and paths are its own.

DRIVER_SRC := Kbuild $(wildcard driver/*.c driver/*.h driver/Kbuild) \
	$(wildcard uapi/drm/*.h hw/*.h)

driver: $(B)/driver/driver/qnpu.ko

$(B)/driver/driver/qnpu.ko: $(DRIVER_SRC) | $(B)/kver
	@mkdir -p $(B)/driver
	@rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude '*.mod*' --exclude 'modules.order' --exclude 'Module.symvers' \
		driver $(B)/driver/
	@rsync -a Kbuild uapi hw $(B)/driver/
	$(MAKE) -s -C $(KDIR) M=$(B)/driver W=1 KCFLAGS=-Werror modules

$(B)/kver:
	$(MAKE) deps

# Headers and scripts taken from Debian's linux-source-6.12.
ksrc: $(B)/ksrc/.done

$(B)/ksrc/.done:
	@mkdir -p $(B)/ksrc
	tar -C $(B)/ksrc -xJf /usr/src/linux-source-6.12.tar.xz --wildcards \
		'linux-source-6.12/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.12/scripts/checkpatch.pl' \
		'linux-source-6.12/scripts/spelling.txt' \
		'linux-source-6.12/scripts/const_structs.checkpatch'
	touch $@

check-lint: driver ksrc
	@mkdir -p $(RESULTS)
	@tools/run-test lint-checkpatch $(RESULTS) -- tools/check-driver checkpatch
	@tools/run-test lint-sparse $(RESULTS) -- tools/check-driver sparse
