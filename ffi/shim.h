// The whole C ABI of the @gan/dcgan libtorch shim, as tch-rs's torch_api.h: opaque tensor handles and
// flat functions, one prefix per family (t_ tensors, nn_ layers, optim_ optimizers, cuda_ device calls).
// Defined in shim.cpp, conv_fast.cpp (nn_set_fast_paths, nn_fast_paths), diff_augment.cpp
// (nn_diff_augment), dist.cpp (the dist_ c10d calls) and cuda.cpp (the CUDA-only block at the end);
// loaded by ffi/ffi.ts, whose symbol table tests/ffi/shim_header_test.ts holds to this file. The .cpp files include this header, so the compiler
// checks every definition against it.
//
// Errors: no C++ exception crosses the ABI. A creating call returns NULL on failure and a status call
// -1 (0 on success); t_last_error() then reads libtorch's message (per thread).
// Shapes: `const int64_t* dims, int ndims`. Codes: dtype 0 float32, 1 float64, 2 int64, 3 uint8, 4 bool,
// 5 bfloat16, 6 float16, 7 int32 (ops/dtype.ts); device type 0 CPU, 1 CUDA, with a device index.
// Every handle a call returns is owned by the caller: release it with t_free.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An owned reference to an at::Tensor; release with t_free. */
typedef void* tensor;

// ---- errors, lifetime, runtime ----
/** The calling thread's last error message (valid until its next failing call). */
const char* t_last_error(void);
/** 1 appends libtorch's C++ backtrace to error messages (DCGAN_TORCH_BACKTRACE=1); 0 leaves it out. */
void t_set_backtrace(int enabled);
/** Releases a handle; NULL is ignored. */
void t_free(tensor a);
/** Handles created and not yet freed, for leak tests. */
int64_t t_live_count(void);
int t_set_num_threads(int n);
int t_get_num_threads(void);
/**
 * Keeps freed memory in the process (glibc: no mmap'd blocks, no heap trimming), so that each step reuses
 * the last one's pages instead of faulting in fresh ones. 1 when applied, 0 where the C library is not glibc.
 */
int t_keep_freed_memory(void);
/** torch.backends.cudnn.deterministic and .benchmark; -1 leaves a flag as it is. */
void t_set_cudnn(int deterministic, int benchmark);
/** 1 when libtorch sees a CUDA device; never fails (0 on any error). */
int t_cuda_is_available(void);
int t_cuda_device_count(void);
int t_grad_enabled(void);
void t_set_grad_enabled(int enabled);

// ---- CPU autocast (torch.autocast("cpu", dtype, enabled)); dtype code 5 bfloat16, 6 float16 (libtorch >= 2.4) ----
/** Writes the replaced state to previous[0] (enabled) and previous[1] (dtype code). */
int t_autocast_cpu_enter(int enabled, int dtype, int* previous);
/** Leaves a region: pass enter's previous[0], previous[1]; the outermost exit clears the weight-cast cache. */
int t_autocast_cpu_exit(int enabled, int dtype);

// ---- random numbers (the default CPU generator) ----
int t_manual_seed(uint64_t seed);
tensor t_rng_get_state(void);
int t_rng_set_state(tensor state);

// ---- creation: (dims, ndims, ..., dtype, device_type, device_index) ----
/** A tensor holding a copy of `nbytes` bytes of host data (row-major); nbytes must match the shape. */
tensor t_from_data(const void* data, int64_t nbytes, const int64_t* dims, int ndims, int dtype, int device_type,
                   int device_index);
tensor t_empty(const int64_t* dims, int ndims, int dtype, int device_type, int device_index);
tensor t_zeros(const int64_t* dims, int ndims, int dtype, int device_type, int device_index);
tensor t_ones(const int64_t* dims, int ndims, int dtype, int device_type, int device_index);
tensor t_full(const int64_t* dims, int ndims, double value, int dtype, int device_type, int device_index);
tensor t_randn(const int64_t* dims, int ndims, int dtype, int device_type, int device_index);
tensor t_rand(const int64_t* dims, int ndims, int dtype, int device_type, int device_index);
tensor t_randint(int64_t low, int64_t high, const int64_t* dims, int ndims, int dtype, int device_type,
                 int device_index);
tensor t_randperm(int64_t n, int dtype, int device_type, int device_index);
tensor t_arange(double start, double end, double step, int dtype, int device_type, int device_index);

