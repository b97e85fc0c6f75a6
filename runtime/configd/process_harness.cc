// Test harness for real dabs-configd processes: see process_harness.h.
#include "process_harness.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/config/persist.h>
#include <dabs/keyring/keyring.h>
#include <dabs/mp/va.h>
#include <dabs/mp/wire.h>

namespace dabs::configd::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// fork + exec with stdout and stderr to files; the child dies with the test process.
pid_t Spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ::dup2(o, 1);
  ::dup2(e, 2);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

std::optional<int> WaitPid(pid_t pid, Millis timeout) {
  const auto end = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 || Clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(Millis(2));
  }
}

}  // namespace

Exited RunToExit(const std::vector<std::string>& argv, Millis timeout) {
  char tmpl[] = "/tmp/dabs-configd-run-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  const pid_t pid = Spawn(argv, dir / "out", dir / "err");
  Exited e;
  if (auto status = WaitPid(pid, timeout)) {
    e.status = *status;
  } else {
    ::kill(pid, SIGKILL);
    WaitPid(pid, Millis(5000));
  }
  e.out = ReadFile(dir / "out");
  e.err = ReadFile(dir / "err");
  fs::remove_all(dir);
  return e;
}

// ---- ConfigdProcess

ConfigdProcess::ConfigdProcess(const fs::path& farm, const std::string& server,
                               const fs::path& state_dir, const fs::path& log,
                               const std::vector<std::string>& prefix)
    : log_(log) {
  std::vector<std::string> argv = prefix;
  for (const auto& a : {std::string(DABS_CONFIGD), std::string("--farm"), farm.string(),
                        std::string("--server"), server, std::string("--state-dir"),
                        state_dir.string(), std::string("--log-level"), std::string("debug")}) {
    argv.push_back(a);
  }
  pid_ = Spawn(argv, log, log);
}

ConfigdProcess::~ConfigdProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  WaitPid(pid_, Millis(5000));
}

void ConfigdProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

std::optional<int> ConfigdProcess::Wait(Millis timeout) {
  auto status = WaitPid(pid_, timeout);
  if (status) pid_ = -1;
  return status;
}

std::string ConfigdProcess::Log() const {
  return ReadFile(log_);
}

// ---- TestFarm

