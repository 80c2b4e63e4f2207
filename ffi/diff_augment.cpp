// DiffAugment (tasks/gan/augment.ts) as one CPU kernel: colour, translation and cutout, in that order, each
// when asked for. Composed of ATen ops the three cost about 60 kernel launches and as many passes over the
// images per call; here the forward and the backward are two passes each.
//
// The draws are the reference's, in its order, from ATen's default generator, so the same seed gives the
// same augmentation as the ATen-composed path. The whole augmentation is affine in the images:
//   colour: y = k s x + k (1 - s) mean_c(x) + (1 - k) mean(x) + b   (brightness b, saturation s, contrast k)
//   then out[c, i, j] = keep(i, j) * y[c, i + dy, j + dx], zero where the shifted pixel leaves the image.
// Its backward is the transposed linear map, whose own backward is the map again: AugmentMap is one autograd
// function for both directions, so double backward (R1 through the augmentation) works.

#include "shim.h"
#include "shim_internal.h"

#include <ATen/ATen.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

namespace dcgan {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Per image: the colour map's coefficients and the shifts, drawn once per call.
struct Draws {
  at::Tensor colour;  // (N, 4) double: a = k s, per-channel-mean weight k (1 - s) / C, image-mean weight (1 - k) / CHW, b
  at::Tensor shifts;  // (N, 4) int64: rows, columns (translation), first cut row, first cut column
};

// One image's map. `transpose` runs Lᵀ; `with_shift` adds b where the forward keeps a pixel.
template <typename scalar_t, typename acc_t>
void map_image(const scalar_t* in, scalar_t* out, int64_t c, int64_t h, int64_t w, const double* colour,
               const int64_t* shift, int64_t cut_h, int64_t cut_w, bool transpose, bool with_shift) {
  const acc_t a = static_cast<acc_t>(colour[0]), per_pixel = static_cast<acc_t>(colour[1]);
  const acc_t per_image = static_cast<acc_t>(colour[2]);
  const acc_t b = with_shift ? static_cast<acc_t>(colour[3]) : acc_t(0);
  const int64_t dy = shift[0], dx = shift[1], cut_row = shift[2], cut_col = shift[3], plane = h * w;
  // output pixel (i, j) reads input pixel (i + dy, j + dx) unless cut out or outside the image
  auto reads = [&](int64_t i, int64_t j) {
    const bool cut = i >= cut_row && i < cut_row + cut_h && j >= cut_col && j < cut_col + cut_w;
    const int64_t si = i + dy, sj = j + dx;
    return !cut && si >= 0 && si < h && sj >= 0 && sj < w;
  };
  if (!transpose) {
    double total = 0;
    if (per_image != acc_t(0)) {
      for (int64_t k = 0; k < c * plane; k++) total += static_cast<double>(in[k]);
    }
    const acc_t image_term = per_image * static_cast<acc_t>(total) + b;
    for (int64_t i = 0; i < h; i++) {
      for (int64_t j = 0; j < w; j++) {
        const int64_t o = i * w + j;
        if (!reads(i, j)) {
          for (int64_t ch = 0; ch < c; ch++) out[ch * plane + o] = scalar_t(0);
          continue;
        }
        const int64_t s = (i + dy) * w + j + dx;
        acc_t channel_sum = 0;
        for (int64_t ch = 0; ch < c; ch++) channel_sum += static_cast<acc_t>(in[ch * plane + s]);
        const acc_t pixel_term = per_pixel * channel_sum + image_term;
        for (int64_t ch = 0; ch < c; ch++) {
          out[ch * plane + o] = static_cast<scalar_t>(a * static_cast<acc_t>(in[ch * plane + s]) + pixel_term);
        }
      }
    }
    return;
  }
  // Lᵀ: gather the gradient back to the pixel each output read, then the (symmetric) colour map
  double total = 0;
  for (int64_t i = 0; per_image != acc_t(0) && i < h; i++) {
    for (int64_t j = 0; j < w; j++) {
      if (!reads(i, j)) continue;
      for (int64_t ch = 0; ch < c; ch++) total += static_cast<double>(in[ch * plane + i * w + j]);
    }
  }
  const acc_t image_term = per_image * static_cast<acc_t>(total);
  for (int64_t si = 0; si < h; si++) {
    for (int64_t sj = 0; sj < w; sj++) {
      const int64_t s = si * w + sj, i = si - dy, j = sj - dx;
      if (i < 0 || i >= h || j < 0 || j >= w || !reads(i, j)) {
        for (int64_t ch = 0; ch < c; ch++) out[ch * plane + s] = static_cast<scalar_t>(image_term);
        continue;
      }
      const int64_t o = i * w + j;
      acc_t channel_sum = 0;
      for (int64_t ch = 0; ch < c; ch++) channel_sum += static_cast<acc_t>(in[ch * plane + o]);
      const acc_t pixel_term = per_pixel * channel_sum + image_term;
      for (int64_t ch = 0; ch < c; ch++) {
        out[ch * plane + s] = static_cast<scalar_t>(a * static_cast<acc_t>(in[ch * plane + o]) + pixel_term);
      }
    }
  }
}

at::Tensor run_map(const at::Tensor& input, const Draws& draws, int64_t cut_h, int64_t cut_w, bool transpose,
                   bool with_shift) {
  const at::Tensor x = input.contiguous();
  at::Tensor out = at::empty_like(x, at::MemoryFormat::Contiguous);
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const double* colour = draws.colour.data_ptr<double>();
  const int64_t* shifts = draws.shifts.data_ptr<int64_t>();
  AT_DISPATCH_FLOATING_TYPES_AND(at::ScalarType::BFloat16, x.scalar_type(), "diff_augment", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* in = x.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; k++) {
        map_image<scalar_t, acc_t>(in + k * c * h * w, o + k * c * h * w, c, h, w, colour + 4 * k, shifts + 4 * k,
                                   cut_h, cut_w, transpose, with_shift);
      }
    });
  });
  return out;
}

