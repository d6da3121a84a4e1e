// The request-slot segment: layout, creation and the futex calls. The protocol (who moves a
// slot's word from which state to which) is in infer_slots.h; the client is infer_client.cpp,
// the server's batching loop infer_batcher.cpp.
#include "shared/ipc/infer_slots.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/permissions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <climits>
#include <new>

#include "shared/core/error.h"
#include "shared/ipc/shm_reserve.h"

namespace zp::ipc {

namespace bip = boost::interprocess;

namespace {

constexpr uint64_t kInferMagic = 0x31464e4950505a5aULL;  // "ZZPPINF1"
constexpr uint32_t kInferVersion = 1;
constexpr size_t kLine = 64;
constexpr size_t kSlotsOffset = 2 * kLine;  // after the header and the doorbell line

struct alignas(kLine) InferHeader {
  std::atomic<uint64_t> magic;  // kInferMagic once initialised (release)
  uint32_t version;
  uint32_t num_slots;
  uint32_t slot_positions;
  uint32_t obs_size;
  uint32_t num_actions;
  uint32_t pad;
  uint64_t slot_stride;                       // bytes from one slot to the next
  std::atomic<int64_t> server_pid;            // the serving process, 0 = none yet
  std::atomic<int64_t> server_model_version;  // loaded by the server, 0 = none yet
};

struct alignas(kLine) Doorbell {
  std::atomic<uint32_t> bell;
};

static_assert(sizeof(InferHeader) == kLine && sizeof(Doorbell) == kLine);
static_assert(sizeof(InferSlotHeader) == kLine);
static_assert(std::atomic<uint32_t>::is_always_lock_free &&
                  sizeof(std::atomic<uint32_t>) == sizeof(uint32_t),
              "the futex words must be plain lock-free 32-bit words");

size_t round_up(size_t n) { return (n + kLine - 1) / kLine * kLine; }

// Byte offsets of a slot's arrays from the slot's start.
struct SlotOffsets {
  size_t obs, legal, policy, value, stride;
};

SlotOffsets offsets(const InferLayout& l) {
  const size_t p = static_cast<size_t>(l.slot_positions);
  SlotOffsets o;
  o.obs = sizeof(InferSlotHeader);
  o.legal = o.obs + round_up(p * l.obs_size * sizeof(float));
  o.policy = o.legal + round_up(p * l.num_actions);
  o.value = o.policy + round_up(p * l.num_actions * sizeof(float));
  o.stride = o.value + round_up(p * sizeof(float));
  return o;
}

size_t total_bytes(const InferLayout& l) {
  return kSlotsOffset + static_cast<size_t>(l.num_slots) * offsets(l).stride;
}

}  // namespace

struct InferSlots::Impl {
  std::string name;
  bip::shared_memory_object shm;
  bip::mapped_region region;
  InferLayout layout;
  SlotOffsets off{};

