/* SPDX-License-Identifier: MIT */
/*
 * libnpu: reading and writing NumPy .npy files, the way test inputs and
 * reference outputs travel between Python and the stack. Arrays load into
 * the same struct npu_onnx_tensor the ONNX reader fills.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_NPY_H
#define NPU_NPY_H

#include <stddef.h>

#include <npu/npu.h>
#include <npu/onnx.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * npu_npy_load() - read a .npy file
 * @path: the file
 * @t: the array: @t->name is the file's basename without ".npy", @t->type
 *	its enum npu_onnx_type, @t->dims its shape (a 0-d array has ndims 0 and
 *	count 1); release with npu_onnx_tensor_release()
 * @err: on failure, "PATH: what is wrong" (may be NULL)
 * @errlen: size of @err
 *
 * Reads format versions 1.0, 2.0 and 3.0, C order, up to
 * %NPU_ONNX_MAX_DIMS dimensions, of dtype float32, uint8, int8, int32 or
 * int64, little-endian: descr '<f4' or 'float32', '|u1', '|i1', '<i4',
 * '<i8' (any byte order mark for 1-byte types; '=' and '|' are taken as
 * little-endian). The file must end where the data ends: bytes after it
 * (another array appended to the same file, a shape that does not match
 * the data) are rejected as -EPROTO, where NumPy would ignore them.
 *
 * Return: 0; -EPROTO for a malformed or truncated file (bad magic, header
 * not a dict, missing or unknown keys, a shape too large to address, data
 * shorter or longer than the shape); -EOPNOTSUPP for another format
 * version, dtype, big-endian data, Fortran order or more than
 * %NPU_ONNX_MAX_DIMS dimensions; -EINVAL for NULL arguments; -ENOMEM;
 * -errno for I/O. On failure @t->data is NULL.
 */
NPU_API int npu_npy_load(const char *path, struct npu_onnx_tensor *t,
			 char *err, size_t errlen);

/**
 * npu_npy_save() - write a tensor as a .npy file
 * @path: the file (created or truncated)
 * @t: the tensor: dtype from @t->type, shape from @t->ndims and @t->dims;
 *	@t->count must be their product; @t->name is not stored
 * @err: on failure, "PATH: what is wrong" (may be NULL)
 * @errlen: size of @err
 *
 * Writes format version 1.0, C order, byte for byte what np.save() writes
 * for the same array: the header is padded with spaces and ends with '\n'
 * so the data starts at a multiple of 64 bytes.
 *
 * Return: 0; -EINVAL for NULL arguments or a tensor that is not
 * consistent (unknown type, negative dimension, count not the product of
 * the dims); -errno for I/O (a partly written file is removed).
 */
NPU_API int npu_npy_save(const char *path, const struct npu_onnx_tensor *t,
			 char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* NPU_NPY_H */
