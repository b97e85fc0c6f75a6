// dabs-statd --farm FILE --server ID --state-dir DIR: the statistics process of one server.
#include <csignal>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <dabs/statd/daemon.h>

namespace {

using dabs::statd::StatdOptions;

struct Args {
  std::string farm, server, state_dir, log_level = "info";
  std::optional<uint16_t> stats_port;
  int sample_ms = 1000;
  std::optional<std::string> agentx_socket;
  std::string address;
};

void AddOptions(CLI::App& app, Args& a) {
  app.add_option("--farm", a.farm, "The farm file (YAML)")->required();
  app.add_option("--server", a.server, "This server's id")->required();
  app.add_option("--state-dir", a.state_dir,
                 "The server's state directory (its store is DIR/store)")
      ->required();
  app.add_option("--stats-port", a.stats_port,
                 "UDP port of dabs-statd (overrides servers[ID].stats_port)")
      ->check(CLI::Range(1, 65535));
  app.add_option(
      "--address", a.address,
      "This server's address (bind and multicast interface); default: its servers: entry, "
      "else farm.interface");
  app.add_option("--sample-ms", a.sample_ms, "Sampling period in milliseconds")
      ->check(CLI::Range(100, 60000))
      ->capture_default_str();
  app.add_option("--agentx-socket", a.agentx_socket,
                 "Where the SNMP master agent listens (overrides snmp.agentx_socket; 'none' runs "
                 "no subagent)");
  app.add_option("--log-level", a.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "dabs-statd: the statistics process of one dabs server (sampling, SERVER_STATS, "
      "DASP statistics, SNMP AgentX subagent)"};
  Args a;
  AddOptions(cli, a);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_name() == "CallForHelp") {
      std::fputs(cli.help().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "dabs-statd: %s (see --help)\n", e.what());
    return 2;
  }
  StatdOptions options;
  options.farm_file = a.farm;
  options.server_id = a.server;
  options.state_dir = a.state_dir;
  options.stats_port = a.stats_port;
  options.sample_period = std::chrono::milliseconds(a.sample_ms);
  options.agentx_socket = a.agentx_socket;
  options.address = a.address;
  if (dabs::Status s = options.Validate(); !s) {
    std::fprintf(stderr, "dabs-statd: %s (see --help)\n", s.error().detail.c_str());
    return 2;
  }

  spdlog::set_default_logger(spdlog::stderr_color_mt("dabs-statd"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n " + a.server + ": %v");
  spdlog::set_level(spdlog::level::from_str(a.log_level));
  // A broken AgentX connection must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  auto statd = dabs::statd::Statd::Create(options);
  if (!statd) {
    std::fprintf(stderr, "dabs-statd: %s\n", statd.error().Message().c_str());
    return 1;
  }
  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    (*statd)->Stop();
  });
  std::thread signal_thread([&] { signals_io.run(); });

  const auto endpoint = (*statd)->udp_endpoint();
  // Scripts and tests wait for this line.
  std::printf("ready %s %s\n", a.server.c_str(), endpoint ? endpoint->ToString().c_str() : "-");
  std::fflush(stdout);
  spdlog::info("running (UDP {})", endpoint ? endpoint->ToString() : "-");
  (*statd)->Run();

  signals_io.stop();
  signal_thread.join();
  statd->reset();
  spdlog::info("stopped");
  return 0;
}