  char* base() const { return static_cast<char*>(region.get_address()); }
  InferHeader* head() const { return reinterpret_cast<InferHeader*>(base()); }
  char* slot(int i) const {
    ZP_CHECK(i >= 0 && i < layout.num_slots);
    return base() + kSlotsOffset + static_cast<size_t>(i) * off.stride;
  }
};

InferSlots::InferSlots(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InferSlots::~InferSlots() = default;

std::unique_ptr<InferSlots> InferSlots::create(const std::string& name,
                                               const InferLayout& layout) {
  if (layout.num_slots < 1 || layout.slot_positions < 1 || layout.obs_size < 1 ||
      layout.num_actions < 1)
    throw ConfigError("inference slots " + name + ": bad layout (" +
                      std::to_string(layout.num_slots) + " slots of " +
                      std::to_string(layout.slot_positions) + " positions)");
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  impl->layout = layout;
  impl->off = offsets(layout);
  create_reserved_shm(name, total_bytes(layout), "inference slots " + name, &impl->shm,
                      &impl->region);
  // The object is zero-filled (every slot idle, sequence 0); give the atomics their lifetime.
  auto* h = new (impl->base()) InferHeader{};
  new (impl->base() + kLine) Doorbell{};
  for (int i = 0; i < layout.num_slots; ++i) new (impl->slot(i)) InferSlotHeader{};
  h->version = kInferVersion;
  h->num_slots = static_cast<uint32_t>(layout.num_slots);
  h->slot_positions = static_cast<uint32_t>(layout.slot_positions);
  h->obs_size = static_cast<uint32_t>(layout.obs_size);
  h->num_actions = static_cast<uint32_t>(layout.num_actions);
  h->slot_stride = impl->off.stride;
  // Release: open() acquires the magic and then sees the whole header.
  h->magic.store(kInferMagic, std::memory_order_release);
  return std::unique_ptr<InferSlots>(new InferSlots(std::move(impl)));
}

std::unique_ptr<InferSlots> InferSlots::open(const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  try {
    impl->shm = bip::shared_memory_object(bip::open_only, name.c_str(), bip::read_write);
    bip::offset_t size = 0;
    if (!impl->shm.get_size(size) || size < static_cast<bip::offset_t>(kSlotsOffset))
      throw IoError("shared memory " + name + " is too small to be an inference-slot segment");
    impl->region = bip::mapped_region(impl->shm, bip::read_write);
  } catch (const bip::interprocess_exception& e) {
    throw IoError("cannot open shared memory " + name + ": " + e.what());
  }
  InferHeader* h = impl->head();
  // Acquire: pairs with create()'s release store of the magic.
  if (h->magic.load(std::memory_order_acquire) != kInferMagic || h->version != kInferVersion)
    throw IoError("shared memory " + name + " is not an initialised inference-slot segment");
  impl->layout.num_slots = static_cast<int>(h->num_slots);
  impl->layout.slot_positions = static_cast<int>(h->slot_positions);
  impl->layout.obs_size = static_cast<int>(h->obs_size);
  impl->layout.num_actions = static_cast<int>(h->num_actions);
  impl->off = offsets(impl->layout);
  if (impl->off.stride != h->slot_stride || impl->region.get_size() < total_bytes(impl->layout))
    throw IoError("shared memory " + name + " does not match its own layout");
  return std::unique_ptr<InferSlots>(new InferSlots(std::move(impl)));
}

void InferSlots::remove(const std::string& name) {
  bip::shared_memory_object::remove(name.c_str());
}

const std::string& InferSlots::name() const { return impl_->name; }
const InferLayout& InferSlots::layout() const { return impl_->layout; }

InferSlotHeader& InferSlots::header(int slot) const {
  return *reinterpret_cast<InferSlotHeader*>(impl_->slot(slot));
}
float* InferSlots::obs(int slot) const {
  return reinterpret_cast<float*>(impl_->slot(slot) + impl_->off.obs);
}
uint8_t* InferSlots::legal(int slot) const {
  return reinterpret_cast<uint8_t*>(impl_->slot(slot) + impl_->off.legal);
}
float* InferSlots::policy(int slot) const {
  return reinterpret_cast<float*>(impl_->slot(slot) + impl_->off.policy);
}
float* InferSlots::value(int slot) const {
  return reinterpret_cast<float*>(impl_->slot(slot) + impl_->off.value);
}

std::atomic<uint32_t>& InferSlots::doorbell() const {
  return reinterpret_cast<Doorbell*>(impl_->base() + kLine)->bell;
}
std::atomic<int64_t>& InferSlots::server_model_version() const {
  return impl_->head()->server_model_version;
}
std::atomic<int64_t>& InferSlots::server_pid() const { return impl_->head()->server_pid; }

void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, int64_t timeout_ns) {
  if (timeout_ns <= 0) return;
  timespec ts;
  ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
  // EAGAIN (the word already differs), ETIMEDOUT and EINTR all mean: look at the word again.
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, expected, &ts, nullptr,
            0);
}

void futex_wake(std::atomic<uint32_t>& word, int count) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, count, nullptr, nullptr,
            0);
}

}  // namespace zp::ipc
