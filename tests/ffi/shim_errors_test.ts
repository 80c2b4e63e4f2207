// No C++ exception ever ends the process: every shim entry that can fail is driven into a libtorch
// error (table-driven, one row per failure), and each row checks that the failure comes back as a
// NULL / -1 with libtorch's message in the last-error slot, surfaces as a TorchError naming the op
// (no C++ backtrace), leaks no handle, and that the process keeps working afterwards. The last test proves the table covers every entry of the shim's symbol table
// except an explicit allow-list of entries that cannot fail, each with its reason.
import assert from "node:assert/strict";
import { check, lastError, shim, type Symbols, TorchError } from "../../ffi/ffi.ts";
import * as t from "../../mod.ts";
import { linalgEigh } from "../../ops/linalg.ts";
import { fusedDiffAugment } from "../../ops/diff_augment.ts";
import { adaptiveAvgPool2d, avgPool2d, interpolate, maxPool2d } from "../../ops/pool.ts";
import { handles, int64s } from "../../ops/args.ts";
import { dtypeCode } from "../../ops/dtype.ts";
import { norm, softmax } from "../../ops/normalize.ts";
import type { Tensor } from "../../ops/tensor.ts";

type Entry = keyof Symbols;

/** Entries with no input that makes them fail; each says why. */
const CANNOT_FAIL: Partial<Record<Entry, string>> = {
  t_last_error: "reads the thread-local error slot",
  t_set_backtrace: "sets a flag",
  t_free: "deletes a handle; at::Tensor's destructor is noexcept",
  t_live_count: "reads an atomic counter",
  t_get_num_threads: "reads ATen's thread count",
  t_keep_freed_memory: "calls mallopt; answers 0 where the C library is not glibc",
  t_set_cudnn: "sets two flags of ATen's global context",
  t_autocast_cpu_exit: "restores CPU autocast's flag, dtype and nesting count",
  t_cuda_is_available: "its body catches everything and answers 0",
  t_cuda_device_count: "its body catches everything and answers 0",
  t_grad_enabled: "reads the thread-local grad mode",
  t_set_grad_enabled: "sets the thread-local grad mode",
  t_manual_seed: "every uint64 is a valid seed",
  t_rng_get_state: "copies the CPU generator's state, which always exists",
  t_shape: "a metadata read (the caller sizes the buffer)",
  t_dtype: "a metadata read (-1 is an unsupported dtype, not an error)",
  t_device_type: "a metadata read",
  t_device_index: "a metadata read (-1 is the CPU's index, not an error)",
  t_requires_grad: "a metadata read",
  t_has_grad: "a metadata read",
  t_is_contiguous_format: "a metadata read (false for a layout that does not apply)",
  t_is_leaf: "a metadata read",
  t_numel: "a metadata read",
  t_shallow_clone: "copies the handle (a refcount bump), no new storage",
  t_detach: "a view sharing storage, no allocation",
  t_grad: "reads the .grad field: a non-leaf only warns, an undefined grad is NULL with an empty message",
  t_zero_grad: "resets the .grad field",
  nn_set_fast_paths: "stores a flag and answers 0",
  nn_fast_paths: "reads a flag",
  dist_available: "answers a compile-time flag",
  dist_free: "deletes a group; anything its destructor throws is caught there",
};

/**
 * ffi/cuda.cpp's entries: absent (null) in a CPU shim, and driven on a GPU by tests/cuda_test.ts
 * (capture errors, the aborted capture, autocast, memory statistics, capturable Adam).
 */
const CUDA_ONLY: readonly Entry[] = [
  "cuda_synchronize",
  "cuda_graph_new",
  "cuda_graph_free",
  "cuda_graph_capture_begin",
  "cuda_graph_capture_end",
  "cuda_graph_capture_abort",
  "cuda_graph_replay",
  "cuda_stream_enter",
  "cuda_stream_exit",
  "cuda_autocast_enter",
  "cuda_autocast_exit",
  "cuda_rng_get_state",
  "cuda_rng_set_state",
  "cuda_memory_stats",
  "cuda_reset_peak_memory",
  "optim_adam_step_capturable",
];

/** A public call that must throw a TorchError naming `api`. */
interface PublicRow {
  entry: Entry;
  api: string;
  what: string;
  run: () => unknown;
  message: RegExp;
}

/** A raw shim call (no public wrapper reaches this failure) that must answer NULL or -1. */
interface RawRow {
  entry: Entry;
  raw: true;
  what: string;
  run: () => Deno.PointerValue | number;
  message: RegExp;
}

type Row = PublicRow | RawRow;

// A broadcast view of 2^60 elements: free to make, but any op that writes a result of its size
// must allocate 2^62 bytes, more than any address space, so the allocator throws (on every libtorch
// version and whatever the overcommit setting).
const HUGE = 2 ** 60;
const huge = () => t.ones([1]).expand([HUGE]);
const OOM = /can't allocate memory|not enough memory/;
const SHAPES =
  /The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0/;
const DIM = /Dimension out of range/;
const LEAF = /a leaf Variable that requires grad is being used in an in-place operation/;
// cuda:99 fails on a CPU-only build (no CUDA backend) and on a CUDA build (no such device) alike.
const CUDA = "cuda:99";
const NO_CUDA = /CUDA/;
const leaf = () => t.ones([3], { requiresGrad: true });
const bools = () => t.ones([2], { dtype: "bool" });
const longs = () => t.ones([2], { dtype: "int64" });

const CPU = [0, -1] as const;
const BAD_DEVICE = [7, 0] as const;
type DeviceCodes = readonly [number, number];
const one = () => int64s([1]);

