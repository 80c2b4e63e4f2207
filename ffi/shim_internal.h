// Internal to the shim's C++ files (shim.cpp, conv_fast.cpp, conv_matmul.cpp, cuda.cpp), not part of the C ABI: handle
// access, the shared last-error slot and the GUARD macros that keep every C++ exception on this side.
#pragma once
#include "shim.h"

#include <ATen/ATen.h>

#include <vector>

namespace dcgan {

// Defined in shim.cpp.
/** A new handle owning `value`, counted by t_live_count. */
tensor wrap(at::Tensor&& value);
/** Stores a message in the calling thread's last-error slot (read by t_last_error). */
void set_error(const char* message);
/** Stores libtorch's message, with its C++ backtrace only when DCGAN_TORCH_BACKTRACE=1. */
void set_error(const c10::Error& error);
/** The ATen dtype of a shim dtype code (ops/dtype.ts); throws std::invalid_argument for others. */
at::ScalarType to_scalar_type(int dtype);
/** Whether CPU autocast is on in this thread (torch.is_autocast_cpu_enabled()), on libtorch 1.13 and 2.x. */
bool autocast_cpu_enabled();
/** CPU autocast's dtype in this thread (torch.get_autocast_cpu_dtype()), on libtorch 1.13 and 2.x. */
at::ScalarType autocast_cpu_dtype();

// Defined in conv_fast.cpp.
/** at::conv_transpose2d, through oneDNN's convolution kernels where that applies. */
at::Tensor conv_transpose2d(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                            at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef output_padding,
                            int64_t groups, at::IntArrayRef dilation);
/** Whether the fast paths (this file's route and conv_matmul.cpp's) are on: nn_set_fast_paths. */
bool fast_paths_enabled();
/** A convolution's arguments as CPU autocast's wrapper casts them: to its dtype, weights through its cache. */
struct AutocastArgs {
  at::Tensor x, w;
  c10::optional<at::Tensor> b;
};
AutocastArgs autocast_cpu_cast(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b);

// Defined in conv_matmul.cpp.
/** at::conv2d, as a matrix product where the kernel covers the whole input (bfloat16 on the CPU). */
at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                  at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups);
/** Whether conv_transpose2d_as_matmul computes what at::conv_transpose2d would: a 1x1 bfloat16 input, no padding. */
bool transposed_matmul_applies(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                               at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef output_padding,
                               int64_t groups, at::IntArrayRef dilation);
/** A transposed convolution of a 1x1 input as one matrix product (autograd through ATen's mm). */
at::Tensor conv_transpose2d_as_matmul(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b);

/** The tensor behind a handle. */
inline at::Tensor& T(tensor handle) { return *static_cast<at::Tensor*>(handle); }

/** The tensors behind `count` handles. */
inline std::vector<at::Tensor> list_of(tensor* handles, int count) {
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; i++) out.push_back(T(handles[i]));
  return out;
}

}  // namespace dcgan

// GUARD_BEGIN body GUARD_END(fail): runs body, turning any exception into the last error and `return fail`.
#define GUARD_BEGIN try {
#define GUARD_END(fail)                              \
  }                                                  \
  catch (const c10::Error& e) {                      \
    dcgan::set_error(e);                             \
    return fail;                                     \
  }                                                  \
  catch (const std::exception& e) {                  \
    dcgan::set_error(e.what());                      \
    return fail;                                     \
  }                                                  \
  catch (...) {                                      \
    dcgan::set_error("unknown C++ exception");       \
    return fail;                                     \
  }
