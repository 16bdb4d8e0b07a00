// SPDX-License-Identifier: MIT
/*
 * Zoo models on the NPU, through the driver: each program the host compiled
 * (tests/host/zoo_vm_prepare.c, copied to $ZOO_VM_DIR) runs on its input
 * and must give the bytes the emulator core gave on the host. With
 * ZOO_DEVICE_1_0 set (the device property version-minor=0, a 1.0 part
 * without LUT), the programs with table lookups must be refused before
 * they run (NPU_E_DEVICE_OPS) and the others still give the bytes.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include <npu/graph.h>

/* The whole of @dir/@name.@ext, its size in *len; NULL if unreadable. */
static void *slurp(const char *dir, const char *name, const char *ext, size_t *len)
{
	char path[512];
	void *p = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		p = malloc(n);
		if (p && fread(p, 1, n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		*len = n;
	}
	fclose(f);
	return p;
}

/* Run @dir/@model.qnpu on the device; 0 when it gives the expected bytes. */
static int run_model(struct __test_metadata *_metadata, struct npu_device *dev,
		     const char *dir, const char *model)
{
	size_t in_len = 0, want_len = 0;
	void *in = slurp(dir, model, ".in", &in_len);
	void *want = slurp(dir, model, ".out", &want_len);
	void *got = want ? calloc(1, want_len) : NULL;
	struct npu_executor *npu = NULL;
	struct npu_program *p = NULL;
	struct npu_job_result res = { 0 };
	char path[512];
	int ret;

	snprintf(path, sizeof(path), "%s/%s.qnpu", dir, model);
	ret = in && want && got ? 0 : -ENOENT;
	ret = ret ?: npu_program_load(path, &p);
	ret = ret ?: npu_executor_new(p, NPU_EXEC_NPU, dev, &npu);
	if (ret == NPU_E_DEVICE_OPS)
		goto out;
	ret = ret ?: npu_executor_run(npu, (const void *[]){ in }, (void *[]){ got }, &res);
	if (ret)
		TH_LOG("%s: %s (device status %u, %s)", model, npu_strerror(ret), res.status,
		       npu_status_str(res.status));
	else if (memcmp(got, want, want_len))
		ret = -EBADMSG;
	if (ret == -EBADMSG)
		TH_LOG("%s: the device's logits differ from the emulator's", model);
out:
	npu_executor_free(npu);
	npu_program_free(p);
	free(in);
	free(want);
	free(got);
	return ret;
}

TEST(zoo_programs_npu_equals_emu)
{
	const char *dir = getenv("ZOO_VM_DIR") ? getenv("ZOO_VM_DIR") : "/data/zoo";
	struct npu_device *dev;
	bool older = getenv("ZOO_DEVICE_1_0") != NULL;
	int models = 0, failed = 0, refused = 0, ret;
	struct dirent *e;
	DIR *d = opendir(dir);

	ASSERT_NE(NULL, d) TH_LOG("no %s", dir);
	ASSERT_EQ(0, npu_device_open(0, &dev));
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char model[256];

		if (n < 6 || n >= sizeof(model) || strcmp(e->d_name + n - 5, ".qnpu"))
			continue;
		memcpy(model, e->d_name, n - 5);
		model[n - 5] = '\0';
		ret = run_model(_metadata, dev, dir, model);
		refused += ret == NPU_E_DEVICE_OPS;
		failed += ret && ret != NPU_E_DEVICE_OPS;
		models++;
	}
	closedir(d);
	npu_device_close(dev);
	EXPECT_LT(0, models);
	EXPECT_EQ(0, failed);
	/* On 1.0, some programs (LUT) are refused and some run; on 1.1 all run. */
	if (older) {
		EXPECT_LT(0, refused);
		EXPECT_LT(refused, models);
	} else {
		EXPECT_EQ(0, refused);
	}
}

TEST_HARNESS_MAIN
