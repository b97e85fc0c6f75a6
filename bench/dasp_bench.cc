// dasp_bench: the DASP framework under load, in one run, as one JSON object.
// The server is a real echo-dasp process (standalone); one client process (this one) opens
// 1, 100 and 10,000 sessions and keeps requests in flight; the baseline is a bare mp::Node
// echo (no framework: replies inline on its I/O thread) under the same load. Memory per idle
// session is the echo-dasp process's resident memory growth over 10,000 idle sessions.
//
//   build/bin/dasp_bench --json            # full run, about a minute
//   build/bin/dasp_bench --json --quick
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>

#include "../tests/support/subprocess.h"

namespace {

using namespace dabs;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
constexpr int kSessionsPerEndpoint = 250;  // spec 1.3: at most 255 per client endpoint

uint64_t ResidentKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  uint64_t kb = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> kb;
      return kb;
    }
  }
  return 0;
}

struct Sessions {
  std::vector<std::unique_ptr<mp::Node>> nodes;
  struct One {
    mp::Node* node;
    uint8_t id;
    mp::Va va;
  };
  std::vector<One> all;
};

// Opens `n` sessions with an echo server, 250 per client endpoint.
Sessions Open(boost::asio::io_context& io, const mp::Endpoint& dasp, int n) {
  Sessions s;
  for (int i = 0; i < n; ++i) {
    if (i % kSessionsPerEndpoint == 0) {
      mp::NodeConfig c;
      c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
      c.udp_offload = false;  // many small client sockets
      s.nodes.push_back(mp::Node::Create(io, c, {}).value());
    }
    mp::Node* node = s.nodes.back().get();
    auto r = node->SendSync(dasp, 0, mp::wire::kOpenSession, 0,
                            mp::OpenSessionRequest{"echo", {}, "bench-" + std::to_string(i), {}}.Encode());
    if (!r) {
      std::fprintf(stderr, "dasp_bench: open %d: %s\n", i, r.error().Message().c_str());
      std::exit(1);
    }
    auto reply = mp::OpenSessionReply::Decode(r->payload).value();
    node->OpenSession(dasp, reply.session);
    s.all.push_back({node, reply.session, reply.dasp_va});
  }
  return s;
}

