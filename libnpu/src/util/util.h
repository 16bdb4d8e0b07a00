/* SPDX-License-Identifier: MIT */
/*
 * libnpu: error messages for callers that pass a buffer.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_UTIL_H
#define NPU_UTIL_H

#include <stddef.h>

/* Format a message into @err (when not NULL) and return @ret. */
int npu_errf(char *err, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* NPU_UTIL_H */
