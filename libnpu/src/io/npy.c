// SPDX-License-Identifier: MIT
/*
 * libnpu: NumPy .npy files. The header is a Python dict literal; this file
 * parses the small part of Python's syntax NumPy writes (and older NumPy
 * and Python 2 wrote) without evaluating anything, and says what is wrong
 * and where.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "npu/npy.h"

#define NPY_MAGIC		"\x93NUMPY"
#define NPY_MAGIC_LEN		6
#define NPY_ALIGN		64	/* np.save() starts the data on this */
#define NPY_GROWTH_DIGITS	21	/* room np.save() leaves for dims[0] */
#define NPY_MAX_HEADER		(1u << 20)	/* ours are 128 bytes */

/* What a .npy descr says, and what np.save() writes for each type. */
static const struct npy_type {
	const char *code;	/* after the byte order mark */
	const char *name;	/* numpy's name, also valid as a descr */
	int type;
	size_t size;
} npy_types[] = {
	{ "f4", "float32", NPU_ONNX_FLOAT, 4 },
	{ "u1", "uint8", NPU_ONNX_UINT8, 1 },
	{ "i1", "int8", NPU_ONNX_INT8, 1 },
	{ "i4", "int32", NPU_ONNX_INT32, 4 },
	{ "i8", "int64", NPU_ONNX_INT64, 8 },
};

#define NPY_NTYPES	(sizeof(npy_types) / sizeof(npy_types[0]))


static const struct npy_type *type_by_id(int type)
{
	size_t i;

	for (i = 0; i < NPY_NTYPES; i++)
		if (npy_types[i].type == type)
			return &npy_types[i];
	return NULL;
}

/*
 * The type a descr names: '<f4', 'float32', '|u1' and so on. Byte order
 * does not matter for one byte; '=' (native) and '|' (not applicable) are
 * taken as little-endian, the only order libnpu runs on. *big is set for a
 * type libnpu reads, stored big-endian.
 */
static const struct npy_type *type_by_descr(const char *descr, bool *big)
{
	const char *code = descr;
	char order = descr[0];
	size_t i;

	*big = false;
	if (order && strchr("<>=|", order))
		code++;
	for (i = 0; i < NPY_NTYPES; i++) {
		if (!strcmp(descr, npy_types[i].name))
			return &npy_types[i];
		if (strcmp(code, npy_types[i].code))
			continue;
		if (order == '>' && npy_types[i].size > 1) {
			*big = true;
			return NULL;
		}
		return &npy_types[i];
	}
	return NULL;
}

/* A shape as Python writes a tuple: "()", "(3,)", "(2, 3)". */
static void format_shape(char *buf, size_t len, uint32_t ndims,
			 const int64_t *dims)
{
	size_t n;
	uint32_t i;

	n = snprintf(buf, len, "(");
	for (i = 0; i < ndims && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%lld", i ? ", " : "",
			      (long long)dims[i]);
	if (n < len)
		snprintf(buf + n, len - n, "%s)", ndims == 1 ? "," : "");
}

/*
 * The elements of a shape into *count; false if the bytes of its nonzero
 * extents would not fit in memory or in a file offset (NumPy's rule: an
 * array of no elements still has a shape it could allocate).
 */
static bool shape_count(uint32_t ndims, const int64_t *dims, size_t size,
			size_t *count)
{
	size_t limit = (SIZE_MAX < INT64_MAX ? SIZE_MAX : INT64_MAX) / size;
	size_t n = 1;
	bool empty = false;
	uint32_t i;

	for (i = 0; i < ndims; i++) {
		if (dims[i] < 0)
			return false;
		if (!dims[i]) {
			empty = true;
			continue;
		}
		if (n > limit / (uint64_t)dims[i])
			return false;
		n *= dims[i];
	}
	*count = empty ? 0 : n;
	return true;
}

/* ---- the header: a Python dict literal ----------------------------- */

#define HAVE_DESCR	1u
#define HAVE_ORDER	2u
#define HAVE_SHAPE	4u

struct npy_hdr {
	const char *start, *p, *end;
	char descr[32];
	bool fortran;
	unsigned int have;
	uint32_t ndims;		/* may be above NPU_ONNX_MAX_DIMS */
	int64_t dims[NPU_ONNX_MAX_DIMS];
	char why[160];
};

static int bad(struct npy_hdr *h, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct npy_hdr *h, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->why, sizeof(h->why), fmt, ap);
	va_end(ap);
	return ret;
}

/* Next character, or -1 at the end of the header. */
static int peek(const struct npy_hdr *h)
{
	return h->p < h->end ? (unsigned char)*h->p : -1;
}