TestFarm::TestFarm(const std::string& name) {
  root_ = fs::temp_directory_path() / ("dabs-configd-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(root_);
  fs::create_directories(root_ / "bin");
  const fs::path dasp = root_ / "bin" / "app-dasp";
  std::ofstream(dasp) << "#!/bin/sh\n";
  fs::permissions(dasp, fs::perms::owner_all);
  // A group no other test (or test run) uses: the tests of one binary run in parallel.
  const size_t h = std::hash<std::string>{}(name + "/" + std::to_string(::getpid()));
  group_address_ =
      "239.77." + std::to_string(h % 250 + 1) + "." + std::to_string((h >> 8) % 250 + 1);
  port_ = static_cast<uint16_t>(20000 + (h >> 16) % 20000);
}

TestFarm::~TestFarm() {
  member_.reset();
  client_.reset();
  io_.reset();
  stores_.clear();
  if (::testing::Test::HasFailure()) {
    std::printf("kept %s for inspection\n", root_.c_str());
  } else {
    fs::remove_all(root_);
  }
}

std::string TestFarm::config_group() const {
  return group_address_ + ":" + std::to_string(port_ + 2);
}

void TestFarm::WriteFarmFile(int apps, const std::string& interface,
                             const std::string& servers_yaml) {
  std::ofstream f(farm_file());
  f << "farm:\n  name: test\n"
    << "  group: " << group_address_ << ":" << port_ << "\n"
    << "  stats_group: " << group_address_ << ":" << port_ + 1 << "\n"
    << "  config_group: " << config_group() << "\n"
    << "  interface: " << interface << "\n";
  if (!servers_yaml.empty()) f << servers_yaml;
  if (apps > 0) f << "apps:\n";
  for (int i = 0; i < apps; ++i) {
    f << "  - name: application-" << i << "\n"
      << "    dasp: bin/app-dasp\n"
      << "    args: [\"--channel\", \"" << i << "\"]\n"
      << "    limits:\n"
      << "      farm: {instances: 16, sessions: 10000, memory_mb: 2048}\n"
      << "      instance: {sessions: 100, memory_mb: 128}\n";
  }
}

std::shared_ptr<mp::FarmGuard> TestFarm::Guard(uint16_t index) const {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto keys = std::make_shared<mp::FarmKeySet>("test", std::vector<mp::FarmKey>{key_}, key_.id);
  return std::make_shared<mp::FarmGuard>(keys, mp::FarmSenderId(index, mp::FarmRole::kConfigd),
                                         mp::FarmIncarnation(now), mp::FarmGuardPolicy{}, nullptr,
                                         now);
}

std::unique_ptr<ConfigdProcess> TestFarm::Start(const std::string& server,
                                                const std::vector<std::string>& prefix) {
  fs::create_directories(state_dir(server));
  fs::permissions(state_dir(server), fs::perms::owner_all);
  if (Status s = keyring::EnsureKey(state_dir(server), key_); !s) {
    throw std::runtime_error("farm key for " + server + ": " + s.error().Message());
  }
  return std::make_unique<ConfigdProcess>(farm_file(), server, state_dir(server),
                                          root_ / (server + ".log"), prefix);
}

store::Store& TestFarm::StoreOf(const std::string& server) {
  auto& s = stores_[server];
  if (!s) {
    auto opened = store::Store::Open(state_dir(server) / "store");
    if (!opened) throw std::runtime_error("open store: " + opened.error().Message());
    s = std::move(*opened);
  }
  return *s;
}

uint64_t TestFarm::Version(const std::string& server) {
  auto v = config::StoredConfigVersion(StoreOf(server));
  return v ? *v : 0;
}

uint64_t TestFarm::Change(const std::string& server,
                          const std::function<void(config::Records&)>& change) {
  uint64_t version = 0;
  Status s = StoreOf(server).Write([&](store::WriteTxn& txn) -> Status {
    auto stored = config::ReadConfig(txn);
    if (!stored) return stored.error();
    config::Records r = *stored ? **stored : config::Records{};
    change(r);
    r.version += 1;
    r.origin = server;
    version = r.version;
    return config::WriteConfig(txn, r, "dabsctl");
  });
  if (!s) throw std::runtime_error("change: " + s.error().Message());
  return version;
}

std::optional<Millis> TestFarm::WaitForVersion(const std::vector<std::string>& servers,
                                               uint64_t version, Millis timeout) {
  const auto start = Clock::now();
  for (;;) {
    bool all = true;
    for (const auto& s : servers)
      all = all && Version(s) >= version;
    const auto took = std::chrono::duration_cast<Millis>(Clock::now() - start);
    if (all) return took;
    if (took > timeout) return std::nullopt;
    std::this_thread::sleep_for(Millis(1));
  }
}

mp::Node& TestFarm::Client() {
  if (!client_) {
    io_ = std::make_unique<mp::IoThreads>(1);
    mp::NodeConfig c;
    c.udp = *mp::Endpoint::Parse("127.0.0.1:0");
    c.multicast_interface = "127.0.0.1";
    c.local_path = (root_ / "test-client.sock").string();
    c.udp_offload = false;
    auto node = mp::Node::Create(io_->io(), c, {});
    if (!node) throw std::runtime_error("client node: " + node.error().Message());
    client_ = std::move(*node);
  }
  return *client_;
}

std::optional<nlohmann::json> TestFarm::Ping(const std::string& server, Millis timeout) {
  mp::SendOptions o;
  o.reply_timeout = timeout;
  auto reply = Client().SendSync(mp::Endpoint::Local((state_dir(server) / "configd.sock").string()),
                                 mp::wire::kOpeningSession, mp::wire::kPing, mp::kVaNone, {}, o);
  if (!reply) return std::nullopt;
  auto j = nlohmann::json::parse(reply->payload.begin(), reply->payload.end(), nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

bool TestFarm::WaitReady(const std::string& server, Millis timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (fs::exists(state_dir(server) / "configd.sock") && Ping(server, Millis(200))) return true;
    std::this_thread::sleep_for(Millis(10));
  }
  return false;
}

void TestFarm::SendRawToGroup(const std::vector<uint8_t>& bytes) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  in_addr iface{};
  ::inet_pton(AF_INET, "127.0.0.1", &iface);
  ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof iface);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port_ + 2));
  ::inet_pton(AF_INET, group_address_.c_str(), &to.sin_addr);
  ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  ::close(fd);
}

