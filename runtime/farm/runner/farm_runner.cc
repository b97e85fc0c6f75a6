#include "farm_runner.h"

#include <cstdlib>
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
#include <sys/stat.h>
#include <unistd.h>

#include <dabs/config/farm.h>
#include <dabs/config/load.h>
#include <dabs/farm/posix_launcher.h>
#include <dabs/keyring/keyring.h>
#include <dabs/mp/secret_file.h>
#include <dabs/store/errc.h>
#include <dabs/store/layout.h>
#include <dabs/store/private_files.h>
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
  // Pids and command lines of root's daemons are no one else's business: 0600.
  if (Status s = store::WritePrivateFile(dir / "farm.json", j.dump(2) + "\n"); !s) {
    spdlog::warn("farm.json: {}", s.error().Message());
  }
}

// The farm's directory holds each server's state directory (each made private by itself)
// and farm.json (0600). It is made 0700 when new or evidently ours; one that also holds the
// operator's files (dabs-farm's own log) is used as it is, unless others may rename entries
// in it (write access without the sticky bit) and so swap a server's directory for theirs.
// 0, or the exit status after one clear line on stderr.
int PrepareFarmDirectory(const fs::path& dir) {
  auto made = store::EnsurePrivateDirectory(dir, "farm.json");
  if (made) return 0;
  struct stat st {};
  const bool others_may_rename = made.code() == store::Errc::kUnsafePermissions &&
                                 ::stat(dir.c_str(), &st) == 0 && (st.st_mode & 022) != 0 &&
                                 (st.st_mode & S_ISVTX) == 0;
  if (made.code() != store::Errc::kUnsafePermissions || others_may_rename) {
    std::fprintf(stderr, "dabs-farm: %s\n", made.error().Message().c_str());
    return 2;
  }
  spdlog::warn("{} (each server's directory in it is private all the same)",
               made.error().Message());
  return 0;
}

// The farm file, the executables and the state directory, checked before anything starts.
// 0, or the exit status after one clear line on stderr.
int CheckSetup(const RunnerOptions& o, const fs::path& bin,
               std::optional<config::FarmConfig>* farm_out) {
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
  for (const auto& d : o.daemons) {
    if (::access((bin / d).c_str(), X_OK) != 0) {
      std::fprintf(stderr, "dabs-farm: cannot find %s in %s (build it, or give --bin-dir)\n",
                   d.c_str(), bin.c_str());
      return 2;
    }
  }
  if (int rc = PrepareFarmDirectory(o.state_dir); rc != 0) return rc;
  *farm_out = std::move(*farm);
  return 0;
}

// The farm key: --key, else DIR/seal.key, made when missing. 0, or the exit status after one
// clear line on stderr.
int LoadOrMakeFarmKey(const RunnerOptions& o, mp::FarmKey* out) {
  const fs::path path = o.key_file.empty() ? o.state_dir / "seal.key" : o.key_file;
  if (o.key_file.empty() && !fs::exists(path)) {
    auto made = mp::FarmKey::Generate();
    if (!made) {
      std::fprintf(stderr, "dabs-farm: %s\n", made.error().Message().c_str());
      return 1;
    }
    if (Status s = mp::WriteSecretFile(path, made->ToFileText()); !s) {
      std::fprintf(stderr, "dabs-farm: %s\n", s.error().Message().c_str());
      return 1;
    }
    spdlog::info("made the farm key {} in {}", made->IdText(), path.string());
  }
  auto text = mp::ReadSecretFile(path);
  auto key = text ? mp::FarmKey::Parse(*text) : Result<mp::FarmKey>(text.error());
  if (!key) {
    std::fprintf(stderr, "dabs-farm: %s: %s\n", path.c_str(), key.error().Message().c_str());
    return 2;
  }
  *out = *key;
  return 0;
}

// Who: the servers the file pins, in order, then s<K>.
std::vector<Server> PlanServers(const RunnerOptions& o, const config::FarmConfig& farm) {
  std::vector<Server> servers;
  for (int k = 1; k <= o.servers; ++k) {
    Server s;
    const bool pinned = static_cast<size_t>(k) <= farm.servers.size();
    const config::ServerEntry* entry = pinned ? &farm.servers[static_cast<size_t>(k - 1)] : nullptr;
    s.id = entry ? entry->id : "s" + std::to_string(k);
    s.address = entry && entry->address ? *entry->address : farm.interface;
    s.layout.dir = o.state_dir / s.id;
    servers.push_back(std::move(s));
  }
  return servers;
}

