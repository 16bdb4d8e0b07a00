// SPDX-License-Identifier: MIT
/*
 * libnpu: error messages.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "npu/npu.h"

NPU_API const char *npu_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case NPU_E_NOT_QNPU:
		return "not a qnpu device";
	case NPU_E_ABI:
		return "the qnpu kernel driver speaks an incompatible interface";
	case NPU_E_DEVICE_OPS:
		return "the program uses an operation this device lacks (an older programming model)";
	}
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

int npu_errf(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return ret;
}
