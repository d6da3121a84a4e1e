#include "shared/ipc/stats.h"

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/permissions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <unistd.h>

#include <cstdio>
#include <new>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/ipc/shm_reserve.h"

namespace zp::ipc {

namespace bip = boost::interprocess;

// heartbeat() reads the RSS at most this often.
constexpr int64_t kResidentPeriodNs = 1'000'000'000;

// The block is shared between compilers' views of the same binary only, but keep the layout
// honest: counters must be lock-free (no hidden mutex in shm) and slots whole cache lines.
static_assert(std::atomic<int64_t>::is_always_lock_free, "shm counters must be lock-free");
static_assert(sizeof(SlotStats) % 64 == 0, "slots are padded to cache lines");
static_assert(kAnonBytes < kNumCounters, "every counter fits in a slot");

struct Stats::Impl {
  bip::shared_memory_object shm;
  bip::mapped_region region;
};

Stats::Stats(std::unique_ptr<Impl> impl, StatsBlock* block)
    : impl_(std::move(impl)), block_(block) {}

Stats::~Stats() = default;

std::unique_ptr<Stats> Stats::create(const std::string& name, int num_actors) {
  if (num_actors < 0 || num_actors > kMaxActors)
    throw ConfigError("stats block: " + std::to_string(num_actors) + " actors (at most " +
                      std::to_string(kMaxActors) + ")");
  bip::shared_memory_object::remove(name.c_str());
  auto impl = std::make_unique<Impl>();
  try {
    impl->shm = bip::shared_memory_object(bip::create_only, name.c_str(), bip::read_write,
                                          bip::permissions(0600));
    reserve_shm(impl->shm.get_mapping_handle().handle, sizeof(StatsBlock), "stats block " + name);
    impl->region = bip::mapped_region(impl->shm, bip::read_write, 0, sizeof(StatsBlock));
  } catch (const bip::interprocess_exception& e) {
    bip::shared_memory_object::remove(name.c_str());
    throw IoError("cannot create shared memory " + name + ": " + e.what());
  } catch (const IoError&) {
    bip::shared_memory_object::remove(name.c_str());
    throw;
  }
  // posix_fallocate zero-fills the object, which is a valid state for every counter; placement-new
  // gives the atomics a proper lifetime all the same.
  auto* block = new (impl->region.get_address()) StatsBlock{};
  block->version = 5;
  block->num_actors = static_cast<uint32_t>(num_actors);
  // Processes that open the block are spawned after create() returns (fork+exec orders
  // everything before), so a plain store of the magic is enough.
  block->magic = kStatsMagic;
  return std::unique_ptr<Stats>(new Stats(std::move(impl), block));
}

std::unique_ptr<Stats> Stats::open(const std::string& name) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->shm = bip::shared_memory_object(bip::open_only, name.c_str(), bip::read_write);
    bip::offset_t size = 0;
    if (!impl->shm.get_size(size) || size < static_cast<bip::offset_t>(sizeof(StatsBlock)))
      throw IoError("shared memory " + name + " is too small to be a stats block");
    impl->region = bip::mapped_region(impl->shm, bip::read_write, 0, sizeof(StatsBlock));
  } catch (const bip::interprocess_exception& e) {
    throw IoError("cannot open shared memory " + name + ": " + e.what());
  }
  auto* block = static_cast<StatsBlock*>(impl->region.get_address());
  if (block->magic != kStatsMagic)
    throw IoError("shared memory " + name + " is not an initialised stats block");
  return std::unique_ptr<Stats>(new Stats(std::move(impl), block));
}

void Stats::heartbeat(int slot) {
  const int64_t now = now_ns();
  set(slot, kHeartbeatNs, now);
  if (now < next_rss_ns_.load(std::memory_order_relaxed)) return;
  next_rss_ns_.store(now + kResidentPeriodNs, std::memory_order_relaxed);
  const ResidentBytes rss = self_resident_bytes();
  if (rss.resident < 0) return;
  set(slot, kResidentBytes, rss.resident);
  set(slot, kAnonBytes, rss.anon);
}

ResidentBytes self_resident_bytes() {
  // statm: size resident shared text lib data dt, in pages (proc(5)); "shared" counts the
  // resident file-backed and shared-memory pages (RssFile + RssShmem).
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return {};
  long long size = 0, resident = 0, shared = 0;
  const int got = std::fscanf(f, "%lld %lld %lld", &size, &resident, &shared);
  std::fclose(f);
  if (got != 3) return {};
  static const int64_t page = sysconf(_SC_PAGESIZE);
  return {static_cast<int64_t>(resident) * page, static_cast<int64_t>(resident - shared) * page};
}

void Stats::remove(const std::string& name) { bip::shared_memory_object::remove(name.c_str()); }

}  // namespace zp::ipc