// Each server's daemons' command lines.
void PlanDaemons(const RunnerOptions& o, const fs::path& bin, const std::optional<NetnsFarm>& netns,
                 std::vector<Server>& servers) {
  for (size_t k = 0; k < servers.size(); ++k) {
    Server& s = servers[k];
    // The daemons check the state directory again and stop on what is wrong with it.
    (void)store::PrepareStateDirectory(s.layout.dir);
    (void)store::EnsurePrivateDirectory(s.layout.logs(), "");
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
      if (name == "dabs-statd" && !netns && k > 0) {
        // One machine, one snmpd: only the first server's statistics register with it (each
        // server of a real farm, or of a farm in namespaces, has its own).
        argv.insert(argv.end(), {"--agentx-socket", "none"});
      }
      if (netns) {
        argv.push_back("--address");
        argv.push_back(s.address);
        argv = netns->Exec(static_cast<int>(k), argv);
      }
      s.daemons.push_back({name, argv});
    }
  }
}

// The running farm: starts the daemons, says when every server sees every other, stops them
// all on a signal (SIGKILL after 15 s), and leaves nothing behind. Single-threaded: every
// method runs on `io_`'s one thread.
class FarmRun {
 public:
  FarmRun(const RunnerOptions& o, std::vector<Server> servers, std::string client_address)
      : o_(o), servers_(std::move(servers)), client_address_(std::move(client_address)) {}

  int Run(std::optional<NetnsFarm>& netns) {
    const bool started = StartAll();
    WriteFarmJson(o_.state_dir, servers_, client_address_, ready_);
    spdlog::info("started {} servers ({}) under {}{}", servers_.size(),
                 o_.netns ? "network namespaces" : "loopback", o_.state_dir.string(),
                 o_.logs_to_terminal ? "" : "; logs in <server>/logs/");
    signals_.async_wait([this](const boost::system::error_code& e, int sig) { OnSignal(e, sig); });
    if (!started) {
      exit_code_ = 1;
      Stop("a daemon did not start");
    }
    Tick();
    io_.run();
    CleanUp(netns);
    return exit_code_;
  }

 private:
  bool StartAll() {
    bool started = true;
    for (auto& s : servers_) {
      for (auto& d : s.daemons)
        started = started && Start(s, d);
    }
    return started;
  }

  bool Start(Server& s, Daemon& d) {
    SpawnRequest req;
    req.argv = d.argv;
    // Daemons start with an empty environment; a test team's fault injection is passed on
    // by name (docs/dasp.md "Faults"), and dabs-lbd hands it to its DASPs.
    for (const char* name : {"DABS_FAULT_HANDLER_DELAY"}) {
      if (const char* value = std::getenv(name)) req.env.push_back(std::string(name) + "=" + value);
    }
    if (!o_.logs_to_terminal) req.output_path = (s.layout.logs() / (d.name + ".log")).string();
    auto pid = launcher_.Spawn(
        req, [this, server = s.id, name = d.name](ExitStatus st) { OnExit(server, name, st); });
    if (!pid) {
      spdlog::error("cannot start {} for {}: {}", d.name, s.id, pid.error().Message());
      return false;
    }
    d.pid = *pid;
    d.running = true;
    return true;
  }

  void OnExit(const std::string& server, const std::string& name, const ExitStatus& st) {
    for (auto& srv : servers_) {
      for (auto& dm : srv.daemons) {
        if (srv.id == server && dm.name == name) dm.running = false;
      }
    }
    if (!stopping_) {
      spdlog::error("{} of {} ended: {}", name, server, st.ToString());
      exit_code_ = 1;
    }
    WriteFarmJson(o_.state_dir, servers_, client_address_, ready_);
  }

  void OnSignal(const boost::system::error_code& e, int sig) {
    if (e) return;
    Stop(sig == SIGINT ? "SIGINT" : "SIGTERM");
    signals_.async_wait(
        [this](const boost::system::error_code& e2, int sig2) { OnSignal(e2, sig2); });
  }

