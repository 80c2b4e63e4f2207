// The CUDA-only part of the shim: whole-step CUDA graphs, streams, autocast, CUDA memory statistics and
// a capturable fused Adam. ffi/build.ts compiles this file only where libtorch has CUDA (libtorch_cuda
// beside libtorch_cpu, CUDA's headers under /usr/local/cuda) and is PyTorch 2.4 or newer; elsewhere its
// symbols are absent and ffi/ffi.ts loads them as optional (null).
//
// Same rules as shim.cpp: flat C ABI, opaque handles, and no C++ exception crosses it (shim_internal.h's
// GUARD stores the message in shim.cpp's thread-local last-error slot).
//
// A graph is captured on a side stream, as torch.cuda.graph does: capture_begin waits for the device,
// makes a pooled stream current, turns autocast's weight cache off (a cached cast made during capture
// would be freed after it) and begins capturing; every op TypeScript calls until capture_end is recorded
// instead of run. capture_end (or capture_abort, when the TypeScript callback threw) restores the stream
// and the cache setting whatever happened.
#include "shim.h"
#include "shim_internal.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using dcgan::list_of;
using dcgan::T;

namespace {

// One graph and what its capture changed, restored when the capture ends.
struct Graph {
  at::cuda::CUDAGraph graph;
  std::optional<c10::cuda::CUDAStream> previous_stream;
  bool previous_cache = true;
  bool capturing = false;
  bool captured = false;
};

Graph& G(void* handle) { return *static_cast<Graph*>(handle); }

// The capture's side stream and autocast cache go back to what they were before capture_begin.
void restore(Graph& g) {
  if (g.previous_stream.has_value()) {
    c10::cuda::setCurrentCUDAStream(*g.previous_stream);
    g.previous_stream.reset();
  }
  at::autocast::set_autocast_cache_enabled(g.previous_cache);
  g.capturing = false;
}

// A side stream entered by cuda_stream_enter, for warm-up iterations before a capture.
std::vector<c10::cuda::CUDAStream> entered_streams;

}  // namespace

