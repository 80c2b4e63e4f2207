// ConvTranspose2d through oneDNN's convolution kernels, where libtorch's CPU default is slow.
//
// On CPU, libtorch 1.13 runs conv_transpose2d and its backward through slow_conv_transpose2d
// (im2col plus the build's BLAS): ~1 s per DCGAN generator layer at batch 64, while Conv2d and its
// backward go through oneDNN. A transposed convolution is exactly a convolution's input gradient, so:
//   forward      y  = conv2d input-gradient of x       (at::convolution_backward, mask {1,0,0})
//   grad_input   gx = conv2d(gy, w)                     (the convolution's forward)
//   grad_weight  gw = conv2d weight-gradient of (gy, x) (at::convolution_backward, mask {0,1,0})
//   grad_bias    gb = gy summed over batch and space
// each 10-50x faster on the same 2 cores. The backward is made of differentiable ATen ops, so
// create_graph (double backward) works too. Nothing here throws across the C ABI: the tensor path
// runs inside shim.cpp's GUARD (nn_conv_transpose2d, t_backward), and the switches cannot fail.
// Compiles against libtorch 1.13 and 2.x: only torch::autograd::Function and ATen ops present in both.
//
// float32 and bfloat16 (oneDNN's bf16 kernels), NCHW and channels_last: the output is channels_last when
// the input or the weight is, as libtorch's oneDNN convolutions choose. Under CPU autocast the route does
// what autocast's conv_transpose2d wrapper does, since it bypasses the dispatcher: it casts the arguments
// and runs with autocast excluded, as a native op's forward and backward run. It casts to autocast's dtype,
// as PyTorch 2.x's CPU autocast lists conv_transpose2d, on every libtorch: 1.13 listed it as float32, which
// left a third of a DCGAN step's convolution time in float32 (docs/speed.md). With the fast paths off,
// libtorch's own wrapper decides, so that run stays op for op the running PyTorch's.
#include "shim.h"
#include "shim_internal.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/csrc/autograd/custom_function.h>

#include <array>
#include <atomic>
#include <vector>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::atomic<bool> fast_paths{true};

// Stride, padding and output_padding, [h, w] each; one non-tensor argument of the Function.
struct Geometry {
  std::array<int64_t, 2> stride, padding, output_padding;
};

std::vector<int64_t> as_vector(const Geometry& g) {
  return {g.stride[0], g.stride[1], g.padding[0], g.padding[1], g.output_padding[0], g.output_padding[1]};
}

Geometry from_vector(const std::vector<int64_t>& v) {
  return {{v[0], v[1]}, {v[2], v[3]}, {v[4], v[5]}};
}

const std::array<int64_t, 2> kOnes{1, 1};
const std::array<int64_t, 2> kZeros{0, 0};

int64_t transposed_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t output_padding) {
  return (in - 1) * stride - 2 * padding + kernel + output_padding;
}

// The transposed convolution of x (N, C_in, H, W) by w (C_in, C_out, kH, kW), as the input gradient
// of the convolution that maps (N, C_out, H_out, W_out) to x's shape with the same w.
at::Tensor transposed_as_input_grad(const at::Tensor& x, const at::Tensor& w, const Geometry& g) {
  const int64_t height = transposed_size(x.size(2), w.size(2), g.stride[0], g.padding[0], g.output_padding[0]);
  const int64_t width = transposed_size(x.size(3), w.size(3), g.stride[1], g.padding[1], g.output_padding[1]);
  // Only its sizes and memory format are read: the convolution's input gradient needs no input values.
  const bool nhwc = x.suggest_memory_format() == at::MemoryFormat::ChannelsLast ||
                    w.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
  at::Tensor like = at::empty({x.size(0), w.size(1), height, width},
                              x.options().memory_format(nhwc ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
  return std::get<0>(at::convolution_backward(x, like, w, c10::nullopt, g.stride, g.padding, kOnes, false, kZeros, 1,
                                              {true, false, false}));
}

struct FastConvTranspose2d : public torch::autograd::Function<FastConvTranspose2d> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const c10::optional<at::Tensor>& b, const Geometry& g) {
    at::Tensor y = transposed_as_input_grad(x, w, g);
    if (b.has_value() && b->defined()) y.add_(b->reshape({1, -1, 1, 1}));
    ctx->save_for_backward({x, w});
    ctx->saved_data["geometry"] = as_vector(g);
    ctx->saved_data["bias"] = b.has_value() && b->defined();
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    const Geometry g = from_vector(ctx->saved_data["geometry"].toIntVector());
    const bool bias = ctx->saved_data["bias"].toBool();
    const at::Tensor& gy = grads[0];
    // as a native op's backward: in the saved dtype, even when backward runs inside an autocast region
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
    at::Tensor gx, gw, gb;
    // y's extra output_padding rows and columns lie outside every window, so conv2d drops them.
    if (ctx->needs_input_grad(0)) gx = at::conv2d(gy, w, {}, g.stride, g.padding);
    if (ctx->needs_input_grad(1)) {
      gw = std::get<1>(at::convolution_backward(x, gy, w, c10::nullopt, g.stride, g.padding, kOnes, false, kZeros, 1,
                                                {false, true, false}));
    }
    if (bias && ctx->needs_input_grad(2)) gb = gy.sum({0, 2, 3});
    return {gx, gw, gb, at::Tensor()};
  }
};

