// dacp_bench: what an idle DACP costs and how fast clients open, as one JSON object.
// The server is a real echo-dasp process (standalone). This process opens N clients through
// a GatewayPool (200 per socket) and measures its own resident memory (/proc/self/statm)
// before and after; the baseline is the same number of bare mp sessions (a node per 250
// sessions, no framework), measured the same way first, so the framework's own share shows.
//
//   build/bin/dacp_bench            # N = 20,000, about half a minute
//   build/bin/dacp_bench --quick    # N = 2,000
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>
#include <dabs/mp/system_messages.h>

#include "../tests/support/subprocess.h"

namespace {

using namespace dabs;
using Clock = std::chrono::steady_clock;

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

void Settle() {
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

// Bare mp sessions with the DASP, 250 per node, opened with a window of asynchronous sends.
std::vector<std::unique_ptr<mp::Node>> BareSessions(boost::asio::io_context& io,
                                                    const mp::Endpoint& dasp, int n) {
  std::vector<std::unique_ptr<mp::Node>> nodes;
  std::atomic<int> done{0}, failed{0};
  for (int i = 0; i < n; ++i) {
    if (i % 250 == 0) {
      mp::NodeConfig c;
      c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
      c.udp_offload = false;
      nodes.push_back(mp::Node::Create(io, c, {}).value());
    }
    while (i - done >= 512)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    mp::Node* node = nodes.back().get();
    node->Send(dasp, 0, mp::wire::kOpenSession, 0,
               mp::OpenSessionRequest{"echo", {}, "bare-" + std::to_string(i), {}}.Encode(), {},
               [node, dasp, &done, &failed](mp::SendResult&& r) {
                 auto rep = r.error ? Result<mp::OpenSessionReply>(r.error)
                                    : mp::OpenSessionReply::Decode(r.reply->payload);
                 if (rep) {
                   node->OpenSession(dasp, rep->session);
                 } else {
                   ++failed;
                 }
                 ++done;
               });
  }
  while (done < n)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (failed) std::fprintf(stderr, "dacp_bench: %d bare opens failed\n", failed.load());
  return nodes;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dacp_bench: bytes per idle DACP client and the open rate, against echo-dasp"};
  bool quick = false;
  int n = 20'000;
  std::string dasp_path = DABS_ECHO_DASP;
  app.add_flag("--quick", quick, "2,000 clients: a check that everything works");
  app.add_option("--clients", n, "Idle clients to open")->capture_default_str();
  app.add_option("--echo-dasp", dasp_path, "The echo-dasp executable")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (quick) n = 2000;

  testing::Subprocess dasp({dasp_path, "--standalone", "--listen", "127.0.0.1:0", "--max-sessions",
                            std::to_string(2 * n + 1000), "--log-level", "warn"});
  auto line = dasp.ReadLine(std::chrono::seconds(10));
  if (!line || !line->starts_with("listening ")) {
    std::fprintf(stderr, "dacp_bench: %s did not start\n", dasp_path.c_str());
    return 1;
  }
  const mp::Endpoint server =
      mp::Endpoint::Parse(line->substr(10, line->find(' ', 10) - 10)).value();
  mp::IoThreads io(1);
  Settle();

  // Baseline: bare mp sessions.
  const uint64_t bare_before = ResidentBytes();
  auto bare = BareSessions(io.io(), server, n);
  Settle();
  const uint64_t bare_after = ResidentBytes();

  // DACP clients through a pool.
  dacp::GatewayPoolConfig pc;
  pc.node.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  pc.node.udp_offload = false;
  const uint64_t before = ResidentBytes();
  dacp::GatewayPool pool(io.io(), pc);
  std::vector<std::shared_ptr<dacp::Client>> clients;
  clients.reserve(static_cast<size_t>(n));
  std::atomic<int> done{0}, failed{0};
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    while (i - done >= 512)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    dacp::ClientConfig c;
    c.app = "echo";
    c.client_id = "stb-" + std::to_string(i);
    c.farm = server;
    clients.push_back(dacp::Client::Create(pool.Acquire().value(), c));
    clients.back()->Open([&done, &failed](Status s) {
      if (!s) ++failed;
      ++done;
    });
  }
  while (done < n)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double open_s = std::chrono::duration<double>(Clock::now() - start).count();
  Settle();  // STARTED answered, ACKs out
  const uint64_t after = ResidentBytes();

  const double per_client = static_cast<double>(after - before) / n;
  const double per_bare = static_cast<double>(bare_after - bare_before) / n;
  nlohmann::json out = {
      {"clients", n},
      {"sockets", pool.sockets()},
      {"open_failures", failed.load()},
      {"opens_per_s", n / open_s},
      {"bytes_per_idle_client", per_client},
      {"bytes_per_bare_mp_session", per_bare},
      {"framework_bytes_per_client", per_client - per_bare},
      {"resident_bytes", {{"before", before}, {"after", after}}},
  };
  std::cout << out.dump() << std::endl;
  return failed == 0 ? 0 : 1;
}
