// Convolutions whose kernel covers the whole input, run as the matrix products they are, in bfloat16 on the CPU.
//
// DCGAN's first generator layer (ConvTranspose2d from 1x1 to 4x4) and its discriminator's last (Conv2d from
// 4x4 to 1x1) each sum every input into every output: one matrix product. oneDNN's bf16 convolution kernels
// run them far below its matmul speed. Measured with PyTorch 1.13 on the 2-core development machine, bf16
// channels_last, forward and backward: the first layer at batch 64, ngf 32 took 4.3 ms as a convolution and
// 0.7 ms as a product (ngf 64: 9.0 and 1.3); the last layer 0.8 and 0.3 ms (1.2 and 0.4).
//
// Written with ATen's mm, reshape and permute, so autograd differentiates them, double backward included,
// and each output is one product summed in float32, as oneDNN's bf16 kernels sum. Only bfloat16: in float32
// the product was not reliably faster (slower at some widths), and float32 runs keep their kernels bit for bit.
// The fast-path switch (conv_fast.cpp, nn_set_fast_paths) turns this route off with the others.
#include "shim.h"
#include "shim_internal.h"

#include <ATen/ATen.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

namespace {

// Plain CPU bfloat16 tensors of `dim` dimensions with elements (an optional bias: 1-d of `channels`, or none).
bool cpu_bf16(const at::Tensor& t, int64_t dim) {
  return t.defined() && t.dim() == dim && t.device().is_cpu() && t.layout() == at::kStrided &&
         t.scalar_type() == at::kBFloat16 && t.numel() > 0;
}

bool bias_fits(const c10::optional<at::Tensor>& b, int64_t channels) {
  return !b.has_value() || !b->defined() || (cpu_bf16(*b, 1) && b->size(0) == channels);
}

bool all_equal(at::IntArrayRef values, int64_t expected, size_t count) {
  if (values.size() != count) return false;
  for (int64_t v : values) {
    if (v != expected) return false;
  }
  return true;
}

// Whether either argument is laid out channels_last: the output then is too, as libtorch's oneDNN
// convolutions choose (and conv_fast.cpp's route).
bool channels_last(const at::Tensor& x, const at::Tensor& w) {
  return x.suggest_memory_format() == at::MemoryFormat::ChannelsLast ||
         w.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
}

at::Tensor with_bias(at::Tensor y, const c10::optional<at::Tensor>& b) {
  return b.has_value() && b->defined() ? y + b->reshape({1, -1, 1, 1}) : y;
}

}  // namespace

namespace dcgan {

bool transposed_matmul_applies(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                               at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef output_padding,
                               int64_t groups, at::IntArrayRef dilation) {
  if (!fast_paths_enabled() || groups != 1 || stride.size() != 2 || !all_equal(padding, 0, 2) ||
      !all_equal(output_padding, 0, 2) || !all_equal(dilation, 1, 2)) {
    return false;
  }
  if (!cpu_bf16(x, 4) || !cpu_bf16(w, 4) || stride[0] < 1 || stride[1] < 1) return false;
  return x.size(2) == 1 && x.size(3) == 1 && x.size(1) == w.size(0) && bias_fits(b, w.size(1));
}

// y[n, co, i, j] = sum over ci of x[n, ci] w[ci, co, i, j]: (N, C_in) times (C_in, C_out kH kW).
at::Tensor conv_transpose2d_as_matmul(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  const int64_t n = x.size(0), c_in = w.size(0), c_out = w.size(1), kh = w.size(2), kw = w.size(3);
  const at::Tensor rows = x.reshape({n, c_in});
  if (channels_last(x, w)) {
    const at::Tensor y = at::mm(rows, w.permute({0, 2, 3, 1}).reshape({c_in, kh * kw * c_out}));
    return with_bias(y.view({n, kh, kw, c_out}).permute({0, 3, 1, 2}), b);
  }
  return with_bias(at::mm(rows, w.reshape({c_in, c_out * kh * kw})).view({n, c_out, kh, kw}), b);
}

bool conv_matmul_applies(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                         at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  if (!fast_paths_enabled() || groups != 1 || stride.size() != 2 || !all_equal(padding, 0, 2) ||
      !all_equal(dilation, 1, 2)) {
    return false;
  }
  if (!cpu_bf16(x, 4) || !cpu_bf16(w, 4) || stride[0] < 1 || stride[1] < 1) return false;
  return x.size(1) == w.size(1) && x.size(2) == w.size(2) && x.size(3) == w.size(3) && bias_fits(b, w.size(0));
}

// y[n, co] = sum over (ci, i, j) of x[n, ci, i, j] w[co, ci, i, j], both flattened in their memory order.
at::Tensor conv2d_as_matmul(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  const int64_t n = x.size(0), c_out = w.size(0);
  const bool nhwc = channels_last(x, w);
  const at::Tensor rows = nhwc ? x.permute({0, 2, 3, 1}).reshape({n, -1}) : x.reshape({n, -1});
  const at::Tensor weights = nhwc ? w.permute({0, 2, 3, 1}).reshape({c_out, -1}) : w.reshape({c_out, -1});
  return with_bias(at::mm(rows, weights.t()).view({n, c_out, 1, 1}), b);
}

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                  at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  if (!x.device().is_cpu() || !fast_paths_enabled()) return at::conv2d(x, w, b, stride, padding, dilation, groups);
  if (!autocast_cpu_enabled()) {
    return conv_matmul_applies(x, w, b, stride, padding, dilation, groups)
               ? conv2d_as_matmul(x, w, b)
               : at::conv2d(x, w, b, stride, padding, dilation, groups);
  }
  // CPU autocast's conv2d wrapper, which lists it in its lower precision on 1.13 and 2.x alike: cast
  // (weights through its cache), then run with autocast excluded
  const auto [xc, wc, bc] = autocast_cpu_cast(x, w, b);
  if (!conv_matmul_applies(xc, wc, bc, stride, padding, dilation, groups)) {
    return at::conv2d(x, w, b, stride, padding, dilation, groups);
  }
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
  return conv2d_as_matmul(xc, wc, bc);
}

}  // namespace dcgan
