/**
 * The one table of shim symbols and the one loader. Every call that can fail is followed by
 * {@linkcode check} or {@linkcode checkStatus}, which turn the shim's last error into a
 * {@linkcode TorchError} naming the op.
 *
 * @module
 */

import { ensureShim, env, prepareShimSources } from "./build.ts";

// Loaded from JSR, the C++ sources live on the registry: fetch them once (a no-op in a checkout).
if (!import.meta.url.startsWith("file:")) await prepareShimSources();

/** A libtorch failure: carries libtorch's message (no C++ backtrace) and the op that failed. */
export class TorchError extends Error {
  /** The op that failed, e.g. `conv2d`. */
  readonly op: string;
  /**
   * See the parameters.
   *
   * @param op the op that failed
   * @param detail libtorch's message
   */
  constructor(op: string, detail: string) {
    super(`${op} failed: ${detail.trim()}`);
    this.name = "TorchError";
    this.op = op;
  }
}

const T = "pointer"; // tensor handle (at::Tensor*)
/** The shim's C ABI as Deno loads it; ffi/shim.h declares the same functions in C. */
export const symbols = {
  // errors, lifetime, runtime
  t_last_error: { parameters: [], result: "pointer" },
  t_set_backtrace: { parameters: ["i32" /* int enabled */], result: "void" },
  t_free: { parameters: [T], result: "void" },
  t_live_count: { parameters: [], result: "i64" },
  t_set_num_threads: { parameters: ["i32" /* int n */], result: "i32" },
  t_keep_freed_memory: { parameters: [], result: "i32" },
  t_get_num_threads: { parameters: [], result: "i32" },
  t_set_cudnn: {
    parameters: ["i32", /* deterministic, -1 unchanged */ "i32" /* benchmark */],
    result: "void",
  },
  t_cuda_is_available: { parameters: [], result: "i32" },
  t_cuda_device_count: { parameters: [], result: "i32" },
  t_grad_enabled: { parameters: [], result: "i32" },
  t_set_grad_enabled: { parameters: ["i32" /* int enabled */], result: "void" },
  // CPU autocast
  t_autocast_cpu_enter: {
    parameters: ["i32", /* enabled */ "i32", /* dtype code */ "buffer" /* int previous[2] */],
    result: "i32",
  },
  t_autocast_cpu_exit: { parameters: ["i32", /* enabled */ "i32" /* dtype code */], result: "i32" },
  // random numbers
  t_manual_seed: { parameters: ["u64" /* uint64_t seed */], result: "i32" },
  t_rng_get_state: { parameters: [], result: T },
  t_rng_set_state: { parameters: [T], result: "i32" },
  // creation: (const int64_t* dims, int ndims, ..., int dtype, int device_type, int device_index)
  t_from_data: {
    parameters: ["buffer", /* const void* data */ "i64", /* nbytes */ "buffer", "i32", "i32", "i32", "i32"],
    result: T,
  },
  t_empty: { parameters: ["buffer", "i32", "i32", "i32", "i32"], result: T },
  t_zeros: { parameters: ["buffer", "i32", "i32", "i32", "i32"], result: T },
  t_ones: { parameters: ["buffer", "i32", "i32", "i32", "i32"], result: T },
  t_full: { parameters: ["buffer", "i32", "f64", /* double value */ "i32", "i32", "i32"], result: T },
  t_randn: { parameters: ["buffer", "i32", "i32", "i32", "i32"], result: T },
  t_rand: { parameters: ["buffer", "i32", "i32", "i32", "i32"], result: T },
  t_randint: {
    parameters: ["i64", /* low */ "i64", /* high */ "buffer", "i32", "i32", "i32", "i32"],
    result: T,
  },
  t_randperm: { parameters: ["i64", /* n */ "i32", "i32", "i32"], result: T },
  t_arange: {
    parameters: ["f64", /* start */ "f64", /* end */ "f64", /* step */ "i32", "i32", "i32"],
    result: T,
  },
  // metadata and readback
  t_shape: { parameters: [T, "buffer", /* int64_t* out */ "i32" /* int capacity */], result: "i32" },
  t_dtype: { parameters: [T], result: "i32" },
  t_device_type: { parameters: [T], result: "i32" },
  t_device_index: { parameters: [T], result: "i32" },
  t_requires_grad: { parameters: [T], result: "i32" },
  t_has_grad: { parameters: [T], result: "i32" },
  t_is_contiguous_format: { parameters: [T, "i32" /* 0 contiguous, 1 channels_last */], result: "i32" },
  t_contiguous_format: { parameters: [T, "i32" /* 0 contiguous, 1 channels_last */], result: T },
  t_is_leaf: { parameters: [T], result: "i32" },
  t_numel: { parameters: [T], result: "i64" },
  t_copy_to_host: { parameters: [T, "buffer", /* void* out */ "i64" /* nbytes */], result: "i32" },
  t_item: { parameters: [T, "buffer" /* double* out */], result: "i32" },
  // conversion and views
  t_to: { parameters: [T, "i32", /* dtype */ "i32", /* device_type */ "i32" /* device_index */], result: T },
  t_shallow_clone: { parameters: [T], result: T },
  t_clone: { parameters: [T], result: T },
  t_detach: { parameters: [T], result: T },
  t_contiguous: { parameters: [T], result: T },
  t_reshape: { parameters: [T, "buffer", /* dims */ "i32"], result: T },
  t_view: { parameters: [T, "buffer", "i32"], result: T },
  t_permute: { parameters: [T, "buffer", "i32"], result: T },
  t_expand: { parameters: [T, "buffer", "i32"], result: T },
  t_transpose: { parameters: [T, "i64", "i64"], result: T },
  t_flatten: { parameters: [T, "i64", /* start */ "i64" /* end */], result: T },
  t_squeeze: { parameters: [T, "i64" /* dim */], result: T },
  t_unsqueeze: { parameters: [T, "i64" /* dim */], result: T },
  t_slice: {
    parameters: [T, "i64", /* dim */ "i64", /* start */ "i64", /* end */ "i64" /* step */],
    result: T,
  },
  t_select: { parameters: [T, "i64", /* dim */ "i64" /* index */], result: T },
  t_index_select: { parameters: [T, "i64", /* dim */ T /* index */], result: T },
  t_cat: { parameters: ["buffer", /* tensor* list */ "i32", /* count */ "i64" /* dim */], result: T },
  t_stack: { parameters: ["buffer", /* tensor* list */ "i32", /* count */ "i64" /* dim */], result: T },
  // elementwise arithmetic
  t_add: { parameters: [T, T, "f64" /* alpha */], result: T },
  t_sub: { parameters: [T, T, "f64" /* alpha */], result: T },
  t_mul: { parameters: [T, T], result: T },
  t_div: { parameters: [T, T], result: T },
  t_pow: { parameters: [T, T], result: T },
  t_maximum: { parameters: [T, T], result: T },
  t_minimum: { parameters: [T, T], result: T },
  t_add_scalar: { parameters: [T, "f64"], result: T },
  t_sub_scalar: { parameters: [T, "f64"], result: T },
  t_rsub_scalar: { parameters: [T, "f64"], result: T },
  t_mul_scalar: { parameters: [T, "f64"], result: T },
  t_div_scalar: { parameters: [T, "f64"], result: T },
  t_pow_scalar: { parameters: [T, "f64"], result: T },
  t_clamp: {
    parameters: [T, "f64", /* lo */ "f64", /* hi */ "i32", /* has_lo */ "i32" /* has_hi */],
    result: T,
  },
  t_where: { parameters: [T, /* cond */ T, T], result: T },
  t_compare: { parameters: [T, T, /* or NULL */ "f64", /* scalar */ "i32" /* op */], result: T },
  t_neg: { parameters: [T], result: T },
  t_abs: { parameters: [T], result: T },
  t_exp: { parameters: [T], result: T },
  t_log: { parameters: [T], result: T },
  t_sqrt: { parameters: [T], result: T },
  t_rsqrt: { parameters: [T], result: T },
  t_square: { parameters: [T], result: T },
  t_sign: { parameters: [T], result: T },
  t_isfinite: { parameters: [T], result: T },
  t_matmul: { parameters: [T, T], result: T },
  // reductions: (tensor, const int64_t* dims, int ndims, int keepdim)
  t_sum: { parameters: [T, "buffer", "i32", "i32"], result: T },
  t_mean: { parameters: [T, "buffer", "i32", "i32"], result: T },
  t_amax: { parameters: [T, "buffer", "i32", "i32"], result: T },
  t_amin: { parameters: [T, "buffer", "i32", "i32"], result: T },
  t_var: { parameters: [T, "buffer", "i32", "i32", /* unbiased */ "i32"], result: T },
  t_norm: { parameters: [T, "f64", /* p */ "buffer", "i32", "i32"], result: T },
  t_softmax: { parameters: [T, "i64" /* dim */], result: T },
  t_argmax: { parameters: [T, "i64", /* dim */ "i32" /* keepdim */], result: T },
  t_argmin: { parameters: [T, "i64", /* dim */ "i32" /* keepdim */], result: T },
  // in-place
  t_add_: { parameters: [T, T, "f64" /* alpha */], result: "i32" },
  t_add_scalar_: { parameters: [T, "f64"], result: "i32" },
  t_add_int_: { parameters: [T, "i64" /* int64_t value */], result: "i32" },
  t_mul_: { parameters: [T, T], result: "i32" },
  t_mul_scalar_: { parameters: [T, "f64"], result: "i32" },
  t_div_scalar_: { parameters: [T, "f64"], result: "i32" },
  t_addcmul_: { parameters: [T, T, T, "f64" /* value */], result: "i32" },
  t_addcdiv_: { parameters: [T, T, T, "f64" /* value */], result: "i32" },
  t_lerp_: { parameters: [T, T, "f64" /* weight */], result: "i32" },
  t_clamp_: { parameters: [T, "f64", "f64"], result: "i32" },
  t_copy_: { parameters: [T, /* dst */ T /* src */], result: "i32" },
  t_zero_: { parameters: [T], result: "i32" },
  t_fill_: { parameters: [T, "f64"], result: "i32" },
  t_normal_: { parameters: [T, "f64", /* mean */ "f64" /* std */], result: "i32" },
  t_uniform_: { parameters: [T, "f64", /* lo */ "f64" /* hi */], result: "i32" },
  // neural-network functionals; int64_t[2] buffers for stride, padding, dilation
  nn_conv2d: {
    parameters: [T, T, T, /* bias or NULL */ "buffer", "buffer", "buffer", "i64" /* groups */],
    result: T,
  },
  nn_conv_transpose2d: {
    parameters: [
      T,
      T,
      T, /* bias or NULL */
      "buffer",
      "buffer",
      "buffer", /* output_padding */
      "i64",
      "buffer",
    ],
    result: T,
  },
  nn_batch_norm: {
    parameters: [T, T, T, T, /* running_mean */ T, /* running_var */ "i32", /* training */ "f64", "f64"],
    result: T,
  },
  nn_layer_norm: { parameters: [T, "buffer", "i32", T, T, "f64" /* eps */], result: T },
  nn_linear: { parameters: [T, T, T /* bias or NULL */], result: T },
  nn_embedding: { parameters: [T, /* weight */ T /* indices */], result: T },
  nn_relu: { parameters: [T], result: T },
  nn_tanh: { parameters: [T], result: T },
  nn_sigmoid: { parameters: [T], result: T },
  nn_softplus: { parameters: [T], result: T },
  nn_leaky_relu: { parameters: [T, "f64" /* slope */], result: T },
  nn_dropout: { parameters: [T, "f64", /* p */ "i32" /* training */], result: T },
  nn_binary_cross_entropy: { parameters: [T, T, T, /* weight or NULL */ "i32" /* reduction */], result: T },
  nn_binary_cross_entropy_with_logits: { parameters: [T, T, T, T, "i32"], result: T },
  nn_mse_loss: { parameters: [T, T, "i32" /* reduction */], result: T },
  nn_set_fast_paths: { parameters: ["i32" /* int enabled */], result: "i32" },
  nn_fast_paths: { parameters: [], result: "i32" },
  nn_diff_augment: {
    parameters: [T, "i32", /* colour */ "i64", "i64", /* shift_h, shift_w */ "i64", "i64" /* cut_h, cut_w */],
    result: T,
  },
  // pooling, resizing, linear algebra: (x, int64_t kernel[2], stride[2], padding[2], [dilation[2],] ...)
  nn_max_pool2d: {
    parameters: [T, "buffer", "buffer", "buffer", "buffer", "i32" /* ceil_mode */],
    result: T,
  },
  nn_avg_pool2d: {
    parameters: [T, "buffer", "buffer", "buffer", "i32", /* ceil_mode */ "i32" /* count_include_pad */],
    result: T,
  },
  nn_adaptive_avg_pool2d: { parameters: [T, "buffer" /* int64_t output_size[2] */], result: T },
  nn_upsample_bilinear2d: {
    parameters: [T, "buffer", /* int64_t output_size[2] */ "i32" /* align_corners */],
    result: T,
  },
  t_linalg_eigh: { parameters: [T, "buffer" /* tensor out[2]: eigenvalues, eigenvectors */], result: "i32" },
  // autograd
  t_set_requires_grad: { parameters: [T, "i32"], result: "i32" },
  t_backward: {
    parameters: [T, T, /* grad or NULL */ "i32", /* retain_graph */ "i32" /* create_graph */],
    result: "i32",
  },
  t_grad: { parameters: [T], result: T },
  t_zero_grad: { parameters: [T], result: "i32" },
  t_autograd_grad: {
    parameters: [
      "buffer", /* outputs */
      "i32",
      "buffer", /* inputs */
      "i32",
      "buffer", /* out */
      "i32",
      "i32",
    ],
    result: "i32",
  },
  // optimizers
  optim_adam_step: {
    parameters: [
      "buffer", /* tensor* params */
      "buffer", /* tensor* exp_avgs */
      "buffer", /* tensor* exp_avg_sqs */
      "i32", /* count */
      "f64", /* lr */
      "f64", /* beta1 */
      "f64", /* beta2 */
      "f64", /* eps */
      "f64", /* weight_decay */
      "i64", /* step */
    ],
    result: "i32",
  },
  // distributed (dist.cpp): c10d's TCPStore and Gloo process group
  dist_available: { parameters: [], result: "i32" },
  dist_gloo_new: {
    parameters: [
      "buffer", /* const char* master_addr (NUL-terminated) */
      "i32", /* port */
      "i32", /* rank */
      "i32", /* world_size */
      "i64", /* timeout_ms */
      "buffer", /* const char* interface_name ("" for the host's address) */
    ],
    result: "pointer", /* dist_group */
  },
  dist_free: { parameters: ["pointer" /* dist_group */], result: "void" },
  dist_allreduce: {
    parameters: [
      "pointer",
      /* dist_group */ "buffer",
      /* tensor* tensors */ "i32",
      /* count */ "f64", /* scale */
    ],
    result: "i32",
  },
  dist_broadcast: {
    parameters: [
      "pointer",
      /* dist_group */ "buffer",
      /* tensor* tensors */ "i32",
      /* count */ "i32", /* root */
    ],
    result: "i32",
  },
  dist_batch_norm: {
    parameters: [
      "pointer", /* dist_group */
      T, /* x */
      T, /* weight or NULL */
      T, /* bias or NULL */
      T, /* running_mean or NULL */
      T, /* running_var or NULL */
      "f64", /* momentum */
      "f64", /* eps */
    ],
    result: T,
  },
  dist_barrier: { parameters: ["pointer" /* dist_group */], result: "i32" },
  // ffi/cuda.cpp: present only in a shim built against a CUDA libtorch (PyTorch >= 2.4); null elsewhere
  cuda_synchronize: { parameters: [], result: "i32", optional: true },
  cuda_graph_new: { parameters: [], result: "pointer", optional: true },
  cuda_graph_free: { parameters: ["pointer"], result: "void", optional: true },
  cuda_graph_capture_begin: { parameters: ["pointer"], result: "i32", optional: true },
  cuda_graph_capture_end: { parameters: ["pointer"], result: "i32", optional: true },
  cuda_graph_capture_abort: { parameters: ["pointer"], result: "i32", optional: true },
  cuda_graph_replay: { parameters: ["pointer"], result: "i32", optional: true },
  cuda_stream_enter: { parameters: [], result: "i32", optional: true },
  cuda_stream_exit: { parameters: [], result: "i32", optional: true },
  cuda_autocast_enter: {
    parameters: ["i32", /* enabled */ "i32", /* dtype code */ "buffer" /* int previous[2] */],
    result: "i32",
    optional: true,
  },
  cuda_autocast_exit: {
    parameters: ["i32", /* enabled */ "i32" /* dtype code */],
    result: "i32",
    optional: true,
  },
  cuda_rng_get_state: { parameters: [], result: T, optional: true },
  cuda_rng_set_state: { parameters: [T], result: "i32", optional: true },
  cuda_memory_stats: { parameters: ["buffer" /* int64_t out[3] */], result: "i32", optional: true },
  cuda_reset_peak_memory: { parameters: [], result: "i32", optional: true },
  optim_adam_step_capturable: {
    parameters: [
      "buffer", /* tensor* params */
      "buffer", /* tensor* exp_avgs */
      "buffer", /* tensor* exp_avg_sqs */
      "i32", /* count */
      T, /* lr: float32 scalar on the GPU */
      "f64", /* beta1 */
      "f64", /* beta2 */
      "f64", /* eps */
      "f64", /* weight_decay */
      T, /* step: float32 scalar on the GPU, incremented by the call */
    ],
    result: "i32",
    optional: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The shim's symbols, typed. */
export type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

let library: Deno.DynamicLibrary<typeof symbols> | undefined;

function open(): Deno.DynamicLibrary<typeof symbols> {
  const path = ensureShim();
  let lib: Deno.DynamicLibrary<typeof symbols>;
  try {
    lib = Deno.dlopen(path, symbols);
  } catch (error) {
    throw new Error(
      `Cannot load the libtorch shim "${path}": ${(error as Error).message}. ` +
        "Delete that file to rebuild it, or set DCGAN_SHIM to a shim built for this libtorch",
      { cause: error },
    );
  }
  const threads = Number(env("DCGAN_NUM_THREADS") ?? navigator.hardwareConcurrency);
  if (Number.isInteger(threads) && threads > 0) lib.symbols.t_set_num_threads(threads);
  // freed tensors' pages stay for the next step (shim.h); DCGAN_KEEP_FREED_MEMORY=0 leaves glibc's defaults
  if (env("DCGAN_KEEP_FREED_MEMORY") !== "0") lib.symbols.t_keep_freed_memory();
  if (env("DCGAN_TORCH_BACKTRACE") === "1") lib.symbols.t_set_backtrace(1);
  if (env("DCGAN_FAST_PATHS") === "0") lib.symbols.nn_set_fast_paths(0);
  return lib;
}

/**
 * The loaded shim's symbols; compiles and loads the shim on first use.
 *
 * @returns the symbol table
 * @example
 * ```ts
 * import { shim } from "./ffi.ts";
 * console.log(shim().t_live_count());
 * ```
 */
export function shim(): Symbols {
  library ??= open();
  return library.symbols;
}

/**
 * Reads the shim's last error message.
 *
 * @returns libtorch's message for the last failed call on this thread
 */
export function lastError(): string {
  const ptr = shim().t_last_error();
  return ptr === null ? "unknown error" : Deno.UnsafePointerView.getCString(ptr);
}

/**
 * Turns a NULL handle from a creating call into a {@linkcode TorchError}.
 *
 * @param op the op's name for the message
 * @param handle what the shim returned
 * @returns the handle, known non-null
 */
export function check(op: string, handle: Deno.PointerValue): Deno.PointerObject {
  if (handle === null) throw new TorchError(op, lastError());
  return handle;
}

/**
 * Turns a -1 status into a {@linkcode TorchError}.
 *
 * @param op the op's name for the message
 * @param status what the shim returned
 */
export function checkStatus(op: string, status: number): void {
  if (status < 0) throw new TorchError(op, lastError());
}
