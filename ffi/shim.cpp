// A flat C ABI over libtorch's ATen ops, loaded from TypeScript with Deno.dlopen.
//
// Rules (see STYLE.md): opaque handles, one prefix per family (t_ tensors, nn_ layers, optim_
// optimizers, cuda_ device calls), every creating call has its t_free, and no C++ exception ever
// crosses the ABI: each body is wrapped by GUARD, which stores the message in a thread-local
// last-error slot. Calls that create a tensor return NULL on failure; the others return -1.
// Compiles against Debian's libtorch 1.13 and PyTorch 2.x (only <ATen/ATen.h> APIs present in both).
// shim.h declares every entry (included first, so the compiler checks each definition against it).
#include "shim.h"
#include "shim_internal.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/version.h>

#include <atomic>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using dcgan::list_of;
using dcgan::set_error;
using dcgan::T;
using dcgan::to_scalar_type;
using dcgan::wrap;

namespace {

thread_local std::string last_error;
std::atomic<int64_t> live_tensors{0};
bool with_backtrace = false;

int from_scalar_type(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return 0;
    case at::kDouble: return 1;
    case at::kLong: return 2;
    case at::kByte: return 3;
    case at::kBool: return 4;
    case at::kBFloat16: return 5;
    case at::kHalf: return 6;
    case at::kInt: return 7;
    default: return -1;
  }
}

at::Device to_device(int device_type, int device_index) {
  if (device_type == 0) return at::Device(at::kCPU);
  if (device_type == 1) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index));
  throw std::invalid_argument("unknown device code " + std::to_string(device_type));
}

at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(to_scalar_type(dtype)).device(to_device(device_type, device_index));
}

at::IntArrayRef dims_of(const int64_t* dims, int ndims) { return at::IntArrayRef(dims, static_cast<size_t>(ndims)); }

c10::optional<at::Tensor> maybe(tensor handle) {
  if (handle == nullptr) return c10::nullopt;
  return T(handle);
}

}  // namespace

