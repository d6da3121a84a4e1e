// The model relay of a joined host (host/relay.h) against a fake hub that answers MODEL with
// the hub's own reply (run::model_reply): a model of several chunks arrives whole and
// checked, a version published mid-download restarts the download with it, a corrupt digest
// publishes nothing, and a host that missed versions gets the newest. Also the host report
// and the status text of a host (supervisor/hosts_status.h).
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <mutex>
#include <thread>

#include "host/relay.h"
#include "shared/core/error.h"
#include "shared/ipc/model_store.h"
#include "shared/ipc/request.h"
#include "shared/run/hub.h"
#include "shared/run/names.h"
#include "shared/tb/json_scalars.h"
#include "supervisor/hosts_status.h"
#include "tests/test_support.h"

using namespace zp;

namespace {

// Serves MODEL requests from `offer` on a thread; `on_chunk` runs after each reply with data.
class FakeHub {
 public:
  explicit FakeHub(const std::string& endpoint)
      : server_(endpoint, 1 << 20), thread_([this] { serve(); }) {}
  ~FakeHub() {
    stop_ = true;
    thread_.join();
  }
  void offer(int64_t version, std::string bytes, std::string digest = "") {
    std::lock_guard<std::mutex> l(mu_);
    offered_.version = version;
    offered_.digest = digest.empty() ? run::model_digest(bytes) : digest;
    offered_.bytes = std::move(bytes);
  }
  std::function<void(int chunks)> on_chunk;
  int chunks() const { return chunks_; }

