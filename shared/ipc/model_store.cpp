// The model store's seqlock. See model_store.h for the protocol; the shm layout is private to
// this file:
//
//   offset 0                 StoreHeader (one cache line)
//   64 + i * slot_stride     SlotHeader (one cache line), then slot_bytes model bytes
//
// Memory model notes. The slot header fields other than `seq` are relaxed atomics, so a
// reader racing a writer reads stale-but-valid values rather than committing a data race on
// them; the model bytes themselves are copied with memcpy, and a copy that overlapped a
// write is discarded because `seq` changed (and would fail the checksum anyway).
#include "shared/ipc/model_store.h"

#include <xxhash.h>

#include <atomic>
#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/permissions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstring>
#include <new>
#include <thread>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/fault.h"
#include "shared/ipc/shm_reserve.h"

namespace zp::ipc {

namespace bip = boost::interprocess;

namespace {

constexpr uint64_t kStoreMagic = 0x325354534d505aULL;  // "ZPMSTS2" (2: four slots)
// Two slots per kind, alternating, so a publish never touches the slot readers are directed
// to: a writer killed mid-copy leaves only the other one odd, and the next publish rewrites it.
constexpr int kNumModelSlots = 4;  // 0, 1: latest; 2, 3: best
constexpr int kLatestSlots = 0;
constexpr int kBestSlots = 2;
constexpr size_t kLine = 64;
// How long a reader keeps retrying a slot that stays mid-write before it gives up: far
// longer than copying even a large model, short enough to report a dead writer promptly.
constexpr int64_t kReadPatienceNs = 3'000'000'000;

struct alignas(kLine) StoreHeader {
  std::atomic<uint64_t> magic;          // kStoreMagic once initialised (release)
  std::atomic<uint64_t> slot_capacity;  // bytes of model data per slot
  std::atomic<int64_t> latest_version;  // 0 = none published yet
  std::atomic<int64_t> latest_slot;     // -1 = none
  std::atomic<int64_t> best_version;
  std::atomic<int64_t> best_slot;
};

struct alignas(kLine) SlotHeader {
  std::atomic<uint64_t> seq;  // odd while being written
  std::atomic<int64_t> version;
  std::atomic<uint64_t> size;
  std::atomic<uint64_t> xxh64;
};

static_assert(sizeof(StoreHeader) == kLine && sizeof(SlotHeader) == kLine);
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shm atomics must be lock-free");

size_t round_up(size_t n) { return (n + kLine - 1) / kLine * kLine; }
size_t slot_stride(size_t capacity) { return sizeof(SlotHeader) + round_up(capacity); }
size_t total_bytes(size_t capacity) {
  return sizeof(StoreHeader) + kNumModelSlots * slot_stride(capacity);
}

}  // namespace

struct ModelStore::Impl {
  std::string name;
  bip::shared_memory_object shm;
  bip::mapped_region region;
  StoreHeader* header = nullptr;
  size_t capacity = 0;

  SlotHeader* slot(int i) const {
    char* base = static_cast<char*>(region.get_address()) + sizeof(StoreHeader);
    return reinterpret_cast<SlotHeader*>(base + static_cast<size_t>(i) * slot_stride(capacity));
  }
  char* slot_data(int i) const { return reinterpret_cast<char*>(slot(i) + 1); }
  // The slot of the pair starting at `first` that `current` (-1 = none yet) is not.
  static int other_slot(int64_t current, int first) { return current == first ? first + 1 : first; }

