// Private, for the integration tests of dabs-statd: a farm file of loopback servers on a
// multicast group of this run, dabs-statd processes, their stores, ports, and waiting with a
// deadline (a busy two-core machine is slow; a test polls, it never sleeps and hopes).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dabs/keyring/keyring.h>
#include <dabs/mp/farm_messages.h>
#include <dabs/mp/node.h>
#include <dabs/statd/daemon.h>
#include <dabs/statd/stats_store.h>
#include <dabs/store/store.h>

#include "../../../tests/support/subprocess.h"

namespace dabs::statd::testing {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A directory under /tmp, removed at the end. Short, because socket paths live in it.
class TempDir {
 public:
  TempDir() {
    std::string dir = "/tmp/statd-XXXXXX";
    if (::mkdtemp(dir.data())) path_ = dir;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A port the kernel just handed out for `type` (SOCK_DGRAM or SOCK_STREAM) on loopback.
inline uint16_t FreePort(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// Polls `done` every 100 ms until it holds or `limit` passes.
inline bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

inline int64_t UnixMillisNow() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct FarmFile {
  std::vector<std::string> servers = {"s1", "s2", "s3"};
  std::string agentx_socket = "tcp:127.0.0.1:1";  // nothing listens
  uint64_t min_free_memory_mb = 1;
  uint32_t high_water_ms = 250, low_water_ms = 150;
};

// Writes DIR/farm.yaml: the servers on 127.0.0.1 with distinct ports, groups on
// 239.25[345].x.y (x.y from the pid) and a port of this run, interface 127.0.0.1, one app.
inline fs::path WriteFarmFile(const fs::path& dir, const FarmFile& f) {
  const uint16_t group_port = FreePort(SOCK_DGRAM);
  const unsigned pid = static_cast<unsigned>(::getpid());
  const std::string net_byte = std::to_string((pid >> 8) & 0xFF);
  const std::string last = std::to_string(pid & 0xFF);
  std::ofstream out(dir / "farm.yaml");
  out << "farm:\n"
      << "  name: test-farm\n"
      << "  group: 239.253." << net_byte << "." << last << ":" << group_port << "\n"
      << "  stats_group: 239.255." << net_byte << "." << last << ":" << group_port << "\n"
      << "  config_group: 239.254." << net_byte << "." << last << ":" << group_port << "\n"
      << "  interface: 127.0.0.1\n"
      << "placement:\n"
      << "  min_free: {cpu_pct: 0, memory_mb: " << f.min_free_memory_mb << ", disk_mb: 1}\n"
      << "latency:\n"
      << "  high_water_ms: " << f.high_water_ms << "\n"
      << "  low_water_ms: " << f.low_water_ms << "\n"
      << "snmp:\n"
      << "  agentx_socket: \"" << f.agentx_socket << "\"\n"
      << "servers:\n";
  for (const auto& id : f.servers) {
    out << "  - id: " << id << "\n"
        << "    address: 127.0.0.1\n"
        << "    port: " << FreePort(SOCK_DGRAM) << "\n"
        << "    stats_port: " << FreePort(SOCK_DGRAM) << "\n";
  }
  out << "apps:\n"
      << "  - name: calc\n"
      << "    dasp: /bin/true\n"
      << "    limits:\n"
      << "      farm: {instances: 8, sessions: 1000}\n"
      << "      instance: {sessions: 100}\n";
  return dir / "farm.yaml";
}

// The farm key of the test farm whose file is `farm`: every server of it derives the same.
inline mp::FarmKey FarmKeyOf(const fs::path& farm) {
  std::array<uint8_t, 32> bytes{};
  const std::string seed = "dabs test farm key: " + fs::absolute(farm).string();
  unsigned len = 0;
  EVP_Digest(seed.data(), seed.size(), bytes.data(), &len, EVP_sha256(), nullptr);
  return mp::FarmKey::FromBytes(bytes);
}

// One dabs-statd process. Waits for its "ready" line.
class StatdProcess {
 public:
  StatdProcess(fs::path farm, std::string id, fs::path state_dir,
               std::vector<std::string> extra = {})
      : farm_(std::move(farm)),
        id_(std::move(id)),
        state_dir_(std::move(state_dir)),
        extra_(std::move(extra)) {}

  // Starts (or restarts) the process; false if it did not say it was ready within `limit`.
  // The server gets the farm's key first: one key per farm file, shared by its servers.
  bool Start(std::chrono::milliseconds limit = 60s) {
    fs::create_directories(state_dir_);
    fs::permissions(state_dir_, fs::perms::owner_all);
    if (!keyring::EnsureKey(state_dir_, FarmKeyOf(farm_)).ok()) return false;
    std::vector<std::string> argv = {DABS_STATD,          "--farm",      farm_.string(),
                                     "--server",          id_,           "--state-dir",
                                     state_dir_.string(), "--log-level", "warn"};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    process_ = std::make_unique<dabs::testing::Subprocess>(argv);
    if (!process_->started()) return false;
    auto line = process_->ReadLine(limit);
    return line && line->starts_with("ready " + id_);
  }
  void Kill() {
    process_->Signal(SIGKILL);
    process_->Wait();
  }
  dabs::testing::Subprocess& process() { return *process_; }
  const std::string& id() const { return id_; }
  const fs::path& state_dir() const { return state_dir_; }

 private:
  fs::path farm_;
  std::string id_;
  fs::path state_dir_;
  std::vector<std::string> extra_;
  std::unique_ptr<dabs::testing::Subprocess> process_;
};

// A server's store, opened by the test beside its daemons (LMDB is made for that).
class StoreView {
 public:
  explicit StoreView(const fs::path& state_dir) {
    auto s = store::Store::Open(StorePath(state_dir));
    if (s) store_ = std::move(*s);
  }
  bool ok() const { return store_ != nullptr; }
  store::Store& store() { return *store_; }

  std::map<std::string, store::StatsRecord> Current() {
    std::map<std::string, store::StatsRecord> out;
    (void)store_->Read([&](const store::ReadTxn& txn) -> Status {
      auto c = ReadCurrent(txn);
      if (c) out = *c;
      return Status::Ok();
    });
    return out;
  }
  std::vector<store::StatsRecord> History(const std::string& server) {
    std::vector<store::StatsRecord> out;
    (void)store_->Read([&](const store::ReadTxn& txn) -> Status {
      auto h = ReadHistory(txn, server);
      if (h) out = *h;
      return Status::Ok();
    });
    return out;
  }

 private:
  std::unique_ptr<store::Store> store_;
};

// A fake dabs-lbd (or DASP instance) on a local socket, recording what it is sent.
class LocalPeer {
 public:
  LocalPeer(boost::asio::io_context& io, const fs::path& path,
            std::optional<mp::Statistics> answer = {})
      : answer_(std::move(answer)) {
    mp::NodeConfig c;
    c.local_path = path.string();
    mp::NodeCallbacks cb;
    cb.on_message = [this](mp::Message&& m) {
      if (m.header.command == mp::wire::kGetStatistics && answer_) {
        if (mp::Node* n = node_.load()) n->Reply(m, answer_->Encode());
      }
      std::lock_guard lock(mu_);
      got_.push_back(std::move(m));
      cv_.notify_all();
    };
    auto node = mp::Node::Create(io, c, cb);
    EXPECT_TRUE(node.ok()) << node.error().Message();
    if (node) owned_ = std::move(*node);
    node_ = owned_.get();
  }
  ~LocalPeer() {
    node_ = nullptr;
    if (owned_) owned_->Stop();
  }

  // The first SERVER_STATS matching `pred`, waiting up to `limit`.
  std::optional<mp::ServerStats> WaitStats(const std::function<bool(const mp::ServerStats&)>& pred,
                                           std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    std::optional<mp::ServerStats> found;
    cv_.wait_for(lock, limit, [&] {
      for (const auto& m : got_) {
        if (m.header.command != mp::wire::kServerStats) continue;
        auto s = mp::ServerStats::Decode(m.payload);
        if (s && pred(*s)) {
          found = *s;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  size_t Count(uint16_t command) {
    std::lock_guard lock(mu_);
    return std::count_if(got_.begin(), got_.end(),
                         [&](const auto& m) { return m.header.command == command; });
  }

 private:
  std::optional<mp::Statistics> answer_;
  std::atomic<mp::Node*> node_{nullptr};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<mp::Message> got_;
  std::unique_ptr<mp::Node> owned_;  // last: stopped before what its callback touches goes
};

}  // namespace dabs::statd::testing
