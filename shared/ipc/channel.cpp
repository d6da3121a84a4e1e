// ZeroMQ transport of game records (see channel.h for the protocol).
//
// Sender state: the pending records in a map ordered by sequence, each with the time of its
// last send (0 = not sent yet: the PUSH queue was full or no writer was reachable). Records
// are (re)sent in sequence order, so within one connection the writer sees them in order.
#include "shared/ipc/channel.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <zmq.hpp>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/bytes.h"
#include "shared/ipc/curve_gate.h"

namespace zp::ipc {

namespace {

constexpr size_t kAckBytes = 32;
// Queue depths: generous, so that a writer pause (fsync of a shard) never blocks an actor;
// a full queue only delays records (they stay pending and go out at a later poll). The
// receive side is also bounded in bytes (receive_queue_depth).
constexpr int kSendHwm = 20000;
constexpr int kMaxReceiveHwm = 20000;
constexpr int kMinReceiveHwm = 16;

std::string encode_ack(const Ack& a) {
  std::string out;
  put<uint32_t>(&out, a.actor_id);  // first: it is the SUB topic
  put<uint32_t>(&out, kAckMagic);
  put<uint64_t>(&out, a.writer_incarnation);
  put<uint64_t>(&out, a.durable_seq);
  put<uint64_t>(&out, a.durable_from);
  return out;
}

// Returns false for anything that is not a well-formed ack.
bool decode_ack(const zmq::message_t& msg, Ack* a) {
  if (msg.size() != kAckBytes) return false;
  ByteReader rd(std::string_view(static_cast<const char*>(msg.data()), msg.size()), "ack");
  a->actor_id = rd.get<uint32_t>();
  if (rd.get<uint32_t>() != kAckMagic) return false;
  a->writer_incarnation = rd.get<uint64_t>();
  a->durable_seq = rd.get<uint64_t>();
  a->durable_from = rd.get<uint64_t>();
  return a->durable_from <= a->durable_seq;
}

std::string topic_of(uint32_t actor_id) {
  std::string t;
  put<uint32_t>(&t, actor_id);
  return t;
}

// ipc endpoints leave a socket file behind when their process dies; bind() would then fail
// with EADDRINUSE. Only the writer binds these names, so a file there is stale.
void remove_stale_socket_file(const std::string& endpoint) {
  const std::string scheme = "ipc://";
  if (endpoint.compare(0, scheme.size(), scheme) != 0) return;
  ::unlink(endpoint.substr(scheme.size()).c_str());
}

// An ipc socket file is for its owner only, whatever the umask.
void restrict_socket_file(const std::string& endpoint) {
  const std::string scheme = "ipc://";
  if (endpoint.compare(0, scheme.size(), scheme) != 0) return;
  const std::string path = endpoint.substr(scheme.size());
  if (::chmod(path.c_str(), 0600) != 0)
    throw IoError("cannot chmod " + path + ": " + std::strerror(errno));
}

}  // namespace

int receive_queue_depth(size_t max_message_bytes) {
  const size_t fit = kReceiveQueueBytes / std::max<size_t>(1, max_message_bytes);
  return static_cast<int>(std::clamp<size_t>(fit, kMinReceiveHwm, kMaxReceiveHwm));
}

// --- RecordSender -------------------------------------------------------------------------

struct RecordSender::Impl {
  struct Entry {
    std::string bytes;
    int64_t last_send_ns = 0;  // 0 = (re)send it at the next chance
    uint64_t sent_to = 0;      // writer incarnation of the last send (0 = none known then)
    bool ever_sent = false;
  };

  zmq::context_t ctx{1};
  zmq::socket_t push{ctx, zmq::socket_type::push};
  zmq::socket_t sub{ctx, zmq::socket_type::sub};
  uint32_t actor_id = 0;
  int64_t resend_after_ns = 0;
  std::map<uint64_t, Entry> pending;
  size_t unsent = 0;         // entries with last_send_ns == 0
  uint64_t incarnation = 0;  // writer incarnation of the last ack (0 = none seen)
  uint64_t acked = 0;
  uint64_t resent = 0;
  std::FILE* ack_log = nullptr;  // ZP_ACK_LOG (see the header); null when unset

