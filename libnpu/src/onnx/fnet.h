/* SPDX-License-Identifier: MIT */
/*
 * libnpu ONNX: the float network an FP32 model is lowered to (NHWC, one
 * image), which the importer runs on calibration data and rebuilds as a
 * quantized graph. Internal to onnx/.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_ONNX_FNET_H
#define NPU_ONNX_FNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npu/graph.h"
#include "npu/quant.h"
#include "onnx_internal.h"

/* What a float node computes; one ONNX op or several map to each (fnet.c). */
enum fkind { F_CONV, F_RELU, F_CLIP, F_MAXPOOL, F_AVGPOOL, F_GAP, F_ADD,
	     F_FC, F_FLATTEN, F_SOFTMAX, F_MUL, F_CONCAT, F_FN, F_IDENTITY,
	     F_GATHER, F_UPSAMPLE, F_PAD, F_TRANSPOSE, F_MATMUL, F_SCALE, F_LAYERNORM,
	     F_KIND_COUNT };

/* A Concat's inputs at most (the graph op takes 3: the import chains them). */
#define FNODE_MAX_IN 16

struct fnode {
	enum fkind kind;
	const char *name, *op;
	int in[FNODE_MAX_IN], out;	/* -1 past the last */
	enum npu_function fn;
	float alpha, beta;	/* F_FN parameters */
	/* conv and fc: weights OHWI (fc: [O][1][1][K]), bias */
	float *w, *b;
	uint32_t cout, kh, kw, cin_g, groups;
	uint32_t stride[2], dil[2], pad[4], kernel[2];
	float lo, hi;		/* clip */
	int32_t *index;		/* F_GATHER: input channel of each of @cout outputs */
	uint32_t perm[4];	/* F_TRANSPOSE: output dim i is input dim perm[i] (NHWC) */
	uint8_t rank_out;	/* the output's rank in the model when not the input's */
	bool plain_out;		/* with rank_out: the output is plain (struct fvalue) */
	bool matmul;		/* F_CONV/F_FC: from a MatMul (a bias Add may fold in) */
	bool bias_add;		/* F_IDENTITY: a constant Add folded into its producer */
};

struct fvalue {
	char name[128];
	uint32_t shape[4];	/* NHWC */
	float *data;		/* the float executor's buffer */
	struct npu_observer *obs;
	uint8_t rank;		/* in the model: 2, 3 or 4 */
	/*
	 * How shape[] holds the model's extents: a 4-D value is NCHW stored
	 * NHWC (an image) unless plain; plain values keep the model's order,
	 * right-aligned after N: [N, C] is {N,1,1,C}, [N, A, B] is {N,1,A,B},
	 * [N, A, B, C] is {N,A,B,C}.
	 */
	bool plain;
	int tensor;		/* npu_graph tensor */
	int consumers;
	bool is_const;
};

/* cblas_sgemm's signature (row-major 101, no-trans 111, trans 112). */
typedef void fnet_sgemm_fn(int order, int transa, int transb, int m, int n, int k,
			   float alpha, const float *a, int lda, const float *b, int ldb,
			   float beta, float *c, int ldc);

struct fnet {
	struct fnode *nodes;
	int nnodes;
	struct fvalue *vals;
	int nvals;
	int input, output;
	int64_t opset;		/* of the default domain */
	uint32_t batch;		/* the model's N (the net itself runs one image) */
	Onnx__TensorProto **folded;	/* shape arithmetic's values (fold.c) */
	int nfolded;
	void *blas;		/* OpenBLAS or libblas, dlopen()ed when present */
	fnet_sgemm_fn *sgemm;	/* its cblas_sgemm, or NULL: plain loops */
	char *err;
	size_t errlen;
};

