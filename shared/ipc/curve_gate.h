// CURVE plumbing shared by the ZeroMQ sockets of zp_ipc (internal to the library: it exposes
// zmq.hpp): key decoding, client and server socket options, and the CurveGate, the ZAP
// handler (RFC 27) that admits only authorized client keys and counts refused peers.
//
// Not thread-safe: a gate belongs to the thread that owns its context's sockets.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "shared/ipc/channel.h"

namespace zp::ipc {

// The 32-byte binary form of a Z85 key; throws ConfigError naming `what` if it is not one.
std::string decode_curve_key(const std::string& z85, const char* what);
// Socket options of a CURVE client (proves `k`'s key pair, checks the server's key).
void make_curve_client(zmq::socket_t& s, const CurveClientKeys& k);
// Socket options of a CURVE server whose clients the ZAP handler of the context checks.
void make_curve_server(zmq::socket_t& s, const CurveServerKeys& k);

class CurveGate {
 public:
  // Binds the context's ZAP handler (call before any CURVE socket of `ctx` binds) and
  // watches `watched` for failed handshakes (peers without CURVE or with an unknown key).
  CurveGate(zmq::context_t& ctx, const std::vector<std::string>& authorized,
            const std::vector<zmq::socket_t*>& watched);
  // Answers every waiting ZAP request and counts failed handshakes. Never blocks.
  void serve();
  // The ZAP socket, to poll alongside the served sockets.
  zmq::socket_t& zap() { return zap_; }
  uint64_t refused() const { return refused_; }
  const std::string& last_refused() const { return last_refused_; }

 private:
  void drain_monitors();

  zmq::socket_t zap_;
  std::vector<zmq::socket_t> monitors_;
  std::set<std::string> authorized_;  // binary client keys
  uint64_t refused_ = 0;
  std::string last_refused_;
};

}  // namespace zp::ipc