namespace dcgan {

void set_error(const char* message) { last_error = message; }
void set_error(const c10::Error& error) {
  last_error = with_backtrace ? error.what() : error.what_without_backtrace();
}

at::ScalarType to_scalar_type(int dtype) {
  switch (dtype) {
    case 0: return at::kFloat;
    case 1: return at::kDouble;
    case 2: return at::kLong;
    case 3: return at::kByte;
    case 4: return at::kBool;
    case 5: return at::kBFloat16;
    case 6: return at::kHalf;
    case 7: return at::kInt;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

tensor wrap(at::Tensor&& value) {
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(value));
}

// CPU autocast's state: libtorch 2.4 made the API device-typed and deprecated the CPU-named calls that
// 1.13 to 2.3 have; both read and write the same thread-local state.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define DCGAN_DEVICE_TYPED_AUTOCAST 1
bool autocast_cpu_enabled() { return at::autocast::is_autocast_enabled(at::kCPU); }
at::ScalarType autocast_cpu_dtype() { return at::autocast::get_autocast_dtype(at::kCPU); }
void set_autocast_cpu(bool enabled, at::ScalarType dtype) {
  at::autocast::set_autocast_enabled(at::kCPU, enabled);
  at::autocast::set_autocast_dtype(at::kCPU, dtype);
}
#else
bool autocast_cpu_enabled() { return at::autocast::is_cpu_enabled(); }
at::ScalarType autocast_cpu_dtype() { return at::autocast::get_autocast_cpu_dtype(); }
void set_autocast_cpu(bool enabled, at::ScalarType dtype) {
  at::autocast::set_cpu_enabled(enabled);
  at::autocast::set_autocast_cpu_dtype(dtype);
}
#endif

}  // namespace dcgan

#define RETURN_TENSOR(expr) \
  GUARD_BEGIN return wrap(expr); GUARD_END(nullptr)
#define RETURN_STATUS(stmt) \
  GUARD_BEGIN stmt; return 0; GUARD_END(-1)

#define UNARY(name, expr) \
  tensor name(tensor a) { RETURN_TENSOR(expr) }

extern "C" {

// ---- errors, lifetime, runtime ----
const char* t_last_error() { return last_error.c_str(); }
void t_set_backtrace(int enabled) { with_backtrace = enabled != 0; }
void t_free(tensor a) {
  if (a == nullptr) return;
  delete static_cast<at::Tensor*>(a);
  live_tensors.fetch_sub(1, std::memory_order_relaxed);
}
int64_t t_live_count() { return live_tensors.load(std::memory_order_relaxed); }
int t_set_num_threads(int n) { RETURN_STATUS(at::set_num_threads(n)) }
int t_get_num_threads() { return at::get_num_threads(); }
// glibc hands every block above its mmap threshold (128 KiB, rising to 32 MiB) back to the kernel when it
// is freed, and trims its heap's top: a training step's activations then come back as fresh pages that
// fault and are zeroed on first touch, every step (4x the step of the seed's loop at batch 128 on a 2-core
// CPU). Freed memory stays in the process instead, for the next step to reuse; RSS stays at its peak.
int t_keep_freed_memory() {
#if defined(__GLIBC__)
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, -1) == 1 ? 1 : 0;
#else
  return 0;
#endif
}
// torch.backends.cudnn.deterministic and .benchmark (both off by default; no effect without CUDA);
// -1 leaves a flag as it is.
void t_set_cudnn(int deterministic, int benchmark) {
  if (deterministic >= 0) at::globalContext().setDeterministicCuDNN(deterministic != 0);
  if (benchmark >= 0) at::globalContext().setBenchmarkCuDNN(benchmark != 0);
}
int t_cuda_is_available() {
  try { return at::hasCUDA() ? 1 : 0; } catch (...) { return 0; }
}
int t_cuda_device_count() {
  try { return at::hasCUDA() ? static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()) : 0; } catch (...) { return 0; }
}
int t_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }
void t_set_grad_enabled(int enabled) { c10::GradMode::set_enabled(enabled != 0); }

// ---- CPU autocast: torch.autocast("cpu", dtype, enabled)'s __enter__ and __exit__ ----
// Enter writes the state it replaces to previous[0] (enabled) and previous[1] (dtype code); exit restores
// it and, leaving the outermost region (of any device), clears the cache of weight casts, as PyTorch does.
// bfloat16 (code 5) everywhere; float16 (6) from libtorch 2.4, where CPU kernels and autocast take it.
int t_autocast_cpu_enter(int enabled, int dtype, int* previous) {
  GUARD_BEGIN
  const at::ScalarType type = to_scalar_type(dtype);
#ifdef DCGAN_DEVICE_TYPED_AUTOCAST
  const bool supported = type == at::kBFloat16 || type == at::kHalf;
#else
  const bool supported = type == at::kBFloat16;  // 1.13's CPU autocast and CPU kernels lack float16
#endif
  if (!supported && type == at::kHalf) {
    throw std::invalid_argument("CPU autocast in libtorch " TORCH_VERSION " takes bfloat16 only: float16 needs "
                                "libtorch 2.4 or newer, or use bfloat16");
  }
  if (!supported) throw std::invalid_argument("autocast dtype must be bfloat16 or float16");
  previous[0] = dcgan::autocast_cpu_enabled() ? 1 : 0;
  previous[1] = from_scalar_type(dcgan::autocast_cpu_dtype());
  dcgan::set_autocast_cpu(enabled != 0, type);
  at::autocast::increment_nesting();
  return 0;
  GUARD_END(-1)
}
int t_autocast_cpu_exit(int enabled, int dtype) {
  GUARD_BEGIN
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  dcgan::set_autocast_cpu(enabled != 0, to_scalar_type(dtype));
  return 0;
  GUARD_END(-1)
}