/** Each factory entry with a given dtype code and device codes, through the raw symbol. */
const FACTORIES: Record<string, (dtype: number, device: DeviceCodes) => Deno.PointerValue> = {
  t_empty: (dtype, [dt, di]) => shim().t_empty(one(), 1, dtype, dt, di),
  t_zeros: (dtype, [dt, di]) => shim().t_zeros(one(), 1, dtype, dt, di),
  t_ones: (dtype, [dt, di]) => shim().t_ones(one(), 1, dtype, dt, di),
  t_full: (dtype, [dt, di]) => shim().t_full(one(), 1, 2.5, dtype, dt, di),
  t_randn: (dtype, [dt, di]) => shim().t_randn(one(), 1, dtype, dt, di),
  t_rand: (dtype, [dt, di]) => shim().t_rand(one(), 1, dtype, dt, di),
  t_randint: (dtype, [dt, di]) => shim().t_randint(0n, 5n, one(), 1, dtype, dt, di),
  t_randperm: (dtype, [dt, di]) => shim().t_randperm(3n, dtype, dt, di),
  t_arange: (dtype, [dt, di]) => shim().t_arange(0, 3, 1, dtype, dt, di),
  t_from_data: (dtype, [dt, di]) => shim().t_from_data(new Uint8Array(4), 4n, one(), 1, dtype, dt, di),
};

const BAD_CODES: Row[] = Object.entries(FACTORIES).flatMap(([entry, make]): Row[] => [
  {
    entry: entry as Entry,
    raw: true,
    what: "dtype code 99",
    run: () => make(99, CPU),
    message: /unknown dtype code 99/,
  },
  {
    entry: entry as Entry,
    raw: true,
    what: "device code 7",
    run: () => make(0, BAD_DEVICE),
    message: /unknown device code 7/,
  },
]);

