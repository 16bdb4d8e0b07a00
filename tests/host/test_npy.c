// SPDX-License-Identifier: MIT
/*
 * The .npy reader and writer against files NumPy wrote (embedded below,
 * byte for byte), round trips of every type, and broken files.
 *
 * The arrays were made with NumPy 1.24.2 (Debian's python3-numpy), e.g.
 *	f = io.BytesIO(); np.save(f, a); f.getvalue()
 * npu_npy_save() must write the same bytes, so NumPy reads what libnpu
 * writes. (np.save() pads the header so the data starts at 64 bytes; since
 * NumPy 1.23 it also leaves room for dims[0] to grow to 21 digits, which
 * for up to 8 dimensions never changes the 128 bytes a header takes.)
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <npu/npy.h>

/* ---- what NumPy wrote ---------------------------------------------- */

/* np.save(f, np.array([[-2.5, 0, 1], [3.25, -1e30, 65504]], np.float32)) */
static const char npy_f32_2x3[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
	"                                                          \n"
	"\x00\x00\x20\xc0\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x50\x40"
	"\xca\xf2\x49\xf1\x00\xe0\x7f\x47";

/* np.save(f, np.array(200, np.uint8)) */
static const char npy_u8_0d[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '|u1', 'fortran_order': False, 'shape': (), }"
	"                                                              \n"
	"\xc8";

/* np.save(f, np.array([-128, 127, 0], np.int8)) */
static const char npy_i8_3[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }"
	"                                                            \n"
	"\x80\x7f\x00";

/* np.save(f, np.array([1, -2, 2**31 - 1, -2**31], np.int32)) */
static const char npy_i32_4[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }"
	"                                                            \n"
	"\x01\x00\x00\x00\xfe\xff\xff\xff\xff\xff\xff\x7f\x00\x00\x00\x80";

/* np.save(f, np.array([[[2**40, -3]], [[-2**62, 9]]], np.int64)) */
static const char npy_i64_2x1x2[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '<i8', 'fortran_order': False, 'shape': (2, 1, 2), }"
	"                                                       \n"
	"\x00\x00\x00\x00\x00\x01\x00\x00\xfd\xff\xff\xff\xff\xff\xff\xff"
	"\x00\x00\x00\x00\x00\x00\x00\xc0\x09\x00\x00\x00\x00\x00\x00\x00";

/* np.save(f, np.zeros((0, 3), np.float32)) */
static const char npy_f32_0x3[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }"
	"                                                          \n";

/* np.save(f, np.array([[1, 2], [254, 255]], np.uint8)) */
static const char npy_u8_2x2[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }"
	"                                                          \n"
	"\x01\x02\xfe\xff";

/* np.lib.format.write_array(f, np.array([[1, 2], [254, 255]], np.uint8), version=(2, 0)) */
static const char npy_u8_2x2_v2[] =
	"\x93NUMPY\x02\x00t\x00\x00\x00"
	"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }"
	"                                                        \n"
	"\x01\x02\xfe\xff";

/* np.save(f, np.array([7, -7], np.int32)) */
static const char npy_i32_2[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"
	"                                                            \n"
	"\x07\x00\x00\x00\xf9\xff\xff\xff";

/* np.lib.format.write_array(f, np.array([7, -7], np.int32), version=(3, 0)) */
static const char npy_i32_2_v3[] =
	"\x93NUMPY\x03\x00t\x00\x00\x00"
	"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"
	"                                                          \n"
	"\x07\x00\x00\x00\xf9\xff\xff\xff";

/* np.save(f, np.arange(12, dtype=np.float32).reshape(2, 1, 1, 3, 1, 1, 1, 2)) */
static const char npy_f32_8d[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 1, 3, 1, 1, 1, 2), }"
	"                                        \n"
	"\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40"
	"\x00\x00\x80\x40\x00\x00\xa0\x40\x00\x00\xc0\x40\x00\x00\xe0\x40"
	"\x00\x00\x00\x41\x00\x00\x10\x41\x00\x00\x20\x41\x00\x00\x30\x41";

/* np.save(f, np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))) */
static const char npy_f32_fortran[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }"
	"                                                           \n"
	"\x00\x00\x00\x00\x00\x00\x40\x40\x00\x00\x80\x3f\x00\x00\x80\x40"
	"\x00\x00\x00\x40\x00\x00\xa0\x40";

/* np.save(f, np.array([1.0, 2.0])) */
static const char npy_f64_2[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
	"                                                            \n"
	"\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40";

/* np.save(f, np.array([1, 2], '>i4')) */
static const char npy_be_i4_2[] =
	"\x93NUMPY\x01\x00v\x00"
	"{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }"
	"                                                            \n"
	"\x00\x00\x00\x01\x00\x00\x00\x02";

static const float f32_2x3[] = { -2.5f, 0.0f, 1.0f, 3.25f, -1e30f, 65504.0f };
static const uint8_t u8_0d[] = { 200 };
static const int8_t i8_3[] = { -128, 127, 0 };
static const int32_t i32_4[] = { 1, -2, INT32_MAX, INT32_MIN };
static const int64_t i64_2x1x2[] = { 1ll << 40, -3, -(1ll << 62), 9 };
static const uint8_t u8_2x2[] = { 1, 2, 254, 255 };
static const int32_t i32_2[] = { 7, -7 };
static const float f32_8d[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

#define BYTES(a)	a, sizeof(a) - 1	/* a string literal's bytes */

/*
 * A file NumPy wrote, what npu_npy_load() must make of it, and what
 * np.save() writes for the same array (the file itself for version 1.0).
 */
static const struct known {
	const char *name;
	const char *file;
	size_t len;
	const char *v1;
	size_t v1_len;
	int type;
	uint32_t ndims;
	int64_t dims[NPU_ONNX_MAX_DIMS];
	size_t count;
	const void *data;
	size_t bytes;
} known[] = {
	{ "f32_2x3", BYTES(npy_f32_2x3), BYTES(npy_f32_2x3), NPU_ONNX_FLOAT,
	  2, { 2, 3 }, 6, f32_2x3, sizeof(f32_2x3) },
	{ "u8_0d", BYTES(npy_u8_0d), BYTES(npy_u8_0d), NPU_ONNX_UINT8,
	  0, { 0 }, 1, u8_0d, sizeof(u8_0d) },
	{ "i8_3", BYTES(npy_i8_3), BYTES(npy_i8_3), NPU_ONNX_INT8,
	  1, { 3 }, 3, i8_3, sizeof(i8_3) },
	{ "i32_4", BYTES(npy_i32_4), BYTES(npy_i32_4), NPU_ONNX_INT32,
	  1, { 4 }, 4, i32_4, sizeof(i32_4) },
	{ "i64_2x1x2", BYTES(npy_i64_2x1x2), BYTES(npy_i64_2x1x2), NPU_ONNX_INT64,
	  3, { 2, 1, 2 }, 4, i64_2x1x2, sizeof(i64_2x1x2) },
	{ "f32_0x3", BYTES(npy_f32_0x3), BYTES(npy_f32_0x3), NPU_ONNX_FLOAT,
	  2, { 0, 3 }, 0, NULL, 0 },
	{ "u8_2x2", BYTES(npy_u8_2x2), BYTES(npy_u8_2x2), NPU_ONNX_UINT8,
	  2, { 2, 2 }, 4, u8_2x2, sizeof(u8_2x2) },
	{ "u8_2x2_v2", BYTES(npy_u8_2x2_v2), BYTES(npy_u8_2x2), NPU_ONNX_UINT8,
	  2, { 2, 2 }, 4, u8_2x2, sizeof(u8_2x2) },
	{ "i32_2", BYTES(npy_i32_2), BYTES(npy_i32_2), NPU_ONNX_INT32,
	  1, { 2 }, 2, i32_2, sizeof(i32_2) },
	{ "i32_2_v3", BYTES(npy_i32_2_v3), BYTES(npy_i32_2), NPU_ONNX_INT32,
	  1, { 2 }, 2, i32_2, sizeof(i32_2) },
	{ "f32_8d", BYTES(npy_f32_8d), BYTES(npy_f32_8d), NPU_ONNX_FLOAT,
	  8, { 2, 1, 1, 3, 1, 1, 1, 2 }, 12, f32_8d, sizeof(f32_8d) },
};

/* ---- helpers ------------------------------------------------------- */

static char dir[] = "/tmp/qnpu-npy-XXXXXX";

#define PATH_LEN	256

static const char *in_dir(char *path, const char *name)
{
	snprintf(path, PATH_LEN, "%s/%s", dir, name);
	return path;
}

static void put(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void *get(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf;

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	*len = st.st_size;
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/*
 * A .npy file with @header as its dict, padded as np.save() pads, then
 * @len bytes of @data: the way to write what NumPy would not.
 */
static void put_npy(const char *path, int version, const char *header,
		    const void *data, size_t len)
{
	size_t pre = version == 1 ? 10 : 12, n = strlen(header), hlen;
	uint8_t *buf;

	hlen = n + 1 + (64 - (pre + n + 1) % 64) % 64;
	buf = malloc(pre + hlen + len);
	assert_non_null(buf);
	memcpy(buf, "\x93NUMPY", 6);
	buf[6] = version;
	buf[7] = 0;
	buf[8] = hlen & 0xff;
	buf[9] = hlen >> 8;
	if (version != 1) {
		buf[10] = hlen >> 16;
		buf[11] = hlen >> 24;
	}
	memcpy(buf + pre, header, n);
	memset(buf + pre + n, ' ', hlen - n - 1);
	buf[pre + hlen - 1] = '\n';
	if (len)
		memcpy(buf + pre + hlen, data, len);
	put(path, buf, pre + hlen + len);
	free(buf);
}

static void check_tensor(const struct npu_onnx_tensor *t, const char *name,
			 int type, uint32_t ndims, const int64_t *dims,
			 size_t count, const void *data, size_t bytes)
{
	uint32_t i;

	assert_string_equal(t->name, name);
	assert_int_equal(t->type, type);
	assert_int_equal(t->ndims, ndims);
	for (i = 0; i < ndims; i++)
		assert_int_equal(t->dims[i], dims[i]);
	assert_int_equal(t->count, count);
	assert_non_null(t->data);
	if (bytes)
		assert_memory_equal(t->data, data, bytes);
}

/* Load @path, expecting @ret and a message naming the file and @what. */
static void expect_fail(const char *path, int ret, const char *what)
{
	struct npu_onnx_tensor t;
	char err[512] = "";

	memset(&t, 0x5a, sizeof(t));
	assert_int_equal(npu_npy_load(path, &t, err, sizeof(err)), ret);
	assert_null(t.data);
	if (!strstr(err, path) || !strstr(err, what))
		fail_msg("%s: got \"%s\", wanted \"%s\"", path, err, what);
	assert_true(strlen(err) > strlen(path) + 2);
}

/* @header and @data as a version 1.0 file that must fail with @ret, @what. */
static void expect_header_fail(const char *header, const void *data,
			       size_t len, int ret, const char *what)
{
	char path[PATH_LEN];

	in_dir(path, "bad.npy");
	put_npy(path, 1, header, data, len);
	expect_fail(path, ret, what);
}

/* ---- the tests ----------------------------------------------------- */

/* Every field of what NumPy wrote; saved again, the same bytes. */
static void test_known_good(void **state)
{
	char file[64], path[PATH_LEN], err[512];
	struct npu_onnx_tensor t;
	const struct known *k;
	size_t i, len;
	uint8_t *out;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		k = &known[i];
		snprintf(file, sizeof(file), "%s.npy", k->name);
		put(in_dir(path, file), k->file, k->len);
		if (npu_npy_load(path, &t, err, sizeof(err)))
			fail_msg("%s", err);
		check_tensor(&t, k->name, k->type, k->ndims, k->dims, k->count,
			     k->data, k->bytes);

		snprintf(file, sizeof(file), "%s.out.npy", k->name);
		if (npu_npy_save(in_dir(path, file), &t, err, sizeof(err)))
			fail_msg("%s", err);
		npu_onnx_tensor_release(&t);
		assert_null(t.data);
		out = get(path, &len);
		if (len != k->v1_len || memcmp(out, k->v1, len))
			fail_msg("%s: npu_npy_save() wrote other bytes than np.save()",
				 k->name);
		free(out);
		unlink(path);
		snprintf(file, sizeof(file), "%s.npy", k->name);
		unlink(in_dir(path, file));
	}
}

/* Each type, saved and loaded back. */
static void test_round_trip(void **state)
{
	static const struct {
		int type;
		size_t size;
		uint32_t ndims;
		int64_t dims[NPU_ONNX_MAX_DIMS];
	} cases[] = {
		{ NPU_ONNX_FLOAT, 4, 3, { 3, 4, 5 } },
		{ NPU_ONNX_FLOAT, 4, 0, { 0 } },
		{ NPU_ONNX_UINT8, 1, 1, { 257 } },
		{ NPU_ONNX_INT8, 1, 4, { 1, 2, 3, 4 } },
		{ NPU_ONNX_INT32, 4, 2, { 1000, 3 } },
		{ NPU_ONNX_INT64, 8, 8, { 1, 2, 1, 2, 1, 2, 1, 2 } },
		{ NPU_ONNX_INT64, 8, 2, { 5, 0 } },
		{ NPU_ONNX_INT8, 1, 2, { 100000, 3 } },
	};
	struct npu_onnx_tensor t, u;
	char path[PATH_LEN], err[512];
	size_t i, j, bytes;
	uint8_t *p;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&t, 0, sizeof(t));
		snprintf(t.name, sizeof(t.name), "ignored");
		t.type = cases[i].type;
		t.ndims = cases[i].ndims;
		t.count = 1;
		for (j = 0; j < t.ndims; j++) {
			t.dims[j] = cases[i].dims[j];
			t.count *= t.dims[j];
		}
		bytes = t.count * cases[i].size;
		t.data = p = malloc(bytes + 1);
		assert_non_null(p);
		for (j = 0; j < bytes; j++)	/* every byte value, NaNs too */
			p[j] = j * 37 + i;
		if (npu_npy_save(in_dir(path, "rt.npy"), &t, err, sizeof(err)))
			fail_msg("%s", err);
		if (npu_npy_load(path, &u, err, sizeof(err)))
			fail_msg("%s", err);
		check_tensor(&u, "rt", t.type, t.ndims, t.dims, t.count, t.data,
			     bytes);
		npu_onnx_tensor_release(&u);
		free(t.data);
	}
	unlink(path);
}

/* Headers NumPy reads though np.save() does not write them like this. */
static void test_other_headers(void **state)
{
	static const int32_t six[6] = { 1, 2, 3, 4, 5, 6 };
	static const int64_t one = -1;
	static const float three[3] = { 1.5f, -2.5f, 0.0f };
	struct npu_onnx_tensor t;
	char path[PATH_LEN], err[512], cwd[4096];

	in_dir(path, "other.npy");

	/* Python 2 longs, keys in another order, 16-byte alignment. */
	put_npy(path, 1, "{\"descr\": \"<i4\", \"shape\": (2L, 3L), \"fortran_order\": False}",
		six, sizeof(six));
	if (npu_npy_load(path, &t, err, sizeof(err)))
		fail_msg("%s", err);
	check_tensor(&t, "other", NPU_ONNX_INT32, 2, (int64_t[]){ 2, 3 }, 6, six,
		     sizeof(six));
	npu_onnx_tensor_release(&t);
	/* Whitespace anywhere, a dtype by name, trailing commas. */
	put_npy(path, 1, " { \"shape\" : ( 3 ,\n ) , \"descr\":\"float32\",\t\"fortran_order\":False , }",
		three, sizeof(three));
	if (npu_npy_load(path, &t, err, sizeof(err)))
		fail_msg("%s", err);
	check_tensor(&t, "other", NPU_ONNX_FLOAT, 1, (int64_t[]){ 3 }, 3, three,
		     sizeof(three));
	npu_onnx_tensor_release(&t);
	/* Native byte order, and '|' on a multi-byte type. */
	put_npy(path, 2, "{'descr': '=i8', 'fortran_order': False, 'shape': (1,), }",
		&one, sizeof(one));
	if (npu_npy_load(path, &t, err, sizeof(err)))
		fail_msg("%s", err);
	check_tensor(&t, "other", NPU_ONNX_INT64, 1, (int64_t[]){ 1 }, 1, &one,
		     sizeof(one));
	npu_onnx_tensor_release(&t);
	put_npy(path, 3, "{'descr': '|f4', 'fortran_order': False, 'shape': (3,), }",
		three, sizeof(three));
	if (npu_npy_load(path, &t, err, sizeof(err)))
		fail_msg("%s", err);
	check_tensor(&t, "other", NPU_ONNX_FLOAT, 1, (int64_t[]){ 3 }, 3, three,
		     sizeof(three));
	npu_onnx_tensor_release(&t);
	/* Byte order does not matter for one byte. */
	put_npy(path, 1, "{'descr': '>u1', 'fortran_order': False, 'shape': (1, 1), }",
		"\xfe", 1);
	if (npu_npy_load(path, &t, err, sizeof(err)))
		fail_msg("%s", err);
	check_tensor(&t, "other", NPU_ONNX_UINT8, 2, (int64_t[]){ 1, 1 }, 1, "\xfe", 1);
	npu_onnx_tensor_release(&t);
	/* No elements, but a shape NumPy could allocate. */
	put_npy(path, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 0, 1073741824), }",
		NULL, 0);
	if (npu_npy_load(path, &t, err, sizeof(err)))
		fail_msg("%s", err);
	check_tensor(&t, "other", NPU_ONNX_UINT8, 3,
		     (int64_t[]){ 4294967296, 0, 1073741824 }, 0, NULL, 0);
	npu_onnx_tensor_release(&t);
	/* No ".npy", no directory. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	put("plain", npy_i8_3, sizeof(npy_i8_3) - 1);
	if (npu_npy_load("plain", &t, err, sizeof(err)))
		fail_msg("%s", err);
	check_tensor(&t, "plain", NPU_ONNX_INT8, 1, (int64_t[]){ 3 }, 3, i8_3,
		     sizeof(i8_3));
	npu_onnx_tensor_release(&t);
	unlink("plain");
	assert_int_equal(chdir(cwd), 0);
	unlink(path);
}

static void test_broken_files(void **state)
{
	static const uint8_t zeros[64];
	size_t len = sizeof(npy_f32_2x3) - 1;
	char path[PATH_LEN];
	uint8_t buf[512];

	in_dir(path, "broken.npy");

	/* Not .npy at all, or cut short. */
	memcpy(buf, npy_f32_2x3, len);
	buf[5] = 'Z';
	put(path, buf, len);
	expect_fail(path, -EPROTO, "not a .npy file");
	put(path, "", 0);
	expect_fail(path, -EPROTO, "not a .npy file");
	put(path, npy_f32_2x3, 9);
	expect_fail(path, -EPROTO, "truncated header");
	put(path, npy_u8_2x2_v2, 11);
	expect_fail(path, -EPROTO, "truncated header");
	put(path, npy_f32_2x3, 40);
	expect_fail(path, -EPROTO, "truncated header");
	put(path, npy_f32_2x3, len - 1);
	expect_fail(path, -EPROTO, "truncated data");
	put(path, npy_f32_2x3, 128);
	expect_fail(path, -EPROTO, "truncated data");
	put(path, npy_f32_0x3, sizeof(npy_f32_0x3) - 1 - 1);	/* no '\n' */
	expect_fail(path, -EPROTO, "truncated header");
	/* Trailing bytes: rejected, where NumPy would ignore them. */
	memcpy(buf, npy_f32_2x3, len);
	buf[len] = 0;
	put(path, buf, len + 1);
	expect_fail(path, -EPROTO, "1 bytes after the data");
	/* A header length no file has. */
	memcpy(buf, npy_u8_2x2_v2, sizeof(npy_u8_2x2_v2) - 1);
	memcpy(buf + 8, "\xf0\xff\xff\xff", 4);
	put(path, buf, sizeof(npy_u8_2x2_v2) - 1);
	expect_fail(path, -EPROTO, "absurd");
	memcpy(buf + 8, "\x00\x00\x01\x00", 4);
	put(path, buf, sizeof(npy_u8_2x2_v2) - 1);
	expect_fail(path, -EPROTO, "truncated header");

	/* What NumPy writes, but libnpu does not read. */
	put(path, npy_f32_fortran, sizeof(npy_f32_fortran) - 1);
	expect_fail(path, -EOPNOTSUPP, "fortran_order");
	put(path, npy_f64_2, sizeof(npy_f64_2) - 1);
	expect_fail(path, -EOPNOTSUPP, "'<f8' is not supported");
	put(path, npy_be_i4_2, sizeof(npy_be_i4_2) - 1);
	expect_fail(path, -EOPNOTSUPP, "big-endian");
	memcpy(buf, npy_i8_3, sizeof(npy_i8_3) - 1);
	buf[6] = 4;
	put(path, buf, sizeof(npy_i8_3) - 1);
	expect_fail(path, -EOPNOTSUPP, "version 4.0");
	buf[6] = 1;
	buf[7] = 1;
	put(path, buf, sizeof(npy_i8_3) - 1);
	expect_fail(path, -EOPNOTSUPP, "version 1.1");
	expect_header_fail("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
			   zeros, 4, -EOPNOTSUPP, "structured");
	expect_header_fail("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }",
			   zeros, 4, -EOPNOTSUPP, "9 dimensions");

	/* Shapes too large to address. */
	expect_header_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
			   zeros, 0, -EPROTO, "shape overflow");
	expect_header_fail("{'descr': '<i8', 'fortran_order': False, 'shape': (1152921504606846976,), }",
			   zeros, 0, -EPROTO, "shape overflow");
	expect_header_fail("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999,), }",
			   zeros, 0, -EPROTO, "shape overflow");
	/* As in NumPy, even with no elements. */
	expect_header_fail("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }",
			   zeros, 0, -EPROTO, "shape overflow");

	/* Headers that are not what NumPy writes. */
	expect_header_fail("['descr', 'fortran_order', 'shape']", zeros, 0, -EPROTO,
			   "not a dict");
	expect_header_fail("{'descr': '<f4', 'fortran_order': False}", zeros, 4,
			   -EPROTO, "no 'shape' key");
	expect_header_fail("{'fortran_order': False, 'shape': ()}", zeros, 4,
			   -EPROTO, "no 'descr' key");
	expect_header_fail("{'descr': '<f4', 'shape': ()}", zeros, 4, -EPROTO,
			   "no 'fortran_order' key");
	expect_header_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}",
			   zeros, 4, -EPROTO, "unknown key 'x'");
	expect_header_fail("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}",
			   zeros, 4, -EPROTO, "'descr' appears twice");
	expect_header_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}",
			   zeros, 12, -EPROTO, "not a tuple");
	expect_header_fail("{'descr': '<f4', 'fortran_order': False, 'shape': [3]}",
			   zeros, 12, -EPROTO, "not a tuple");
	expect_header_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}",
			   zeros, 12, -EPROTO, "negative dimension");
	expect_header_fail("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}",
			   zeros, 12, -EPROTO, "not True or False");
	expect_header_fail("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (3,)}",
			   zeros, 12, -EPROTO, "not True or False");
	expect_header_fail("{'descr': '<f4, 'fortran_order': False, 'shape': (3,)}",
			   zeros, 12, -EPROTO, "malformed header");
	expect_header_fail("{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}",
			   zeros, 12, -EPROTO, "expected ',' or '}'");
	expect_header_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} x",
			   zeros, 12, -EPROTO, "text after the dict");
	expect_header_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)",
			   zeros, 12, -EPROTO, "expected ',' or '}'");
	memcpy(buf, npy_i8_3, sizeof(npy_i8_3) - 1);
	buf[19] = '\0';	/* a NUL in the header, after "{'descr':" */
	put(path, buf, sizeof(npy_i8_3) - 1);
	expect_fail(path, -EPROTO, "malformed header");

	/* The file system. */
	unlink(path);
	unlink(in_dir(path, "bad.npy"));
	in_dir(path, "broken.npy");
	expect_fail(path, -ENOENT, "No such file");
	expect_fail(dir, -EISDIR, "directory");
}