// Whether the oneDNN route computes what at::conv_transpose2d would: plain strided CPU tensors of one
// dtype (float32 or bfloat16) and matching, non-empty shapes, groups 1, dilation 1 and a valid geometry.
// Anything else keeps libtorch's path, which also raises libtorch's own error for invalid arguments.
bool fast_applies(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                  at::IntArrayRef padding, at::IntArrayRef output_padding, int64_t groups, at::IntArrayRef dilation) {
  if (!fast_paths.load(std::memory_order_relaxed)) return false;
  if (groups != 1 || stride.size() != 2 || padding.size() != 2 || output_padding.size() != 2) return false;
  if (dilation.size() != 2 || dilation[0] != 1 || dilation[1] != 1) return false;
  const at::ScalarType dtype = x.scalar_type();
  if (dtype != at::kFloat && dtype != at::kBFloat16) return false;
  for (const at::Tensor* t : {&x, &w}) {
    if (!t->defined() || t->dim() != 4 || !t->device().is_cpu() || t->layout() != at::kStrided ||
        t->scalar_type() != dtype || t->numel() == 0) {
      return false;
    }
  }
  if (b.has_value() && b->defined()) {
    if (!b->device().is_cpu() || b->layout() != at::kStrided || b->scalar_type() != dtype || b->dim() != 1 ||
        b->size(0) != w.size(1)) {
      return false;
    }
  }
  if (x.size(1) != w.size(0)) return false;
  for (size_t i = 0; i < 2; i++) {
    if (stride[i] < 1 || padding[i] < 0 || output_padding[i] < 0 || output_padding[i] >= stride[i]) return false;
    if (transposed_size(x.size(2 + i), w.size(2 + i), stride[i], padding[i], output_padding[i]) < 1) return false;
  }
  return true;
}

// The route itself, for arguments fast_applies accepted.
at::Tensor apply_fast(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                      at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef output_padding) {
  const Geometry g{{stride[0], stride[1]}, {padding[0], padding[1]}, {output_padding[0], output_padding[1]}};
  return FastConvTranspose2d::apply(x, w, b, g);
}

at::Tensor route(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                 at::IntArrayRef padding, at::IntArrayRef output_padding, int64_t groups, at::IntArrayRef dilation) {
  if (dcgan::transposed_matmul_applies(x, w, b, stride, padding, output_padding, groups, dilation)) {
    return dcgan::conv_transpose2d_as_matmul(x, w, b);
  }
  if (!fast_applies(x, w, b, stride, padding, output_padding, groups, dilation)) {
    return at::conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation);
  }
  return apply_fast(x, w, b, stride, padding, output_padding);
}

}  // namespace

namespace dcgan {

bool fast_paths_enabled() { return fast_paths.load(std::memory_order_relaxed); }

AutocastArgs autocast_cpu_cast(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  const at::ScalarType to = autocast_cpu_dtype();
  return {at::autocast::cached_cast(to, x, c10::DeviceType::CPU), at::autocast::cached_cast(to, w, c10::DeviceType::CPU),
          at::autocast::cached_cast(to, b, c10::DeviceType::CPU)};
}

at::Tensor conv_transpose2d(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                            at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef output_padding,
                            int64_t groups, at::IntArrayRef dilation) {
  if (!x.device().is_cpu() || !autocast_cpu_enabled() || !fast_paths.load(std::memory_order_relaxed)) {
    return route(x, w, b, stride, padding, output_padding, groups, dilation);
  }
  // CPU autocast's wrapper as PyTorch 2.x has it: cast (weights through its cache), run with autocast excluded
  const auto [xc, wc, bc] = autocast_cpu_cast(x, w, b);
  if (transposed_matmul_applies(xc, wc, bc, stride, padding, output_padding, groups, dilation)) {
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
    return conv_transpose2d_as_matmul(xc, wc, bc);
  }
  if (!fast_applies(xc, wc, bc, stride, padding, output_padding, groups, dilation)) {
    // a layer the route does not take keeps libtorch's own wrapper: libtorch 1.13's bfloat16
    // conv_transpose2d on the CPU silently computes a plain convolution (a 2x2 output for 8x8, measured)
    return at::conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation);
  }
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
  return apply_fast(xc, wc, bc, stride, padding, output_padding);
}

}  // namespace dcgan

extern "C" {

// 1 routes eligible layers through oneDNN (the default), 0 restores libtorch's own kernels. Returns 0.
int nn_set_fast_paths(int enabled) {
  fast_paths.store(enabled != 0, std::memory_order_relaxed);
  return 0;
}
int nn_fast_paths(void) { return fast_paths.load(std::memory_order_relaxed) ? 1 : 0; }

}  // extern "C"
