// dabs-configd --farm FILE --server ID --state-dir DIR: the configuration process of one
// server (docs/spec/config.md; README.md beside this file). Exit status: 0 after SIGINT or
// SIGTERM, 2 for bad arguments or a bad farm file (every problem as file:line:column),
// 1 when the store or the sockets cannot be opened.
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <dabs/config/adopt.h>
#include <dabs/config/farm.h>
#include <dabs/configd/daemon.h>
#include <dabs/keyring/farm_channel.h>
#include <dabs/store/layout.h>
#include <dabs/store/private_files.h>

namespace {

using namespace dabs;

struct Args {
  std::string farm, server, state_dir;
  std::string address;  // overrides the farm file's choice of interface
  std::string log_level = "info";
};

int Usage(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_name() == "CallForHelp" || e.get_name() == "CallForAllHelp") {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "dabs-configd: %s (see dabs-configd --help)\n", e.what());
  return 2;
}

// True when a live process has `path` bound (a datagram connect succeeds); a file left by a
// killed one refuses the connection and is replaced by the node.
bool SocketInUse(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path) return false;
  std::strcpy(addr.sun_path, path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

// The multicast interface: the server's pinned address when the farm file pins one (each
// server of a real farm has its own), else farm.interface.
std::string Interface(const config::FarmConfig& farm, const std::string& server) {
  const config::ServerEntry* s = farm.Server(server);
  return s && s->address ? *s->address : farm.interface;
}

configd::DaemonOptions Options(const config::FarmConfig& farm, const Args& a, store::Store& store,
                               const store::ServerLayout& layout) {
  configd::DaemonOptions o;
  o.server = a.server;
  o.store = &store;
  o.local_socket = layout.configd_socket();
  o.group = farm.config_group;
  o.interface = a.address.empty() ? Interface(farm, a.server) : a.address;
  o.engine.max_transmissions = farm.max_transmissions;
  o.engine.rto.initial = farm.initial_rto;
  o.engine.reassembly.max_message_bytes = farm.max_message_bytes;
  o.max_config_bytes = farm.max_message_bytes;
  return o;
}

// Loads the farm file into the store (config/adopt.h). A bad file: every problem, one
// summary line, and exit status 2.
int Adopt(store::Store& store, const Args& a, config::Adopted& out) {
  std::vector<config::Problem> problems;
  auto adopted = config::AdoptFarmFile(store, a.farm, a.server, &problems);
  if (!adopted) {
    for (const auto& p : problems)
      std::fprintf(stderr, "%s\n", p.ToString().c_str());
    if (problems.empty()) {
      std::fprintf(stderr, "dabs-configd: %s: %s\n", a.farm.c_str(),
                   adopted.error().Message().c_str());
      return 1;
    }
    std::fprintf(stderr, "dabs-configd: %s: %zu problem(s); nothing started\n", a.farm.c_str(),
                 problems.size());
    return 2;
  }
  out = std::move(*adopted);
  return 0;
}

int Run(const Args& a) {
  // Signals first: one that comes during start-up stops the daemon once io runs.
  boost::asio::io_context io(1);
  std::unique_ptr<configd::Daemon> daemon;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("{}: stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    if (daemon) daemon->Stop();
    io.stop();
  });

  const store::ServerLayout layout{a.state_dir};
  if (SocketInUse(layout.configd_socket())) {
    spdlog::error("another dabs-configd is running on {}", layout.configd_socket().string());
    return 1;
  }
  auto prepared = store::PrepareStateDirectory(layout.dir);
  if (!prepared) {
    spdlog::error("{}", prepared.error().Message());
    return 1;
  }
  if (!prepared->empty()) spdlog::warn("{}", *prepared);
  auto store = store::Store::Open(layout.store());
  if (!store) {
    spdlog::error("cannot open the store in {}: {}", layout.store().string(),
                  store.error().Message());
    return 1;
  }
  config::Adopted adopted;
  if (int rc = Adopt(**store, a, adopted); rc != 0) return rc;
  spdlog::info("farm file {}: {}", a.farm, adopted.what);
  auto farm = config::Build(adopted.records);
  if (!farm) {
    std::fprintf(stderr, "dabs-configd: %s: %s\n", a.farm.c_str(), farm.error().Message().c_str());
    return 2;
  }

  // dabs-configd takes nothing from outsiders: every datagram it hears comes sealed.
  auto channel = keyring::FarmChannel::Open(layout.dir, farm->name, farm->IndexOf(a.server),
                                            mp::FarmRole::kConfigd, {});
  if (!channel) {
    spdlog::error(
        "{}", channel.error().detail.empty() ? channel.error().Message() : channel.error().detail);
    return 1;
  }
  configd::DaemonOptions options = Options(*farm, a, **store, layout);
  options.guard = (*channel)->guard();
  // Once a second: follow a keyring dabs-lbd adopted, and leave our counters for dabsctl.
  boost::asio::steady_timer keys_timer(io);
  std::function<void()> keep_keys = [&] {
    (void)(*channel)->Refresh();
    (void)(*channel)->Record(**store,
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count(),
                             daemon ? daemon->NodeStats().local_refused : 0);
    keys_timer.expires_after(std::chrono::seconds(1));
    keys_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) keep_keys();
    });
  };
  keep_keys();

  auto created = configd::Daemon::Create(io, options);
  if (!created) {
    spdlog::error("cannot join the configuration group: {}", created.error().Message());
    return 1;
  }
  daemon = std::move(*created);
  daemon->Start(adopted.imported);
  io.run();
  daemon.reset();  // before the store it uses
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("dabs-configd"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");

  CLI::App app{
      "dabs-configd: the configuration process of one server. Imports the farm file once,\n"
      "then keeps the server's stored configuration in step with the farm's (CONFIG_SYNC on\n"
      "farm.config_group); dabsctl config import and, later, the web GUI change it."};
  Args a;
  app.add_option("--farm", a.farm, "The farm file (YAML, docs/spec/config.md)")->required();
  app.add_option("--server", a.server, "This server's id (s1, ...)")->required();
  app.add_option("--state-dir", a.state_dir, "The server's state directory (store, sockets)")
      ->required();
  app.add_option("--address", a.address,
                 "This server's address (multicast interface); default: its servers: entry, else "
                 "farm.interface");
  app.add_option("--log-level", a.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return Usage(app, e);
  }
  spdlog::set_level(spdlog::level::from_str(a.log_level));
  return Run(a);
}