// ---- random numbers ----
int t_manual_seed(uint64_t seed) { RETURN_STATUS(at::manual_seed(seed)) }
tensor t_rng_get_state() {
  GUARD_BEGIN
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return wrap(gen.get_state());
  GUARD_END(nullptr)
}
int t_rng_set_state(tensor state) {
  GUARD_BEGIN
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(T(state));
  return 0;
  GUARD_END(-1)
}

// ---- creation ----
tensor t_from_data(const void* data, int64_t nbytes, const int64_t* dims, int ndims, int dtype, int device_type,
                   int device_index) {
  GUARD_BEGIN
  at::Tensor cpu = at::empty(dims_of(dims, ndims), at::TensorOptions().dtype(to_scalar_type(dtype)));
  if (static_cast<int64_t>(cpu.nbytes()) != nbytes) {
    throw std::invalid_argument("data holds " + std::to_string(nbytes) + " bytes but the shape needs " +
                                std::to_string(cpu.nbytes()));
  }
  if (nbytes > 0) std::memcpy(cpu.data_ptr(), data, static_cast<size_t>(nbytes));
  if (device_type == 0) return wrap(std::move(cpu));
  return wrap(cpu.to(to_device(device_type, device_index)));
  GUARD_END(nullptr)
}
tensor t_empty(const int64_t* dims, int ndims, int dtype, int dt, int di) {
  RETURN_TENSOR(at::empty(dims_of(dims, ndims), options(dtype, dt, di)))
}
tensor t_zeros(const int64_t* dims, int ndims, int dtype, int dt, int di) {
  RETURN_TENSOR(at::zeros(dims_of(dims, ndims), options(dtype, dt, di)))
}
tensor t_ones(const int64_t* dims, int ndims, int dtype, int dt, int di) {
  RETURN_TENSOR(at::ones(dims_of(dims, ndims), options(dtype, dt, di)))
}
tensor t_full(const int64_t* dims, int ndims, double value, int dtype, int dt, int di) {
  RETURN_TENSOR(at::full(dims_of(dims, ndims), value, options(dtype, dt, di)))
}
tensor t_randn(const int64_t* dims, int ndims, int dtype, int dt, int di) {
  RETURN_TENSOR(at::randn(dims_of(dims, ndims), options(dtype, dt, di)))
}
tensor t_rand(const int64_t* dims, int ndims, int dtype, int dt, int di) {
  RETURN_TENSOR(at::rand(dims_of(dims, ndims), options(dtype, dt, di)))
}
tensor t_randint(int64_t low, int64_t high, const int64_t* dims, int ndims, int dtype, int dt, int di) {
  RETURN_TENSOR(at::randint(low, high, dims_of(dims, ndims), options(dtype, dt, di)))
}
tensor t_randperm(int64_t n, int dtype, int dt, int di) { RETURN_TENSOR(at::randperm(n, options(dtype, dt, di))) }
tensor t_arange(double start, double end, double step, int dtype, int dt, int di) {
  RETURN_TENSOR(at::arange(start, end, step, options(dtype, dt, di)))
}

