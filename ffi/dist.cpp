// c10d over the C ABI, for data-parallel training (ops/distributed.ts): a TCPStore rendezvous (rank 0
// serves it) and a ProcessGroupGloo over it, with the three collectives DistributedDataParallel uses
// (all-reduce, broadcast, barrier). Nothing here is our own communication code: the store, the group and
// the collectives are libtorch's. A list of tensors travels as one flat bucket (as DDP's buckets do).
//
// Compiled on every libtorch. Where the headers of c10d's Gloo backend are missing (Debian ships Gloo's in
// libgloo-dev), every dist_ entry fails with a message saying so and dist_available answers 0.
// Same API on libtorch 1.13 and 2.x: TCPStore(host, TCPStoreOptions) and ProcessGroupGloo(store, rank,
// size, Options) exist in both. Every body is wrapped by GUARD: no C++ exception crosses the ABI.
#include "shim.h"
#include "shim_internal.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#if __has_include(<gloo/context.h>) && __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>)
#define DCGAN_HAVE_GLOO 1
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1  // the header declares ProcessGroupGloo only with it, as libtorch was built
#endif
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

using dcgan::list_of;

namespace {

#ifdef DCGAN_HAVE_GLOO
struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
  int rank;
  int size;
};

Group& G(dist_group handle) {
  if (handle == nullptr) throw std::invalid_argument("no process group (NULL handle)");
  return *static_cast<Group*>(handle);
}

/** The tensors as one contiguous bucket (they must share dtype and device). */
at::Tensor bucket_of(const std::vector<at::Tensor>& tensors) {
  if (tensors.empty()) throw std::invalid_argument("an empty list of tensors");
  std::vector<at::Tensor> flat;
  flat.reserve(tensors.size());
  for (const auto& t : tensors) {
    if (t.scalar_type() != tensors[0].scalar_type() || t.device() != tensors[0].device()) {
      throw std::invalid_argument("the tensors of one collective must share dtype and device");
    }
    flat.push_back(t.reshape({-1}));
  }
  return at::cat(flat);
}

/** Copies a bucket back into the tensors it was made from. */
void unbucket(const at::Tensor& bucket, std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;  // parameters are leaves that require grad
  int64_t offset = 0;
  for (auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(bucket.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}
/** Sums a tensor over the ranks in place. */
void sum_in_place(Group& group, at::Tensor& t) {
  std::vector<at::Tensor> io{t};
  group.gloo->allreduce(io)->wait();
}

/**
 * torch.distributed.nn.functional.all_reduce: a sum over the ranks that autograd sees through, its
 * backward the same sum of the gradients (each rank's loss depends on every rank's input).
 */
struct AllReduceSum : public torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    auto out = x.clone(at::MemoryFormat::Contiguous);
    sum_in_place(*reinterpret_cast<Group*>(group), out);
    return out;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto grad = grads[0].clone(at::MemoryFormat::Contiguous);
    sum_in_place(*reinterpret_cast<Group*>(ctx->saved_data["group"].toInt()), grad);
    return {grad, at::Tensor()};
  }
};
#else
[[noreturn]] void missing() {
  throw std::runtime_error(
      "this libtorch was compiled into the shim without c10d's Gloo headers (torch/csrc/distributed/c10d/"
      "ProcessGroupGloo.hpp and gloo/): on Debian run `apt-get install libgloo-dev` (the shim is "
      "rebuilt with them on next use), or use a PyTorch install that ships them");
}
#endif

}  // namespace

extern "C" {

int dist_available(void) {
#ifdef DCGAN_HAVE_GLOO
  return 1;
#else
  return 0;
#endif
}

dist_group dist_gloo_new(const char* master_addr, int port, int rank, int world_size, int64_t timeout_ms,
                         const char* interface_name) {
  GUARD_BEGIN
#ifdef DCGAN_HAVE_GLOO
  if (world_size < 1) throw std::invalid_argument("world size must be at least 1, got " + std::to_string(world_size));
  if (rank < 0 || rank >= world_size) {
    throw std::invalid_argument("rank " + std::to_string(rank) + " is outside 0.." + std::to_string(world_size - 1));
  }
  if (port < 1 || port > 65535) throw std::invalid_argument("port must be in 1..65535, got " + std::to_string(port));
  if (timeout_ms < 1) throw std::invalid_argument("timeout must be positive, got " + std::to_string(timeout_ms));
  const std::chrono::milliseconds timeout(timeout_ms);
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.isServer = rank == 0;
  options.numWorkers = static_cast<std::size_t>(world_size);
  options.waitWorkers = true;  // rank 0 returns once every rank reached the store, or fails at the timeout
  options.timeout = timeout;
  auto group = std::make_unique<Group>();
  group->store = c10::make_intrusive<c10d::TCPStore>(std::string(master_addr), options);
  auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
  const std::string iface = interface_name == nullptr ? "" : interface_name;
  gloo_options->devices.push_back(iface.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                                : c10d::ProcessGroupGloo::createDeviceForInterface(iface));
  gloo_options->threads = 2;  // PyTorch's default: two per device
  group->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, rank, world_size, gloo_options);
  group->rank = rank;
  group->size = world_size;
  return group.release();
#else
  missing();
#endif
  GUARD_END(nullptr)
}

