// Request/reply over ZeroMQ between `zeroplay join` hosts and the head's hub (shared/run/
// hub.h has the protocol on top). A message is a list of frames (strings).
//
//   host  DEALER --[request id, frames...]-->  ROUTER hub
//   host  DEALER <--[request id, frames...]--  ROUTER hub
//
// The client numbers its requests and drops replies to older ones, so a reply that arrives
// after its call timed out (the head was slow, or came back) is never taken for another's.
// Over tcp:// both ends use CURVE like the record channel (channel.h): the server proves it
// holds the writer's secret key and admits only authorized client keys; refusals are counted.
//
// Neither class is thread-safe: each belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/ipc/channel.h"

namespace zp::ipc {

using Frames = std::vector<std::string>;

class RequestServer {
 public:
  // Binds `endpoint`; throws IoError when it cannot. `max_message_bytes` bounds a request.
  RequestServer(const std::string& endpoint, size_t max_message_bytes,
                const CurveServerKeys& keys = {});
  ~RequestServer();
  // Waits up to `timeout_ms` for one request (its frames, without the request id); false on
  // timeout or a stop signal. `peer` is an opaque token to reply to (the peer and request).
  bool receive(std::string* peer, Frames* request, int timeout_ms);
  // Replies to the request last received from `peer` (never blocks; a vanished peer's reply
  // is dropped).
  void reply(const std::string& peer, const Frames& reply);
  uint64_t refused_peers() const;
  std::string last_refused_address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class RequestClient {
 public:
  RequestClient(const std::string& endpoint, const CurveClientKeys& keys = {});
  ~RequestClient();
  // Sends `request` and waits up to `timeout_ms` for its reply. False when none came (server
  // down or unreachable, or a stop signal); the request may still reach the server later.
  bool call(const Frames& request, Frames* reply, int timeout_ms);
  // Whether the server refused our CURVE key (a failed handshake was seen); sticky.
  bool refused() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::ipc