  ~Impl() {
    if (ack_log) std::fclose(ack_log);
  }

  // Sends one entry without blocking; false if the queue is full (it stays unsent).
  bool try_send(Entry& e) {
    zmq::send_result_t r;
    try {
      r = push.send(zmq::buffer(e.bytes), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& err) {
      if (err.num() == EINTR) return false;
      throw IoError(std::string("cannot send a record: ") + err.what());
    }
    if (!r) return false;
    if (e.last_send_ns == 0) --unsent;
    if (e.ever_sent) ++resent;
    e.ever_sent = true;
    e.last_send_ns = now_ns();
    e.sent_to = incarnation;
    return true;
  }

  void apply_ack(const Ack& a) {
    if (a.actor_id != actor_id && a.actor_id != kAnnounceActor) return;
    // A new incarnation: records sent to another one, or before any was known (perhaps to a
    // writer that died before its first ack), may be lost with it, so they go out again.
    if (a.writer_incarnation != incarnation) {
      incarnation = a.writer_incarnation;
      for (auto& [seq, e] : pending) {
        if (e.last_send_ns == 0 || e.sent_to == incarnation) continue;
        e.last_send_ns = 0;
        ++unsent;
      }
    }
    if (a.actor_id == kAnnounceActor) return;
    auto it = pending.lower_bound(a.durable_from);
    bool logged = false;
    while (it != pending.end() && it->first <= a.durable_seq) {
      if (it->second.last_send_ns == 0) --unsent;
      if (ack_log) {
        std::fprintf(ack_log, "%u %llu\n", actor_id, static_cast<unsigned long long>(it->first));
        logged = true;
      }
      it = pending.erase(it);
      ++acked;
    }
    if (logged) std::fflush(ack_log);
  }

  void open_ack_log() {
    const char* dir = std::getenv("ZP_ACK_LOG");
    if (dir == nullptr || *dir == '\0') return;
    const std::string path = std::string(dir) + "/acks-" + std::to_string(actor_id) + "-" +
                             std::to_string(::getpid()) + ".log";
    ack_log = std::fopen(path.c_str(), "a");
    if (ack_log == nullptr)
      throw IoError("ZP_ACK_LOG: cannot open " + path + ": " + std::strerror(errno));
  }
};

RecordSender::RecordSender(const std::string& records, const std::string& acks, uint32_t actor_id,
                           double resend_after_s, const CurveClientKeys& keys)
    : impl_(std::make_unique<Impl>()) {
  impl_->actor_id = actor_id;
  impl_->resend_after_ns = static_cast<int64_t>(resend_after_s * 1e9);
  impl_->open_ack_log();
  try {
    if (keys.enabled()) {
      make_curve_client(impl_->push, keys);
      make_curve_client(impl_->sub, keys);
    }
    impl_->push.set(zmq::sockopt::sndhwm, kSendHwm);
    impl_->push.set(zmq::sockopt::linger, 0);
    impl_->push.connect(records);
    impl_->sub.set(zmq::sockopt::linger, 0);
    impl_->sub.set(zmq::sockopt::subscribe, topic_of(actor_id));
    impl_->sub.set(zmq::sockopt::subscribe, topic_of(kAnnounceActor));
    impl_->sub.connect(acks);
  } catch (const zmq::error_t& e) {
    throw IoError("cannot connect to the writer at " + records + " / " + acks + ": " +
                  e.what());
  }
}

RecordSender::~RecordSender() = default;

void RecordSender::send(uint64_t sequence, std::string bytes) {
  auto [it, inserted] = impl_->pending.try_emplace(sequence);
  if (!inserted)
    throw StateError("record sequence " + std::to_string(sequence) + " of actor " +
                     std::to_string(impl_->actor_id) + " is already pending");
  it->second.bytes = std::move(bytes);
  ++impl_->unsent;
  // Keep sequence order on the wire: only send now if nothing older is still waiting.
  if (impl_->unsent == 1) impl_->try_send(it->second);
}

void RecordSender::poll() {
  Impl& s = *impl_;
  zmq::message_t msg;
  for (;;) {
    zmq::recv_result_t r;
    try {
      r = s.sub.recv(msg, zmq::recv_flags::dontwait);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) break;
      throw IoError(std::string("cannot receive acknowledgements: ") + e.what());
    }
    if (!r) break;
    Ack a;
    if (decode_ack(msg, &a)) s.apply_ack(a);
  }
  const int64_t now = now_ns();
  bool blocked = false;  // the queue is full: stop for this poll, keep the order
  for (auto& [seq, e] : s.pending) {
    if (blocked) break;
    if (e.last_send_ns == 0 || now - e.last_send_ns > s.resend_after_ns) blocked = !s.try_send(e);
  }
}

size_t RecordSender::pending() const { return impl_->pending.size(); }
uint64_t RecordSender::acked_total() const { return impl_->acked; }
uint64_t RecordSender::resent_total() const { return impl_->resent; }
uint64_t RecordSender::writer_incarnation() const { return impl_->incarnation; }

// --- RecordReceiver -----------------------------------------------------------------------

struct RecordReceiver::Impl {
  zmq::context_t ctx{1};
  zmq::socket_t pull{ctx, zmq::socket_type::pull};
  zmq::socket_t pub{ctx, zmq::socket_type::pub};
  std::unique_ptr<CurveGate> gate;  // ZAP handler and refused peers; CURVE only