static long at(const struct npy_hdr *h)
{
	return (long)(h->p - h->start);
}

/* Python's whitespace between tokens, and comments. */
static void skip_space(struct npy_hdr *h)
{
	while (h->p < h->end) {
		if (*h->p == '#')
			while (h->p < h->end && *h->p != '\n')
				h->p++;
		else if (*h->p && strchr(" \t\n\r\f", *h->p))
			h->p++;
		else
			break;
	}
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_word(int c)
{
	return is_digit(c) || c == '_' || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/*
 * A '...' or "..." string (or u'...') without escapes, into @out (cut to
 * @len - 1). No key or dtype libnpu knows has other than printable ASCII:
 * other bytes become '?', so messages quoting the string stay readable.
 */
static int parse_string(struct npy_hdr *h, char *out, size_t len)
{
	size_t n = 0;
	int q, c;

	if ((peek(h) == 'u' || peek(h) == 'U') && h->p + 1 < h->end &&
	    (h->p[1] == '\'' || h->p[1] == '"'))
		h->p++;		/* u'<f4', as Python 2 wrote unicode */
	q = peek(h);
	if (q != '\'' && q != '"')
		return bad(h, -EPROTO, "malformed header: expected a string at byte %ld",
			   at(h));
	h->p++;
	while ((c = peek(h)) != q) {
		if (c < 0 || c == '\n')
			return bad(h, -EPROTO, "malformed header: unterminated string");
		if (c == '\\')
			return bad(h, -EPROTO,
				   "malformed header: escape in a string at byte %ld",
				   at(h));
		if (n + 1 < len)
			out[n++] = c >= 0x20 && c < 0x7f ? c : '?';
		h->p++;
	}
	h->p++;
	out[n] = '\0';
	return 0;
}

static int parse_bool(struct npy_hdr *h, bool *v)
{
	static const char *const words[] = { "False", "True" };
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(words[i]);
		if ((size_t)(h->end - h->p) >= n && !memcmp(h->p, words[i], n) &&
		    (h->p + n == h->end || !is_word((unsigned char)h->p[n]))) {
			h->p += n;
			*v = i;
			return 0;
		}
	}
	return bad(h, -EPROTO,
		   "malformed header: fortran_order is not True or False (byte %ld)",
		   at(h));
}

/* One extent: digits, and the 'L' Python 2 put after a long. */
static int parse_dim(struct npy_hdr *h, int64_t *v)
{
	uint64_t x = 0;
	int c = peek(h);

	if (c == '-')
		return bad(h, -EPROTO, "malformed header: negative dimension at byte %ld",
			   at(h));
	if (!is_digit(c))
		return bad(h, -EPROTO,
			   "malformed header: expected a dimension at byte %ld", at(h));
	while (is_digit(c = peek(h))) {
		if (x > ((uint64_t)INT64_MAX - (c - '0')) / 10)
			return bad(h, -EPROTO,
				   "shape overflow: dimension %u does not fit in 64 bits",
				   h->ndims);
		x = x * 10 + (c - '0');
		h->p++;
	}
	if (c == 'L' || c == 'l')
		h->p++;
	*v = x;
	return 0;
}

/* A tuple of extents: "()", "(3,)", "(2, 3)", "(2, 3,)". */
static int parse_shape(struct npy_hdr *h)
{
	int64_t v = 0;
	int ret, c;

	if (peek(h) != '(')
		return bad(h, -EPROTO, "malformed header: shape is not a tuple (byte %ld)",
			   at(h));
	h->p++;
	skip_space(h);
	if (peek(h) == ')') {
		h->p++;
		return 0;
	}
	for (;;) {
		ret = parse_dim(h, &v);
		if (ret)
			return ret;
		if (h->ndims < NPU_ONNX_MAX_DIMS)
			h->dims[h->ndims] = v;
		h->ndims++;	/* at most a few 100000 in NPY_MAX_HEADER */
		skip_space(h);
		c = peek(h);
		if (c == ')') {
			if (h->ndims == 1)	/* (3) is 3, not a tuple */
				return bad(h, -EPROTO,
					   "malformed header: shape (%lld) is not a tuple",
					   (long long)v);
			h->p++;
			return 0;
		}
		if (c != ',')
			return bad(h, -EPROTO,
				   "malformed header: expected ',' or ')' in shape at byte %ld",
				   at(h));
		h->p++;
		skip_space(h);
		if (peek(h) == ')') {
			h->p++;
			return 0;
		}
	}
}

static int parse_item(struct npy_hdr *h)
{
	char key[32];
	unsigned int bit;
	int ret;

	ret = parse_string(h, key, sizeof(key));
	if (ret)
		return ret;
	if (!strcmp(key, "descr"))
		bit = HAVE_DESCR;
	else if (!strcmp(key, "fortran_order"))
		bit = HAVE_ORDER;
	else if (!strcmp(key, "shape"))
		bit = HAVE_SHAPE;
	else
		return bad(h, -EPROTO, "malformed header: unknown key '%s'", key);
	if (h->have & bit)
		return bad(h, -EPROTO, "malformed header: key '%s' appears twice", key);
	h->have |= bit;
	skip_space(h);
	if (peek(h) != ':')
		return bad(h, -EPROTO, "malformed header: expected ':' after '%s'", key);
	h->p++;
	skip_space(h);
	switch (bit) {
	case HAVE_DESCR:
		if (peek(h) == '[')
			return bad(h, -EOPNOTSUPP,
				   "dtype is structured (libnpu reads float32, uint8, int8, int32 and int64 arrays)");
		return parse_string(h, h->descr, sizeof(h->descr));
	case HAVE_ORDER:
		return parse_bool(h, &h->fortran);
	default:
		return parse_shape(h);
	}
}

static int parse_header(struct npy_hdr *h)
{
	int ret, c;

	skip_space(h);
	if (peek(h) != '{')
		return bad(h, -EPROTO, "malformed header: not a dict");
	h->p++;
	for (;;) {
		skip_space(h);
		if (peek(h) == '}')
			break;
		ret = parse_item(h);
		if (ret)
			return ret;
		skip_space(h);
		c = peek(h);
		if (c == '}')
			break;
		if (c != ',')
			return bad(h, -EPROTO,
				   "malformed header: expected ',' or '}' at byte %ld",
				   at(h));
		h->p++;
	}
	h->p++;
	skip_space(h);
	if (h->p != h->end)
		return bad(h, -EPROTO, "malformed header: text after the dict at byte %ld",
			   at(h));
	if (!(h->have & HAVE_DESCR))
		return bad(h, -EPROTO, "malformed header: no 'descr' key");
	if (!(h->have & HAVE_ORDER))
		return bad(h, -EPROTO, "malformed header: no 'fortran_order' key");
	if (!(h->have & HAVE_SHAPE))
		return bad(h, -EPROTO, "malformed header: no 'shape' key");
	return 0;
}

/* ---- reading ------------------------------------------------------- */

static int io_fail(char *err, size_t errlen, const char *path, FILE *f,
		   const char *what)
{
	int e = ferror(f) && errno ? errno : EIO;

	return npu_errf(err, errlen, -e, "%s: %s: %s", path, what, strerror(e));
}

/* The header after the magic: version, length, the dict; 0 or -errno. */
static int read_header(FILE *f, const struct stat *st, const char *path,
		       struct npy_hdr *h, size_t *data_at, char *err,
		       size_t errlen)
{
	uint8_t pre[12];
	size_t plen, n;
	uint32_t hlen;
	char *text;
	int ret;

	n = fread(pre, 1, 10, f);
	if (n < 10 && ferror(f))
		return io_fail(err, errlen, path, f, "read error");
	if (n < NPY_MAGIC_LEN || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN))
		return npu_errf(err, errlen, -EPROTO,
			    "%s: not a .npy file (it does not start with \\x93NUMPY)",
			    path);
	if (n < 8)
		return npu_errf(err, errlen, -EPROTO, "%s: truncated header (%zu bytes)",
			    path, n);
	if (pre[6] < 1 || pre[6] > 3 || pre[7])
		return npu_errf(err, errlen, -EOPNOTSUPP,
			    "%s: .npy format version %u.%u (libnpu reads 1.0, 2.0 and 3.0)",
			    path, pre[6], pre[7]);
	plen = pre[6] == 1 ? 10 : 12;
	if (n == 10 && plen == 12)
		n += fread(pre + 10, 1, 2, f);
	if (n < plen) {
		if (ferror(f))
			return io_fail(err, errlen, path, f, "read error");
		return npu_errf(err, errlen, -EPROTO, "%s: truncated header (%zu bytes)",
			    path, n);
	}
	hlen = pre[8] | pre[9] << 8;
	if (plen == 12)
		hlen |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
	if (hlen > NPY_MAX_HEADER)
		return npu_errf(err, errlen, -EPROTO,
			    "%s: header length %u is absurd (libnpu reads up to %u)",
			    path, hlen, NPY_MAX_HEADER);
	if (S_ISREG(st->st_mode) && (uint64_t)st->st_size < plen + hlen)
		return npu_errf(err, errlen, -EPROTO,
			    "%s: truncated header (%lld bytes, its length says %zu)",
			    path, (long long)st->st_size, plen + hlen);
	text = malloc(hlen + 1);
	if (!text)
		return -ENOMEM;
	n = fread(text, 1, hlen, f);
	if (n < hlen) {
		ret = ferror(f) ? io_fail(err, errlen, path, f, "read error") :
		      npu_errf(err, errlen, -EPROTO,
			   "%s: truncated header (%zu bytes, its length says %zu)",
			   path, plen + n, plen + hlen);
		free(text);
		return ret;
	}
	text[hlen] = '\0';
	h->start = h->p = text;
	h->end = text + hlen;
	ret = parse_header(h);
	free(text);
	h->start = h->p = h->end = NULL;
	if (ret)
		return npu_errf(err, errlen, ret, "%s: %s", path, h->why);
	*data_at = plen + hlen;
	return 0;
}

