#include "farm_runner.h"

#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <dabs/config/farm.h>
#include <dabs/config/load.h>
#include <dabs/farm/posix_launcher.h>
#include <dabs/store/layout.h>
#include <dabs/store/records.h>
#include <dabs/store/store.h>

#include "netns.h"

namespace dabs::farm {

namespace {

namespace fs = std::filesystem;

struct Daemon {
  std::string name;
  std::vector<std::string> argv;
  pid_t pid = 0;
  bool running = false;
};

struct Server {
  std::string id;
  std::string address;
  std::string ns;
  store::ServerLayout layout;
  std::vector<Daemon> daemons;
  std::unique_ptr<store::Store> store;  // read for readiness
};

// How many live members server `s` sees now.
int SeenBy(Server& s) {
  if (!s.store) {
    if (!fs::exists(s.layout.store() / "data.mdb")) return 0;
    auto opened = store::Store::Open(s.layout.store());
    if (!opened) return 0;
    s.store = std::move(*opened);
  }
  int seen = 0;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  (void)s.store->Read([&](const store::ReadTxn& txn) {
    seen = 0;
    return txn.ForEach(store::Database::kServers, {},
                       [&](std::string_view, std::string_view value) {
                         auto r = store::ServerRecordFromJson(value);
                         if (r && r->state == "alive" &&
                             now_ms - r->last_heard_ms <= static_cast<int64_t>(r->lease_ms))
                           ++seen;
                         return store::Visit::kContinue;
                       });
  });
  return seen;
}

// DASPs whose dabs-lbd was killed live on (a restarted dabs-lbd adopts them), and a daemon may
// have been started again by someone else (dabs-emu's fault timeline restarts servers). When
// the farm stops, every process still running under a server's state directory (the
// directory is in every daemon's and every DASP's command line) is killed: nothing outlives it.
int SweepOrphans(Server& s) {
  const std::string dir = s.layout.dir.string();
  int killed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    std::ifstream in("/proc/" + name + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    // The directory as a whole argument or a path prefix, not a sibling ("s1" vs "s10").
    if (cmdline.find(dir + " ") == std::string::npos &&
        cmdline.find(dir + "/") == std::string::npos)
      continue;
    if (::kill(pid, SIGKILL) == 0) ++killed;
  }
  return killed;
}

fs::path SelfDir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

void WriteFarmJson(const fs::path& dir, const std::vector<Server>& servers,
                   const std::string& client_address, bool ready) {
  nlohmann::json j;
  j["client_address"] = client_address;
  j["ready"] = ready;
  j["servers"] = nlohmann::json::array();
  for (const auto& s : servers) {
    nlohmann::json d = nlohmann::json::object();
    for (const auto& daemon : s.daemons) {
      d[daemon.name] = {{"pid", daemon.pid}, {"running", daemon.running}, {"argv", daemon.argv}};
    }
    j["servers"].push_back({{"id", s.id},
                            {"address", s.address},
                            {"netns", s.ns},
                            {"state_dir", s.layout.dir.string()},
                            {"daemons", d}});
  }
  const fs::path tmp = dir / "farm.json.tmp";
  std::ofstream(tmp) << j.dump(2) << "\n";
  std::error_code ec;
  fs::rename(tmp, dir / "farm.json", ec);
}

}  // namespace

int RunFarm(const RunnerOptions& o) {
  std::vector<config::Problem> problems;
  auto loaded = config::LoadFarmFile(o.farm_file, &problems);
  if (!loaded) {
    for (const auto& p : problems)
      std::fprintf(stderr, "%s\n", p.ToString().c_str());
    std::fprintf(stderr, "dabs-farm: %s is not a valid farm file\n", o.farm_file.string().c_str());
    return 2;
  }
  auto farm = config::Build(loaded->records);
  if (!farm) {
    std::fprintf(stderr, "dabs-farm: %s\n", farm.error().Message().c_str());
    return 2;
  }
  if (o.netns && ::geteuid() != 0) {
    std::fprintf(stderr, "dabs-farm: --netns needs root (network namespaces)\n");
    return 2;
  }
  const fs::path bin = o.bin_dir.empty() ? SelfDir() : o.bin_dir;
  for (const auto& d : o.daemons) {
    if (::access((bin / d).c_str(), X_OK) != 0) {
      std::fprintf(stderr, "dabs-farm: cannot find %s in %s (build it, or give --bin-dir)\n",
                   d.c_str(), bin.c_str());
      return 2;
    }
  }
  std::error_code ec;
  fs::create_directories(o.state_dir, ec);
  if (ec) {
    std::fprintf(stderr, "dabs-farm: cannot create %s: %s\n", o.state_dir.c_str(),
                 ec.message().c_str());
    return 2;
  }

  // Who: the servers the file pins, in order, then s<K>.
  std::vector<Server> servers;
  for (int k = 1; k <= o.servers; ++k) {
    Server s;
    const bool pinned = static_cast<size_t>(k) <= farm->servers.size();
    s.id = pinned ? farm->servers[static_cast<size_t>(k - 1)].id : "s" + std::to_string(k);
    s.address = pinned && farm->servers[static_cast<size_t>(k - 1)].address
                    ? *farm->servers[static_cast<size_t>(k - 1)].address
                    : farm->interface;
    s.layout.dir = o.state_dir / s.id;
    servers.push_back(std::move(s));
  }
  std::optional<NetnsFarm> netns;
  if (o.netns) {
    std::string tag = std::to_string(::getpid());
    auto made = NetnsFarm::Create(tag, o.servers);
    if (!made) {
      std::fprintf(stderr, "dabs-farm: setting up network namespaces: %s\n",
                   made.error().Message().c_str());
      return 1;
    }
    netns = std::move(*made);
    for (size_t k = 0; k < servers.size(); ++k) {
      servers[k].address = netns->servers()[k].address;
      servers[k].ns = netns->servers()[k].ns;
    }
  }

  const std::string client_address = netns ? netns->client_address() : farm->interface;
  bool ready = false;
  boost::asio::io_context io;
  PosixLauncher launcher(io);
  bool stopping = false;
  int exit_code = 0;
  for (size_t k = 0; k < servers.size(); ++k) {
    Server& s = servers[k];
    fs::create_directories(s.layout.logs(), ec);
    for (const auto& name : o.daemons) {
      std::vector<std::string> argv = {(bin / name).string(),
                                       "--farm",
                                       fs::absolute(o.farm_file).string(),
                                       "--server",
                                       s.id,
                                       "--state-dir",
                                       fs::absolute(s.layout.dir).string(),
                                       "--log-level",
                                       o.log_level};
      if (name == "dabs-statd" && !o.netns && k > 0) {
        // One machine, one snmpd: only the first server's statistics register with it (each
        // server of a real farm, or of a farm in namespaces, has its own).
        argv.insert(argv.end(), {"--agentx-socket", "none"});
      }
      if (o.netns) {
        argv.push_back("--address");
        argv.push_back(s.address);
        argv = netns->Exec(static_cast<int>(k), argv);
      }
      s.daemons.push_back({name, argv});
    }
  }
  auto start = [&](Server& s, Daemon& d) -> bool {
    SpawnRequest req;
    req.argv = d.argv;
    if (!o.logs_to_terminal) req.output_path = (s.layout.logs() / (d.name + ".log")).string();
    auto pid = launcher.Spawn(req, [&, server = s.id, name = d.name](ExitStatus st) {
      for (auto& srv : servers) {
        for (auto& dm : srv.daemons) {
          if (srv.id == server && dm.name == name) dm.running = false;
        }
      }
      if (!stopping) {
        spdlog::error("{} of {} ended: {}", name, server, st.ToString());
        exit_code = 1;
      }
      WriteFarmJson(o.state_dir, servers, client_address, ready);
    });
    if (!pid) {
      spdlog::error("cannot start {} for {}: {}", d.name, s.id, pid.error().Message());
      return false;
    }
    d.pid = *pid;
    d.running = true;
    return true;
  };
  bool started = true;
  for (auto& s : servers) {
    for (auto& d : s.daemons)
      started = started && start(s, d);
  }
  WriteFarmJson(o.state_dir, servers, client_address, ready);
  spdlog::info("started {} servers ({}) under {}{}", servers.size(),
               o.netns ? "network namespaces" : "loopback", o.state_dir.string(),
               o.logs_to_terminal ? "" : "; logs in <server>/logs/");

  auto all_stopped = [&] {
    for (const auto& s : servers) {
      for (const auto& d : s.daemons) {
        if (d.running) return false;
      }
    }
    return true;
  };
  boost::asio::steady_timer timer(io);
  const auto began = std::chrono::steady_clock::now();
  auto kill_after = std::chrono::steady_clock::time_point::max();
  std::function<void()> tick;
  auto stop = [&](const char* why) {
    if (stopping) return;
    stopping = true;
    spdlog::info("stopping the farm ({})", why);
    for (auto& s : servers) {
      for (auto& d : s.daemons) {
        if (d.running) (void)launcher.Kill(d.pid, SIGTERM);
      }
    }
    kill_after = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  };
  tick = [&] {
    if (stopping) {
      if (all_stopped()) return io.stop();
      if (std::chrono::steady_clock::now() > kill_after) {
        for (auto& s : servers) {
          for (auto& d : s.daemons) {
            if (d.running) {
              spdlog::warn("{} of {} did not stop in 15 s: killing it", d.name, s.id);
              (void)launcher.Kill(d.pid, SIGKILL);
            }
          }
        }
        kill_after = std::chrono::steady_clock::time_point::max();
      }
    } else if (!ready) {
      std::string view;
      bool everyone = true;
      for (auto& s : servers) {
        const int seen = SeenBy(s);
        everyone = everyone && seen == static_cast<int>(servers.size());
        view += " " + s.id + ":" + std::to_string(seen);
      }
      if (everyone) {
        ready = true;
        spdlog::info(
            "every server sees every other ({:.1f} s)",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
        WriteFarmJson(o.state_dir, servers, client_address, ready);
        std::printf("farm ready: %zu servers\n", servers.size());
        std::fflush(stdout);
      } else if (std::chrono::steady_clock::now() - began > o.ready_timeout) {
        spdlog::error(
            "the servers do not see each other after {} s (members seen:{}); see the logs",
            o.ready_timeout.count(), view);
        exit_code = 1;
        stop("not ready");
      }
    }
    timer.expires_after(std::chrono::milliseconds(100));
    timer.async_wait([&](const boost::system::error_code& e) {
      if (!e) tick();
    });
  };
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& e, int sig) {
        if (e) return;
        stop(sig == SIGINT ? "SIGINT" : "SIGTERM");
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  if (!started) {
    exit_code = 1;
    stop("a daemon did not start");
  }
  tick();
  io.run();
  for (auto& s : servers) {
    if (!s.store) SeenBy(s);  // opens it
    if (int n = SweepOrphans(s))
      spdlog::warn("killed {} DASP(s) of {} left behind by a killed dabs-lbd", n, s.id);
    s.store.reset();
  }
  if (netns) netns->Teardown();
  for (auto& s : servers) {
    for (const char* sock : {"lbd.sock", "statd.sock", "configd.sock"})
      fs::remove(s.layout.dir / sock, ec);
  }
  WriteFarmJson(o.state_dir, servers, client_address, ready);
  spdlog::info("farm stopped");
  return exit_code;
}

}  // namespace dabs::farm