// ---- metadata and readback ----
/** Writes at most `capacity` sizes to out; returns the tensor's ndim (call again with more room if larger). */
int t_shape(tensor a, int64_t* out, int capacity);
/** The dtype code, -1 for a dtype without one. */
int t_dtype(tensor a);
int t_device_type(tensor a);
int t_device_index(tensor a);
int t_requires_grad(tensor a);
int t_has_grad(tensor a);
/** Memory format 0 contiguous (NCHW), 1 channels_last (NHWC strides, the same logical shape). */
int t_is_contiguous_format(tensor a, int format);
tensor t_contiguous_format(tensor a, int format);
int t_is_leaf(tensor a);
int64_t t_numel(tensor a);
/** Copies the tensor's elements (moved to the CPU, made contiguous) into out; nbytes must match. */
int t_copy_to_host(tensor a, void* out, int64_t nbytes);
/** A one-element tensor's value, widened to double. */
int t_item(tensor a, double* out);

// ---- conversion and views ----
/** device_type -1 keeps the tensor's device (a dtype-only conversion). */
tensor t_to(tensor a, int dtype, int device_type, int device_index);
/** A new handle to the same tensor (shares storage and autograd identity). */
tensor t_shallow_clone(tensor a);
tensor t_clone(tensor a);
tensor t_detach(tensor a);
tensor t_contiguous(tensor a);
tensor t_reshape(tensor a, const int64_t* dims, int ndims);
tensor t_view(tensor a, const int64_t* dims, int ndims);
tensor t_permute(tensor a, const int64_t* dims, int ndims);
tensor t_expand(tensor a, const int64_t* dims, int ndims);
tensor t_transpose(tensor a, int64_t d0, int64_t d1);
tensor t_flatten(tensor a, int64_t start, int64_t end);
tensor t_squeeze(tensor a, int64_t dim);
tensor t_unsqueeze(tensor a, int64_t dim);
tensor t_slice(tensor a, int64_t dim, int64_t start, int64_t end, int64_t step);
tensor t_select(tensor a, int64_t dim, int64_t index);
tensor t_index_select(tensor a, int64_t dim, tensor index);
/** torch.cat over `count` handles. */
tensor t_cat(tensor* list, int count, int64_t dim);
tensor t_stack(tensor* list, int count, int64_t dim);

// ---- elementwise arithmetic (broadcasting) ----
/** a + alpha * b */
tensor t_add(tensor a, tensor b, double alpha);
/** a - alpha * b */
tensor t_sub(tensor a, tensor b, double alpha);
tensor t_mul(tensor a, tensor b);
tensor t_div(tensor a, tensor b);
tensor t_pow(tensor a, tensor b);
tensor t_maximum(tensor a, tensor b);
tensor t_minimum(tensor a, tensor b);
tensor t_add_scalar(tensor a, double s);
tensor t_sub_scalar(tensor a, double s);
/** s - a */
tensor t_rsub_scalar(tensor a, double s);
tensor t_mul_scalar(tensor a, double s);
tensor t_div_scalar(tensor a, double s);
tensor t_pow_scalar(tensor a, double s);
/** A bound applies only where its has_ flag is nonzero. */
tensor t_clamp(tensor a, double lo, double hi, int has_lo, int has_hi);
tensor t_where(tensor cond, tensor a, tensor b);
/** op: 0 eq, 1 ne, 2 lt, 3 le, 4 gt, 5 ge; b may be NULL, then a is compared with the scalar s. */
tensor t_compare(tensor a, tensor b, double s, int op);
tensor t_neg(tensor a);
tensor t_abs(tensor a);
tensor t_exp(tensor a);
tensor t_log(tensor a);
tensor t_sqrt(tensor a);
tensor t_rsqrt(tensor a);
tensor t_square(tensor a);
tensor t_sign(tensor a);
tensor t_isfinite(tensor a);
tensor t_matmul(tensor a, tensor b);

// ---- reductions: ndims == 0 reduces over every element ----
tensor t_sum(tensor a, const int64_t* dims, int ndims, int keepdim);
tensor t_mean(tensor a, const int64_t* dims, int ndims, int keepdim);
tensor t_amax(tensor a, const int64_t* dims, int ndims, int keepdim);
tensor t_amin(tensor a, const int64_t* dims, int ndims, int keepdim);
tensor t_var(tensor a, const int64_t* dims, int ndims, int unbiased, int keepdim);
/** torch.norm(a, p, dims, keepdim) (at::norm, the call F.normalize makes). */
tensor t_norm(tensor a, double p, const int64_t* dims, int ndims, int keepdim);
/** F.softmax(a, dim) (at::softmax). */
tensor t_softmax(tensor a, int64_t dim);
tensor t_argmax(tensor a, int64_t dim, int keepdim);
tensor t_argmin(tensor a, int64_t dim, int keepdim);