int ferr(struct fnet *n, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The value named @name, created when @create; -1 if absent (or no memory). */
int value_id(struct fnet *n, const char *name, bool create);
uint64_t vcount(const struct fvalue *v);
/* The model's extents of @v (batch @N) in @dims; its rank. */
int fvalue_dims(const struct fvalue *v, int64_t N, int64_t dims[4]);
/* The index in shape[] of the model's axis @axis (negative from the end) of @v; -1 if none. */
int fvalue_axis(const struct fvalue *v, int64_t axis);
/* The same bytes in the model's order: plain, or an image with C or H x W of 1. */
bool fvalue_is_plain(const struct fvalue *v);
/* @v plain of rank @rank with the model's extents @dims (dims[0] ignored: one image). */
void fvalue_set_plain(struct fvalue *v, int rank, const int64_t *dims);

/* The float constant @name (@want values, 0: any number); NULL with the error set. */
float *fnet_floats(struct fnet *n, const Onnx__GraphProto *g, const char *name, size_t want,
		   const char *where);

/* A node of @kind for @nd, its inputs unset (-1). */
struct fnode *fnet_add_node(struct fnet *n, enum fkind kind, const Onnx__NodeProto *nd);

/*
 * layout.c: Slice and channel shuffles as gathers, Transpose, Reshape,
 * Flatten, Squeeze and Unsqueeze: 1 done, 0 not one, or an error.
 */
int fnet_layout(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		const char *where, bool *skip);
/* Constant input @k of @nd as int64 values (at most @max); their count, -1 if absent or not. */
int fnet_ints(const struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
	      size_t k, int64_t *v, int max);
/* reshape.c: @in with graph dims @p and C swapped, as the value named @name (rank, layout @like's). */
int fnet_swap_dims(struct fnet *n, const Onnx__NodeProto *nd, int in, int p, const char *name,
		   const struct fvalue *like);
/* reshape.c: Transpose, Reshape, Flatten, Squeeze, Unsqueeze: 1 done, 0 not one, or an error. */
int fnet_reshape(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
		 const char *where);

/* fold.c: a constant of the model or a value folded from shape arithmetic. */
const Onnx__TensorProto *fnet_const(const struct fnet *n, const Onnx__GraphProto *g,
				    const char *name);
/* fuse.c: LayerNorm and GELU as ONNX exporters spell them: 1 done, 0 not one, or an error. */
int fnet_fuse(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
	      const char *where, bool *skip);

/* Fold @nd if it is shape arithmetic: 1 folded, 0 not, or an error. */
int fnet_fold(struct fnet *n, const Onnx__GraphProto *g, const Onnx__NodeProto *nd,
	      const char *where);
void fnet_fold_free(struct fnet *n);

/* fnet.c: the model lowered, shapes inferred, buffers allocated. */
int fnet_build(struct fnet *n, const struct npu_onnx *m, char *err, size_t errlen);
void fnet_free(struct fnet *n);

/* A conv or FC's weights as the program holds them (import.c). */
struct fnet_qweights {
	uint32_t cout;
	size_t inner;		/* values per output channel: kh * kw * cin_g */
	int8_t *w8;		/* @cout x @inner, OHWI */
	float *scales;		/* per output channel (all equal per tensor) */
	int32_t *zero_points;	/* zeros: weights are symmetric */
	int32_t *b32;		/* the bias at S_in S_w (zeros without one) */
};

int fnet_qweights(const struct fnode *f, const struct npu_onnx_import_opts *o, float in_scale,
		  struct fnet_qweights *q);
void fnet_qweights_free(struct fnet_qweights *q);

/*
 * export.c: the quantization the import gave the net (@qp, the weights of
 * fnet_qweights()) written to @path as a QDQ ONNX model of @m.
 */
int fnet_export_qdq(struct fnet *n, const struct npu_onnx *m, const struct npu_qparams *qp,
		    const struct npu_onnx_import_opts *o, const char *path);

/* fnet_run.c: one image through the net, in float. */
void fnet_run(struct fnet *n, const float *in);

#endif /* NPU_ONNX_FNET_H */