  bool AllStopped() const {
    for (const auto& s : servers_) {
      for (const auto& d : s.daemons) {
        if (d.running) return false;
      }
    }
    return true;
  }

  void Signal(int sig, bool warn) {
    for (auto& s : servers_) {
      for (auto& d : s.daemons) {
        if (!d.running) continue;
        if (warn) spdlog::warn("{} of {} did not stop in 15 s: killing it", d.name, s.id);
        (void)launcher_.Kill(d.pid, sig);
      }
    }
  }

  void Stop(const char* why) {
    if (stopping_) return;
    stopping_ = true;
    spdlog::info("stopping the farm ({})", why);
    Signal(SIGTERM, false);
    kill_after_ = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  }

  // Every 100 ms: while starting, whether every server sees every other; while stopping,
  // whether every daemon is gone (or late).
  void Tick() {
    if (stopping_) {
      if (AllStopped()) return io_.stop();
      if (std::chrono::steady_clock::now() > kill_after_) {
        Signal(SIGKILL, true);
        kill_after_ = std::chrono::steady_clock::time_point::max();
      }
    } else if (!ready_) {
      CheckReady();
    }
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e) Tick();
    });
  }

  void CheckReady() {
    std::string view;
    bool everyone = true;
    for (auto& s : servers_) {
      const int seen = SeenBy(s);
      everyone = everyone && seen == static_cast<int>(servers_.size());
      view += " " + s.id + ":" + std::to_string(seen);
    }
    if (everyone) {
      ready_ = true;
      spdlog::info(
          "every server sees every other ({:.1f} s)",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count());
      WriteFarmJson(o_.state_dir, servers_, client_address_, ready_);
      std::printf("farm ready: %zu servers\n", servers_.size());
      std::fflush(stdout);
    } else if (std::chrono::steady_clock::now() - began_ > o_.ready_timeout) {
      spdlog::error("the servers do not see each other after {} s (members seen:{}); see the logs",
                    o_.ready_timeout.count(), view);
      exit_code_ = 1;
      Stop("not ready");
    }
  }

  void CleanUp(std::optional<NetnsFarm>& netns) {
    for (auto& s : servers_) {
      s.store.reset();
      if (int n = SweepOrphans(s)) spdlog::warn("killed {} process(es) of {} left behind", n, s.id);
    }
    if (netns) netns->Teardown();
    std::error_code ec;
    for (auto& s : servers_) {
      for (const char* sock : {"lbd.sock", "statd.sock", "configd.sock"})
        fs::remove(s.layout.dir / sock, ec);
    }
    WriteFarmJson(o_.state_dir, servers_, client_address_, ready_);
    spdlog::info("farm stopped");
  }

  const RunnerOptions& o_;
  std::vector<Server> servers_;
  const std::string client_address_;
  boost::asio::io_context io_;
  PosixLauncher launcher_{io_};
  boost::asio::steady_timer timer_{io_};
  boost::asio::signal_set signals_{io_, SIGINT, SIGTERM};
  const std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point kill_after_ = std::chrono::steady_clock::time_point::max();
  bool stopping_ = false, ready_ = false;
  int exit_code_ = 0;
};

}  // namespace

int RunFarm(const RunnerOptions& o) {
  const fs::path bin = o.bin_dir.empty() ? SelfDir() : o.bin_dir;
  std::optional<config::FarmConfig> farm;
  if (int status = CheckSetup(o, bin, &farm)) return status;
  std::vector<Server> servers = PlanServers(o, *farm);
  std::optional<NetnsFarm> netns;
  if (o.netns) {
    auto made = NetnsFarm::Create(std::to_string(::getpid()), o.servers);
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
  mp::FarmKey key;
  if (int status = LoadOrMakeFarmKey(o, &key)) return status;
  for (const Server& s : servers) {
    (void)store::PrepareStateDirectory(s.layout.dir);
    if (Status st = keyring::EnsureKey(s.layout.dir, key); !st) {
      std::fprintf(stderr, "dabs-farm: %s: %s\n", s.id.c_str(), st.error().Message().c_str());
      return 1;
    }
  }
  PlanDaemons(o, bin, netns, servers);
  const std::string client_address = netns ? netns->client_address() : farm->interface;
  FarmRun run(o, std::move(servers), client_address);
  return run.Run(netns);
}

}  // namespace dabs::farm
