// dabs-lbd --farm FILE --server ID --state-dir DIR: the load-balancing process of one server
// (docs/spec/config.md).
#include <csignal>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "lbd.h"

int main(int argc, char** argv) {
  CLI::App cli{
      "dabs-lbd: the load-balancing process of one dabs server: membership, placement by voting, "
      "the VA directory and this server's DASPs"};
  dabs::farm::LbdOptions o;
  std::string log_level = "info";
  cli.add_option("--farm", o.farm_file, "The farm file (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  cli.add_option("--server", o.server, "This server's id (s1..sN unless the farm file pins ids)")
      ->required();
  cli.add_option("--state-dir", o.state_dir, "This server's state directory (store, sockets, logs)")
      ->required();
  cli.add_option("--address", o.address,
                 "This server's address (bind and multicast interface); default: its servers: "
                 "entry, else farm.interface");
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_name() == "CallForHelp") {
      std::fputs(cli.help().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "dabs-lbd: %s (see --help)\n", e.what());
    return 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("dabs-lbd"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n[" + o.server + "]: %v");
  spdlog::set_level(spdlog::level::from_str(log_level));

  auto lbd = dabs::farm::Lbd::Start(o);
  if (!lbd) {
    std::fprintf(stderr, "dabs-lbd: %s\n", lbd.error().Message().c_str());
    return 1;
  }
  // SIGINT / SIGTERM: leave the farm cleanly (DASPs shut down, records written).
  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    (*lbd)->Stop({});
  });
  std::thread waiter([&] {
    (*lbd)->Wait();
    signals_io.stop();
  });
  signals_io.run();
  waiter.join();
  return 0;
}