// ---- metadata and readback ----
// Writes at most `capacity` sizes; returns the tensor's ndim (call again with more room if larger).
int t_shape(tensor a, int64_t* out, int capacity) {
  const auto sizes = T(a).sizes();
  for (size_t i = 0; i < sizes.size() && i < static_cast<size_t>(capacity); i++) out[i] = sizes[i];
  return static_cast<int>(sizes.size());
}
int t_dtype(tensor a) { return from_scalar_type(T(a).scalar_type()); }
int t_device_type(tensor a) { return T(a).device().is_cuda() ? 1 : 0; }
int t_device_index(tensor a) { return T(a).device().index(); }
int t_requires_grad(tensor a) { return T(a).requires_grad() ? 1 : 0; }
// Memory formats: 0 contiguous (NCHW), 1 channels_last (NHWC strides, the same logical shape).
int t_is_contiguous_format(tensor a, int format) {
  GUARD_BEGIN
  return T(a).is_contiguous(format == 1 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous) ? 1 : 0;
  GUARD_END(-1)
}
tensor t_contiguous_format(tensor a, int format) {
  RETURN_TENSOR(T(a).contiguous(format == 1 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous))
}
int t_has_grad(tensor a) { return T(a).grad().defined() ? 1 : 0; }
int t_is_leaf(tensor a) { return T(a).is_leaf() ? 1 : 0; }
int64_t t_numel(tensor a) { return T(a).numel(); }
int t_copy_to_host(tensor a, void* out, int64_t nbytes) {
  GUARD_BEGIN
  at::Tensor cpu = T(a).detach().to(at::kCPU).contiguous();
  if (static_cast<int64_t>(cpu.nbytes()) != nbytes) {
    throw std::invalid_argument("buffer holds " + std::to_string(nbytes) + " bytes but the tensor has " +
                                std::to_string(cpu.nbytes()));
  }
  if (nbytes > 0) std::memcpy(out, cpu.data_ptr(), static_cast<size_t>(nbytes));
  return 0;
  GUARD_END(-1)
}
int t_item(tensor a, double* out) {
  GUARD_BEGIN
  *out = T(a).item<double>();
  return 0;
  GUARD_END(-1)
}

// ---- conversion and views ----
// device type -1 keeps the tensor's device (a dtype-only conversion)
tensor t_to(tensor a, int dtype, int dt, int di) {
  GUARD_BEGIN
  const at::ScalarType type = to_scalar_type(dtype);
  return wrap(dt == -1 ? T(a).to(type) : T(a).to(to_device(dt, di), type));
  GUARD_END(nullptr)
}
tensor t_shallow_clone(tensor a) { RETURN_TENSOR(at::Tensor(T(a))) }
UNARY(t_clone, T(a).clone())
UNARY(t_detach, T(a).detach())
UNARY(t_contiguous, T(a).contiguous())
tensor t_reshape(tensor a, const int64_t* dims, int ndims) { RETURN_TENSOR(T(a).reshape(dims_of(dims, ndims))) }
tensor t_view(tensor a, const int64_t* dims, int ndims) { RETURN_TENSOR(T(a).view(dims_of(dims, ndims))) }
tensor t_permute(tensor a, const int64_t* dims, int ndims) { RETURN_TENSOR(T(a).permute(dims_of(dims, ndims))) }
tensor t_expand(tensor a, const int64_t* dims, int ndims) { RETURN_TENSOR(T(a).expand(dims_of(dims, ndims))) }
tensor t_transpose(tensor a, int64_t d0, int64_t d1) { RETURN_TENSOR(T(a).transpose(d0, d1)) }
tensor t_flatten(tensor a, int64_t start, int64_t end) { RETURN_TENSOR(T(a).flatten(start, end)) }
tensor t_squeeze(tensor a, int64_t dim) { RETURN_TENSOR(T(a).squeeze(dim)) }
tensor t_unsqueeze(tensor a, int64_t dim) { RETURN_TENSOR(T(a).unsqueeze(dim)) }
tensor t_slice(tensor a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  RETURN_TENSOR(T(a).slice(dim, start, end, step))
}
tensor t_select(tensor a, int64_t dim, int64_t index) { RETURN_TENSOR(T(a).select(dim, index)) }
tensor t_index_select(tensor a, int64_t dim, tensor index) { RETURN_TENSOR(T(a).index_select(dim, T(index))) }
tensor t_cat(tensor* list, int count, int64_t dim) { RETURN_TENSOR(at::cat(list_of(list, count), dim)) }
tensor t_stack(tensor* list, int count, int64_t dim) { RETURN_TENSOR(at::stack(list_of(list, count), dim)) }