 private:
  void serve() {
    while (!stop_) {
      std::string peer;
      ipc::Frames request;
      if (!server_.receive(&peer, &request, 20)) continue;
      ipc::Frames reply;
      {
        std::lock_guard<std::mutex> l(mu_);
        reply = run::model_reply(offered_, request);
      }
      server_.reply(peer, reply);
      if (!reply[5].empty()) {
        ++chunks_;
        if (on_chunk) on_chunk(chunks_);
      }
    }
  }
  ipc::RequestServer server_;
  std::mutex mu_;
  run::OfferedModel offered_;
  std::atomic<int> chunks_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string model_bytes(size_t n, char seed) {
  std::string b(n, '\0');
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<char>(seed + i * 31 + (i >> 12));
  return b;
}

}  // namespace

TEST_CASE("model relay: chunks, checksum, a newer version mid-download, missed versions",
          "[unit][host]") {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(test::free_tcp_port());
  const std::string name = "zp-test" + run::new_run_id() + std::to_string(::getpid()) + "-relay";
  auto store = ipc::ModelStore::create(name, 4u << 20);
  FakeHub hub(endpoint);
  ipc::RequestClient client(endpoint);
  host::ModelRelay relay(client, *store, "latest");

  // Nothing published yet: nothing relayed.
  REQUIRE(relay.step(3000));
  CHECK(relay.relayed_version() == 0);

  // 2.5 chunks: three requests, one model, checked.
  const std::string v3 = model_bytes(run::kModelChunkBytes * 5 / 2, 'a');
  hub.offer(3, v3);
  REQUIRE(relay.step(3000));
  std::string got;
  CHECK(store->read_latest(&got) == 3);
  CHECK(got == v3);
  CHECK(hub.chunks() == 3);
  REQUIRE(relay.step(3000));  // up to date: no chunk at all
  CHECK(hub.chunks() == 3);

  // v5 is published after the first chunk of v4 went out: the download restarts with v5.
  const std::string v4 = model_bytes(run::kModelChunkBytes * 2, 'b');
  const std::string v5 = model_bytes(run::kModelChunkBytes + 17, 'c');
  hub.on_chunk = [&](int n) {
    if (n == 4) hub.offer(5, v5);
  };
  hub.offer(4, v4);
  REQUIRE(relay.step(3000));
  CHECK(store->read_latest(&got) == 5);
  CHECK(got == v5);
  hub.on_chunk = nullptr;

  // A digest that does not match: nothing published, and the next try is clean again.
  const std::string v6 = model_bytes(1000, 'd');
  hub.offer(6, v6, "0123456789abcdef");
  REQUIRE(relay.step(3000, 1));
  CHECK(store->latest_version() == 5);
  hub.offer(6, v6);
  REQUIRE(relay.step(3000));
  CHECK(store->latest_version() == 6);
  ipc::ModelStore::remove(name);
}

TEST_CASE("host reports: JSON round trip, bad input, the status text", "[unit][host]") {
  run::HostReport r;
  r.host_id = 2;
  r.name = "gpu-box\n7";
  r.actors = 4;
  r.actors_alive = 3;
  r.positions = 12345;
  r.positions_per_s = 310.44;
  r.model_version = 12;
  r.relayed_version = 13;
  r.pending = 8;
  r.acked = 940;
  r.last_contact = 1000.0;
  const run::HostReport back = run::parse_host_report(run::host_report_json(r));
  CHECK(back.name == "gpu-box?7");  // control characters never reach a status line
  CHECK(back.positions == 12345);
  CHECK(back.relayed_version == 13);
  CHECK(supervisor::format_host(back, 1000.4) ==
        "host-2 gpu-box?7: 3/4 actors, 310.4 pos/s, model v12, pending 8, contact 0.4 s ago");
  CHECK(supervisor::format_host(back, 1030.0).find("no contact for 30.0 s") != std::string::npos);
  CHECK_THROWS_AS(run::parse_host_report("{\"host_id\": 1}"), FormatError);
  CHECK_THROWS_AS(run::parse_host_report("not json"), FormatError);
  CHECK(run::hub_endpoint("tcp://10.77.0.1:5555") == "tcp://10.77.0.1:5557");
  CHECK_THROWS_AS(run::hub_endpoint("tcp://10.77.0.1:65534"), ConfigError);
  CHECK_THROWS_AS(run::hub_endpoint("ipc://x"), ConfigError);
}

TEST_CASE("host reports in metrics.jsonl and TensorBoard: one object per recent host",
          "[unit][host]") {
  run::HostReport a;
  a.host_id = 1;
  a.name = "node-a";
  a.actors = 2;
  a.actors_alive = 2;
  a.positions = 5000;
  a.positions_per_s = 35.5;
  a.model_version = 7;
  a.relayed_version = 8;
  a.pending = 3;
  a.acked = 400;
  a.last_contact = 1000.0;
  run::HostReport old = a;
  old.host_id = 2;
  old.last_contact = 1000.0 - 3600;  // silent for an hour: left out, as on the status line
  const std::string base = "{\"elapsed_s\":12.0,\"positions_per_s\":80.0}";
  CHECK(supervisor::add_hosts_json(base, {}, 1000.5) == base);
  CHECK(supervisor::add_hosts_json(base, {old}, 1000.5) == base);
  const std::string line = supervisor::add_hosts_json(base, {a, old}, 1000.5);
  const auto j = nlohmann::json::parse(line);
  CHECK(j["positions_per_s"] == 80.0);
  REQUIRE(j["hosts"].size() == 1);
  const auto& h = j["hosts"]["host-1"];
  CHECK(h["name"] == "node-a");
  CHECK(h["positions_per_s"] == 35.5);
  CHECK(h["model_version"] == 7);
  CHECK(h["pending"] == 3);
  CHECK(h["contact_age_s"] == 0.5);
  CHECK(h["stopped"] == 0);
  // TensorBoard: hosts/host-1/<field>, every number of the report.
  std::map<std::string, double> tags;
  for (const auto& ev : tb::json_scalars(line, tb::status_tag_rules()))
    for (const auto& s : ev.scalars) tags[s.tag] = s.value;
  CHECK(tags.at("hosts/host-1/positions_per_s") == 35.5);
  CHECK(tags.at("hosts/host-1/relayed_version") == 8);
  CHECK(tags.at("hosts/host-1/acked") == 400);
  CHECK(tags.count("hosts/host-1/name") == 0);  // strings carry no scalar
}