const ROWS: Row[] = [
  // ---- runtime and random numbers ----
  {
    entry: "t_set_num_threads",
    raw: true,
    what: "0 threads (setNumThreads checks this first)",
    run: () => shim().t_set_num_threads(0),
    message: /Expected positive number of threads/,
  },
  {
    entry: "t_rng_set_state",
    api: "setRngState",
    what: "a float tensor",
    run: () => t.setRngState(t.ones([3])),
    message: /RNG state must be a torch\.ByteTensor/,
  },
  {
    entry: "t_rng_set_state",
    api: "setRngState",
    what: "a uint8 tensor of the wrong size",
    run: () => t.setRngState(t.zeros([3], { dtype: "uint8" })),
    message: /RNG state size to be 3/,
  },
  // ---- creation ----
  {
    entry: "t_from_data",
    api: "tensor",
    what: "a negative size",
    run: () => t.tensor(new Float32Array(0), { shape: [-1, 0] }),
    message: /negative dimension -1/,
  },
  {
    entry: "t_from_data",
    api: "tensor",
    what: "a CUDA device",
    run: () => t.tensor([1, 2], { device: CUDA }),
    message: NO_CUDA,
  },
  {
    entry: "t_from_data",
    raw: true,
    what: "4 bytes for 2 float32s",
    run: () => shim().t_from_data(new Uint8Array(4), 4n, int64s([2]), 1, 0, ...CPU),
    message: /data holds 4 bytes but the shape needs 8/,
  },
  {
    entry: "t_empty",
    api: "empty",
    what: "a negative size",
    run: () => t.empty([-1]),
    message: /negative dimension -1/,
  },
  {
    entry: "t_zeros",
    api: "zeros",
    what: "a negative size",
    run: () => t.zeros([2, -3]),
    message: /negative dimension -3|Dimension size must be non-negative/, // libtorch 1.13 | 2.x
  },
  {
    entry: "t_zeros",
    api: "zeros",
    what: "a CUDA device",
    run: () => t.zeros([1], { device: CUDA }),
    message: NO_CUDA,
  },
  {
    entry: "t_ones",
    api: "ones",
    what: "a CUDA device",
    run: () => t.ones([1], { device: CUDA }),
    message: NO_CUDA,
  },
  {
    entry: "t_full",
    api: "full",
    what: "a negative size",
    run: () => t.full([-2], 1),
    message: /negative dimension/,
  },
  {
    entry: "t_randn",
    api: "randn",
    what: "a negative size",
    run: () => t.randn([-1]),
    message: /negative dimension/,
  },
  {
    entry: "t_randn",
    api: "randn",
    what: "an integer dtype",
    run: () => t.randn([2], { dtype: "int64" }),
    message: /not implemented for 'Long'/,
  },
  {
    entry: "t_rand",
    api: "rand",
    what: "a negative size",
    run: () => t.rand([-1]),
    message: /negative dimension/,
  },
  {
    entry: "t_randint",
    api: "randint",
    what: "low above high",
    run: () => t.randint(5, 2, [3]),
    message: /expects 'from' to be less than 'to'/,
  },
  {
    entry: "t_randperm",
    api: "randperm",
    what: "n = -1",
    run: () => t.randperm(-1),
    message: /negative dimension/,
  },
  {
    entry: "t_arange",
    api: "arange",
    what: "step 0",
    run: () => t.arange(0, 10, { step: 0 }),
    message: /step must be nonzero/,
  },
  {
    entry: "t_arange",
    api: "arange",
    what: "a step of the wrong sign",
    run: () => t.arange(0, 10, { step: -1 }),
    message: /inconsistent with step sign/,
  },
  ...BAD_CODES,
  // ---- readback ----
  {
    entry: "t_copy_to_host",
    raw: true,
    what: "a 4-byte buffer for 8 bytes",
    run: () => shim().t_copy_to_host(t.ones([2]).handle, new Uint8Array(4), 4n),
    message: /buffer holds 4 bytes but the tensor has 8/,
  },
  {
    entry: "t_item",
    api: "item",
    what: "two elements",
    run: () => t.ones([2]).item(),
    message: /a Tensor with 2 elements cannot be converted to Scalar/,
  },
  // ---- conversion and views ----
  { entry: "t_to", api: "to", what: "a CUDA device", run: () => t.ones([1]).to(CUDA), message: NO_CUDA },
  {
    entry: "t_to",
    api: "to",
    what: "a 2^62-byte result",
    run: () => huge().to("float16"),
    message: OOM,
  },
  {
    entry: "t_to",
    raw: true,
    what: "dtype code 99",
    run: () => shim().t_to(t.ones([1]).handle, 99, ...CPU),
    message: /unknown dtype code 99/,
  },
  {
    entry: "t_to",
    raw: true,
    what: "device code 7",
    run: () => shim().t_to(t.ones([1]).handle, 0, ...BAD_DEVICE),
    message: /unknown device code 7/,
  },
  { entry: "t_clone", api: "clone", what: "a 2^62-byte copy", run: () => huge().clone(), message: OOM },
  {
    entry: "t_contiguous",
    api: "contiguous",
    what: "a 2^62-byte copy",
    run: () => huge().contiguous(),
    message: OOM,
  },
  {
    entry: "t_contiguous_format",
    api: "contiguous",
    what: "channels_last on a 1-d tensor",
    run: () => t.ones([3]).contiguous("channels_last"),
    message: /rank 4|channels_last|ChannelsLast/i,
  },
  {
    entry: "t_reshape",
    api: "reshape",
    what: "6 elements into [4, -1]",
    run: () => t.ones([6]).reshape([4, -1]),
    message: /shape '\[4, -1\]' is invalid for input of size 6/,
  },
  {
    entry: "t_view",
    api: "view",
    what: "6 elements into [4, 2]",
    run: () => t.ones([2, 3]).view([4, 2]),
    message: /invalid for input of size 6/,
  },
  {
    entry: "t_view",
    api: "view",
    what: "a transposed tensor",
    run: () => t.ones([2, 3]).transpose(0, 1).view([6]),
    message: /view size is not compatible with input tensor's size and stride/,
  },
  {
    entry: "t_permute",
    api: "permute",
    what: "a repeated dim",
    run: () => t.ones([2, 3]).permute([0, 0]),
    message: /duplicate dims|repeated dim/,
  },
  {
    entry: "t_expand",
    api: "expand",
    what: "[3] to [2]",
    run: () => t.ones([3]).expand([2]),
    message: /expanded size of the tensor \(2\) must match the existing size \(3\)/,
  },
  {
    entry: "t_transpose",
    api: "transpose",
    what: "dim 3 of 1",
    run: () => t.ones([2]).transpose(0, 3),
    message: DIM,
  },
  {
    entry: "t_flatten",
    api: "flatten",
    what: "start after end",
    run: () => t.ones([2, 3]).flatten(1, 0),
    message: /start_dim cannot come after end_dim/,
  },
  { entry: "t_squeeze", api: "squeeze", what: "dim 3 of 1", run: () => t.ones([2]).squeeze(3), message: DIM },
  {
    entry: "t_unsqueeze",
    api: "unsqueeze",
    what: "dim 3 of 1",
    run: () => t.ones([2]).unsqueeze(3),
    message: DIM,
  },
  {
    entry: "t_slice",
    api: "slice",
    what: "step 0",
    run: () => t.ones([3]).slice(0, 0, 3, 0),
    message: /slice step must be positive/,
  },
  { entry: "t_slice", api: "slice", what: "dim 2 of 1", run: () => t.ones([3]).slice(2), message: DIM },
  {
    entry: "t_select",
    api: "select",
    what: "index 5 of 3",
    run: () => t.ones([3]).select(0, 5),
    message: /index 5 out of range/,
  },
  {
    entry: "t_index_select",
    api: "indexSelect",
    what: "float indices",
    run: () => t.ones([3]).indexSelect(0, t.ones([1])),
    message: /Expected dtype int32 or int64 for index/,
  },
  {
    entry: "t_index_select",
    api: "indexSelect",
    what: "index 7 of 3",
    run: () => t.ones([3]).indexSelect(0, t.tensor([7], { dtype: "int64" })),
    message: /index out of range in self/,
  },
  {
    entry: "t_cat",
    api: "cat",
    what: "mismatched sizes",
    run: () => t.cat([t.ones([2, 3]), t.ones([2, 4])]),
    message: /Sizes of tensors must match except in dimension 0/,
  },
  {
    entry: "t_cat",
    api: "cat",
    what: "an empty list",
    run: () => t.cat([]),
    message: /expected a non-empty list of Tensors/,
  },
  {
    entry: "t_stack",
    api: "stack",
    what: "mismatched sizes",
    run: () => t.stack([t.ones([2]), t.ones([3])]),
    message: /stack expects each tensor to be equal size/,
  },
  // ---- elementwise ----
  {
    entry: "t_add",
    api: "add",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).add(t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_sub",
    api: "sub",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).sub(t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_sub",
    api: "sub",
    what: "two bool tensors",
    run: () => bools().sub(bools()),
    message: /Subtraction, the `-` operator, with two bool tensors is not supported/,
  },
  {
    entry: "t_mul",
    api: "mul",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).mul(t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_div",
    api: "div",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).div(t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_pow",
    api: "pow",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).pow(t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_maximum",
    api: "maximum",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).maximum(t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_minimum",
    api: "minimum",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).minimum(t.ones([3])),
    message: SHAPES,
  },
  { entry: "t_add_scalar", api: "add", what: "a 2^62-byte result", run: () => huge().add(1), message: OOM },
  {
    entry: "t_sub_scalar",
    api: "sub",
    what: "a bool tensor",
    run: () => bools().sub(1.5),
    message: /Subtraction, the `-` operator, with a bool tensor is not supported/,
  },
  {
    entry: "t_rsub_scalar",
    api: "rsub",
    what: "a bool tensor",
    run: () => bools().rsub(1.5),
    message: /Subtraction, the `-` operator, with a bool tensor is not supported/,
  },
  { entry: "t_mul_scalar", api: "mul", what: "a 2^62-byte result", run: () => huge().mul(2), message: OOM },
  { entry: "t_div_scalar", api: "div", what: "a 2^62-byte result", run: () => huge().div(2), message: OOM },
  { entry: "t_pow_scalar", api: "pow", what: "a 2^62-byte result", run: () => huge().pow(3), message: OOM },
  {
    entry: "t_clamp",
    api: "clamp",
    what: "no bounds",
    run: () => t.ones([3]).clamp(),
    message: /At least one of 'min' or 'max' must not be None/,
  },
  {
    entry: "t_where",
    api: "where",
    what: "a float condition",
    run: () => t.where(t.ones([3]), t.ones([3]), t.ones([3])),
    message: /where expected condition to be a boolean tensor/,
  },
  {
    entry: "t_compare",
    api: "lt",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).lt(t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_compare",
    raw: true,
    what: "comparison code 9",
    run: () => shim().t_compare(t.ones([2]).handle, null, 0, 9),
    message: /unknown comparison code 9/,
  },
  {
    entry: "t_neg",
    api: "neg",
    what: "a bool tensor",
    run: () => bools().neg(),
    message: /Negation, the `-` operator, on a bool tensor is not supported/,
  },
  { entry: "t_abs", api: "abs", what: "a 2^62-byte result", run: () => huge().abs(), message: OOM },
  { entry: "t_exp", api: "exp", what: "a 2^62-byte result", run: () => huge().exp(), message: OOM },
  { entry: "t_log", api: "log", what: "a 2^62-byte result", run: () => huge().log(), message: OOM },
  { entry: "t_sqrt", api: "sqrt", what: "a 2^62-byte result", run: () => huge().sqrt(), message: OOM },
  { entry: "t_rsqrt", api: "rsqrt", what: "a 2^62-byte result", run: () => huge().rsqrt(), message: OOM },
  { entry: "t_square", api: "square", what: "a 2^62-byte result", run: () => huge().square(), message: OOM },
  { entry: "t_sign", api: "sign", what: "a 2^62-byte result", run: () => huge().sign(), message: OOM },
  {
    entry: "t_isfinite",
    api: "isfinite",
    what: "a 2^62-byte result",
    run: () => huge().isfinite(),
    message: OOM,
  },
  {
    entry: "t_matmul",
    api: "matmul",
    what: "[2, 3] @ [2, 3]",
    run: () => t.ones([2, 3]).matmul(t.ones([2, 3])),
    message: /cannot be multiplied/,
  },
  // ---- reductions ----
  { entry: "t_sum", api: "sum", what: "dim 3 of 1", run: () => t.ones([2]).sum(3), message: DIM },
  {
    entry: "t_mean",
    api: "mean",
    what: "an int64 tensor",
    run: () => longs().mean(),
    message: /mean\(\): could not infer output dtype/,
  },
  { entry: "t_mean", api: "mean", what: "dim 3 of 1", run: () => t.ones([2]).mean(3), message: DIM },
  {
    entry: "t_amax",
    api: "amax",
    what: "max() of no elements",
    run: () => t.ones([0]).max(),
    message: /Expected reduction dim to be specified for input\.numel\(\) == 0/,
  },
  { entry: "t_amax", api: "amax", what: "dim 3 of 1", run: () => t.ones([2]).amax(3), message: DIM },
  { entry: "t_amin", api: "amin", what: "dim 3 of 1", run: () => t.ones([2]).amin(3), message: DIM },
  {
    entry: "t_var",
    api: "var",
    what: "an int64 tensor",
    run: () => longs().var(),
    message: /std and var only support floating point/,
  },
  { entry: "t_var", api: "var", what: "dim 4 of 1", run: () => t.ones([3]).var(4), message: DIM },
  { entry: "t_argmax", api: "argmax", what: "dim 3 of 1", run: () => t.ones([2]).argmax(3), message: DIM },
  {
    entry: "t_norm",
    api: "norm",
    what: "dim 3 of 1",
    run: () => norm(t.ones([2]), 2, { dim: 3 }),
    message: DIM,
  },
  {
    entry: "t_softmax",
    api: "softmax",
    what: "dim 3 of 1",
    run: () => softmax(t.ones([2]), 3),
    message: DIM,
  },
  {
    entry: "t_autocast_cpu_enter",
    raw: true,
    what: "dtype float32",
    run: () => shim().t_autocast_cpu_enter(1, dtypeCode("float32"), new Int32Array(2)),
    message: /autocast dtype must be bfloat16 or float16/,
  },
  { entry: "t_argmin", api: "argmin", what: "dim 3 of 1", run: () => t.ones([2]).argmin(3), message: DIM },
  // ---- in-place ----
  {
    entry: "t_add_",
    api: "add_",
    what: "a leaf requiring grad",
    run: () => leaf().add_(t.ones([3])),
    message: LEAF,
  },
  {
    entry: "t_add_",
    api: "add_",
    what: "a result that does not fit",
    run: () => t.ones([3]).add_(t.ones([2, 3])),
    message: /output with shape \[3\] doesn't match the broadcast shape \[2, 3\]/,
  },
  {
    entry: "t_add_scalar_",
    api: "add_",
    what: "1.5 into an int64 tensor",
    run: () => longs().add_(1.5),
    message: /result type Float can't be cast to the desired output type Long/,
  },
  {
    entry: "t_add_int_",
    raw: true,
    what: "a leaf requiring grad",
    run: () => shim().t_add_int_(leaf().handle, 1n),
    message: LEAF,
  },
  {
    entry: "t_mul_",
    api: "mul_",
    what: "a leaf requiring grad",
    run: () => leaf().mul_(t.ones([3])),
    message: LEAF,
  },
  {
    entry: "t_mul_scalar_",
    api: "mul_",
    what: "a leaf requiring grad",
    run: () => leaf().mul_(2),
    message: LEAF,
  },
  {
    entry: "t_div_scalar_",
    api: "div_",
    what: "an int64 tensor",
    run: () => longs().div_(2),
    message: /result type Float can't be cast to the desired output type Long/,
  },
  {
    entry: "t_addcmul_",
    api: "addcmul_",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).addcmul_(t.ones([3]), t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_addcdiv_",
    api: "addcdiv_",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).addcdiv_(t.ones([3]), t.ones([3])),
    message: SHAPES,
  },
  {
    entry: "t_lerp_",
    api: "lerp_",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).lerp_(t.ones([3]), 0.5),
    message: SHAPES,
  },
  {
    entry: "t_clamp_",
    api: "clamp_",
    what: "a leaf requiring grad",
    run: () => leaf().clamp_(0, 1),
    message: LEAF,
  },
  {
    entry: "t_copy_",
    api: "copy_",
    what: "shapes [2] and [3]",
    run: () => t.ones([2]).copy_(t.ones([3])),
    message: SHAPES,
  },
  { entry: "t_zero_", api: "zero_", what: "a leaf requiring grad", run: () => leaf().zero_(), message: LEAF },
  {
    entry: "t_fill_",
    api: "fill_",
    what: "a leaf requiring grad",
    run: () => leaf().fill_(2),
    message: LEAF,
  },
  {
    entry: "t_normal_",
    api: "normal_",
    what: "std -1",
    run: () => t.ones([3]).normal_(0, -1),
    message: /normal expects std >= 0\.0/,
  },
  {
    entry: "t_uniform_",
    api: "uniform_",
    what: "low above high",
    run: () => t.ones([3]).uniform_(1, 0),
    message: /expects to return a \[from, to\) range, but found from=1 > to=0/,
  },
  // ---- neural-network functionals ----
  {
    entry: "nn_conv2d",
    api: "conv2d",
    what: "an int64 input",
    run: () => t.conv2d(t.ones([1, 1, 4, 4], { dtype: "int64" }), t.ones([1, 1, 3, 3])),
    message: /expected scalar type Long but found Float/,
  },
  {
    entry: "nn_conv2d",
    api: "conv2d",
    what: "3 channels into a 2-channel weight",
    run: () => t.conv2d(t.ones([1, 3, 8, 8]), t.ones([4, 2, 3, 3])),
    message: /expected input\[1, 3, 8, 8\] to have 2 channels/,
  },
  {
    entry: "nn_conv2d",
    api: "conv2d",
    what: "stride 0",
    run: () => t.conv2d(t.ones([1, 1, 4, 4]), t.ones([1, 1, 3, 3]), undefined, { stride: 0 }),
    message: /non-positive stride is not supported/,
  },
  {
    entry: "nn_conv_transpose2d",
    api: "convTranspose2d",
    what: "3 channels into a 2-in-channel weight",
    run: () => t.convTranspose2d(t.ones([1, 3, 4, 4]), t.ones([2, 3, 4, 4])),
    message: /channels|weight|input/,
  },
  {
    entry: "nn_conv_transpose2d",
    api: "convTranspose2d",
    what: "padding -1",
    run: () => t.convTranspose2d(t.ones([1, 1, 4, 4]), t.ones([1, 1, 3, 3]), undefined, { padding: -1 }),
    message: /negative padding is not supported/,
  },
  {
    entry: "nn_batch_norm",
    api: "batchNorm",
    what: "4 running means for 3 channels",
    run: () => t.batchNorm(t.ones([2, 3, 2, 2]), t.zeros([4]), t.ones([4])),
    message: /running_mean should contain 3 elements not 4/,
  },
  {
    entry: "nn_layer_norm",
    api: "layerNorm",
    what: "normalized shape [5] of [2, 3]",
    run: () => t.layerNorm(t.ones([2, 3]), [5]),
    message: /Given normalized_shape=\[5\], expected input with shape \[\*, 5\]/,
  },
  {
    entry: "nn_linear",
    api: "linear",
    what: "3 features into a [4, 5] weight",
    run: () => t.linear(t.ones([2, 3]), t.ones([4, 5])),
    message: /mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)/,
  },
  {
    entry: "nn_embedding",
    api: "embedding",
    what: "float indices",
    run: () => t.embedding(t.ones([2]), t.ones([4, 5])),
    message: /'indices' to have one of the following scalar types: Long, Int/,
  },
  {
    entry: "nn_embedding",
    api: "embedding",
    what: "index 9 of 4",
    run: () => t.embedding(t.tensor([9], { dtype: "int64" }), t.ones([4, 5])),
    message: /index out of range in self/,
  },
  {
    entry: "nn_relu",
    api: "relu",
    what: "a bool tensor",
    run: () => t.relu(bools()),
    message: /Boolean inputs not supported for relu/,
  },
  { entry: "nn_tanh", api: "tanh", what: "a 2^62-byte result", run: () => t.tanh(huge()), message: OOM },
  {
    entry: "nn_sigmoid",
    api: "sigmoid",
    what: "a 2^62-byte result",
    run: () => t.sigmoid(huge()),
    message: OOM,
  },
  {
    entry: "nn_softplus",
    api: "softplus",
    what: "a 2^62-byte result",
    run: () => t.softplus(huge()),
    message: OOM,
  },
  {
    entry: "nn_leaky_relu",
    api: "leakyRelu",
    what: "a 2^62-byte result",
    run: () => t.leakyRelu(huge(), 0.2),
    message: OOM,
  },
  {
    entry: "nn_dropout",
    raw: true,
    what: "p = 1.5 (dropout() checks this first)",
    run: () => shim().nn_dropout(t.ones([3]).handle, 1.5, 1),
    message: /dropout probability has to be between 0 and 1, but got 1\.5/,
  },
  {
    entry: "nn_binary_cross_entropy",
    api: "binaryCrossEntropy",
    what: "an input of 2",
    run: () => t.binaryCrossEntropy(t.full([3], 2), t.ones([3])),
    message: /between 0 and 1/,
  },
  {
    entry: "nn_binary_cross_entropy",
    api: "binaryCrossEntropy",
    what: "3 inputs and 4 targets",
    run: () => t.binaryCrossEntropy(t.full([3], 0.5), t.ones([4])),
    message: /size of tensor a \(3\) must match the size of tensor b \(4\)|different to the input size/,
  },
  {
    entry: "nn_binary_cross_entropy_with_logits",
    api: "binaryCrossEntropyWithLogits",
    what: "3 inputs and 4 targets",
    run: () => t.binaryCrossEntropyWithLogits(t.ones([3]), t.ones([4])),
    message: /size of tensor a \(4\) must match the size of tensor b \(3\)|Target size/,
  },
  {
    entry: "nn_mse_loss",
    api: "mseLoss",
    what: "3 inputs and 4 targets",
    run: () => t.mseLoss(t.ones([3]), t.ones([4])),
    message: /size of tensor a \(3\) must match the size of tensor b \(4\)/,
  },
  {
    entry: "nn_mse_loss",
    raw: true,
    what: "reduction code 7",
    run: () => shim().nn_mse_loss(t.ones([3]).handle, t.ones([3]).handle, 7),
    message: /reduction == Reduction::Mean \|\| reduction == Reduction::Sum/,
  },
  {
    entry: "nn_diff_augment",
    api: "fusedDiffAugment",
    what: "3-d images",
    run: () => fusedDiffAugment(t.ones([3, 8, 8]), { colour: true }),
    message: /diff_augment takes \(N, C, H, W\) images, got 3 dimensions/,
  },
  {
    entry: "nn_diff_augment",
    api: "fusedDiffAugment",
    what: "int64 images",
    run: () => fusedDiffAugment(t.ones([1, 3, 8, 8], { dtype: "int64" }), { colour: false, shift: [1, 1] }),
    message: /"diff_augment" not implemented for 'Long'/,
  },
  // ---- pooling, resizing, linear algebra ----
  {
    entry: "nn_max_pool2d",
    api: "maxPool2d",
    what: "kernel 0",
    run: () => maxPool2d(t.ones([1, 1, 4, 4]), 0, { stride: 1 }),
    message: /kernel size should be greater than zero/,
  },
  {
    entry: "nn_avg_pool2d",
    api: "avgPool2d",
    what: "padding above half the kernel",
    run: () => avgPool2d(t.ones([1, 1, 4, 4]), 2, { padding: 2 }),
    message: /pad should be at most half of (effective )?kernel size/,
  },
  {
    entry: "nn_adaptive_avg_pool2d",
    api: "adaptiveAvgPool2d",
    what: "a 1-D input",
    run: () => adaptiveAvgPool2d(t.ones([3]), 1),
    message: /Dimension out of range|Expected 3D or 4D/,
  },
  {
    entry: "nn_upsample_bilinear2d",
    api: "interpolate",
    what: "output size 0",
    run: () => interpolate(t.ones([1, 1, 4, 4]), { size: 0, mode: "bilinear" }),
    message: /Input and output sizes should be greater than 0/,
  },
  {
    entry: "t_linalg_eigh",
    api: "linalgEigh",
    what: "a 2x3 matrix",
    run: () => linalgEigh(t.ones([2, 3])),
    message: /A must be batches of square matrices, but they are 2 by 3 matrices/,
  },
  // ---- autograd ----
  {
    entry: "t_set_requires_grad",
    api: "requiresGrad_",
    what: "an int64 tensor",
    run: () => longs().requiresGrad_(),
    message: /Only Tensors of floating point and complex dtype can require gradients/,
  },
  {
    entry: "t_backward",
    api: "backward",
    what: "a tensor without grad_fn",
    run: () => t.ones([2]).sum().backward(),
    message: /does not require grad and does not have a grad_fn/,
  },
  {
    entry: "t_backward",
    api: "backward",
    what: "a second backward without retainGraph",
    run: () => {
      const loss = leaf().mul(leaf()).sum();
      loss.backward();
      loss.backward();
    },
    message: /Trying to backward through the graph a second time/,
  },
  {
    entry: "t_backward",
    api: "backward",
    what: "a second backward through the oneDNN convTranspose2d path",
    run: () => {
      const x = t.randn([1, 2, 3, 3], { requiresGrad: true });
      const w = t.randn([2, 3, 4, 4], { requiresGrad: true });
      const loss = t.convTranspose2d(x, w, undefined, { stride: 2, padding: 1 }).sum();
      loss.backward();
      loss.backward();
    },
    message: /Trying to backward through the graph a second time/,
  },
  {
    entry: "t_backward",
    api: "backward",
    what: "a gradient of shape [5] for [3]",
    run: () => leaf().mul(2).backward(t.ones([5])),
    message: /got \[5\] but expected shape compatible with \[3\]/,
  },
  {
    entry: "t_autograd_grad",
    api: "grad",
    what: "an input the output does not use",
    run: () => t.grad([leaf().mul(2).sum()], [leaf()]),
    message: /(One|element 0) ?of the differentiated Tensors appears to not have been used in the graph/,
  },
  {
    entry: "t_autograd_grad",
    api: "grad",
    what: "an output without grad_fn",
    run: () => t.grad([t.ones([3])], [leaf()]),
    message: /element 0 of tensors does not require grad and does not have a grad_fn/,
  },
  // ---- optimizers ----
  {
    entry: "optim_adam_step",
    raw: true,
    what: "moments of shape [2] for a parameter of shape [3] (Adam never builds these)",
    run: () => {
      const param = leaf();
      param.mul(2).sum().backward();
      const moments = [t.zeros([2])];
      return shim().optim_adam_step(
        handles([param]),
        handles(moments),
        handles([t.zeros([2])]),
        1,
        1e-3,
        0.9,
        0.999,
        1e-8,
        0,
        1n,
      );
    },
    message: /The size of tensor a \(2\) must match the size of tensor b \(3\)/,
  },
  // ---- distributed (c10d): a world of one needs no peer ----
  {
    entry: "dist_gloo_new",
    raw: true,
    what: "a port another socket holds",
    run: () => {
      using listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
      const { port } = listener.addr as Deno.NetAddr;
      const address = new TextEncoder().encode("127.0.0.1\0");
      return shim().dist_gloo_new(address, port, 0, 1, 5000n, new Uint8Array(1));
    },
    message: /Address already in use|without c10d's Gloo headers/,
  },
  {
    entry: "dist_batch_norm",
    raw: true,
    what: "a NULL group",
    run: () => shim().dist_batch_norm(null, t.ones([2, 3, 4]).handle, null, null, null, null, 0.1, 1e-5),
    message: /no process group \(NULL handle\)|without c10d's Gloo headers/,
  },
  {
    entry: "dist_gloo_new",
    raw: true,
    what: "a world of 0 processes",
    run: () =>
      shim().dist_gloo_new(new TextEncoder().encode("127.0.0.1\0"), 29500, 0, 0, 1000n, new Uint8Array(1)),
    message: /world size must be at least 1|without c10d's Gloo headers/,
  },
  ...(["dist_allreduce", "dist_broadcast", "dist_barrier"] as const).map((entry): Row => ({
    entry,
    raw: true,
    what: "a NULL group",
    run: () =>
      entry === "dist_barrier"
        ? shim().dist_barrier(null)
        : entry === "dist_allreduce"
        ? shim().dist_allreduce(null, handles([t.ones([1])]), 1, 1)
        : shim().dist_broadcast(null, handles([t.ones([1])]), 1, 0),
    message: /no process group \(NULL handle\)|without c10d's Gloo headers/,
  })),
];