// Keeps `window` requests in flight on every session for `seconds`; requests/s and latency.
json Drive(const mp::Endpoint& dasp, Sessions& s, int window, double seconds) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0}, failed{0};
  std::mutex mu;
  std::vector<double> rtt_us;
  rtt_us.reserve(1 << 20);
  const std::vector<uint8_t> payload(16, 0x61);
  std::atomic<int> live{0};
  std::function<void(const Sessions::One&)> send = [&](const Sessions::One& one) {
    const auto t0 = Clock::now();
    ++live;
    one.node->Send(dasp, one.id, 0x0100, one.va, payload, {}, [&, t0, one](mp::SendResult&& r) {
      --live;
      if (r.error) {
        ++failed;
      } else {
        ++done;
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        std::lock_guard lock(mu);
        if (rtt_us.size() < rtt_us.capacity()) rtt_us.push_back(us);
      }
      if (!stop) send(one);
    });
  };
  const auto warm = std::chrono::duration<double>(std::min(1.0, seconds / 4));
  for (const auto& one : s.all) {
    for (int w = 0; w < window; ++w) send(one);
  }
  std::this_thread::sleep_for(warm);
  const uint64_t start_count = done;
  {
    std::lock_guard lock(mu);
    rtt_us.clear();
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const uint64_t end_count = done;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (int i = 0; i < 500 && live > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::lock_guard lock(mu);
  std::sort(rtt_us.begin(), rtt_us.end());
  auto at = [&](double q) { return rtt_us.empty() ? 0.0 : rtt_us[std::min(rtt_us.size() - 1, static_cast<size_t>(q * rtt_us.size()))]; };
  return {{"requests_per_s", (end_count - start_count) / elapsed},
          {"latency_us", {{"p50", at(0.5)}, {"p99", at(0.99)}}},
          {"failed", failed.load()}};
}

// The baseline: an echo on a bare node, replying inline on its I/O thread.
struct BareEcho {
  mp::IoThreads io{1};
  std::unique_ptr<mp::Node> node;
  BareEcho() {
    mp::NodeConfig c;
    c.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
    auto holder = std::make_shared<mp::Node*>(nullptr);
    uint8_t next = 1;
    mp::NodeCallbacks cb;
    cb.on_message = [holder, next](mp::Message&& m) mutable {
      mp::Node& n = **holder;
      if (m.header.command == mp::wire::kOpenSession) {
        mp::OpenSessionReply rep;
        rep.session = next++;
        if (next == 0) next = 1;
        rep.dasp_va = mp::MakeVa(1, 1);
        n.OpenSession(m.peer, rep.session);
        n.Reply(m, rep.Encode());
      } else {
        n.Reply(m, std::move(m.payload));
      }
    };
    node = mp::Node::Create(io.io(), c, cb).value();
    *holder = node.get();
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dasp_bench: the DASP framework under load (echo-dasp), with a bare-node baseline"};
  bool json_out = false, quick = false;
  std::string dasp_path = DABS_ECHO_DASP;
  app.add_flag("--json", json_out, "Print one JSON object (the default output)");
  app.add_flag("--quick", quick, "A short run to check that everything works");
  app.add_option("--echo-dasp", dasp_path, "The echo-dasp executable")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const double seconds = quick ? 0.5 : 3.0;
  const int idle_sessions = quick ? 1000 : 10'000;

  testing::Subprocess dasp({dasp_path, "--standalone", "--listen", "127.0.0.1:0",
                            "--max-sessions", std::to_string(idle_sessions + 1000), "--log-level", "warn"});
  auto line = dasp.ReadLine(std::chrono::seconds(10));
  if (!line || !line->starts_with("listening ")) {
    std::fprintf(stderr, "dasp_bench: %s did not start\n", dasp_path.c_str());
    return 1;
  }
  const std::string ep = line->substr(10, line->find(' ', 10) - 10);
  const mp::Endpoint server = mp::Endpoint::Parse(ep).value();

  json out;
  mp::IoThreads client_io(1);
  struct Load {
    const char* name;
    int sessions, window;
  };
  const Load loads[] = {{"sessions_1", 1, 64}, {"sessions_100", 100, 4}, {"sessions_10000", 10'000, 1}};
  {
    std::fprintf(stderr, "dasp_bench: idle memory, %d sessions...\n", idle_sessions);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const uint64_t before = ResidentKb(dasp.pid());
    Sessions idle = Open(client_io.io(), server, idle_sessions);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const uint64_t after = ResidentKb(dasp.pid());
    out["idle_sessions"] = idle_sessions;
    out["bytes_per_idle_session"] = static_cast<double>(after - before) * 1024 / idle_sessions;
    out["dasp_resident_kb"] = {{"before", before}, {"after", after}};
    for (const auto& l : loads) {
      std::fprintf(stderr, "dasp_bench: echo-dasp, %d sessions...\n", l.sessions);
      Sessions busy;
      Sessions* use = &idle;
      std::vector<Sessions::One> keep = idle.all;
      idle.all.resize(std::min<size_t>(keep.size(), static_cast<size_t>(l.sessions)));
      out["dasp"][l.name] = Drive(server, *use, l.window, seconds);
      idle.all = keep;
    }
  }
  {
    BareEcho bare;
    const mp::Endpoint b = *bare.node->udp_endpoint();
    mp::IoThreads io(1);
    Sessions s = Open(io.io(), b, 100);
    std::fprintf(stderr, "dasp_bench: baseline, bare node, 100 sessions...\n");
    out["baseline_bare_node"]["sessions_100"] = Drive(b, s, 4, seconds);
  }
  dasp.Signal(SIGTERM);
  const int status = dasp.Wait();
  out["dasp_exit_status"] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const double rps100 = out["dasp"]["sessions_100"]["requests_per_s"].get<double>();
  out["ratios"] = {{"dasp_over_bare_node_100", rps100 / std::max(1.0, out["baseline_bare_node"]["sessions_100"]["requests_per_s"].get<double>())}};
  double best = 0;
  for (const auto& l : loads) best = std::max(best, out["dasp"][l.name]["requests_per_s"].get<double>());
  out["targets"] = {{"at_least_50k_requests_per_s", best >= 50'000},
                    {"at_most_2kib_per_idle_session", out["bytes_per_idle_session"].get<double>() <= 2048}};
  out["quick"] = quick;
  std::cout << out.dump(2) << std::endl;
  return 0;
}