void dist_free(dist_group g) {
#ifdef DCGAN_HAVE_GLOO
  try {
    delete static_cast<Group*>(g);
  } catch (...) {
    // a destructor that throws while its peers are gone: nothing more to release
  }
#endif
}

int dist_allreduce(dist_group g, tensor* tensors, int count, double scale) {
  GUARD_BEGIN
#ifdef DCGAN_HAVE_GLOO
  Group& group = G(g);
  auto list = list_of(tensors, count);
  auto bucket = bucket_of(list);
  // DDP's order: each gradient times 1/world size into the bucket, then the sum over ranks
  if (scale != 1.0) bucket.mul_(scale);
  std::vector<at::Tensor> io{bucket};
  group.gloo->allreduce(io)->wait();
  unbucket(bucket, list);
  return 0;
#else
  missing();
#endif
  GUARD_END(-1)
}

int dist_broadcast(dist_group g, tensor* tensors, int count, int root) {
  GUARD_BEGIN
#ifdef DCGAN_HAVE_GLOO
  Group& group = G(g);
  if (root < 0 || root >= group.size) {
    throw std::invalid_argument("root rank " + std::to_string(root) + " is outside 0.." + std::to_string(group.size - 1));
  }
  auto list = list_of(tensors, count);
  auto bucket = bucket_of(list);
  std::vector<at::Tensor> io{bucket};
  c10d::BroadcastOptions options;
  options.rootRank = root;
  group.gloo->broadcast(io, options)->wait();
  unbucket(bucket, list);
  return 0;
#else
  missing();
#endif
  GUARD_END(-1)
}

tensor dist_batch_norm(dist_group g, tensor x, tensor w, tensor b, tensor running_mean, tensor running_var,
                       double momentum, double eps) {
  GUARD_BEGIN
#ifdef DCGAN_HAVE_GLOO
  Group& group = G(g);
  const at::Tensor& given = dcgan::T(x);
  if (given.dim() < 2) throw std::invalid_argument("batch norm needs (N, C, ...) input");
  // bf16 or fp16 input (autocast): statistics and normalisation in float32, as batch norm's kernels do,
  // the output back in the input's dtype; Gloo has no all-reduce for the 16-bit types anyway
  const bool low = given.scalar_type() == at::kBFloat16 || given.scalar_type() == at::kHalf;
  const at::Tensor input = low ? given.to(at::kFloat) : given;
  const int64_t channels = input.size(1);
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < input.dim(); d++) dims.push_back(d);
  // each rank's per-channel sum, sum of squares and count, summed over the ranks (differentiably)
  const double count = static_cast<double>(input.numel() / channels);
  auto local = at::cat({input.sum(dims), input.square().sum(dims), at::full({1}, count, input.options())});
  auto world = AllReduceSum::apply(local, reinterpret_cast<int64_t>(&group));
  auto n = world.narrow(0, 2 * channels, 1);
  auto mean = world.narrow(0, 0, channels) / n;
  auto var = world.narrow(0, channels, channels) / n - mean.square();  // biased, as batch norm normalizes
  std::vector<int64_t> shape(static_cast<size_t>(input.dim()), 1);
  shape[1] = channels;
  auto y = (input - mean.view(shape)) * (var + eps).rsqrt().view(shape);
  if (w != nullptr) y = y * dcgan::T(w).view(shape);
  if (b != nullptr) y = y + dcgan::T(b).view(shape);
  if (running_mean != nullptr && running_var != nullptr) {
    at::NoGradGuard no_grad;
    const double total = n.item<double>();
    dcgan::T(running_mean).mul_(1 - momentum).add_(mean.detach(), momentum);
    dcgan::T(running_var).mul_(1 - momentum).add_(var.detach() * (total / std::max(total - 1, 1.0)), momentum);
  }
  if (low) y = y.to(given.scalar_type());
  return dcgan::wrap(std::move(y));
#else
  missing();
#endif
  GUARD_END(nullptr)
}

int dist_barrier(dist_group g) {
  GUARD_BEGIN
#ifdef DCGAN_HAVE_GLOO
  G(g).gloo->barrier()->wait();
  return 0;
#else
  missing();
#endif
  GUARD_END(-1)
}

}  // extern "C"