/** Errors raised in TypeScript before any shim call, with their documented types. */
const GUARDS: { what: string; run: () => unknown; type: new (message?: string) => Error }[] = [
  { what: "setNumThreads(0)", run: () => t.setNumThreads(0), type: RangeError },
  { what: "manualSeed(-1)", run: () => t.manualSeed(-1), type: RangeError },
  { what: "dropout(x, 1.5)", run: () => t.dropout(t.ones([3]), 1.5), type: RangeError },
  { what: "zeros([2.5])", run: () => t.zeros([2.5]), type: TypeError },
  {
    what: "tensor() of 5 values for [2, 3]",
    run: () => t.tensor(new Float32Array(5), { shape: [2, 3] }),
    type: TypeError,
  },
  { what: "an unknown dtype", run: () => t.ones([1], { dtype: "float8" as t.DType }), type: TypeError },
  { what: "an unknown device", run: () => t.ones([1], { device: "gpu" as t.Device }), type: TypeError },
  { what: "Adam with lr -1", run: () => new t.Adam([leaf()], { lr: -1 }), type: RangeError },
  { what: "Adam over a non-leaf", run: () => new t.Adam([leaf().mul(2)]), type: TypeError },
  {
    what: "a disposed tensor",
    run: () => {
      const x = t.ones([1]);
      x.dispose();
      return x.add(1);
    },
    type: ReferenceError,
  },
];

