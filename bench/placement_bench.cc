// placement_bench: opening sessions through a real 3-server farm (dabs-farm up), in one run,
// as one JSON object: the time from OPEN_SESSION sent to the reply received with a warm
// instance and with a cold start (a new DASP process), and placements per second with many
// requests in flight; on loopback and with each server in its own network namespace.
// Baselines in the same run: raw UDP round trips, OPEN_SESSION answered by a standalone
// DASP (no farm, no vote), and the same farm under the `random` policy.
//
//   build/bin/placement_bench --json            # full run, a few minutes
//   build/bin/placement_bench --json --quick    # smoke: loopback, small counts
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/udp.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/wire.h>

#include "farm_process.h"
#include "percentiles.h"
#include "subprocess.h"

namespace {

using namespace dabs;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;
namespace ft = dabs::farm::testing;

// A DASP instance takes at most 255 sessions from one client endpoint (spec 1.3): clients
// change endpoint well before.
constexpr int kOpensPerClient = 200;

using dabs::bench::Percentiles;

// Client endpoints, a new one every kOpensPerClient sessions.
class Clients {
 public:
  Clients(boost::asio::io_context& io, std::string address)
      : io_(io), address_(std::move(address)) {}
  mp::Node& For(int i) {
    const size_t k = static_cast<size_t>(i / kOpensPerClient);
    while (nodes_.size() <= k) {
      mp::NodeConfig c;
      c.udp = mp::Endpoint::Parse(address_ + ":0").value();
      c.multicast_interface = address_;
      c.udp_offload = false;
      c.engine.group_max_timeout = 2s;
      nodes_.push_back(mp::Node::Create(io_, c, {}).value());
    }
    return *nodes_[k];
  }

