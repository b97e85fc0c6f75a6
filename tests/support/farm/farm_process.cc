#include "farm_process.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/mp/errc.h>
#include <dabs/mp/wire.h>

namespace dabs::farm::testing {

namespace {

namespace fs = std::filesystem;

Error Failed(const std::string& what) {
  return Error{make_error_code(mp::Errc::kTransportError), what};
}

// Stops `p`: `sig`, then SIGKILL after `grace`. The exit status as a number.
int StopProcess(dabs::testing::Subprocess& p, int sig, std::chrono::seconds grace) {
  if (!p.started()) return 0;
  p.Signal(sig);
  if (auto status = p.WaitFor(grace)) return ExitCode(*status);
  p.Signal(SIGKILL);
  return ExitCode(p.Wait());
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
    << "  lease_ms: " << f.lease_ms << "\n";
  if (!f.identity_key.empty()) y << "  identity_key: " << f.identity_key << "\n";
  y << "placement:\n"
    << "  policy: " << f.policy << "\n"
    << "  ballot_window_ms: " << f.ballot_window_ms << "\n"
    << "  rebalance_period_ms: " << f.rebalance_period_ms << "\n"
    << "  rebalance: " << f.rebalance << "\n"
    << "  spread_pct: " << f.spread_pct << "\n";
  if (f.min_free_cpu_pct) y << "  min_free: {cpu_pct: " << *f.min_free_cpu_pct << "}\n";
  if (!f.agentx_socket.empty()) y << "snmp:\n  agentx_socket: " << f.agentx_socket << "\n";
  if (!f.apps.empty()) y << "apps:\n";
  for (const auto& a : f.apps) {
    y << "  - name: " << a.name << "\n"
      << "    dasp: " << a.dasp << "\n"
      << "    start_at_init: " << a.start_at_init << "\n"
      << "    instances_per_process: " << a.instances_per_process << "\n";
    if (a.encryption != "off") y << "    encryption: " << a.encryption << "\n";
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
    if (a.backlog_reads) y << "    timers: {backlog_reads: " << *a.backlog_reads << "}\n";
  }
  const fs::path path = dir / "farm.yaml";
  std::ofstream(path) << y.str();
  return path;
}

int ExitCode(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

Result<std::unique_ptr<FarmProcess>> FarmProcess::Start(const Options& o) {
  std::unique_ptr<FarmProcess> f(new FarmProcess());
  f->options_ = o;
  fs::create_directories(o.state_dir);
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
  const fs::path log = o.state_dir / "dabs-farm.log";
  f->process_ = std::make_unique<dabs::testing::Subprocess>(argv, log.string());
  if (!f->process_->started()) return Failed("cannot start " + o.dabs_farm.string());
  // "farm ready: N servers", or dabs-farm's end.
  const std::string ready = "farm ready: " + std::to_string(o.servers) + " servers";
  const auto end = std::chrono::steady_clock::now() + o.ready_timeout + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    auto line = f->process_->ReadLine(std::chrono::milliseconds(200));
    if (line && *line == ready) return f;
    if (!line && !f->process_->WaitFor(std::chrono::milliseconds(0)).has_value()) continue;
    if (!line) break;  // dabs-farm ended
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return Failed("dabs-farm did not say the farm is ready; its log:\n" + text.str());
}

FarmProcess::~FarmProcess() {
  Stop();
}

int FarmProcess::Stop() {
  if (!process_) return 0;
  const int code = StopProcess(*process_, SIGINT, std::chrono::seconds(30));
  process_.reset();
  return code;
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
                                                          const fs::path& log) {
  auto p = std::make_unique<dabs::testing::Subprocess>(argv, log.string());
  if (!p->started()) return Failed("cannot start " + argv.at(0));
  return std::unique_ptr<ChildProcess>(new ChildProcess(std::move(p)));
}

int ChildProcess::Stop(int sig) {
  return StopProcess(*process_, sig, std::chrono::seconds(20));
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