extern "C" {

// Waits for all work on the current GPU: torch.cuda.synchronize().
int cuda_synchronize() {
  GUARD_BEGIN
  c10::cuda::device_synchronize();
  return 0;
  GUARD_END(-1)
}

// ---- graphs ----
void* cuda_graph_new() {
  GUARD_BEGIN
  return new Graph();
  GUARD_END(nullptr)
}

void cuda_graph_free(void* g) { delete static_cast<Graph*>(g); }

int cuda_graph_capture_begin(void* handle) {
  GUARD_BEGIN
  Graph& g = G(handle);
  if (g.capturing) throw std::logic_error("this graph is already capturing: end that capture first");
  if (g.captured) throw std::logic_error("this graph already holds a capture: make a new CudaGraph");
  c10::cuda::device_synchronize();
  g.previous_stream = c10::cuda::getCurrentCUDAStream();
  g.previous_cache = at::autocast::is_autocast_cache_enabled();
  c10::cuda::setCurrentCUDAStream(c10::cuda::getStreamFromPool());
  at::autocast::set_autocast_cache_enabled(false);
  g.capturing = true;
  try {
    g.graph.capture_begin();
  } catch (...) {
    restore(g);
    throw;
  }
  return 0;
  GUARD_END(-1)
}

int cuda_graph_capture_end(void* handle) {
  GUARD_BEGIN
  Graph& g = G(handle);
  if (!g.capturing) throw std::logic_error("this graph is not capturing: call capture_begin first");
  try {
    g.graph.capture_end();
  } catch (...) {
    restore(g);
    throw;
  }
  restore(g);
  g.captured = true;
  return 0;
  GUARD_END(-1)
}

// Ends a capture that failed midway (the TypeScript callback threw): the partial graph is dropped.
int cuda_graph_capture_abort(void* handle) {
  GUARD_BEGIN
  Graph& g = G(handle);
  if (!g.capturing) return 0;
  try {
    g.graph.capture_end();
  } catch (...) {
    // an invalidated capture cannot end cleanly; the stream is restored below either way
  }
  restore(g);
  try {
    g.graph.reset();
  } catch (...) {
  }
  return 0;
  GUARD_END(-1)
}

int cuda_graph_replay(void* handle) {
  GUARD_BEGIN
  Graph& g = G(handle);
  if (!g.captured) throw std::logic_error("this graph holds no capture: capture a step before replaying it");
  g.graph.replay();
  return 0;
  GUARD_END(-1)
}

// ---- streams (warm-up iterations run on a side stream, as PyTorch's whole-network capture example) ----
int cuda_stream_enter() {
  GUARD_BEGIN
  c10::cuda::device_synchronize();
  entered_streams.push_back(c10::cuda::getCurrentCUDAStream());
  c10::cuda::setCurrentCUDAStream(c10::cuda::getStreamFromPool());
  return 0;
  GUARD_END(-1)
}

int cuda_stream_exit() {
  GUARD_BEGIN
  if (entered_streams.empty()) throw std::logic_error("no side stream was entered");
  c10::cuda::device_synchronize();
  c10::cuda::setCurrentCUDAStream(entered_streams.back());
  entered_streams.pop_back();
  return 0;
  GUARD_END(-1)
}

// ---- autocast (torch.autocast("cuda", dtype, enabled)) ----
// Enters an autocast region: writes the state it replaces to previous[0] (enabled) and previous[1] (dtype
// code), then turns CUDA autocast on (or off, for a region that opts out) with dtype code 5 (bfloat16)
// or 6 (float16). cuda_autocast_exit(previous[0], previous[1]) leaves it, as torch.autocast's __exit__.
int cuda_autocast_enter(int enabled, int dtype, int* previous) {
  GUARD_BEGIN
  if (dtype != 5 && dtype != 6) throw std::invalid_argument("autocast dtype must be bfloat16 or float16");
  previous[0] = at::autocast::is_autocast_enabled(at::kCUDA) ? 1 : 0;
  previous[1] = at::autocast::get_autocast_dtype(at::kCUDA) == at::kBFloat16 ? 5 : 6;
  at::autocast::set_autocast_enabled(at::kCUDA, enabled != 0);
  at::autocast::set_autocast_dtype(at::kCUDA, dcgan::to_scalar_type(dtype));
  at::autocast::increment_nesting();
  return 0;
  GUARD_END(-1)
}

int cuda_autocast_exit(int enabled, int dtype) {
  GUARD_BEGIN
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(at::kCUDA, enabled != 0);
  at::autocast::set_autocast_dtype(at::kCUDA, dcgan::to_scalar_type(dtype));
  return 0;
  GUARD_END(-1)
}

// ---- random numbers (torch.cuda.get_rng_state / set_rng_state, current GPU) ----
tensor cuda_rng_get_state() {
  GUARD_BEGIN
  auto gen = at::cuda::detail::getDefaultCUDAGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return dcgan::wrap(gen.get_state());
  GUARD_END(nullptr)
}

int cuda_rng_set_state(tensor state) {
  GUARD_BEGIN
  auto gen = at::cuda::detail::getDefaultCUDAGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(T(state));
  return 0;
  GUARD_END(-1)
}

// ---- memory (torch.cuda.memory_allocated / max_memory_allocated / memory_reserved) ----
// out[0] bytes allocated now, out[1] peak allocated since the last reset, out[2] bytes reserved.
int cuda_memory_stats(int64_t* out) {
  GUARD_BEGIN
  const auto device = c10::cuda::current_device();
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
  out[0] = stats.allocated_bytes[0].current;  // index 0: StatType::AGGREGATE
  out[1] = stats.allocated_bytes[0].peak;
  out[2] = stats.reserved_bytes[0].current;
  return 0;
  GUARD_END(-1)
}

int cuda_reset_peak_memory() {
  GUARD_BEGIN
  c10::cuda::CUDACachingAllocator::resetPeakStats(c10::cuda::current_device());
  return 0;
  GUARD_END(-1)
}

// ---- optimizers ----
// torch.optim.Adam(fused=True, capturable) over `count` CUDA parameters that all have gradients: the step
// count and lr are device tensors (float32 scalars), so a captured graph reads them on every replay and
// the bias correction follows the true step. `step` is incremented here, then libtorch's fused kernel
// updates every parameter in one multi-tensor launch.
int optim_adam_step_capturable(tensor* params, tensor* exp_avgs, tensor* exp_avg_sqs, int count, tensor lr,
                               double beta1, double beta2, double eps, double weight_decay, tensor step) {
  GUARD_BEGIN
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> ps = list_of(params, count);
  std::vector<at::Tensor> grads;
  grads.reserve(ps.size());
  for (size_t i = 0; i < ps.size(); i++) {
    at::Tensor grad = ps[i].grad();
    if (!grad.defined()) throw std::invalid_argument("parameter " + std::to_string(i) + " has no gradient");
    grads.push_back(grad);
  }
  T(step).add_(1);
  std::vector<at::Tensor> steps(ps.size(), T(step));
  at::_fused_adam_(ps, grads, list_of(exp_avgs, count), list_of(exp_avg_sqs, count), {}, steps, T(lr), beta1,
                   beta2, weight_decay, eps, false, false, c10::nullopt, c10::nullopt);
  return 0;
  GUARD_END(-1)
}

}  // extern "C"
