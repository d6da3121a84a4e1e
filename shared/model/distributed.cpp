// Communicator: c10d rendezvous (TCPStore) and the Gloo process group; see distributed.h.
//
// ProcessGroupGloo.hpp needs Gloo's headers, which the torch wheel does not ship: this file
// alone compiles against the declaration-only stand-ins in gloo_shim/ (its README says why
// the object layout does not depend on them, and what not to call).
#define USE_C10D_GLOO 1  // the wheel's libtorch_cpu.so is built with it (nm -D shows the class)

#include "shared/model/distributed_impl.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <c10/util/Logging.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "shared/core/error.h"

namespace zp::model {

namespace {

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

// "60 s", "0.5 s".
std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

// The first line of a c10 error, without the C++ backtrace.
std::string short_what(const c10::Error& e) {
  std::string what = e.what_without_backtrace();
  const size_t nl = what.find('\n');
  return nl == std::string::npos ? what : what.substr(0, nl);
}

// While it lives, c10 logs only fatal messages: the store client logs every failed connect
// try at error level, with a backtrace; our one-line IoError says what people need.
class QuietC10 {
 public:
  QuietC10() : saved_(FLAGS_caffe2_log_level) { FLAGS_caffe2_log_level = 3; }  // FATAL
  ~QuietC10() { FLAGS_caffe2_log_level = saved_; }
  QuietC10(const QuietC10&) = delete;
  QuietC10& operator=(const QuietC10&) = delete;

 private:
  const int saved_;
};

// Joins the TCPStore (rank 0 hosts it); IoError naming host:port after the timeout.
c10::intrusive_ptr<c10d::Store> join_store(const DistOptions& o, const std::string& prefix) {
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(o.master_port);
  so.isServer = o.rank == 0 && !o.agent_store;
  so.numWorkers = static_cast<size_t>(o.world_size);
  so.waitWorkers = !o.agent_store;  // the agent's store counts its own workers
  so.timeout = ms(o.connect_timeout_s);
  const std::string where = o.master_addr + ":" + std::to_string(o.master_port);
  const auto start = std::chrono::steady_clock::now();
  try {
    const QuietC10 quiet;
    auto store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
    store->setTimeout(ms(o.op_timeout_s));
    if (o.store_prefix.empty()) return store;
    return c10::make_intrusive<c10d::PrefixStore>(o.store_prefix, store);
  } catch (const c10::Error&) {
    const std::string what = so.isServer ? "not every one of the " + std::to_string(o.world_size) +
                                               " ranks joined the TCPStore at " + where
                                         : "cannot reach the TCPStore at " + where;
    // One line, as people read it; c10's own message (retries, errno) only adds noise. The
    // time is the one measured: c10d's client retries once after its timeout, so giving up
    // takes about 1.5 x connect_timeout_s (a 10 s timeout gives up after about 15 s).
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    throw IoError(prefix + what + " after " + seconds_text(std::round(waited)));
  }
}

c10::intrusive_ptr<c10d::Backend> make_gloo_backend(const DistOptions& o,
                                                    const c10::intrusive_ptr<c10d::Store>& store) {
  auto options = c10d::ProcessGroupGloo::Options::create(ms(o.op_timeout_s));
  options->devices.push_back(is_loopback(o.master_addr)
                                 ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                 : c10d::ProcessGroupGloo::createDefaultDevice());
  options->threads = 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, options);
}

}  // namespace

#ifndef ZEROPLAY_WITH_NCCL
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>&, int,
                                                    int, std::chrono::milliseconds) {
  throw StateError("this build has no NCCL");
}
bool Communicator::has_nccl() { return false; }
#else
bool Communicator::has_nccl() { return true; }
#endif

std::string Communicator::Impl::prefix() const {
  return opt.who + " rank " + std::to_string(opt.rank) + ": ";
}

void Communicator::Impl::wait(const c10::intrusive_ptr<c10d::Work>& work,
                              const char* what) const {
  try {
    work->wait();
  } catch (const c10::Error& e) {
    throw StateError(prefix() + what + " over " + backend_name + " failed (a peer rank died, " +
                     "hung past " + seconds_text(opt.op_timeout_s) + " or left): " +
                     short_what(e));
  }
}

void Communicator::Impl::allreduce_sum(torch::Tensor& t) const {
  std::vector<torch::Tensor> v{t.device() == comm_device ? t : t.to(comm_device)};
  wait(pg->allreduce(v), "all-reduce");
  if (!v[0].is_same(t)) t.copy_(v[0]);
}

void Communicator::Impl::broadcast_from_0(torch::Tensor& t) const {
  std::vector<torch::Tensor> v{t.device() == comm_device ? t : t.to(comm_device)};
  c10d::BroadcastOptions bo;
  bo.rootRank = 0;
  wait(pg->broadcast(v, bo), "broadcast");
  if (!v[0].is_same(t)) t.copy_(v[0]);
}

Communicator::Communicator(const DistOptions& o) : impl_(std::make_unique<Impl>()) {
  ZP_CHECK_GE(o.world_size, 1);
  ZP_CHECK(o.rank >= 0 && o.rank < o.world_size);
  ZP_CHECK(o.master_port >= 1 && o.master_port <= 65535);
  Impl& s = *impl_;
  s.opt = o;
  const torch::Device device(o.device);
  const bool nccl = device.is_cuda() && has_nccl();
  s.backend_name = nccl ? "nccl" : "gloo";
  s.comm_device = nccl ? device : torch::Device(torch::kCPU);
  s.store = join_store(o, s.prefix());
  try {
    s.pg = nccl ? make_nccl_backend(s.store, o.rank, o.world_size, ms(o.op_timeout_s))
                : make_gloo_backend(o, s.store);
  } catch (const c10::Error& e) {
    throw IoError(s.prefix() + "cannot build the " + s.backend_name + " process group of " +
                  std::to_string(o.world_size) + " ranks: " + short_what(e));
  }
}

Communicator::~Communicator() = default;

int Communicator::rank() const { return impl_->opt.rank; }
int Communicator::world_size() const { return impl_->opt.world_size; }
std::string Communicator::backend() const { return impl_->backend_name; }

void Communicator::broadcast_bytes(std::string* bytes) {
  torch::Tensor len = torch::tensor({static_cast<int64_t>(bytes->size())}, torch::kLong);
  impl_->broadcast_from_0(len);
  const int64_t n = len.item<int64_t>();
  if (n == 0) {
    bytes->clear();
    return;
  }
  torch::Tensor data = torch::empty({n}, torch::kByte);
  if (impl_->opt.rank == 0) std::memcpy(data.data_ptr<uint8_t>(), bytes->data(), n);
  impl_->broadcast_from_0(data);
  bytes->assign(reinterpret_cast<const char*>(data.data_ptr<uint8_t>()), n);
}

void Communicator::allreduce_sum(std::vector<double>* values) {
  if (values->empty()) return;
  torch::Tensor t = torch::from_blob(values->data(), {static_cast<int64_t>(values->size())},
                                     torch::kDouble);
  impl_->allreduce_sum(t);  // in place on the caller's memory (a CPU tensor)
}

void Communicator::barrier() {
  impl_->wait(impl_->pg->barrier(), "barrier");
}

}  // namespace zp::model
