// The hub's request channel (shared/ipc/request.h): replies reach their caller over CURVE,
// a stranger's key is refused on both sides, a server that is not there is a timeout.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "shared/core/clock.h"
#include "shared/ipc/curve_keys.h"
#include "shared/ipc/request.h"
#include "tests/test_support.h"

using namespace zp::ipc;

namespace {

// Serves "echo" replies (the request's frames reversed) on a thread until stopped or
// destroyed. The server belongs to that thread (request.h: not thread-safe): read it through
// server() only after stop(), whose join orders the thread's writes before the reads.
class EchoServer {
 public:
  EchoServer(const std::string& endpoint, const CurveServerKeys& keys)
      : server_(endpoint, 1 << 20, keys), thread_([this] { serve(); }) {}
  ~EchoServer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  RequestServer& server() { return server_; }

 private:
  void serve() {
    while (!stop_) {
      std::string peer;
      Frames request;
      if (server_.receive(&peer, &request, 20))
        server_.reply(peer, Frames(request.rbegin(), request.rend()));
    }
  }
  RequestServer server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("request channel: replies over CURVE, strangers refused, no server is a timeout",
          "[unit][ipc]") {
  zp::test::TempDir dir;
  const std::string keys = dir.path() + "/keys";
  ensure_curve_keys(keys);
  const int port = zp::test::free_tcp_port();
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);

  // Nobody listens yet: a timeout, not a hang or a throw.
  RequestClient client(endpoint, load_client_keys(keys));
  Frames reply;
  zp::Stopwatch sw;
  CHECK_FALSE(client.call({"HELLO"}, &reply, 300));
  CHECK(sw.seconds() < 2.0);

  auto echo = std::make_unique<EchoServer>(endpoint, load_server_keys(keys));
  REQUIRE(client.call({"a", "b", std::string("\0c", 2)}, &reply, 5000));
  CHECK(reply == Frames{std::string("\0c", 2), "b", "a"});
  REQUIRE(client.call({"second"}, &reply, 5000));  // ids move on; the old reply is not taken
  CHECK(reply == Frames{"second"});
  CHECK_FALSE(client.refused());

  // A stranger's key pair: no reply, and both sides know it was refused.
  const CurveKeyPair own = make_curve_key_pair();
  const CurveClientKeys server_keys = load_client_keys(keys);
  RequestClient stranger(endpoint,
                         CurveClientKeys{server_keys.server_public, own.public_key, own.secret_key});
  CHECK_FALSE(stranger.call({"HELLO"}, &reply, 1500));
  CHECK(stranger.refused());
  echo->stop();
  CHECK(echo->server().refused_peers() >= 1);
  CHECK(echo->server().last_refused_address() == "127.0.0.1");

  // The server goes and comes back: the same client carries on.
  echo.reset();
  CHECK_FALSE(client.call({"gone"}, &reply, 300));
  echo = std::make_unique<EchoServer>(endpoint, load_server_keys(keys));
  REQUIRE(client.call({"back"}, &reply, 8000));
  CHECK(reply == Frames{"back"});
}