  void write_slot(int i, int64_t version, const std::string& bytes, const char* fault);
  int64_t read_slot(const std::atomic<int64_t>& slot_index, std::string* bytes,
                    const char* which) const;
};

// Writer side of the seqlock. Single writer per slot group (the learner for the latest
// slots, the evaluator for the best slot), so the plain read-modify-write of seq is safe.
void ModelStore::Impl::write_slot(int i, int64_t version, const std::string& bytes,
                                  const char* fault) {
  SlotHeader* s = slot(i);
  // Relaxed: only this process writes seq. A previous writer killed mid-write may have left
  // it odd; `| 1` then still yields a larger odd value, so readers see a change.
  const uint64_t start = (s->seq.load(std::memory_order_relaxed) + 1) | 1;
  s->seq.store(start, std::memory_order_relaxed);
  // Release fence: the odd seq above becomes visible no later than any of the data writes
  // below, so a reader that sees new data also sees seq changed (store-store ordering).
  std::atomic_thread_fence(std::memory_order_release);
  // Relaxed: these are published by the release store of the even seq below.
  s->version.store(version, std::memory_order_relaxed);
  s->size.store(bytes.size(), std::memory_order_relaxed);
  s->xxh64.store(XXH64(bytes.data(), bytes.size(), 0), std::memory_order_relaxed);
  // In two halves, with a fault point between them: a writer killed mid-copy.
  const size_t half = bytes.size() / 2;
  std::memcpy(slot_data(i), bytes.data(), half);
  fault_point(fault);
  std::memcpy(slot_data(i) + half, bytes.data() + half, bytes.size() - half);
  // Release: a reader that acquires this even value sees every write above.
  s->seq.store(start + 1, std::memory_order_release);
}

// Reader side: retries while the slot is being written or changed under the copy.
int64_t ModelStore::Impl::read_slot(const std::atomic<int64_t>& slot_index, std::string* bytes,
                                    const char* which) const {
  const int64_t deadline = now_ns() + kReadPatienceNs;
  std::string last_problem;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      if (now_ns() > deadline)
        throw FormatError("model store " + name + ": cannot read the " + which + " model (" +
                          last_problem + "); did its writer die mid-write?");
      if (attempt > 16) std::this_thread::yield();
    }
    // Acquire: pairs with the release store in publish_*, so the slot we pick has been
    // completely written at least once.
    const int64_t i = slot_index.load(std::memory_order_acquire);
    if (i < 0) return 0;
    const SlotHeader* s = slot(static_cast<int>(i));
    // Acquire: pairs with the writer's final release store of the even seq.
    const uint64_t seq1 = s->seq.load(std::memory_order_acquire);
    if (seq1 & 1) {
      last_problem = "slot stays mid-write";
      continue;
    }
    // Relaxed: validated by the seq re-check below.
    const int64_t version = s->version.load(std::memory_order_relaxed);
    const uint64_t size = s->size.load(std::memory_order_relaxed);
    const uint64_t sum = s->xxh64.load(std::memory_order_relaxed);
    if (size > capacity) {
      last_problem = "size over capacity";
      continue;
    }
    bytes->resize(size);
    std::memcpy(bytes->data(), slot_data(static_cast<int>(i)), size);
    // Acquire fence: the copy above is ordered before the seq re-read below, so if the
    // writer touched the slot during the copy we observe its new seq.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (s->seq.load(std::memory_order_relaxed) != seq1) {
      last_problem = "slot rewritten during the copy";
      continue;
    }
    if (XXH64(bytes->data(), bytes->size(), 0) != sum) {
      last_problem = "checksum mismatch";
      continue;
    }
    return version;
  }
}

ModelStore::ModelStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModelStore::~ModelStore() = default;

std::unique_ptr<ModelStore> ModelStore::create(const std::string& name, size_t slot_bytes) {
  if (slot_bytes == 0) throw ConfigError("model store " + name + ": slot size 0");
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  impl->capacity = slot_bytes;
  // Every page allocated now (not ftruncate's sparse object, which would SIGBUS at the first
  // publish once /dev/shm is full).
  create_reserved_shm(name, total_bytes(slot_bytes), "model store " + name, &impl->shm,
                      &impl->region);
  // The object is zero-filled; give the atomics their lifetime and initial values.
  auto* h = new (impl->region.get_address()) StoreHeader{};
  for (int i = 0; i < kNumModelSlots; ++i) new (impl->slot(i)) SlotHeader{};
  // Relaxed: published by the release store of the magic below.
  h->slot_capacity.store(slot_bytes, std::memory_order_relaxed);
  h->latest_version.store(0, std::memory_order_relaxed);
  h->latest_slot.store(-1, std::memory_order_relaxed);
  h->best_version.store(0, std::memory_order_relaxed);
  h->best_slot.store(-1, std::memory_order_relaxed);
  // Release: open() acquires the magic and then sees a fully initialised header.
  h->magic.store(kStoreMagic, std::memory_order_release);
  impl->header = h;
  return std::unique_ptr<ModelStore>(new ModelStore(std::move(impl)));
}

