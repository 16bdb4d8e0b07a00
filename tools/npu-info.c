// SPDX-License-Identifier: MIT
/*
 * npu-info: list the qnpu devices, their capabilities and driver version.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <npu/npu.h>

#include "qnpu_cmdbuf.h"

static const char *const op_names[] = {
	[QNPU_OP_NOP] = "nop", [QNPU_OP_BARRIER] = "barrier",
	[QNPU_OP_COPY] = "copy", [QNPU_OP_CONV2D] = "conv2d",
	[QNPU_OP_FULLY_CONNECTED] = "fully_connected",
	[QNPU_OP_MATMUL] = "matmul", [QNPU_OP_MAXPOOL] = "maxpool",
	[QNPU_OP_AVGPOOL] = "avgpool", [QNPU_OP_ADD] = "add",
	[QNPU_OP_MUL] = "mul", [QNPU_OP_LUT] = "lut",
};
_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == QNPU_OP_COUNT,
	       "a name for every operation of qnpu_cmdbuf.h");

static void print_ops(uint64_t ops)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < 64; i++) {
		if (!(ops & (1ull << i)))
			continue;
		if (i < sizeof(op_names) / sizeof(op_names[0]))
			printf("%s%s", sep, op_names[i]);
		else
			printf("%sop%u", sep, i);
		sep = " ";
	}
	printf("\n");
}

static int show(unsigned int index, int json, int first)
{
	struct npu_device_info info;
	struct npu_counters cnt;
	struct npu_device *dev;
	int ret;

	ret = npu_device_open(index, &dev);
	if (ret)
		return ret;
	ret = npu_device_info(dev, &info);
	if (!ret)
		ret = npu_device_counters(dev, &cnt);
	npu_device_close(dev);
	if (ret)
		return ret;

	if (json) {
		/* The PCI ids stay, zero off PCI, for readers that expect them. */
		printf("%s\n  {\"index\": %u, \"path\": \"%s\", \"bus\": \"%s\", "
		       "\"bus_id\": \"%s\", \"pci_vendor\": \"0x%04x\", "
		       "\"pci_device\": \"0x%04x\", \"hw_version\": \"%u.%u\", "
		       "\"driver_version\": \"%u.%u.%u\", \"mac_rows\": %u, "
		       "\"mac_cols\": %u, \"sram_bytes\": %" PRIu64 ", "
		       "\"clock_mhz\": %u, \"dram_bw_mbps\": %u, \"mmu_contexts\": %u, "
		       "\"ops\": %" PRIu64 ", \"jobs\": %" PRIu64 ", \"macs\": %" PRIu64 "}",
		       first ? "" : ",", index, info.path, info.bus, info.bus_id,
		       info.pci_vendor, info.pci_device, info.hw_version >> 16,
		       info.hw_version & 0xffff, info.driver_version >> 16,
		       (info.driver_version >> 8) & 0xff,
		       info.driver_version & 0xff, info.mac_rows, info.mac_cols,
		       info.sram_bytes, info.clock_mhz, info.dram_bw_mbps,
		       info.mmu_contexts, info.ops, cnt.jobs, cnt.macs);
		return 0;
	}

	printf("npu%u: %s\n", index, info.path);
	printf("  bus               %s %s\n", info.bus, info.bus_id);
	/* Off PCI the ids are zero: no line rather than a "0000:0000". */
	if (!strcmp(info.bus, "pci"))
		printf("  pci id            %04x:%04x\n", info.pci_vendor,
		       info.pci_device);
	printf("  programming model %u.%u\n", info.hw_version >> 16,
	       info.hw_version & 0xffff);
	printf("  driver            qnpu %u.%u.%u\n", info.driver_version >> 16,
	       (info.driver_version >> 8) & 0xff, info.driver_version & 0xff);
	printf("  MAC array         %u x %u (%u MACs/cycle)\n", info.mac_rows,
	       info.mac_cols, info.mac_rows * info.mac_cols);
	printf("  clock             %u MHz (%.1f int8 TOPS peak)\n",
	       info.clock_mhz,
	       2.0 * info.mac_rows * info.mac_cols * info.clock_mhz / 1e6);
	printf("  SRAM              %" PRIu64 " KiB\n", info.sram_bytes / 1024);
	printf("  DRAM bandwidth    %u MB/s\n", info.dram_bw_mbps);
	printf("  MMU               %u contexts, %u-bit VA, %u-byte pages\n",
	       info.mmu_contexts, info.va_bits, info.page_size);
	printf("  command buffers   v%u..v%u, up to %u bytes\n",
	       info.cmdbuf_version_min, info.cmdbuf_version_max,
	       info.max_cmdbuf_size);
	printf("  limits            dim <= %u, taps per output <= %u\n",
	       info.max_dim, info.max_k);
	printf("  ops               ");
	print_ops(info.ops);
	printf("  counters          %" PRIu64 " jobs, %" PRIu64 " errors, %"
	       PRIu64 " MACs, %" PRIu64 " resets\n", cnt.jobs, cnt.errors,
	       cnt.macs, cnt.resets);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: npu-info [--json] [--device N]\n"
		   "List qnpu devices with their capabilities.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int json = 0, only = -1, c, n, i, ret, status = 0;

	while ((c = getopt_long(argc, argv, "jd:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'd':
			only = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	n = npu_device_count();
	if (n < 0) {
		fprintf(stderr, "npu-info: %s\n", npu_strerror(n));
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "npu-info: no qnpu device found (is the qnpu module loaded?)\n");
		return 1;
	}
	if (json)
		printf("[");
	for (i = 0; i < n; i++) {
		if (only >= 0 && i != only)
			continue;
		ret = show(i, json, only >= 0 || i == 0);
		if (ret) {
			fprintf(stderr, "npu-info: device %d: %s\n", i,
				npu_strerror(ret));
			status = 1;
		}
	}
	if (json)
		printf("\n]\n");
	return status;
}
