#include "writer/writer.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>
#include <utility>

#include "shared/run/files.h"
#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/fault.h"
#include "shared/core/log.h"
#include "shared/core/signals.h"
#include "shared/data/record.h"
#include "shared/data/record_bounds.h"
#include "shared/data/shard.h"
#include "shared/game/registry.h"
#include "shared/ipc/channel.h"
#include "shared/ipc/curve_keys.h"
#include "shared/run/role.h"
#include "shared/ipc/stats.h"
#include "writer/manifest.h"
#include "writer/recovery.h"

namespace zp::writer {

namespace {

constexpr int kReceiveTimeoutMs = 50;       // loop tick while idle
constexpr int64_t kBeatNs = 1'000'000'000;  // heartbeat and ack re-publication
constexpr int64_t kRateLogNs = 10'000'000'000;
constexpr int64_t kRejectLogNs = 1'000'000'000;  // at most one rejection warning per second
// How often the writer hands free heap pages back to the kernel (malloc_trim). Records arrive
// on ZeroMQ's I/O thread, so a burst (a slow shard fsync, a long manifest rewrite) parks many
// messages in that thread's malloc arena; freed, they stay resident in glibc's arenas, so
// without a trim the writer's RSS ratchets up to its largest backlog so far (a 30-minute
// scripts/soak.sh run: +7% by its 12th minute, in steps).
constexpr int64_t kTrimNs = 10'000'000'000;
constexpr int64_t kDrainOnStopNs = 500'000'000;  // read what is queued before the last flush
// Ranges re-published per actor every second (the newest). Older ones are acknowledged
// again when their records are resent and arrive as duplicates.
constexpr int kRepublishRanges = 4;

uint64_t random_incarnation() {
  std::random_device rd;
  uint64_t v = 0;
  while (v == 0) v = (static_cast<uint64_t>(rd()) << 32) ^ rd();  // 0 means "none" to senders
  return v;
}

class Writer {
 public:
  explicit Writer(run::Role& role)
      : ctx_(role.ctx()),
        shards_dir_(ctx_.shards_dir()),
        shard_positions_(static_cast<uint64_t>(ctx_.config.writer.shard_positions)),
        shard_seconds_ns_(static_cast<int64_t>(ctx_.config.writer.shard_seconds * 1e9)),
        game_(game::make_game(ctx_.config.game.name, {ctx_.config.game.board_size})),
        builder_(game_->name()),
        incarnation_(random_incarnation()),
        stats_(&role.stats()),
        role_(role) {}

  int run();

 private:
  void handle(const std::string& msg);
  void reject(const std::string& why);
  void flush();
  void publish_range(uint32_t actor, uint64_t seq);
  void republish_all();
  void beat();
  void log_rate(int64_t now);
  void log_refused();

  const run::RunContext& ctx_;
  const std::string shards_dir_;
  const uint64_t shard_positions_;
  const int64_t shard_seconds_ns_;
  const std::shared_ptr<const game::Game> game_;
  data::ShardBuilder builder_;
  const uint64_t incarnation_;

  ipc::Stats* const stats_;  // the role's
  std::unique_ptr<ipc::RecordReceiver> receiver_;
  Manifest manifest_;                                // durable state (what is on disk)
  std::set<std::pair<uint32_t, uint64_t>> pending_;  // (actor, sequence) in builder_
  int64_t shard_opened_ns_ = 0;

