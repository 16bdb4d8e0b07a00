// SPDX-License-Identifier: MIT
/*
 * Host tests of libnpu that need no device: errors, argument checks,
 * discovery on a machine without qnpu.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <npu/npu.h>

static void test_strerror(void **state)
{
	assert_string_equal(npu_strerror(0), "success");
	assert_string_equal(npu_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(npu_strerror(-EINVAL), strerror(EINVAL));
	assert_string_equal(npu_strerror(NPU_E_NOT_QNPU), "not a qnpu device");
	assert_non_null(strstr(npu_strerror(NPU_E_ABI), "incompatible"));
	assert_string_equal(npu_strerror(1), "unknown error");
	assert_string_equal(npu_strerror(-5000), "unknown error");
}

static void test_open_bad_arguments(void **state)
{
	struct npu_device *dev = (void *)1;
	char longpath[200];

	assert_int_equal(npu_device_open_path(NULL, &dev), -EINVAL);
	assert_int_equal(npu_device_open_path("/dev/null", NULL), -EINVAL);
	assert_int_equal(npu_device_open(0, NULL), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	assert_int_equal(npu_device_open_path(longpath, &dev), -ENAMETOOLONG);
	assert_ptr_equal(dev, (void *)1);
}

static void test_open_missing_and_foreign(void **state)
{
	struct npu_device *dev = NULL;

	assert_int_equal(npu_device_open_path("/nonexistent/accel0", &dev),
			 -ENOENT);
	/* A node with no DRM driver behind it. */
	assert_int_equal(npu_device_open_path("/dev/null", &dev),
			 NPU_E_NOT_QNPU);
	assert_null(dev);
}

static void test_null_handles(void **state)
{
	struct npu_device_info info;
	struct npu_counters c;

	npu_device_close(NULL);
	assert_int_equal(npu_device_info(NULL, &info), -EINVAL);
	assert_int_equal(npu_device_counters(NULL, &c), -EINVAL);
	assert_int_equal(npu_device_fd(NULL), -EINVAL);
}

/* The host running the unit tests has no qnpu device. */
static void test_discovery_without_devices(void **state)
{
	struct npu_device *dev = NULL;

	assert_int_equal(npu_device_count(), 0);
	assert_int_equal(npu_device_open(0, &dev), -ENODEV);
	assert_null(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_open_bad_arguments),
		cmocka_unit_test(test_open_missing_and_foreign),
		cmocka_unit_test(test_null_handles),
		cmocka_unit_test(test_discovery_without_devices),
	};

	return cmocka_run_group_tests_name("libnpu", tests, NULL, NULL);
}