// ---- elementwise arithmetic (broadcasting) ----
tensor t_add(tensor a, tensor b, double alpha) { RETURN_TENSOR(at::add(T(a), T(b), alpha)) }
tensor t_sub(tensor a, tensor b, double alpha) { RETURN_TENSOR(at::sub(T(a), T(b), alpha)) }
tensor t_mul(tensor a, tensor b) { RETURN_TENSOR(at::mul(T(a), T(b))) }
tensor t_div(tensor a, tensor b) { RETURN_TENSOR(at::div(T(a), T(b))) }
tensor t_pow(tensor a, tensor b) { RETURN_TENSOR(at::pow(T(a), T(b))) }
tensor t_maximum(tensor a, tensor b) { RETURN_TENSOR(at::maximum(T(a), T(b))) }
tensor t_minimum(tensor a, tensor b) { RETURN_TENSOR(at::minimum(T(a), T(b))) }
tensor t_add_scalar(tensor a, double s) { RETURN_TENSOR(at::add(T(a), s)) }
tensor t_sub_scalar(tensor a, double s) { RETURN_TENSOR(at::sub(T(a), s)) }
tensor t_rsub_scalar(tensor a, double s) { RETURN_TENSOR(at::rsub(T(a), s)) }
tensor t_mul_scalar(tensor a, double s) { RETURN_TENSOR(at::mul(T(a), s)) }
tensor t_div_scalar(tensor a, double s) { RETURN_TENSOR(at::div(T(a), s)) }
tensor t_pow_scalar(tensor a, double s) { RETURN_TENSOR(at::pow(T(a), s)) }
tensor t_clamp(tensor a, double lo, double hi, int has_lo, int has_hi) {
  RETURN_TENSOR(at::clamp(T(a), has_lo ? c10::optional<at::Scalar>(lo) : c10::nullopt,
                          has_hi ? c10::optional<at::Scalar>(hi) : c10::nullopt))
}
tensor t_where(tensor cond, tensor a, tensor b) { RETURN_TENSOR(at::where(T(cond), T(a), T(b))) }
// op: 0 eq, 1 ne, 2 lt, 3 le, 4 gt, 5 ge; b may be NULL, then the scalar is used.
tensor t_compare(tensor a, tensor b, double s, int op) {
  GUARD_BEGIN
  const at::Tensor& x = T(a);
  const bool scalar = b == nullptr;
  switch (op) {
    case 0: return wrap(scalar ? at::eq(x, s) : at::eq(x, T(b)));
    case 1: return wrap(scalar ? at::ne(x, s) : at::ne(x, T(b)));
    case 2: return wrap(scalar ? at::lt(x, s) : at::lt(x, T(b)));
    case 3: return wrap(scalar ? at::le(x, s) : at::le(x, T(b)));
    case 4: return wrap(scalar ? at::gt(x, s) : at::gt(x, T(b)));
    case 5: return wrap(scalar ? at::ge(x, s) : at::ge(x, T(b)));
  }
  throw std::invalid_argument("unknown comparison code " + std::to_string(op));
  GUARD_END(nullptr)
}
UNARY(t_neg, at::neg(T(a)))
UNARY(t_abs, at::abs(T(a)))
UNARY(t_exp, at::exp(T(a)))
UNARY(t_log, at::log(T(a)))
UNARY(t_sqrt, at::sqrt(T(a)))
UNARY(t_rsqrt, at::rsqrt(T(a)))
UNARY(t_square, at::square(T(a)))
UNARY(t_sign, at::sign(T(a)))
UNARY(t_isfinite, at::isfinite(T(a)))
tensor t_matmul(tensor a, tensor b) { RETURN_TENSOR(at::matmul(T(a), T(b))) }