static int load_file(FILE *f, const char *path, struct npu_onnx_tensor *t,
		     char *err, size_t errlen)
{
	const struct npy_type *ty;
	struct npy_hdr h = { 0 };
	char shape[256];
	size_t count, bytes, n;
	struct stat st;
	size_t data_at = 0;
	bool big;
	int ret;

	if (fstat(fileno(f), &st))
		return npu_errf(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return npu_errf(err, errlen, -EISDIR, "%s: %s", path, strerror(EISDIR));
	ret = read_header(f, &st, path, &h, &data_at, err, errlen);
	if (ret)
		return ret;

	ty = type_by_descr(h.descr, &big);
	if (big)
		return npu_errf(err, errlen, -EOPNOTSUPP,
			    "%s: dtype '%s' is big-endian (libnpu reads little-endian; convert with a.astype('<%s'))",
			    path, h.descr, h.descr + 1);
	if (!ty)
		return npu_errf(err, errlen, -EOPNOTSUPP,
			    "%s: dtype '%s' is not supported (libnpu reads float32, uint8, int8, int32 and int64)",
			    path, h.descr);
	if (h.fortran)
		return npu_errf(err, errlen, -EOPNOTSUPP,
			    "%s: fortran_order is True (libnpu reads C-order arrays; save np.ascontiguousarray(a))",
			    path);
	if (h.ndims > NPU_ONNX_MAX_DIMS)
		return npu_errf(err, errlen, -EOPNOTSUPP,
			    "%s: the array has %u dimensions (libnpu reads up to %d)",
			    path, h.ndims, NPU_ONNX_MAX_DIMS);
	format_shape(shape, sizeof(shape), h.ndims, h.dims);
	if (!shape_count(h.ndims, h.dims, ty->size, &count))
		return npu_errf(err, errlen, -EPROTO,
			    "%s: shape overflow: %s of %s is too large to address",
			    path, shape, ty->name);
	bytes = count * ty->size;
	if (S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size - data_at != bytes) {
		uint64_t have = (uint64_t)st.st_size - data_at;

		if (have < bytes)
			return npu_errf(err, errlen, -EPROTO,
				    "%s: truncated data: %llu bytes, shape %s of %s needs %zu",
				    path, (unsigned long long)have, shape, ty->name, bytes);
		return npu_errf(err, errlen, -EPROTO,
			    "%s: %llu bytes after the data (shape %s of %s is %zu bytes)",
			    path, (unsigned long long)(have - bytes), shape, ty->name,
			    bytes);
	}

	t->type = ty->type;
	t->ndims = h.ndims;
	memcpy(t->dims, h.dims, sizeof(t->dims[0]) * h.ndims);
	t->count = count;
	t->data = malloc(bytes ? bytes : 1);
	if (!t->data)
		return -ENOMEM;
	n = fread(t->data, 1, bytes, f);
	if (n < bytes) {
		if (ferror(f))
			return io_fail(err, errlen, path, f, "read error");
		return npu_errf(err, errlen, -EPROTO,
			    "%s: truncated data: %zu bytes, shape %s of %s needs %zu",
			    path, n, shape, ty->name, bytes);
	}
	if (fgetc(f) != EOF)
		return npu_errf(err, errlen, -EPROTO,
			    "%s: bytes after the data (shape %s of %s is %zu bytes)",
			    path, shape, ty->name, bytes);
	if (ferror(f))
		return io_fail(err, errlen, path, f, "read error");
	return 0;
}

NPU_API int npu_npy_load(const char *path, struct npu_onnx_tensor *t,
			 char *err, size_t errlen)
{
	const char *base;
	size_t len;
	FILE *f;
	int ret;

	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	if (!path)
		return -EINVAL;
	f = fopen(path, "rb");
	if (!f)
		return npu_errf(err, errlen, -errno, "%s: %s", path, strerror(errno));
	ret = load_file(f, path, t, err, errlen);
	fclose(f);
	if (ret) {
		npu_onnx_tensor_release(t);
		return ret;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	len = strlen(base);
	if (len >= 4 && !strcmp(base + len - 4, ".npy"))
		len -= 4;
	if (len >= sizeof(t->name))
		len = sizeof(t->name) - 1;
	memcpy(t->name, base, len);
	t->name[len] = '\0';
	return 0;
}

/* ---- writing ------------------------------------------------------- */

static unsigned int digits(int64_t v)
{
	unsigned int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * What np.save() writes: the dict with sorted keys, room for dims[0] to
 * grow to NPY_GROWTH_DIGITS digits, spaces to the next multiple of
 * NPY_ALIGN and '\n'. Returns the length, with @buf big enough for any
 * shape of NPU_ONNX_MAX_DIMS extents.
 */
static size_t build_header(char *buf, size_t len, const struct npy_type *ty,
			   const struct npu_onnx_tensor *t)
{
	char shape[NPU_ONNX_MAX_DIMS * 24 + 8];
	size_t n, hlen;

	format_shape(shape, sizeof(shape), t->ndims, t->dims);
	memcpy(buf, NPY_MAGIC "\x01\x00", NPY_MAGIC_LEN + 2);
	n = NPY_MAGIC_LEN + 4;
	n += snprintf(buf + n, len - n,
		      "{'descr': '%c%s', 'fortran_order': False, 'shape': %s, }",
		      ty->size == 1 ? '|' : '<', ty->code, shape);
	if (t->ndims) {
		hlen = NPY_GROWTH_DIGITS - digits(t->dims[0]);
		memset(buf + n, ' ', hlen);
		n += hlen;
	}
	hlen = NPY_ALIGN - (n + 1) % NPY_ALIGN;
	memset(buf + n, ' ', hlen);
	n += hlen;
	buf[n++] = '\n';
	buf[8] = (n - 10) & 0xff;
	buf[9] = (n - 10) >> 8;
	return n;
}

NPU_API int npu_npy_save(const char *path, const struct npu_onnx_tensor *t,
			 char *err, size_t errlen)
{
	char hdr[NPY_MAGIC_LEN + 4 + 64 + NPU_ONNX_MAX_DIMS * 24 + 8 +
		 NPY_GROWTH_DIGITS + NPY_ALIGN + 1];
	const struct npy_type *ty;
	size_t count, n;
	struct stat st;
	bool reg;
	FILE *f;
	uint32_t i;
	int e;

	if (!path || !t)
		return -EINVAL;
	ty = type_by_id(t->type);
	if (!ty)
		return npu_errf(err, errlen, -EINVAL,
			    "%s: element type %d (libnpu writes float32, uint8, int8, int32 and int64)",
			    path, t->type);
	if (t->ndims > NPU_ONNX_MAX_DIMS)
		return npu_errf(err, errlen, -EINVAL, "%s: the tensor has %u dimensions",
			    path, t->ndims);
	for (i = 0; i < t->ndims; i++)
		if (t->dims[i] < 0)
			return npu_errf(err, errlen, -EINVAL, "%s: dimension %u is %lld",
				    path, i, (long long)t->dims[i]);
	if (!shape_count(t->ndims, t->dims, ty->size, &count))
		return npu_errf(err, errlen, -EINVAL,
			    "%s: shape overflow: the shape is too large to address", path);
	if (count != t->count)
		return npu_errf(err, errlen, -EINVAL,
			    "%s: count %zu is not the product of the dims (%zu)",
			    path, t->count, count);
	if (count && !t->data)
		return npu_errf(err, errlen, -EINVAL, "%s: the tensor has no data", path);
	n = build_header(hdr, sizeof(hdr), ty, t);

	f = fopen(path, "wb");
	if (!f)
		return npu_errf(err, errlen, -errno, "%s: %s", path, strerror(errno));
	/* Remove what a failed write leaves, but never a device or a pipe. */
	reg = !fstat(fileno(f), &st) && S_ISREG(st.st_mode);
	errno = 0;
	if (fwrite(hdr, 1, n, f) != n ||
	    (count && fwrite(t->data, ty->size, count, f) != count)) {
		e = errno ? errno : EIO;
		fclose(f);
		goto out_unlink;
	}
	if (fclose(f)) {
		e = errno ? errno : EIO;
		goto out_unlink;
	}
	return 0;
out_unlink:
	if (reg)
		unlink(path);
	return npu_errf(err, errlen, -e, "%s: write error: %s", path, strerror(e));
}
