// Private, for the DACP framework's and the example apps' client tests: standalone DASP
// processes on loopback, a fresh multicast group per test, small waiting helpers.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>

#include "subprocess.h"

namespace dabs::dacp::testing {

using namespace std::chrono_literals;

// A multicast group on loopback no other test process uses (node_test.cc's recipe).
inline mp::Endpoint TestGroup() {
  static std::atomic<int> n{0};
  const int i = n++;
  const std::string text = "239.255.78." + std::to_string(1 + (::getpid() + i) % 250) + ":" +
                           std::to_string(20000 + (::getpid() * 7 + i * 13) % 20000);
  return mp::Endpoint::Parse(text).value();
}

// A DASP executable run standalone: `--standalone --listen 127.0.0.1:0` plus `extra`.
class StandaloneDasp {
 public:
  explicit StandaloneDasp(const std::string& exe, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {exe,           "--standalone", "--listen",
                                     "127.0.0.1:0", "--log-level",  "warn"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<dabs::testing::Subprocess>(argv);
    auto line = process_->ReadLine(20s);
    if (!line) return;
    std::istringstream in(*line);
    std::string word, endpoint, va;
    if (!(in >> word >> endpoint >> va) || word != "listening") return;
    auto e = mp::Endpoint::Parse(endpoint);
    if (!e) return;
    endpoint_ = *e;
    va_ = static_cast<mp::Va>(std::stoul(va, nullptr, 16));
  }
  // With `--group GROUP --interface 127.0.0.1`: it also answers OPEN_SESSION sent to the group.
  static std::unique_ptr<StandaloneDasp> OnGroup(const std::string& exe, const mp::Endpoint& group,
                                                 std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--group", group.ToString(), "--interface", "127.0.0.1"});
    return std::make_unique<StandaloneDasp>(exe, std::move(extra));
  }

  bool listening() const { return endpoint_.has_value(); }
  const mp::Endpoint& endpoint() const { return *endpoint_; }
  mp::Va va() const { return va_; }
  dabs::testing::Subprocess& process() { return *process_; }
  void Kill() {
    process_->Signal(SIGKILL);
    process_->Wait();
  }

 private:
  std::unique_ptr<dabs::testing::Subprocess> process_;
  std::optional<mp::Endpoint> endpoint_;
  mp::Va va_ = mp::kVaNone;
};

// A gateway on loopback whose group sends leave through 127.0.0.1.
inline std::shared_ptr<Gateway> LoopbackGateway(boost::asio::io_context& io,
                                                size_t max_clients = 200,
                                                std::shared_ptr<mp::LinkShaper> shaper = nullptr) {
  GatewayConfig gc;
  gc.node.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  gc.node.multicast_interface = "127.0.0.1";
  gc.node.udp_offload = false;
  gc.node.shaper = std::move(shaper);
  gc.max_clients = max_clients;
  return Gateway::Create(io, std::move(gc)).value();
}

inline ClientConfig Config(const std::string& app, const mp::Endpoint& farm) {
  ClientConfig c;
  c.app = app;
  c.farm = farm;
  c.client_id = "test-" + std::to_string(::getpid());
  c.open_timeout = 10s;
  return c;
}

// Polls `pred` until it holds or `limit` passes.
inline bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

}  // namespace dabs::dacp::testing