const BACKTRACE = /Exception raised from|frame #/;

/** Runs `fn` with every shim symbol wrapped, recording the message of each NULL / -1 answer. */
function recordFailures<T>(fn: () => T): { result?: T; error?: unknown; failures: Map<string, string> } {
  const table = shim() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = Object.entries(table);
  const failures = new Map<string, string>();
  for (const [name, original] of originals) {
    if (name in CANNOT_FAIL) continue; // their NULL / -1 are answers (t_grad's None, CPU index -1)
    if (typeof original !== "function") continue; // a CUDA-only entry absent from a CPU shim
    table[name] = (...args: unknown[]) => {
      const answer = original(...args);
      if (answer === null || answer === -1) failures.set(name, lastError());
      return answer;
    };
  }
  try {
    return { result: fn(), failures };
  } catch (error) {
    return { error, failures };
  } finally {
    for (const [name, original] of originals) table[name] = original;
  }
}

/** A normal op, a backward and the grad mode, all as before any failure. */
function assertStillWorks(): void {
  assert.equal(t.isGradEnabled(), true, "grad mode is still on");
  const value = t.tidy(() => {
    const x = t.ones([2, 2], { requiresGrad: true });
    const y = x.matmul(t.ones([2, 2])).sum();
    y.backward();
    return y.item() + x.grad!.sum().item();
  });
  assert.equal(value, 8 + 8);
}

