#include "host/relay.h"

#include "shared/core/error.h"
#include "shared/core/log.h"
#include "shared/core/parse.h"
#include "shared/run/hub.h"

namespace zp::host {

ModelRelay::ModelRelay(ipc::RequestClient& client, ipc::ModelStore& store, std::string which)
    : client_(client), store_(store), which_(std::move(which)) {}

int64_t ModelRelay::relayed_version() const {
  return which_ == "best" ? store_.best_version() : store_.latest_version();
}

bool ModelRelay::step(int timeout_ms, int max_chunks) {
  for (int i = 0; i < max_chunks; ++i) {
    bool done = false;
    if (!exchange(timeout_ms, &done)) return false;
    if (done) return true;
  }
  return true;
}

bool ModelRelay::exchange(int timeout_ms, bool* done) {
  const int64_t have = relayed_version();
  ipc::Frames reply;
  if (!client_.call({"MODEL", which_, std::to_string(have), std::to_string(version_),
                     std::to_string(bytes_.size())},
                    &reply, timeout_ms))
    return false;
  if (reply.size() != 6 || reply[0] != "MODEL")
    throw IoError("the head answered a MODEL request with '" +
                  (reply.empty() ? std::string() : reply[0].substr(0, 40)) + "'");
  const int64_t version = parse_int(reply[1]).value_or(0);
  const uint64_t total = parse_uint(reply[2]).value_or(0);
  const uint64_t offset = parse_uint(reply[4]).value_or(~0ull);
  if (version <= have) {  // nothing newer (a restarted head may even be behind: wait for it)
    version_ = 0;
    bytes_.clear();
    *done = true;
    return true;
  }
  if (version != version_ || offset != bytes_.size() || total != total_) {
    version_ = version;  // a newer one than we were fetching: start over
    total_ = total;
    digest_ = reply[3];
    bytes_.clear();
    chunks_ = 0;
    if (offset != 0) return true;
  }
  bytes_ += reply[5];
  ++chunks_;
  if (reply[5].empty() || bytes_.size() > total_) {  // a reply that cannot be right
    spdlog::warn("model v{} from the head: chunk at {} does not fit {} bytes; starting over",
                 version_, offset, total_);
    version_ = 0;
    bytes_.clear();
    *done = true;
    return true;
  }
  if (bytes_.size() == total_) {
    publish();
    *done = true;
  }
  return true;
}

void ModelRelay::publish() {
  if (run::model_digest(bytes_) != digest_) {
    spdlog::warn("model v{} from the head failed its xxh64 check ({} bytes); fetching it again",
                 version_, bytes_.size());
  } else {
    if (which_ == "best")
      store_.publish_best(version_, bytes_);
    else
      store_.publish_latest(version_, bytes_);
    ++relayed_;
    spdlog::info("relayed {} model v{} ({} bytes in {} chunks)", which_, version_, bytes_.size(),
                 chunks_);
  }
  version_ = 0;
  bytes_.clear();
}

}  // namespace zp::host