static void test_bad_arguments(void **state)
{
	const float two[2] = { 1, 2 };
	char x[PATH_LEN], missing[PATH_LEN], nodir[PATH_LEN], err[512] = "";
	struct npu_onnx_tensor t;

	in_dir(x, "x.npy");
	in_dir(missing, "missing.npy");
	in_dir(nodir, "no/such/dir.npy");
	memset(&t, 0, sizeof(t));
	assert_int_equal(npu_npy_load(NULL, &t, err, sizeof(err)), -EINVAL);
	assert_int_equal(npu_npy_load(x, NULL, NULL, 0), -EINVAL);
	assert_int_equal(npu_npy_save(NULL, &t, err, sizeof(err)), -EINVAL);
	assert_int_equal(npu_npy_save(x, NULL, err, sizeof(err)), -EINVAL);
	/* No err: the code still comes back. */
	assert_int_equal(npu_npy_load(missing, &t, NULL, 0), -ENOENT);

	/* Tensors that do not add up; nothing is written. */
	t.type = NPU_ONNX_FLOAT;
	t.ndims = 1;
	t.dims[0] = 2;
	t.count = 2;
	t.data = NULL;
	assert_int_equal(npu_npy_save(x, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no data"));
	t.data = (void *)two;
	t.count = 3;
	assert_int_equal(npu_npy_save(x, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not the product"));
	t.count = 2;
	t.type = 11;	/* TensorProto.DOUBLE */
	assert_int_equal(npu_npy_save(x, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "element type 11"));
	t.type = NPU_ONNX_FLOAT;
	t.dims[0] = -2;
	assert_int_equal(npu_npy_save(x, &t, err, sizeof(err)), -EINVAL);
	t.dims[0] = 2;
	t.ndims = NPU_ONNX_MAX_DIMS + 1;
	assert_int_equal(npu_npy_save(x, &t, err, sizeof(err)), -EINVAL);
	t.ndims = 2;
	t.dims[0] = t.dims[1] = 1ll << 32;
	t.count = 0;
	assert_int_equal(npu_npy_save(x, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, x));
	assert_int_equal(access(x, F_OK), -1);

	/* I/O errors come back as -errno. */
	t.ndims = 1;
	t.dims[0] = 2;
	t.count = 2;
	assert_int_equal(npu_npy_save(nodir, &t, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, nodir));
	assert_int_equal(npu_npy_save(x, &t, err, sizeof(err)), 0);
	unlink(x);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_good),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_other_headers),
		cmocka_unit_test(test_broken_files),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests_name("npy files", tests, setup, teardown);
}
