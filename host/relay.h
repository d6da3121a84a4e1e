// The model relay of a joined host: downloads each newly published model from the head's hub
// in chunks (MODEL requests, shared/run/hub.h), checks the xxh64 of the whole, and publishes
// it into the host's own model store, where its actors pick it up between search rounds
// exactly as the head's actors do. A host that joins late or misses versions gets the newest
// one: the hub always offers the newest, and a newer one published mid-download restarts the
// download with it.
//
// Not thread-safe: used from the host's main loop.
#pragma once

#include <cstdint>
#include <string>

#include "shared/ipc/model_store.h"
#include "shared/ipc/request.h"

namespace zp::host {

class ModelRelay {
 public:
  // `which`: "latest" or "best" (evaluator.gating: the actors follow the best model).
  ModelRelay(ipc::RequestClient& client, ipc::ModelStore& store, std::string which);
  // Fetches chunks until the store holds the newest model, at most `max_chunks` of them.
  // False when the head did not answer within `timeout_ms` (each request).
  bool step(int timeout_ms, int max_chunks = 64);
  int64_t relayed_version() const;
  uint64_t models_relayed() const { return relayed_; }

 private:
  // One MODEL exchange. Sets *done when there is nothing more to fetch now.
  bool exchange(int timeout_ms, bool* done);
  void publish();

  ipc::RequestClient& client_;
  ipc::ModelStore& store_;
  const std::string which_;
  int64_t version_ = 0;  // being downloaded (0: none)
  uint64_t total_ = 0;
  std::string digest_;
  std::string bytes_;
  int chunks_ = 0;
  uint64_t relayed_ = 0;
};

}  // namespace zp::host
