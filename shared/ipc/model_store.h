// The shared-memory model store: the learner publishes checkpoints (model/checkpoint.h
// bytes), actors and the evaluator read them, and nobody ever sees a half-written model.
//
// Layout of the shm object "zp-<run_id>-models" (0600):
//   StoreHeader: magic, slot capacity, std::atomic<int64_t> latest_version / latest_slot /
//                best_version / best_slot
//   4 x Slot: std::atomic<uint64_t> seq, int64 version, u64 size, u64 xxh64, bytes
// Slots 0 and 1 alternate for the latest model, slots 2 and 3 for the best (gated) model: a
// publish writes the slot of its pair that readers are not directed to, then points them at
// it. So a publisher killed mid-copy (SIGKILL, or the fault points
// model_store.latest_mid_copy / model_store.best_mid_copy) leaves the current model readable,
// and the next publish simply rewrites the half-written slot.
//
// Protocol (a seqlock per slot, single writer = the learner for "latest", the evaluator for
// "best"): the writer bumps seq to odd (release), writes version/size/bytes/checksum, bumps
// seq to even (release), then stores latest_version/latest_slot (release). A reader loads
// latest_slot/latest_version (acquire), reads seq (acquire; retry if odd), copies the bytes,
// issues an acquire fence and re-reads seq: if it changed, the copy may be torn and it
// retries. The checksum is verified on every read as a second guard.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace zp::ipc {

class ModelStore {
 public:
  // Creates (or replaces) the object with room for models of up to `slot_bytes` bytes.
  static std::unique_ptr<ModelStore> create(const std::string& name, size_t slot_bytes);
  // Attaches to an existing store; throws IoError if missing or not initialised.
  static std::unique_ptr<ModelStore> open(const std::string& name);
  static void remove(const std::string& name);
  ~ModelStore();
  ModelStore(const ModelStore&) = delete;
  ModelStore& operator=(const ModelStore&) = delete;

  // Publishes `bytes` as model `version` (strictly increasing). Throws StateError if the
  // model does not fit or the version does not increase. Single writer.
  void publish_latest(int64_t version, const std::string& bytes);
  void publish_best(int64_t version, const std::string& bytes);

  // Versions currently published (0 = none yet). Lock-free, cheap: poll between rounds.
  int64_t latest_version() const;
  int64_t best_version() const;

  // Copies the latest (or best) model into `bytes` and returns its version, or 0 if none
  // has been published. Retries while the slot is being rewritten; throws FormatError if the
  // checksum keeps failing (a writer died mid-write and nothing newer exists).
  int64_t read_latest(std::string* bytes) const;
  int64_t read_best(std::string* bytes) const;

  size_t slot_bytes() const;

 private:
  struct Impl;
  explicit ModelStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::ipc