  void serve_zap() {
    if (gate) gate->serve();
  }
};

RecordReceiver::RecordReceiver(const std::string& records, const std::string& acks,
                               size_t max_message_bytes, const CurveServerKeys& keys)
    : impl_(std::make_unique<Impl>()) {
  ZP_CHECK_GT(max_message_bytes, 0u);
  const std::string* current = &records;
  try {
    if (keys.enabled()) {
      impl_->gate = std::make_unique<CurveGate>(impl_->ctx, keys.authorized,
                                                std::vector<zmq::socket_t*>{&impl_->pull, &impl_->pub});
      make_curve_server(impl_->pull, keys);
      make_curve_server(impl_->pub, keys);
    }
    impl_->pull.set(zmq::sockopt::rcvhwm, receive_queue_depth(max_message_bytes));
    impl_->pull.set(zmq::sockopt::linger, 0);
    // A peer sending something larger than any record is cut off before we buffer it.
    impl_->pull.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(max_message_bytes));
    remove_stale_socket_file(records);
    impl_->pull.bind(records);
    restrict_socket_file(records);
    current = &acks;
    impl_->pub.set(zmq::sockopt::linger, 0);
    remove_stale_socket_file(acks);
    impl_->pub.bind(acks);
    restrict_socket_file(acks);
  } catch (const zmq::error_t& e) {
    throw IoError("cannot bind " + *current + ": " + e.what());
  }
}

RecordReceiver::~RecordReceiver() = default;

bool RecordReceiver::receive(std::string* bytes, int timeout_ms) {
  zmq::message_t msg;
  try {
    impl_->serve_zap();
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!impl_->pull.recv(msg, zmq::recv_flags::dontwait)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      zmq::pollitem_t items[2] = {
          {impl_->pull.handle(), 0, ZMQ_POLLIN, 0},
          {impl_->gate ? impl_->gate->zap().handle() : nullptr, 0, ZMQ_POLLIN, 0}};
      if (zmq::poll(items, impl_->gate ? 2 : 1, left) == 0) return false;
      impl_->serve_zap();
    }
  } catch (const zmq::error_t& e) {
    // A stop signal interrupts the wait; the caller's loop then sees the stop request.
    if (e.num() == EINTR) return false;
    throw IoError(std::string("cannot receive records: ") + e.what());
  }
  bytes->assign(static_cast<const char*>(msg.data()), msg.size());
  return true;
}

void RecordReceiver::publish_ack(const Ack& ack) {
  const std::string m = encode_ack(ack);
  try {
    impl_->serve_zap();  // subscribers authenticate too
    // PUB never blocks; a slow subscriber just misses acks, which later ones repair.
    impl_->pub.send(zmq::buffer(m), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return;
    throw IoError(std::string("cannot publish an acknowledgement: ") + e.what());
  }
}

uint64_t RecordReceiver::refused_peers() const {
  return impl_->gate ? impl_->gate->refused() : 0;
}
std::string RecordReceiver::last_refused_address() const {
  return impl_->gate ? impl_->gate->last_refused() : "";
}

}  // namespace zp::ipc