 private:
  boost::asio::io_context& io_;
  std::string address_;
  std::vector<std::unique_ptr<mp::Node>> nodes_;
};

mp::Endpoint GroupOf(const ft::TestFarm& f) {
  return mp::Endpoint::Parse(f.group_prefix + "1:" + std::to_string(f.port)).value();
}

// Sequential opens: each latency in microseconds.
std::vector<double> SequentialOpens(Clients& clients, const mp::Endpoint& to,
                                    const std::string& app, int n, int first, int* failures) {
  std::vector<double> us;
  for (int i = first; i < first + n; ++i) {
    mp::OpenSessionRequest req;
    req.app = app;
    req.client_id = "stb-" + std::to_string(i);
    const auto t0 = Clock::now();
    auto r = clients.For(i).SendSync(to, mp::wire::kOpeningSession, mp::wire::kOpenSession,
                                     to.IsMulticast() ? mp::kVaLbGroup : mp::kVaNone, req.Encode());
    if (!r) {
      ++*failures;
      continue;
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return us;
}

// `n` opens with `window` in flight: placements per second.
double ConcurrentOpens(Clients& clients, const mp::Endpoint& group, const std::string& app, int n,
                       int* retransmitted, int first, int window, int* failures) {
  std::mutex mu;
  std::condition_variable cv;
  int sent = 0, done = 0;
  int slow = 0;  // opens that needed a retransmission (over 200 ms)
  auto on_done = [&](mp::SendResult&& r) {
    std::lock_guard lock(mu);
    if (r.error) ++*failures;
    if (r.transmissions > 1) ++slow;
    ++done;
    cv.notify_all();
  };
  const auto t0 = Clock::now();
  std::unique_lock lock(mu);
  while (done < n) {
    while (sent < n && sent - done < window) {
      const int i = first + sent++;
      mp::OpenSessionRequest req;
      req.app = app;
      req.client_id = "burst-" + std::to_string(i);
      lock.unlock();
      clients.For(i).Send(group, mp::wire::kOpeningSession, mp::wire::kOpenSession, mp::kVaLbGroup,
                          req.Encode(), {}, on_done);
      lock.lock();
    }
    cv.wait_for(lock, 100ms);
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  *retransmitted = slow;
  return n / s;
}

// Raw UDP ping-pong on loopback: the floor under any round trip here.
json RawUdpRtt(int n) {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket a(io, {boost::asio::ip::address_v4::loopback(), 0});
  boost::asio::ip::udp::socket b(io, {boost::asio::ip::address_v4::loopback(), 0});
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    char buf[64];
    boost::asio::ip::udp::endpoint from;
    while (!stop) {
      boost::system::error_code ec;
      const size_t got = b.receive_from(boost::asio::buffer(buf), from, 0, ec);
      if (ec || stop) break;
      b.send_to(boost::asio::buffer(buf, got), from, 0, ec);
    }
  });
  std::vector<double> us;
  char buf[64] = {1};
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    a.send_to(boost::asio::buffer(buf, 32), b.local_endpoint());
    a.receive(boost::asio::buffer(buf));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  stop = true;
  a.send_to(boost::asio::buffer(buf, 1), b.local_endpoint());
  echo.join();
  return Percentiles(us);
}

struct Counts {
  int warm = 2000, cold = 20, burst = 5000, window = 64, baseline = 1000;
};

// One farm: warm and cold opens, then a burst; plus a standalone DASP on the same network.
json RunFarm(const fs::path& bin, const fs::path& dir, bool netns, const std::string& policy,
             const Counts& n, bool with_cold_and_standalone) {
  ft::TestFarm f = ft::UniqueFarm();
  f.policy = policy;
  f.heartbeat_ms = 250;
  f.lease_ms = 1000;
  ft::TestApp warm;
  warm.name = "echo";
  warm.dasp = (bin / "echo-dasp").string();
  warm.instance_sessions = 100'000;
  f.apps.push_back(warm);
  ft::TestApp cold = warm;  // one session per instance: every open starts a process
  cold.name = "cold";
  cold.start_at_init = 0;
  cold.instance_sessions = 1;
  f.apps.push_back(cold);
  ft::FarmProcess::Options o;
  o.dabs_farm = bin / "dabs-farm";
  o.farm_file = ft::WriteFarmFile(f, dir);
  o.state_dir = dir / "farm";
  o.netns = netns;
  o.daemons = {"dabs-lbd"};
  auto farm = ft::FarmProcess::Start(o);
  if (!farm) {
    std::fprintf(stderr, "placement_bench: %s\n", farm.error().Message().c_str());
    std::exit(1);
  }
  mp::IoThreads io(1);
  const std::string client = (*farm)->client_address();
  Clients clients(io.io(), client);
  const mp::Endpoint group = GroupOf(f);
  json out;
  int failures = 0, retransmitted = 0;
  int next = 0;
  // Warm-up (every instance and path touched), then the measured opens.
  SequentialOpens(clients, group, "echo", 50, next, &failures);
  next += 50;
  out["warm_open_us"] =
      Percentiles(SequentialOpens(clients, group, "echo", n.warm, next, &failures));
  next += n.warm;
  if (with_cold_and_standalone) {
    out["cold_open_us"] =
        Percentiles(SequentialOpens(clients, group, "cold", n.cold, next, &failures));
    next += n.cold;
  }
  next = (next / kOpensPerClient + 1) * kOpensPerClient;
  out["placements_per_s"] =
      ConcurrentOpens(clients, group, "echo", n.burst, &retransmitted, next, n.window, &failures);
  out["failures"] = failures;
  out["burst_opens_resent"] =
      retransmitted;  // a request or its reply was lost, or an answer was late
  std::fprintf(stderr, "  %s, policy %s: warm p50 %.0f us, p99 %.0f us; %.0f placements/s\n",
               netns ? "namespaces" : "loopback", policy.c_str(),
               out["warm_open_us"]["p50"].get<double>(), out["warm_open_us"]["p99"].get<double>(),
               out["placements_per_s"].get<double>());
  if (with_cold_and_standalone) {
    // Baseline: OPEN_SESSION answered by a lone standalone DASP on a farm server's address.
    const auto farm_json = (*farm)->Json();
    const std::string ns = farm_json["servers"][0].value("netns", "");
    const std::string address = farm_json["servers"][0].value("address", "127.0.0.1");
    std::vector<std::string> argv = {(bin / "echo-dasp").string(), "--standalone", "--listen",
                                     address + ":0"};
    if (!ns.empty()) argv.insert(argv.begin(), {"/usr/bin/ip", "netns", "exec", ns});
    dabs::testing::Subprocess dasp(argv, (dir / "standalone.log").string());
    auto line = dasp.ReadLine(10s);  // "listening ADDR:PORT VA"
    if (line && line->rfind("listening ", 0) == 0) {
      const auto to = mp::Endpoint::Parse(line->substr(10, line->find(' ', 10) - 10)).value();
      Clients direct(io.io(), client);
      out["standalone_open_us"] =
          Percentiles(SequentialOpens(direct, to, "echo", n.baseline, 0, &failures));
    }
    dasp.Signal(SIGTERM);
    dasp.WaitFor(10s);
  }
  (*farm)->Stop();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "placement_bench: open-session latency (warm, cold) and placements/s on a 3-server farm"};
  bool json_out = false, quick = false, no_netns = false, keep = false;
  cli.add_flag("--json", json_out,
               "Print one JSON object (always printed; this flag is for symmetry)");
  cli.add_flag("--quick", quick, "Small counts, loopback only (smoke)");
  cli.add_flag("--no-netns", no_netns, "Skip the network-namespace farm");
  cli.add_flag("--keep", keep, "Keep the farms' state directories (logs) for a look afterwards");
  Counts n;
  int warm = -1, burst = -1, window = -1;
  cli.add_option("--warm", warm, "Sequential opens measured with a warm instance (default 2000)");
  cli.add_option("--burst", burst, "Opens in the placements/s burst (default 5000)");
  cli.add_option("--window", window, "Opens in flight during the burst (default 64)");
  CLI11_PARSE(cli, argc, argv);
  (void)json_out;
  const fs::path bin = fs::path(DABS_BIN_DIR);
  const fs::path dir = fs::temp_directory_path() / ("pb-" + std::to_string(::getpid()));
  if (quick) n = Counts{200, 5, 500, 32, 200};
  if (warm >= 0) n.warm = warm;
  if (burst >= 0) n.burst = burst;
  if (window > 0) n.window = window;
  json out;
  out["raw_udp_rtt_us"] = RawUdpRtt(quick ? 2000 : 20000);
  std::fprintf(stderr, "placement_bench: loopback farm (vote)\n");
  out["loopback"] = RunFarm(bin, dir / "lo", false, "vote", n, true);
  std::fprintf(stderr, "placement_bench: loopback farm (random, the baseline policy)\n");
  out["loopback_random_policy"] = RunFarm(bin, dir / "lo-random", false, "random", n, false);
  if (!quick && !no_netns && ::geteuid() == 0) {
    std::fprintf(stderr, "placement_bench: farm in network namespaces (vote)\n");
    out["netns"] = RunFarm(bin, dir / "ns", true, "vote", n, true);
  }
  auto ratio = [](const json& a, const json& b) {
    return a.is_number() && b.is_number() && b.get<double>() > 0
               ? json(a.get<double>() / b.get<double>())
               : json();
  };
  out["ratios"] = {
      {"warm_p50_vs_standalone",
       ratio(out["loopback"]["warm_open_us"]["p50"], out["loopback"]["standalone_open_us"]["p50"])},
      {"warm_p50_vote_vs_random", ratio(out["loopback"]["warm_open_us"]["p50"],
                                        out["loopback_random_policy"]["warm_open_us"]["p50"])},
      {"placements_vote_vs_random", ratio(out["loopback"]["placements_per_s"],
                                          out["loopback_random_policy"]["placements_per_s"])},
  };
  out["targets"] = {{"warm_p99_us_at_most", 5000}, {"placements_per_s_at_least", 1000}};
  std::error_code ec;
  if (keep) {
    std::fprintf(stderr, "placement_bench: state directories kept in %s\n", dir.c_str());
  } else {
    fs::remove_all(dir, ec);
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