std::unique_ptr<ModelStore> ModelStore::open(const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  try {
    impl->shm = bip::shared_memory_object(bip::open_only, name.c_str(), bip::read_write);
    bip::offset_t size = 0;
    if (!impl->shm.get_size(size) || size < static_cast<bip::offset_t>(sizeof(StoreHeader)))
      throw IoError("shared memory " + name + " is too small to be a model store");
    impl->region = bip::mapped_region(impl->shm, bip::read_write);
  } catch (const bip::interprocess_exception& e) {
    throw IoError("cannot open shared memory " + name + ": " + e.what());
  }
  auto* h = static_cast<StoreHeader*>(impl->region.get_address());
  // Acquire: pairs with create()'s release store of the magic.
  if (h->magic.load(std::memory_order_acquire) != kStoreMagic)
    throw IoError("shared memory " + name + " is not an initialised model store");
  // Relaxed: ordered by the acquire above and never changed after create().
  impl->capacity = h->slot_capacity.load(std::memory_order_relaxed);
  if (impl->region.get_size() < total_bytes(impl->capacity))
    throw IoError("shared memory " + name + " is smaller than its slots need");
  impl->header = h;
  return std::unique_ptr<ModelStore>(new ModelStore(std::move(impl)));
}

void ModelStore::remove(const std::string& name) {
  bip::shared_memory_object::remove(name.c_str());
}

void ModelStore::publish_latest(int64_t version, const std::string& bytes) {
  StoreHeader* h = impl_->header;
  if (bytes.size() > impl_->capacity)
    throw StateError("model of " + std::to_string(bytes.size()) + " bytes does not fit the " +
                     std::to_string(impl_->capacity) + "-byte slots of " + impl_->name);
  // Relaxed: this process is the only writer of the latest fields.
  const int64_t current = h->latest_version.load(std::memory_order_relaxed);
  if (version <= current)
    throw StateError("model version " + std::to_string(version) + " does not increase (latest " +
                     std::to_string(current) + ")");
  // Write the slot that readers are not directed to; they keep reading the other one.
  // Relaxed: as above.
  const int next = impl_->other_slot(h->latest_slot.load(std::memory_order_relaxed), kLatestSlots);
  impl_->write_slot(next, version, bytes, "model_store.latest_mid_copy");
  // Release: a reader that acquires the new slot index (or version) sees the slot written.
  h->latest_slot.store(next, std::memory_order_release);
  h->latest_version.store(version, std::memory_order_release);
}

void ModelStore::publish_best(int64_t version, const std::string& bytes) {
  StoreHeader* h = impl_->header;
  if (bytes.size() > impl_->capacity)
    throw StateError("model of " + std::to_string(bytes.size()) + " bytes does not fit the " +
                     std::to_string(impl_->capacity) + "-byte slots of " + impl_->name);
  // Relaxed: this process is the only writer of the best fields.
  const int64_t current = h->best_version.load(std::memory_order_relaxed);
  if (version <= current)
    throw StateError("best model version " + std::to_string(version) + " does not increase (best " +
                     std::to_string(current) + ")");
  // As in publish_latest: the slot of the pair that readers are not directed to.
  // Relaxed: as above.
  const int next = impl_->other_slot(h->best_slot.load(std::memory_order_relaxed), kBestSlots);
  impl_->write_slot(next, version, bytes, "model_store.best_mid_copy");
  // Release: as in publish_latest.
  h->best_slot.store(next, std::memory_order_release);
  h->best_version.store(version, std::memory_order_release);
}

int64_t ModelStore::latest_version() const {
  // Acquire: a caller that sees version v and then reads gets v or newer.
  return impl_->header->latest_version.load(std::memory_order_acquire);
}

int64_t ModelStore::best_version() const {
  // Acquire: as latest_version().
  return impl_->header->best_version.load(std::memory_order_acquire);
}

int64_t ModelStore::read_latest(std::string* bytes) const {
  return impl_->read_slot(impl_->header->latest_slot, bytes, "latest");
}

int64_t ModelStore::read_best(std::string* bytes) const {
  return impl_->read_slot(impl_->header->best_slot, bytes, "best");
}

size_t ModelStore::slot_bytes() const { return impl_->capacity; }

}  // namespace zp::ipc