// ---- in-place ops (what optimizers and initializers need); status calls ----
int t_add_(tensor a, tensor b, double alpha);
int t_add_scalar_(tensor a, double s);
/** An integer increment that keeps an int64 tensor int64 (a double scalar would promote it to float). */
int t_add_int_(tensor a, int64_t value);
int t_mul_(tensor a, tensor b);
int t_mul_scalar_(tensor a, double s);
int t_div_scalar_(tensor a, double s);
int t_addcmul_(tensor a, tensor b, tensor c, double value);
int t_addcdiv_(tensor a, tensor b, tensor c, double value);
int t_lerp_(tensor a, tensor b, double weight);
int t_clamp_(tensor a, double lo, double hi);
int t_copy_(tensor dst, tensor src);
int t_zero_(tensor a);
int t_fill_(tensor a, double value);
int t_normal_(tensor a, double mean, double std);
int t_uniform_(tensor a, double lo, double hi);

// ---- neural-network functionals: stride, padding, dilation, output_padding are int64_t[2] (h, w) ----
/** b (bias) may be NULL. */
tensor nn_conv2d(tensor x, tensor w, tensor b, const int64_t* stride, const int64_t* padding, const int64_t* dilation,
                 int64_t groups);
/** b may be NULL; through oneDNN where that applies (conv_fast.cpp). */
tensor nn_conv_transpose2d(tensor x, tensor w, tensor b, const int64_t* stride, const int64_t* padding,
                           const int64_t* output_padding, int64_t groups, const int64_t* dilation);
/** w, b, running_mean and running_var may be NULL. */
tensor nn_batch_norm(tensor x, tensor w, tensor b, tensor running_mean, tensor running_var, int training,
                     double momentum, double eps);
tensor nn_layer_norm(tensor x, const int64_t* dims, int ndims, tensor w, tensor b, double eps);
tensor nn_linear(tensor x, tensor w, tensor b);
tensor nn_embedding(tensor weight, tensor indices);
tensor nn_relu(tensor a);
tensor nn_tanh(tensor a);
tensor nn_sigmoid(tensor a);
tensor nn_softplus(tensor a);
tensor nn_leaky_relu(tensor a, double slope);
tensor nn_dropout(tensor a, double p, int training);
/** reduction: 0 none, 1 mean, 2 sum (at::Reduction's codes); weight may be NULL. */
tensor nn_binary_cross_entropy(tensor input, tensor target, tensor weight, int reduction);
tensor nn_binary_cross_entropy_with_logits(tensor input, tensor target, tensor weight, tensor pos_weight,
                                           int reduction);
tensor nn_mse_loss(tensor input, tensor target, int reduction);
/** 1 routes eligible ConvTranspose2d layers through oneDNN (the default), 0 keeps libtorch's kernels. */
int nn_set_fast_paths(int enabled);
int nn_fast_paths(void);
/**
 * DiffAugment's colour (when `colour`), translation by up to shift_h rows and shift_w columns, and a cut_h x cut_w
 * cutout, in that order, fused on the CPU (diff_augment.cpp); -1 leaves translation or cutout out. Draws as
 * tasks/gan/augment.ts does; differentiable, double backward included.
 */
tensor nn_diff_augment(tensor x, int colour, int64_t shift_h, int64_t shift_w, int64_t cut_h, int64_t cut_w);

// ---- pooling, resizing and linear algebra (Inception-v3 features, FID statistics) ----
tensor nn_max_pool2d(tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                     const int64_t* dilation, int ceil_mode);
tensor nn_avg_pool2d(tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, int ceil_mode,
                     int count_include_pad);
tensor nn_adaptive_avg_pool2d(tensor x, const int64_t* output_size);
/** F.interpolate(x, size, mode="bilinear", align_corners): no scale factors, no antialiasing. */
tensor nn_upsample_bilinear2d(tensor x, const int64_t* output_size, int align_corners);
/** torch.linalg.eigh(a, UPLO="L"): out[0] eigenvalues (ascending), out[1] eigenvectors, both new handles. */
int t_linalg_eigh(tensor a, tensor* out);

// ---- autograd ----
int t_set_requires_grad(tensor a, int requires);
/** grad may be NULL (a scalar's implicit 1). */
int t_backward(tensor a, tensor grad, int retain_graph, int create_graph);
/** NULL with an empty error when the gradient is undefined (PyTorch's `.grad is None`). */
tensor t_grad(tensor a);
int t_zero_grad(tensor a);
/** torch.autograd.grad(outputs, inputs, ones, create_graph): one new handle per input in out (NULL where
 * allow_unused left it undefined). */
