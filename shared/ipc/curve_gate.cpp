#include "shared/ipc/curve_gate.h"

#include "shared/core/error.h"

namespace zp::ipc {

std::string decode_curve_key(const std::string& z85, const char* what) {
  uint8_t raw[32];
  if (z85.size() != 40 || zmq_z85_decode(raw, z85.c_str()) == nullptr)
    throw ConfigError(std::string(what) + " is not a 40-character Z85 CURVE key");
  return std::string(reinterpret_cast<const char*>(raw), sizeof(raw));
}

void make_curve_client(zmq::socket_t& s, const CurveClientKeys& k) {
  decode_curve_key(k.server_public, "the writer's public key");
  decode_curve_key(k.public_key, "the client's public key");
  decode_curve_key(k.secret_key, "the client's secret key");
  s.set(zmq::sockopt::curve_serverkey, k.server_public);
  s.set(zmq::sockopt::curve_publickey, k.public_key);
  s.set(zmq::sockopt::curve_secretkey, k.secret_key);
}

void make_curve_server(zmq::socket_t& s, const CurveServerKeys& k) {
  decode_curve_key(k.secret_key, "the writer's secret key");
  s.set(zmq::sockopt::curve_server, 1);
  s.set(zmq::sockopt::curve_secretkey, k.secret_key);
  s.set(zmq::sockopt::zap_domain, "zeroplay");
}

CurveGate::CurveGate(zmq::context_t& ctx, const std::vector<std::string>& authorized,
                     const std::vector<zmq::socket_t*>& watched) {
  for (const std::string& k : authorized)
    authorized_.insert(decode_curve_key(k, "an authorized client key"));
  zap_ = zmq::socket_t(ctx, zmq::socket_type::rep);
  zap_.set(zmq::sockopt::linger, 0);
  zap_.bind("inproc://zeromq.zap.01");  // before any CURVE socket binds
  const int events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
  for (size_t i = 0; i < watched.size(); ++i) {
    const std::string name = "inproc://zp-handshakes-" + std::to_string(i);
    if (zmq_socket_monitor(watched[i]->handle(), name.c_str(), events) != 0)
      throw zmq::error_t();
    monitors_.emplace_back(ctx, zmq::socket_type::pair);
    monitors_.back().set(zmq::sockopt::linger, 0);
    monitors_.back().connect(name);
  }
}

// Counts the failed handshakes the monitors reported (two frames each: event, endpoint).
void CurveGate::drain_monitors() {
  for (zmq::socket_t& m : monitors_) {
    zmq::message_t event;
    while (m.recv(event, zmq::recv_flags::dontwait)) {
      zmq::message_t endpoint;
      if (event.more()) (void)m.recv(endpoint, zmq::recv_flags::none);
      ++refused_;
      if (last_refused_.empty()) last_refused_ = "a peer without CURVE or with the wrong key";
    }
  }
}

// Frames of a ZAP request: version, request id, domain, address, routing id, mechanism, then
// the client's 32-byte key for CURVE.
void CurveGate::serve() {
  drain_monitors();
  for (;;) {
    std::vector<zmq::message_t> frames;
    zmq::message_t part;
    if (!zap_.recv(part, zmq::recv_flags::dontwait)) return;
    frames.push_back(std::move(part));
    while (frames.back().more()) {
      zmq::message_t next;
      (void)zap_.recv(next, zmq::recv_flags::none);
      frames.push_back(std::move(next));
    }
    const bool ok = frames.size() >= 7 && frames[5].to_string() == "CURVE" &&
                    authorized_.count(frames[6].to_string()) > 0;
    // Counted by the monitors (a refusal is a failed handshake); the address is only here.
    if (!ok) last_refused_ = frames.size() > 3 ? frames[3].to_string() : "?";
    const std::string reply[] = {"1.0", frames.size() > 1 ? frames[1].to_string() : "",
                                 ok ? "200" : "400", ok ? "OK" : "unknown CURVE key",
                                 "" /* user id */, "" /* metadata */};
    for (size_t i = 0; i < 6; ++i)
      zap_.send(zmq::buffer(reply[i]), i + 1 < 6 ? zmq::send_flags::sndmore
                                                 : zmq::send_flags::none);
  }
}

}  // namespace zp::ipc