// ---- reductions: ndims == 0 reduces over every element ----
tensor t_sum(tensor a, const int64_t* dims, int ndims, int keepdim) {
  RETURN_TENSOR(ndims == 0 ? at::sum(T(a)) : at::sum(T(a), dims_of(dims, ndims), keepdim != 0))
}
tensor t_mean(tensor a, const int64_t* dims, int ndims, int keepdim) {
  RETURN_TENSOR(ndims == 0 ? at::mean(T(a)) : at::mean(T(a), dims_of(dims, ndims), keepdim != 0))
}
tensor t_amax(tensor a, const int64_t* dims, int ndims, int keepdim) {
  RETURN_TENSOR(ndims == 0 ? at::max(T(a)) : at::amax(T(a), dims_of(dims, ndims), keepdim != 0))
}
tensor t_amin(tensor a, const int64_t* dims, int ndims, int keepdim) {
  RETURN_TENSOR(ndims == 0 ? at::min(T(a)) : at::amin(T(a), dims_of(dims, ndims), keepdim != 0))
}
tensor t_var(tensor a, const int64_t* dims, int ndims, int unbiased, int keepdim) {
  RETURN_TENSOR(ndims == 0 ? at::var(T(a), unbiased != 0)
                           : at::var(T(a), dims_of(dims, ndims), unbiased != 0, keepdim != 0))
}
tensor t_norm(tensor a, double p, const int64_t* dims, int ndims, int keepdim) {
  RETURN_TENSOR(ndims == 0 ? at::norm(T(a), p) : at::norm(T(a), p, dims_of(dims, ndims), keepdim != 0))
}
tensor t_softmax(tensor a, int64_t dim) { RETURN_TENSOR(at::softmax(T(a), dim)) }
tensor t_argmax(tensor a, int64_t dim, int keepdim) { RETURN_TENSOR(at::argmax(T(a), dim, keepdim != 0)) }
tensor t_argmin(tensor a, int64_t dim, int keepdim) { RETURN_TENSOR(at::argmin(T(a), dim, keepdim != 0)) }

// ---- in-place ops (what optimizers and initializers need) ----
int t_add_(tensor a, tensor b, double alpha) { RETURN_STATUS(T(a).add_(T(b), alpha)) }
int t_add_scalar_(tensor a, double s) { RETURN_STATUS(T(a).add_(s)) }
// integer increment that keeps an int64 tensor int64 (a double scalar would promote to float)
int t_add_int_(tensor a, int64_t value) { RETURN_STATUS(T(a).add_(value)) }
int t_mul_(tensor a, tensor b) { RETURN_STATUS(T(a).mul_(T(b))) }
int t_mul_scalar_(tensor a, double s) { RETURN_STATUS(T(a).mul_(s)) }
int t_div_scalar_(tensor a, double s) { RETURN_STATUS(T(a).div_(s)) }
int t_addcmul_(tensor a, tensor b, tensor c, double value) { RETURN_STATUS(T(a).addcmul_(T(b), T(c), value)) }
int t_addcdiv_(tensor a, tensor b, tensor c, double value) { RETURN_STATUS(T(a).addcdiv_(T(b), T(c), value)) }
int t_lerp_(tensor a, tensor b, double weight) { RETURN_STATUS(T(a).lerp_(T(b), weight)) }
int t_clamp_(tensor a, double lo, double hi) { RETURN_STATUS(T(a).clamp_(lo, hi)) }
int t_copy_(tensor dst, tensor src) { RETURN_STATUS(T(dst).copy_(T(src))) }
int t_zero_(tensor a) { RETURN_STATUS(T(a).zero_()) }
int t_fill_(tensor a, double value) { RETURN_STATUS(T(a).fill_(value)) }
int t_normal_(tensor a, double mean, double std) { RETURN_STATUS(T(a).normal_(mean, std)) }
int t_uniform_(tensor a, double lo, double hi) { RETURN_STATUS(T(a).uniform_(lo, hi)) }