int t_autograd_grad(tensor* outputs, int noutputs, tensor* inputs, int ninputs, tensor* out, int create_graph,
                    int allow_unused);

// ---- optimizers ----
/** One torch.optim.Adam step (single-tensor math) over `count` parameters; parameters without a gradient
 * are skipped. step is the step number after increment (1 for the first step). */
int optim_adam_step(tensor* params, tensor* exp_avgs, tensor* exp_avg_sqs, int count, double lr, double beta1,
                    double beta2, double eps, double weight_decay, int64_t step);

// ---- distributed (dist.cpp): c10d's TCPStore and Gloo process group, for data-parallel training ----
/** A c10d process group (TCPStore rendezvous + ProcessGroupGloo); release with dist_free. */
typedef void* dist_group;
/** 1 when the shim was compiled with c10d's Gloo headers; 0 when every dist_ call fails saying so. */
int dist_available(void);
/** Joins a group of world_size processes: rank 0 serves a TCPStore on master_addr:port, every rank
 * connects to it, then Gloo connects the ranks (over interface_name, or "" for the host's address).
 * Fails after timeout_ms when a rank is missing; the same timeout bounds every collective. */
dist_group dist_gloo_new(const char* master_addr, int port, int rank, int world_size, int64_t timeout_ms,
                         const char* interface_name);
/** Leaves the group; NULL is ignored. */
void dist_free(dist_group g);
/** Sums `count` tensors (one dtype and device) over the ranks in place, each first multiplied by
 * `scale` (1/world size gives DDP's average), as one flat bucket. */
int dist_allreduce(dist_group g, tensor* tensors, int count, double scale);
/** Copies rank `root`'s values of `count` tensors to every rank, in place, as one flat bucket. */
int dist_broadcast(dist_group g, tensor* tensors, int count, int root);
/** SyncBatchNorm's training forward over (N, C, ...) input: every rank normalizes with the statistics of the
 * whole world's batch (its per-channel sums all-reduced, and their gradients in backward), and updates the
 * running statistics (unbiased variance) by momentum; w, b, running_mean, running_var may be NULL. */
tensor dist_batch_norm(dist_group g, tensor x, tensor w, tensor b, tensor running_mean, tensor running_var,
                       double momentum, double eps);
/** Returns once every rank has called it (or fails at the group's timeout). */
int dist_barrier(dist_group g);

// ==== CUDA-only (cuda.cpp): present only in a shim built against a CUDA libtorch (PyTorch >= 2.4);
// ffi/ffi.ts loads them as optional (null elsewhere). ====

/** A captured CUDA graph (at::cuda::CUDAGraph and the state its capture changed); free with cuda_graph_free. */
typedef void* cuda_graph;

/** torch.cuda.synchronize(). */
int cuda_synchronize(void);

// ---- graphs: capture on a side stream, as torch.cuda.graph ----
cuda_graph cuda_graph_new(void);
void cuda_graph_free(cuda_graph g);
int cuda_graph_capture_begin(cuda_graph g);
int cuda_graph_capture_end(cuda_graph g);
/** Ends a capture that failed midway: drops the partial graph and restores the stream. */
int cuda_graph_capture_abort(cuda_graph g);
int cuda_graph_replay(cuda_graph g);

// ---- streams (warm-up iterations before a capture run on a side stream) ----
int cuda_stream_enter(void);
int cuda_stream_exit(void);

// ---- autocast (torch.autocast("cuda", dtype, enabled)); dtype code 5 bfloat16 or 6 float16 ----
/** Writes the replaced state to previous[0] (enabled) and previous[1] (dtype code). */
int cuda_autocast_enter(int enabled, int dtype, int* previous);
/** Leaves a region: pass enter's previous[0], previous[1]. */
int cuda_autocast_exit(int enabled, int dtype);

// ---- random numbers (the current GPU's default generator) ----
tensor cuda_rng_get_state(void);
int cuda_rng_set_state(tensor state);

// ---- memory ----
/** out[0] bytes allocated now, out[1] peak allocated since the last reset, out[2] bytes reserved. */
int cuda_memory_stats(int64_t* out);
int cuda_reset_peak_memory(void);

// ---- optimizers ----
/** torch.optim.Adam(fused=True, capturable=True) over `count` CUDA parameters that all have gradients: lr
 * and step are float32 scalars on the GPU; step is incremented here. */
int optim_adam_step_capturable(tensor* params, tensor* exp_avgs, tensor* exp_avg_sqs, int count, tensor lr,
                               double beta1, double beta2, double eps, double weight_decay, tensor step);

#ifdef __cplusplus
}
#endif