  // Counters for the rate line and the rejection log.
  uint64_t positions_in_ = 0, records_in_ = 0, rejected_ = 0, duplicates_ = 0;
  uint64_t rate_positions_ = 0, rate_records_ = 0;
  int64_t rate_since_ns_ = 0;
  int64_t last_reject_log_ns_ = 0;
  int64_t last_trim_ns_ = 0;
  uint64_t rejects_unlogged_ = 0;
  run::Role& role_;
};

int Writer::run() {
  beat();

  RecoveryReport rep;
  RecoveryOptions recovery;
  recovery.progress = [this] { beat(); };  // a long recovery must not look hung
  manifest_ = recover_manifest(shards_dir_, *game_, &rep, recovery);
  // Counters of a fresh stats block (a resumed run) start from the durable totals; otherwise
  // only adopted shards are new to them (a crash came before their counters were added).
  if (stats_->get(ipc::kWriterSlot, ipc::kShards) == 0) {
    stats_->set(ipc::kWriterSlot, ipc::kShards, static_cast<int64_t>(manifest_.shards.size()));
    stats_->set(ipc::kWriterSlot, ipc::kPositions,
                static_cast<int64_t>(manifest_.total_positions()));
    stats_->set(ipc::kWriterSlot, ipc::kGames, static_cast<int64_t>(manifest_.total_records()));
  } else if (rep.adopted > 0) {
    stats_->add(ipc::kWriterSlot, ipc::kShards, rep.adopted);
    stats_->add(ipc::kWriterSlot, ipc::kPositions, static_cast<int64_t>(rep.adopted_positions));
    stats_->add(ipc::kWriterSlot, ipc::kGames, static_cast<int64_t>(rep.adopted_records));
  }
  spdlog::info(
      "durable state: {} shards, {} records, {} positions, {} actors; next shard {} "
      "(adopted {}, corrupt {}, missing {}, temporaries removed {}{})",
      manifest_.shards.size(), manifest_.total_records(), manifest_.total_positions(),
      manifest_.actors.size(), run::shard_file_name(manifest_.next_shard), rep.adopted, rep.corrupt,
      rep.missing, rep.temporaries, rep.manifest_rebuilt ? ", manifest rebuilt" : "");

  const size_t max_message = data::max_record_bytes(*game_);
  ipc::CurveServerKeys keys;
  const bool curve = ipc::curve_required(ctx_.names.records, ctx_.config.writer.insecure);
  if (curve) keys = ipc::load_server_keys(ctx_.paths().keys_dir());
  else if (ctx_.names.records.rfind("tcp://", 0) == 0)
    spdlog::warn("writer.insecure: true: {} takes records from anyone who can reach it",
                 ctx_.names.records);
  receiver_ = std::make_unique<ipc::RecordReceiver>(ctx_.names.records, ctx_.names.acks,
                                                    max_message, keys);
  if (curve)
    spdlog::info("CURVE on: {} client keys admitted ({}/authorized holds the others)",
                 keys.authorized.size(), ctx_.paths().keys_dir());
  spdlog::info("writer incarnation {:016x} receiving on {}, acknowledging on {}; peers sending "
               "messages over {} bytes (the largest {} record) are cut off; queue {} messages "
               "per peer", incarnation_, ctx_.names.records, ctx_.names.acks, max_message,
               game_->name(), ipc::receive_queue_depth(max_message));
  republish_all();

  int64_t last_beat = now_ns();
  rate_since_ns_ = last_beat;
  std::string msg;
  while (!stop_requested()) {
    if (receiver_->receive(&msg, kReceiveTimeoutMs)) handle(msg);
    const int64_t now = now_ns();
    if (!builder_.empty() && (builder_.num_positions() >= shard_positions_ ||
                              now - shard_opened_ns_ >= shard_seconds_ns_))
      flush();
    if (now - last_beat >= kBeatNs) {
      last_beat = now;
      beat();
      republish_all();
      log_refused();
    }
    if (now - rate_since_ns_ >= kRateLogNs) log_rate(now);
  }

  // Stop: take what is already queued, make it durable, acknowledge, exit cleanly.
  const int64_t drain_until = now_ns() + kDrainOnStopNs;
  while (now_ns() < drain_until && receiver_->receive(&msg, 0)) handle(msg);
  flush();
  republish_all();
  beat();
  spdlog::info("stopped: {} shards, {} records, {} positions durable; {} rejected, {} duplicates",
               manifest_.shards.size(), manifest_.total_records(), manifest_.total_positions(),
               rejected_, duplicates_);
  return 0;
}

void Writer::handle(const std::string& msg) {
  data::GameRecord rec;
  try {
    // decode_record checks the framing (record_size), the checksum and the value ranges;
    // validate_record replays the game.
    if (data::record_size(msg) == 0) throw FormatError("message shorter than a record header");
    rec = data::decode_record(msg);
    data::validate_record(rec, *game_);
  } catch (const FormatError& e) {
    reject(e.what());
    return;
  }
  const auto it = manifest_.actors.find(rec.actor_id);
  if (it != manifest_.actors.end() && it->second.contains(rec.sequence)) {
    // Already durable: the sender missed the ack, so acknowledge again right away.
    ++duplicates_;
    stats_->add(ipc::kWriterSlot, ipc::kRecordsDuplicate, 1);
    publish_range(rec.actor_id, rec.sequence);
    return;
  }
  if (!pending_.emplace(rec.actor_id, rec.sequence).second) {
    // In the open shard: it is acknowledged when that shard is durable.
    ++duplicates_;
    stats_->add(ipc::kWriterSlot, ipc::kRecordsDuplicate, 1);
    return;
  }
  if (builder_.empty()) shard_opened_ns_ = now_ns();
  builder_.add_encoded(msg, rec.num_positions());
  ++records_in_;
  positions_in_ += rec.num_positions();
}

void Writer::reject(const std::string& why) {
  ++rejected_;
  stats_->add(ipc::kWriterSlot, ipc::kRecordsRejected, 1);
  const int64_t now = now_ns();
  if (now - last_reject_log_ns_ < kRejectLogNs) {
    ++rejects_unlogged_;
    return;
  }
  if (rejects_unlogged_ > 0)
    spdlog::warn("rejected a record: {} ({} more rejected since the last warning)", why,
                 rejects_unlogged_);
  else
    spdlog::warn("rejected a record: {}", why);
  last_reject_log_ns_ = now;
  rejects_unlogged_ = 0;
}

// Shard file, then manifest, then counters, then acks: an ack is only ever sent for records
// that a restarted writer will find durable.
void Writer::flush() {
  if (builder_.empty()) return;
  const std::string file = run::shard_file_name(manifest_.next_shard);
  const uint64_t records = builder_.num_records(), positions = builder_.num_positions();
  builder_.write(shards_dir_ + "/" + file);  // throws IoError: we die, records are resent
  fault_point("writer.shard_renamed");       // the next start adopts the shard
  ++manifest_.next_shard;
  manifest_.shards.push_back({file, records, positions});
  for (const auto& [actor, seq] : pending_) manifest_.actors[actor].insert(seq);
  save_manifest(shards_dir_, manifest_);
  fault_point("writer.before_ack");  // durable, unacknowledged: resent, then acked as duplicates
  stats_->add(ipc::kWriterSlot, ipc::kShards, 1);
  stats_->add(ipc::kWriterSlot, ipc::kPositions, static_cast<int64_t>(positions));
  stats_->add(ipc::kWriterSlot, ipc::kGames, static_cast<int64_t>(records));
  spdlog::debug("wrote {} ({} records, {} positions)", file, records, positions);
  // One ack per distinct range touched; pending_ is ordered by (actor, sequence), so
  // records of one range are adjacent.
  std::pair<uint32_t, uint64_t> last_range_end{0, 0};
  bool have_last = false;
  for (const auto& [actor, seq] : pending_) {
    if (have_last && last_range_end.first == actor && seq <= last_range_end.second) continue;
    const auto range = manifest_.actors[actor].range_of(seq);
    publish_range(actor, seq);
    last_range_end = {actor, range.second};
    have_last = true;
  }
  pending_.clear();
}

void Writer::publish_range(uint32_t actor, uint64_t seq) {
  const auto [lo, hi] = manifest_.actors.at(actor).range_of(seq);
  ipc::Ack ack;
  ack.actor_id = actor;
  ack.writer_incarnation = incarnation_;
  ack.durable_from = lo;
  ack.durable_seq = hi;
  receiver_->publish_ack(ack);
}

void Writer::republish_all() {
  ipc::Ack hello;  // this incarnation, to every actor (ipc/channel.h)
  hello.actor_id = ipc::kAnnounceActor;
  hello.writer_incarnation = incarnation_;
  receiver_->publish_ack(hello);
  for (const auto& [actor, seqs] : manifest_.actors) {
    int n = 0;
    for (auto it = seqs.ranges().rbegin(); it != seqs.ranges().rend() && n < kRepublishRanges;
         ++it, ++n)
      publish_range(actor, it->first);
  }
}

// Peers the CURVE handshake refused since the last report, at most once a beat (a second).
void Writer::log_refused() {
  role_.report_refused_peers(receiver_->refused_peers(), receiver_->last_refused_address());
}

void Writer::beat() {
  stats_->heartbeat(ipc::kWriterSlot);
  if (const int64_t now = now_ns(); now - last_trim_ns_ >= kTrimNs) {
    malloc_trim(0);  // every arena's free pages, not only the main heap's top (glibc >= 2.8)
    last_trim_ns_ = now;
  }
  // Report rejections the rate limit held back, once things have been quiet for a second.
  if (rejects_unlogged_ > 0 && now_ns() - last_reject_log_ns_ >= kRejectLogNs) {
    spdlog::warn("rejected {} more records (see the first warning for a reason)",
                 rejects_unlogged_);
    rejects_unlogged_ = 0;
  }
}

void Writer::log_rate(int64_t now) {
  const double secs = (now - rate_since_ns_) * 1e-9;
  spdlog::info(
      "received {:.0f} positions/s ({:.1f} games/s); durable: {} shards, {} records, {} "
      "positions; open shard: {} records; rejected {}, duplicates {}",
      (positions_in_ - rate_positions_) / secs, (records_in_ - rate_records_) / secs,
      manifest_.shards.size(), manifest_.total_records(), manifest_.total_positions(),
      builder_.num_records(), rejected_, duplicates_);
  rate_positions_ = positions_in_;
  rate_records_ = records_in_;
  rate_since_ns_ = now;
}

}  // namespace

int run_writer(const std::string& run_dir) {
  return run::run_role(run_dir, "writer", ipc::kWriterSlot, [](run::Role& role) {
    Writer writer(role);
    return writer.run();
  });
}

}  // namespace zp::writer