// The rows check the default, a message without C++ backtrace, whatever DCGAN_TORCH_BACKTRACE says.
shim().t_set_backtrace(0);

for (const row of ROWS) {
  const via = "raw" in row ? "raw call" : `${row.api}()`;
  Deno.test(`${row.entry} (${via}) with ${row.what} fails cleanly and the process keeps working`, () => {
    const live = t.liveTensorCount();
    const { result, error, failures } = recordFailures(() => t.tidy(row.run));
    const detail = failures.get(row.entry);
    assert.ok(detail !== undefined, `${row.entry} answered NULL or -1 (saw: ${[...failures.keys()]})`);
    assert.notEqual(detail.trim(), "", "the last-error slot holds a message");
    assert.match(detail, row.message);
    assert.doesNotMatch(detail, BACKTRACE, "no C++ backtrace");
    if ("raw" in row) {
      assert.equal(error, undefined, String(error));
      assert.ok(result === null || result === -1, `raw call answered ${String(result)}`);
    } else {
      assert.ok(error instanceof TorchError, `${(error as Error)?.name}: ${(error as Error)?.message}`);
      assert.equal(error.op, row.api);
      assert.equal(error.message, `${row.api} failed: ${detail.trim()}`, "carries libtorch's text");
      assert.doesNotMatch(error.message, BACKTRACE, "no C++ backtrace");
    }
    assert.equal(t.liveTensorCount(), live, "no handle leaked on the error path");
    assertStillWorks();
  });
}