// ---- neural-network functionals ----
tensor nn_conv2d(tensor x, tensor w, tensor b, const int64_t* stride, const int64_t* padding, const int64_t* dilation,
                 int64_t groups) {
  RETURN_TENSOR(dcgan::conv2d(T(x), T(w), maybe(b), dims_of(stride, 2), dims_of(padding, 2), dims_of(dilation, 2),
                              groups))
}
tensor nn_conv_transpose2d(tensor x, tensor w, tensor b, const int64_t* stride, const int64_t* padding,
                           const int64_t* output_padding, int64_t groups, const int64_t* dilation) {
  RETURN_TENSOR(dcgan::conv_transpose2d(T(x), T(w), maybe(b), dims_of(stride, 2), dims_of(padding, 2),
                                        dims_of(output_padding, 2), groups, dims_of(dilation, 2)))
}
tensor nn_batch_norm(tensor x, tensor w, tensor b, tensor running_mean, tensor running_var, int training,
                     double momentum, double eps) {
  RETURN_TENSOR(at::batch_norm(T(x), maybe(w), maybe(b), maybe(running_mean), maybe(running_var), training != 0,
                               momentum, eps, false))
}
tensor nn_layer_norm(tensor x, const int64_t* dims, int ndims, tensor w, tensor b, double eps) {
  RETURN_TENSOR(at::layer_norm(T(x), dims_of(dims, ndims), maybe(w), maybe(b), eps, false))
}
tensor nn_linear(tensor x, tensor w, tensor b) { RETURN_TENSOR(at::linear(T(x), T(w), maybe(b))) }
tensor nn_embedding(tensor weight, tensor indices) { RETURN_TENSOR(at::embedding(T(weight), T(indices))) }
UNARY(nn_relu, at::relu(T(a)))
UNARY(nn_tanh, at::tanh(T(a)))
UNARY(nn_sigmoid, at::sigmoid(T(a)))
UNARY(nn_softplus, at::softplus(T(a)))
tensor nn_leaky_relu(tensor a, double slope) { RETURN_TENSOR(at::leaky_relu(T(a), slope)) }
tensor nn_dropout(tensor a, double p, int training) { RETURN_TENSOR(at::dropout(T(a), p, training != 0)) }
// reduction: 0 none, 1 mean, 2 sum (at::Reduction's codes)
tensor nn_binary_cross_entropy(tensor input, tensor target, tensor weight, int reduction) {
  RETURN_TENSOR(at::binary_cross_entropy(T(input), T(target), maybe(weight), reduction))
}
tensor nn_binary_cross_entropy_with_logits(tensor input, tensor target, tensor weight, tensor pos_weight,
                                           int reduction) {
  RETURN_TENSOR(at::binary_cross_entropy_with_logits(T(input), T(target), maybe(weight), maybe(pos_weight), reduction))
}
tensor nn_mse_loss(tensor input, tensor target, int reduction) {
  RETURN_TENSOR(at::mse_loss(T(input), T(target), reduction))
}

// ---- autograd ----
int t_set_requires_grad(tensor a, int requires) { RETURN_STATUS(T(a).set_requires_grad(requires != 0)) }
int t_backward(tensor a, tensor grad, int retain_graph, int create_graph) {
  GUARD_BEGIN
  at::Tensor gradient = grad == nullptr ? at::Tensor() : T(grad);
  T(a).backward(gradient, retain_graph != 0 ? c10::optional<bool>(true) : c10::nullopt, create_graph != 0);
  return 0;
  GUARD_END(-1)
}
// Returns NULL with an empty error when the gradient is undefined (as PyTorch's `.grad is None`).
tensor t_grad(tensor a) {
  GUARD_BEGIN
  const at::Tensor& grad = T(a).grad();
  if (!grad.defined()) {
    last_error.clear();
    return nullptr;
  }
  return wrap(at::Tensor(grad));
  GUARD_END(nullptr)
}
int t_zero_grad(tensor a) { RETURN_STATUS(T(a).mutable_grad().reset()) }
// torch.autograd.grad(outputs, inputs, grad_outputs=ones, create_graph): writes one new handle per input
// into out (NULL where allow_unused left it undefined).
int t_autograd_grad(tensor* outputs, int noutputs, tensor* inputs, int ninputs, tensor* out, int create_graph,
                    int allow_unused) {
  GUARD_BEGIN
  std::vector<at::Tensor> outs = list_of(outputs, noutputs);
  std::vector<at::Tensor> grad_outputs;
  for (const auto& o : outs) grad_outputs.push_back(at::ones_like(o));
  auto grads = torch::autograd::grad(outs, list_of(inputs, ninputs), grad_outputs, create_graph != 0,
                                     create_graph != 0, allow_unused != 0);
  for (int i = 0; i < ninputs; i++) {
    out[i] = grads[static_cast<size_t>(i)].defined() ? wrap(std::move(grads[static_cast<size_t>(i)])) : nullptr;
  }
  return 0;
  GUARD_END(-1)
}