void TestFarm::SendToGroup(uint16_t command, std::vector<uint8_t> payload) {
  mp::SendOptions once;
  once.expect_reply = false;
  Client().Send(*mp::Endpoint::Parse(config_group()), mp::wire::kOpeningSession, command,
                mp::kVaConfigGroup, std::move(payload), once, [](mp::SendResult&&) {});
}

mp::Node& TestFarm::Member() {
  if (!member_) {
    Client();  // the io threads
    mp::NodeConfig c;
    c.udp = *mp::Endpoint::Parse("127.0.0.1:0");
    c.multicast_interface = "127.0.0.1";
    c.udp_offload = false;
    c.farm_guard = Guard(9);
    auto node = mp::Node::Create(io_->io(), c, {});
    if (!node) throw std::runtime_error("member node: " + node.error().Message());
    member_ = std::move(*node);
  }
  return *member_;
}

void TestFarm::SendSealedToGroup(uint16_t command, std::vector<uint8_t> payload) {
  mp::SendOptions once;
  once.expect_reply = false;
  Member().Send(*mp::Endpoint::Parse(config_group()), mp::wire::kOpeningSession, command,
                mp::kVaConfigGroup, std::move(payload), once, [](mp::SendResult&&) {});
}

uint64_t TestFarm::Rejected(const std::string& server) {
  uint64_t n = 0;
  (void)StoreOf(server).Read([&](const store::ReadTxn& txn) {
    auto v = txn.Get(store::Database::kStatistics, "security/dabs-configd");
    if (v && *v) {
      auto j = nlohmann::json::parse(**v, nullptr, false);
      if (j.is_object()) n = j.value("rejected_total", uint64_t{0});
    }
    return Status::Ok();
  });
  return n;
}

// ---- Namespaces

namespace {

bool Ip(const std::vector<std::string>& args, std::string* error) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  const Exited e = RunToExit(argv);
  if (e.status == 0) return true;
  if (error) {
    std::string line;
    for (const auto& a : argv)
      line += a + " ";
    *error = line + "-> exit " + std::to_string(e.status) + ": " + e.err;
  }
  return false;
}

}  // namespace

std::unique_ptr<Namespaces> Namespaces::Create(int servers, std::string* error) {
  std::unique_ptr<Namespaces> n(new Namespaces());
  n->tag_ = "dcfg" + std::to_string(::getpid() % 100000);
  const std::string bridge = n->tag_ + "b";
  if (!Ip({"netns", "add", bridge}, error)) return nullptr;
  n->servers_ = 0;  // from here on the destructor removes what was made
  if (!Ip({"-n", bridge, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"}, error) ||
      !Ip({"-n", bridge, "link", "set", "br0", "up"}, error)) {
    return nullptr;
  }
  for (int i = 1; i <= servers; ++i) {
    const std::string ns = n->ns(i), port = "p" + std::to_string(i);
    if (!Ip({"netns", "add", ns}, error)) return nullptr;
    n->servers_ = i;
    const bool ok = Ip({"link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
                        "netns", bridge},
                       error) &&
                    Ip({"-n", bridge, "link", "set", port, "master", "br0", "up"}, error) &&
                    Ip({"-n", ns, "link", "set", "lo", "up"}, error) &&
                    Ip({"-n", ns, "addr", "add", n->address(i) + "/24", "dev", "eth0"}, error) &&
                    Ip({"-n", ns, "link", "set", "eth0", "up"}, error) &&
                    Ip({"-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0"}, error);
    if (!ok) return nullptr;
  }
  return n;
}

Namespaces::~Namespaces() {
  for (int i = 1; i <= servers_; ++i)
    Ip({"netns", "del", ns(i)}, nullptr);
  Ip({"netns", "del", tag_ + "b"}, nullptr);
}

std::string Namespaces::ns(int i) const {
  return tag_ + "s" + std::to_string(i);
}
std::string Namespaces::address(int i) const {
  return "10.77.0." + std::to_string(i);
}

bool Namespaces::SetLink(int i, bool up) {
  return Ip({"-n", tag_ + "b", "link", "set", "p" + std::to_string(i), up ? "up" : "down"},
            nullptr);
}

}  // namespace dabs::configd::testing