for (const guard of GUARDS) {
  Deno.test(`${guard.what} throws ${guard.type.name} before reaching libtorch`, () => {
    const live = t.liveTensorCount();
    const { error, failures } = recordFailures(() => t.tidy(guard.run));
    assert.ok(error instanceof guard.type, `${(error as Error)?.name}: ${(error as Error)?.message}`);
    assert.deepEqual([...failures.keys()], [], "no shim call failed");
    assert.equal(t.liveTensorCount(), live);
    assertStillWorks();
  });
}

Deno.test("the backtrace switch is what keeps C++ frames out of the messages above", () => {
  try {
    shim().t_set_backtrace(1);
    assert.throws(() => t.tidy(() => t.ones([2]).item()), BACKTRACE);
  } finally {
    shim().t_set_backtrace(0);
  }
  assert.throws(() => t.tidy(() => t.ones([2]).item()), (error: Error) => !BACKTRACE.test(error.message));
});

Deno.test("allow-listed entries answer without an error on inputs that break the others", () => {
  const s = shim();
  t.tidy(() => {
    const big = huge();
    assert.equal(s.t_numel(big.handle), BigInt(HUGE));
    for (const make of [() => s.t_detach(big.handle), () => s.t_shallow_clone(big.handle)]) {
      using view = wrapRaw(make());
      assert.deepEqual(view.shape, [HUGE]);
    }
    const untouched = leaf();
    assert.equal(untouched.grad, undefined, "an undefined grad is None, not an error");
    untouched.zeroGrad();
    s.t_manual_seed(2n ** 64n - 1n);
    using state = t.getRngState();
    t.setRngState(state);
  });
  assertStillWorks();
});