// ---- optimizers ----
// One call for a whole Adam step over `count` parameters, the same math as torch.optim.Adam
// (single-tensor path). step is the step number after increment (1 for the first step).
int optim_adam_step(tensor* params, tensor* exp_avgs, tensor* exp_avg_sqs, int count, double lr, double beta1,
                    double beta2, double eps, double weight_decay, int64_t step) {
  GUARD_BEGIN
  at::NoGradGuard no_grad;
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  for (int i = 0; i < count; i++) {
    at::Tensor& param = T(params[i]);
    at::Tensor grad = param.grad();
    if (!grad.defined()) continue;
    if (weight_decay != 0) grad = grad.add(param, weight_decay);
    T(exp_avgs[i]).mul_(beta1).add_(grad, 1 - beta1);
    T(exp_avg_sqs[i]).mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    at::Tensor denom = (T(exp_avg_sqs[i]).sqrt() / bias_correction2_sqrt).add_(eps);
    param.addcdiv_(T(exp_avgs[i]), denom, -step_size);
  }
  return 0;
  GUARD_END(-1)
}

// ---- pooling, resizing and linear algebra (Inception-v3 features and the FID statistics) ----
// kernel, stride, padding, dilation, output_size: int64_t[2] (height, width)
tensor nn_max_pool2d(tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                     const int64_t* dilation, int ceil_mode) {
  RETURN_TENSOR(at::max_pool2d(T(x), dims_of(kernel, 2), dims_of(stride, 2), dims_of(padding, 2),
                               dims_of(dilation, 2), ceil_mode != 0))
}
tensor nn_avg_pool2d(tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, int ceil_mode,
                     int count_include_pad) {
  RETURN_TENSOR(at::avg_pool2d(T(x), dims_of(kernel, 2), dims_of(stride, 2), dims_of(padding, 2), ceil_mode != 0,
                               count_include_pad != 0, c10::nullopt))
}
tensor nn_adaptive_avg_pool2d(tensor x, const int64_t* output_size) {
  RETURN_TENSOR(at::adaptive_avg_pool2d(T(x), dims_of(output_size, 2)))
}
// F.interpolate(x, size, mode="bilinear", align_corners): no scale factors, no antialiasing
tensor nn_upsample_bilinear2d(tensor x, const int64_t* output_size, int align_corners) {
  RETURN_TENSOR(at::upsample_bilinear2d(T(x), dims_of(output_size, 2), align_corners != 0, c10::nullopt,
                                        c10::nullopt))
}
// torch.linalg.eigh(a, UPLO="L"): writes two new handles, out[0] eigenvalues (ascending), out[1] eigenvectors
int t_linalg_eigh(tensor a, tensor* out) {
  GUARD_BEGIN
  auto result = at::linalg_eigh(T(a), "L");
  out[0] = wrap(std::move(std::get<0>(result)));
  out[1] = wrap(std::move(std::get<1>(result)));
  return 0;
  GUARD_END(-1)
}

}  // extern "C"
