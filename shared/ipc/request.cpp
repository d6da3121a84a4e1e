#include "shared/ipc/request.h"

#include <cerrno>
#include <chrono>
#include <zmq.hpp>

#include "shared/core/bytes.h"
#include "shared/core/error.h"
#include "shared/ipc/curve_gate.h"

namespace zp::ipc {

namespace {

// Receives the rest of a multipart message whose first part is `first`.
Frames receive_rest(zmq::socket_t& s, zmq::message_t first) {
  Frames frames;
  bool more = first.more();
  frames.push_back(first.to_string());
  while (more) {
    zmq::message_t part;
    (void)s.recv(part, zmq::recv_flags::none);
    more = part.more();
    frames.push_back(part.to_string());
  }
  return frames;
}

// Sends every frame; false if the first could not go out without blocking.
bool send_frames(zmq::socket_t& s, const Frames& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto flags = (i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none) |
                       zmq::send_flags::dontwait;
    if (!s.send(zmq::buffer(frames[i]), flags) && i == 0) return false;
  }
  return true;
}

int64_t ms_left(std::chrono::steady_clock::time_point until) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             until - std::chrono::steady_clock::now()).count();
}

}  // namespace

// --- RequestServer ------------------------------------------------------------------------

struct RequestServer::Impl {
  zmq::context_t ctx{1};
  zmq::socket_t router{ctx, zmq::socket_type::router};
  std::unique_ptr<CurveGate> gate;  // CURVE only
};

RequestServer::RequestServer(const std::string& endpoint, size_t max_message_bytes,
                             const CurveServerKeys& keys)
    : impl_(std::make_unique<Impl>()) {
  try {
    if (keys.enabled()) {
      impl_->gate = std::make_unique<CurveGate>(impl_->ctx, keys.authorized,
                                                std::vector<zmq::socket_t*>{&impl_->router});
      make_curve_server(impl_->router, keys);
    }
    impl_->router.set(zmq::sockopt::linger, 0);
    impl_->router.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(max_message_bytes));
    impl_->router.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw IoError("cannot bind " + endpoint + ": " + e.what());
  }
}

RequestServer::~RequestServer() = default;

bool RequestServer::receive(std::string* peer, Frames* request, int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  try {
    for (;;) {
      if (impl_->gate) impl_->gate->serve();
      zmq::message_t first;
      if (impl_->router.recv(first, zmq::recv_flags::dontwait)) {
        Frames frames = receive_rest(impl_->router, std::move(first));
        if (frames.size() < 2) continue;  // routing id and at least the request id
        // The token to reply to: the routing id, then the request id (after its length).
        peer->clear();
        put<uint32_t>(peer, static_cast<uint32_t>(frames[0].size()));
        *peer += frames[0];
        *peer += frames[1];
        request->assign(frames.begin() + 2, frames.end());
        return true;
      }
      const int64_t left = ms_left(until);
      if (left <= 0) return false;
      zmq::pollitem_t items[2] = {
          {impl_->router.handle(), 0, ZMQ_POLLIN, 0},
          {impl_->gate ? impl_->gate->zap().handle() : nullptr, 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, impl_->gate ? 2 : 1, std::chrono::milliseconds(left));
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;  // a stop signal: the caller's loop sees it
    throw IoError(std::string("cannot receive a request: ") + e.what());
  }
}

void RequestServer::reply(const std::string& peer, const Frames& reply) {
  ZP_CHECK_GE(peer.size(), 4u);
  ByteReader rd(std::string_view(peer).substr(0, 4), "reply token");
  const size_t n = rd.get<uint32_t>();
  ZP_CHECK_LE(n + 4, peer.size());
  Frames frames{peer.substr(4, n), peer.substr(4 + n)};
  frames.insert(frames.end(), reply.begin(), reply.end());
  try {
    send_frames(impl_->router, frames);  // ROUTER drops what it cannot route
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR && e.num() != EHOSTUNREACH)
      throw IoError(std::string("cannot send a reply: ") + e.what());
  }
}

uint64_t RequestServer::refused_peers() const {
  return impl_->gate ? impl_->gate->refused() : 0;
}
std::string RequestServer::last_refused_address() const {
  return impl_->gate ? impl_->gate->last_refused() : "";
}

// --- RequestClient ------------------------------------------------------------------------

struct RequestClient::Impl {
  zmq::context_t ctx{1};
  zmq::socket_t dealer{ctx, zmq::socket_type::dealer};
  zmq::socket_t monitor;  // failed handshakes (our key refused); CURVE only
  uint64_t next_id = 1;
  bool refused = false;

  void drain_monitor() {
    if (!monitor) return;
    zmq::message_t event;
    while (monitor.recv(event, zmq::recv_flags::dontwait)) {
      zmq::message_t endpoint;
      if (event.more()) (void)monitor.recv(endpoint, zmq::recv_flags::none);
      refused = true;
    }
  }
};

RequestClient::RequestClient(const std::string& endpoint, const CurveClientKeys& keys)
    : impl_(std::make_unique<Impl>()) {
  try {
    if (keys.enabled()) {
      make_curve_client(impl_->dealer, keys);
      const char* name = "inproc://zp-client-handshakes";
      if (zmq_socket_monitor(impl_->dealer.handle(), name, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        throw zmq::error_t();
      impl_->monitor = zmq::socket_t(impl_->ctx, zmq::socket_type::pair);
      impl_->monitor.set(zmq::sockopt::linger, 0);
      impl_->monitor.connect(name);
    }
    impl_->dealer.set(zmq::sockopt::linger, 0);
    // Queue nothing for a head that is not connected: a request is sent when it can arrive.
    impl_->dealer.set(zmq::sockopt::immediate, 1);
    impl_->dealer.set(zmq::sockopt::reconnect_ivl_max, 2000);
    impl_->dealer.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw IoError("cannot connect to " + endpoint + ": " + e.what());
  }
}

RequestClient::~RequestClient() = default;

bool RequestClient::call(const Frames& request, Frames* reply, int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const std::string id = std::to_string(impl_->next_id++);
  Frames frames{id};
  frames.insert(frames.end(), request.begin(), request.end());
  try {
    bool sent = false;
    for (;;) {
      impl_->drain_monitor();
      if (!sent) sent = send_frames(impl_->dealer, frames);
      zmq::message_t first;
      while (impl_->dealer.recv(first, zmq::recv_flags::dontwait)) {
        Frames got = receive_rest(impl_->dealer, std::move(first));
        if (got.empty() || got[0] != id) continue;  // a late reply to an older request
        reply->assign(got.begin() + 1, got.end());
        return true;
      }
      const int64_t left = ms_left(until);
      if (left <= 0) return false;
      zmq::pollitem_t items[1] = {{impl_->dealer.handle(), 0, ZMQ_POLLIN, 0}};
      // Not yet sent (no connection): look again soon; sent: wait for the reply.
      zmq::poll(items, 1, std::chrono::milliseconds(sent ? std::min<int64_t>(left, 200)
                                                          : std::min<int64_t>(left, 50)));
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw IoError(std::string("cannot talk to the head: ") + e.what());
  }
}

bool RequestClient::refused() const {
  impl_->drain_monitor();
  return impl_->refused;
}

}  // namespace zp::ipc