function wrapRaw(handle: Deno.PointerValue): Tensor {
  return new t.Tensor(check("raw", handle));
}

Deno.test("every shim entry that can fail has a row above; the allow-list names the rest", () => {
  const entries = Object.keys(shim()).filter((e) => !CUDA_ONLY.includes(e as Entry)).sort();
  const covered = new Set<string>(ROWS.map((row) => row.entry));
  const allowed = Object.keys(CANNOT_FAIL);
  assert.deepEqual(entries.filter((e) => !covered.has(e) && !allowed.includes(e)), [], "entries with no row");
  assert.deepEqual(allowed.filter((e) => !entries.includes(e)), [], "allow-listed names not in the table");
  assert.deepEqual(allowed.filter((e) => covered.has(e)), [], "entries both allow-listed and failing");
  assert.equal(covered.size + allowed.length, entries.length);
});

Deno.test("after every failure above, a model still trains: a Linear + Adam step leaks nothing", () => {
  t.manualSeed(0);
  using fc = new t.Linear(3, 1);
  using adam = new t.Adam(fc.parameters(), { lr: 0.1 });
  const step = () =>
    t.tidy(() => {
      adam.zeroGrad();
      const loss = fc.forward(t.ones([4, 3])).square().mean();
      loss.backward();
      adam.step();
      return loss.item();
    });
  const first = step();
  const live = t.liveTensorCount();
  let last = first;
  for (let i = 0; i < 5; i++) last = step();
  assert.equal(t.liveTensorCount(), live);
  assert.ok(last < first, `loss fell from ${first} to ${last}`);
});