// The augmentation (transpose = false) or its transpose, differentiable both ways.
struct AugmentMap : public torch::autograd::Function<AugmentMap> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& colour,
                            const at::Tensor& shifts, int64_t cut_h, int64_t cut_w, bool transpose, bool with_shift) {
    ctx->saved_data["colour"] = colour;
    ctx->saved_data["shifts"] = shifts;
    ctx->saved_data["cut_h"] = cut_h;
    ctx->saved_data["cut_w"] = cut_w;
    ctx->saved_data["transpose"] = transpose;
    return run_map(x, {colour, shifts}, cut_h, cut_w, transpose, with_shift);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor gx =
        AugmentMap::apply(grads[0], ctx->saved_data["colour"].toTensor(), ctx->saved_data["shifts"].toTensor(),
                          ctx->saved_data["cut_h"].toInt(), ctx->saved_data["cut_w"].toInt(),
                          !ctx->saved_data["transpose"].toBool(), false);
    return {gx, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// The reference's draws, in its order: colour's three rand(N,1,1,1) in the images' dtype (their arithmetic in
// that dtype too), translation's two randint(-s, s + 1), cutout's two randint(0, side + 1 - size % 2).
Draws draw(const at::Tensor& x, bool colour, int64_t shift_h, int64_t shift_w, int64_t cut_h, int64_t cut_w) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  Draws d;
  d.colour = at::zeros({n, 4}, at::kDouble);
  d.colour.select(1, 0).fill_(1);
  if (colour) {
    const at::TensorOptions options = x.options().requires_grad(false);
    const at::Tensor b = at::rand({n, 1, 1, 1}, options).sub(0.5).to(at::kDouble).view({n});
    const at::Tensor s = at::rand({n, 1, 1, 1}, options).mul(2).to(at::kDouble).view({n});
    const at::Tensor k = at::rand({n, 1, 1, 1}, options).add(0.5).to(at::kDouble).view({n});
    d.colour.select(1, 0).copy_(k * s);
    d.colour.select(1, 1).copy_(k * (1 - s) / static_cast<double>(c));
    d.colour.select(1, 2).copy_((1 - k) / static_cast<double>(c * h * w));
    d.colour.select(1, 3).copy_(b);
  }
  d.shifts = at::zeros({n, 4}, at::kLong);
  const at::TensorOptions ints = at::TensorOptions().dtype(at::kLong).device(x.device());
  if (shift_h >= 0) {
    d.shifts.select(1, 0).copy_(at::randint(-shift_h, shift_h + 1, {n, 1, 1}, ints).view({n}));
    d.shifts.select(1, 1).copy_(at::randint(-shift_w, shift_w + 1, {n, 1, 1}, ints).view({n}));
  }
  if (cut_h >= 0) {
    // the reference zeroes the lines offset - size // 2 .. offset - size // 2 + size - 1 (clipped)
    d.shifts.select(1, 2).copy_(at::randint(0, h + (1 - cut_h % 2), {n, 1, 1}, ints).view({n}) - cut_h / 2);
    d.shifts.select(1, 3).copy_(at::randint(0, w + (1 - cut_w % 2), {n, 1, 1}, ints).view({n}) - cut_w / 2);
  }
  return d;
}

}  // namespace

// Defined here only: the fused augmentation behind nn_diff_augment.
at::Tensor diff_augment(const at::Tensor& x, bool colour, int64_t shift_h, int64_t shift_w, int64_t cut_h,
                        int64_t cut_w) {
  TORCH_CHECK(x.dim() == 4, "diff_augment takes (N, C, H, W) images, got ", x.dim(), " dimensions");
  TORCH_CHECK(x.device().is_cpu(), "diff_augment runs on the CPU; on ", x.device(), " use the ATen-composed path");
  const Draws d = draw(x, colour, shift_h, shift_w, cut_h, cut_w);
  return AugmentMap::apply(x, d.colour, d.shifts, std::max<int64_t>(cut_h, 0), std::max<int64_t>(cut_w, 0), false,
                           true);
}

}  // namespace dcgan

extern "C" {

tensor nn_diff_augment(tensor x, int colour, int64_t shift_h, int64_t shift_w, int64_t cut_h, int64_t cut_w) {
  GUARD_BEGIN
  return dcgan::wrap(dcgan::diff_augment(dcgan::T(x), colour != 0, shift_h, shift_w, cut_h, cut_w));
  GUARD_END(nullptr)
}

}  // extern "C"
