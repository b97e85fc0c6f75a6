#include "farm_process.h"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/mp/errc.h>
#include <dabs/mp/wire.h>

extern char** environ;

namespace dabs::farm::testing {

namespace {

namespace fs = std::filesystem;

Error Failed(const std::string& what) {
  return Error{make_error_code(mp::Errc::kTransportError), what};
}

Result<pid_t> SpawnWith(const std::vector<std::string>& argv, int stdout_fd,
                        const fs::path& output) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (stdout_fd >= 0) {
    ::posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  } else {
    ::posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                       0644);
  }
  ::posix_spawn_file_actions_addopen(&actions, 2, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Failed("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Waits for `pid` up to `limit`; true with its status if it ended.
bool WaitFor(pid_t pid, std::chrono::milliseconds limit, int& status) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TestFarm UniqueFarm() {
  static std::atomic<int> counter{0};
  const int n = counter++;
  const int pid = static_cast<int>(::getpid());
  TestFarm f;
  // Groups 239.193.<pid>.<n>1 .. <n>3 and a port of our own: parallel tests never share one.
  f.group_prefix = "239.193." + std::to_string(pid % 250) + "." + std::to_string(1 + n % 25);
  f.port = static_cast<uint16_t>(20000 + (pid % 2000) * 10 + n % 10);
  return f;
}

fs::path WriteFarmFile(const TestFarm& f, const fs::path& dir) {
  fs::create_directories(dir);
  std::ostringstream y;
  y << "farm:\n"
    << "  name: " << f.name << "\n"
    << "  group: " << f.group_prefix << "1:" << f.port << "\n"
    << "  stats_group: " << f.group_prefix << "2:" << f.port << "\n"
    << "  config_group: " << f.group_prefix << "3:" << f.port << "\n"
    << "  interface: " << f.interface << "\n"
    << "  heartbeat_ms: " << f.heartbeat_ms << "\n"
    << "  lease_ms: " << f.lease_ms << "\n"
    << "placement:\n"
    << "  policy: " << f.policy << "\n"
    << "  ballot_window_ms: " << f.ballot_window_ms << "\n";
  if (!f.apps.empty()) y << "apps:\n";
  for (const auto& a : f.apps) {
    y << "  - name: " << a.name << "\n"
      << "    dasp: " << a.dasp << "\n"
      << "    start_at_init: " << a.start_at_init << "\n"
      << "    instances_per_process: " << a.instances_per_process << "\n";
    if (!a.servers.empty()) {
      y << "    servers: [";
      for (size_t i = 0; i < a.servers.size(); ++i)
        y << (i ? ", " : "") << a.servers[i];
      y << "]\n";
    }
    y << "    limits:\n";
    if (a.farm_instances || a.farm_sessions) {
      y << "      farm: {";
      if (a.farm_instances)
        y << "instances: " << *a.farm_instances << (a.farm_sessions ? ", " : "");
      if (a.farm_sessions) y << "sessions: " << *a.farm_sessions;
      y << "}\n";
    }
    y << "      instance: {sessions: " << a.instance_sessions << "}\n";
  }
  const fs::path path = dir / "farm.yaml";
  std::ofstream(path) << y.str();
  return path;
}

Result<std::unique_ptr<FarmProcess>> FarmProcess::Start(const Options& o) {
  std::unique_ptr<FarmProcess> f(new FarmProcess());
  f->options_ = o;
  fs::create_directories(o.state_dir);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Failed("pipe");
  std::vector<std::string> argv = {o.dabs_farm.string(),
                                   "up",
                                   "--farm",
                                   o.farm_file.string(),
                                   "--servers",
                                   std::to_string(o.servers),
                                   "--state-dir",
                                   o.state_dir.string(),
                                   "--daemons"};
  std::string daemons;
  for (const auto& d : o.daemons)
    daemons += (daemons.empty() ? "" : ",") + d;
  argv.push_back(daemons);
  argv.push_back("--ready-timeout");
  argv.push_back(std::to_string(o.ready_timeout.count()));
  if (o.netns) argv.push_back("--netns");
  argv.push_back("--log-level");
  const char* level = std::getenv("DABS_TEST_LOG_LEVEL");
  argv.push_back(level ? level : o.log_level);
  auto pid = SpawnWith(argv, out[1], o.state_dir / "dabs-farm.log");
  ::close(out[1]);
  if (!pid) {
    ::close(out[0]);
    return pid.error();
  }
  f->pid_ = *pid;
  f->stdout_fd_ = out[0];
  // "farm ready: N servers", or dabs-farm's end.
  std::string text;
  const auto end = std::chrono::steady_clock::now() + o.ready_timeout + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{f->stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[256];
      const ssize_t n = ::read(f->stdout_fd_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
      if (text.find("farm ready: " + std::to_string(o.servers) + " servers") != std::string::npos)
        return f;
    }
  }
  std::ifstream log(o.state_dir / "dabs-farm.log");
  std::stringstream s;
  s << log.rdbuf();
  return Failed("dabs-farm did not say the farm is ready; its log:\n" + s.str());
}

FarmProcess::~FarmProcess() {
  Stop();
}

int FarmProcess::Stop() {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGINT);
  int status = 0;
  if (!WaitFor(pid_, std::chrono::seconds(30), status)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = 0;
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

nlohmann::json FarmProcess::Json() const {
  std::ifstream in(options_.state_dir / "farm.json");
  return nlohmann::json::parse(in, nullptr, false);
}

std::string FarmProcess::client_address() const {
  auto j = Json();
  return j.is_object() ? j.value("client_address", "127.0.0.1") : "127.0.0.1";
}

pid_t FarmProcess::DaemonPid(const std::string& server, const std::string& daemon) const {
  auto j = Json();
  if (!j.is_object()) return 0;
  for (const auto& s : j["servers"]) {
    if (s["id"] == server && s["daemons"].contains(daemon))
      return s["daemons"][daemon].value("pid", 0);
  }
  return 0;
}

std::vector<std::string> FarmProcess::DaemonArgv(const std::string& server,
                                                 const std::string& daemon) const {
  auto j = Json();
  if (!j.is_object()) return {};
  for (const auto& s : j["servers"]) {
    if (s["id"] == server && s["daemons"].contains(daemon))
      return s["daemons"][daemon]["argv"].get<std::vector<std::string>>();
  }
  return {};
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                          const fs::path& output) {
  auto pid = SpawnWith(argv, -1, output);
  if (!pid) return pid.error();
  std::unique_ptr<ChildProcess> c(new ChildProcess());
  c->pid_ = *pid;
  return c;
}

ChildProcess::~ChildProcess() {
  Stop();
}

int ChildProcess::Stop(int sig) {
  if (!done_ && pid_ > 0) {
    ::kill(pid_, sig);
    if (!WaitFor(pid_, std::chrono::seconds(20), status_)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
    }
    done_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

Result<Opened> OpenViaGroup(mp::Node& client, const mp::Endpoint& group, const std::string& app,
                            const std::string& client_id) {
  mp::OpenSessionRequest req;
  req.app = app;
  req.client_id = client_id;
  const auto start = std::chrono::steady_clock::now();
  auto reply = client.SendSync(group, mp::wire::kOpeningSession, mp::wire::kOpenSession,
                               mp::kVaLbGroup, req.Encode());
  if (!reply) return reply.error();
  Opened o;
  o.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  auto decoded = mp::OpenSessionReply::Decode(reply->payload);
  if (!decoded) return decoded.error();
  o.reply = *decoded;
  o.dasp = reply->peer;
  return o;
}

}  // namespace dabs::farm::testing
