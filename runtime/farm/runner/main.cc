// dabs-farm up --farm FILE --servers N --state-dir DIR [--netns]: every server of a farm on
// this machine, in the foreground (docs/spec/config.md).
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "farm_runner.h"

int main(int argc, char** argv) {
  CLI::App cli{"dabs-farm: run a dabs farm on this machine"};
  cli.require_subcommand(1);
  dabs::farm::RunnerOptions o;
  auto* up = cli.add_subcommand(
      "up",
      "Run N servers' daemons here until SIGINT/SIGTERM; prints 'farm ready: N servers' "
      "once every server sees every other");
  up->add_option("--farm", o.farm_file, "The farm file (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  up->add_option("--servers", o.servers, "How many servers")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  up->add_option("--state-dir", o.state_dir,
                 "The farm's directory: server K keeps its state in DIR/<id>")
      ->required();
  up->add_flag("--netns", o.netns,
               "Each server in its own network namespace on a bridge, with its own address (root)");
  up->add_option("--bin-dir", o.bin_dir,
                 "Where dabs-lbd, dabs-statd and dabs-configd are (default: beside dabs-farm)");
  up->add_option("--daemons", o.daemons,
                 "Which daemons each server runs (default: dabs-lbd dabs-statd dabs-configd)")
      ->delimiter(',');
  up->add_option("--key", o.key_file,
                 "The farm key file every server gets (default: DIR/seal.key, made if missing)")
      ->check(CLI::ExistingFile);
  up->add_flag("--logs-to-terminal", o.logs_to_terminal,
               "Daemons log to this terminal (default: DIR/<id>/logs/)");
  up->add_option("--log-level", o.log_level, "The daemons' log level")->capture_default_str();
  int ready_timeout_s = 30;
  up->add_option("--ready-timeout", ready_timeout_s,
                 "Seconds to wait for every server to see every other")
      ->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_name() == "CallForHelp") {
      std::fputs((cli.got_subcommand("up") ? up->help() : cli.help()).c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "dabs-farm: %s (see --help)\n", e.what());
    return 2;
  }
  o.ready_timeout = std::chrono::seconds(ready_timeout_s);
  spdlog::set_default_logger(spdlog::stderr_color_mt("dabs-farm"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  return dabs::farm::RunFarm(o);
}
