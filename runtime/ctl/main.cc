// dabsctl: the operator's tool (docs/spec/config.md; every command and flag in README.md
// here). Parses the command line and hands over to one function per command.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "state.h"

using namespace dabs::ctl;

namespace {

// The first word that is neither an option nor a global option's value: the command given.
std::string FirstWord(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--farm" || a == "--state-dir" || a == "--server") {
      ++i;
    } else if (!a.starts_with("-")) {
      return a;
    }
  }
  return "";
}

// Help (asked for) on stdout, for the command it was asked of; a bad argument as one line on
// stderr.
int ParseFailure(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  if (e.get_name() == "CallForHelp" || e.get_name() == "CallForAllHelp") {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  // CLI11 reports an unknown command as a missing one.
  const std::string word = FirstWord(argc, argv);
  if (e.get_name() == "RequiredError" && app.get_subcommands().empty() && !word.empty()) {
    std::fprintf(stderr, "dabsctl: unknown command '%s' (see dabsctl --help)\n", word.c_str());
  } else {
    std::fprintf(stderr, "dabsctl: %s (see dabsctl --help)\n", e.what());
  }
  return kExitUsage;
}

// Subcommands' help names the options they share with every command.
void AddGlobalsFooter(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    sub->footer(
        "Global options anywhere on the line: --farm FILE, --state-dir DIR, --server ID, "
        "--json, --verbose (see dabsctl --help)");
    AddGlobalsFooter(*sub);
  }
}

std::string DefaultStateDir() {
  const char* env = std::getenv("DABS_STATE_DIR");
  return env && *env ? env : kDefaultStateDir;
}

void AddListFilters(CLI::App* cmd, ListFilter& f) {
  cmd->add_option("--app", f.app, "Only this application's");
  cmd->add_option("--on", f.on, "Only those on this server (id)");
}

// The parsed command line: the globals, every command's arguments, and which function runs
// for which command. Commands' lambdas point into it: it stays where it was made.
struct CommandLine {
  CLI::App app{
      "dabsctl: the dabs operator's tool. Reads a server's state directory (its LMDB store)\n"
      "and talks to its dabs-lbd. Options may come before or after the command.\n"
      "  dabsctl servers --json\n"
      "  dabsctl --state-dir /var/lib/dabs-farm --server s2 sessions --app calculator\n"
      "  dabsctl shutdown mp://headend-a/calculator/1 --clean",
      "dabsctl"};
  Globals g;
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands;

  ListFilter dasp_filter, session_filter;
  DecisionsArgs decisions;
  MovesArgs moves;
  std::string export_out, import_file;
  ShutdownArgs shutdown;
  bool clean = false;
  KeygenArgs keygen;
  KeysArgs keys;
  std::string user;

  CommandLine() = default;
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  void Command(CLI::App* sub, std::function<int()> run) {
    commands.emplace_back(sub, std::move(run));
  }
};

void DeclareGlobals(CommandLine& c) {
  c.app.require_subcommand(1);
  c.app.fallthrough();  // global options after the command too
  c.g.state_dir = DefaultStateDir();
  c.app.add_option(
      "--farm", c.g.farm,
      "The farm file (where the store holds no configuration yet; keygen's default path)");
  c.app
      .add_option("--state-dir", c.g.state_dir,
                  "The server's state directory, or a dabs-farm directory (default: "
                  "$DABS_STATE_DIR, else /var/lib/dabs)")
      ->capture_default_str();
  c.app.add_option("--server", c.g.server,
                   "In a dabs-farm directory: the server to look from (default: the first id)");
  c.app.add_flag("--json", c.g.json, "Print one JSON document on stdout");
  c.app.add_flag("-v,--verbose", c.g.verbose,
                 "Say on stderr which server and configuration are used");
}

void DeclareListings(CommandLine& c) {
  const Globals& g = c.g;
  c.Command(c.app.add_subcommand("servers", "The farm's members, their state, load and lease"),
            [&g] { return RunServers(g); });
  c.Command(c.app.add_subcommand(
                "apps", "Configured applications with their running instances and sessions"),
            [&g] { return RunApps(g); });
  auto* dasps = c.app.add_subcommand("dasps", "DASP instances, farm-wide, from the directory");
  AddListFilters(dasps, c.dasp_filter);
  dasps->add_option("--state", c.dasp_filter.state,
                    "Only those in this state (ready, busy, stopped, ...)");
  c.Command(dasps, [&c] { return RunDasps(c.g, c.dasp_filter); });
  auto* sessions =
      c.app.add_subcommand("sessions", "Open client sessions, farm-wide, from the directory");
  AddListFilters(sessions, c.session_filter);
  c.Command(sessions, [&c] { return RunSessions(c.g, c.session_filter); });
  c.Command(c.app.add_subcommand("stats", "Each server's latest figures (dabs-statd)"),
            [&g] { return RunStats(g); });
  auto* decisions = c.app.add_subcommand(
      "decisions", "Recent placement decisions with the ballots each one counted");
  decisions->add_option("--last", c.decisions.last, "How many, newest last")->capture_default_str();
  decisions->add_option("--app", c.decisions.app, "Only this application's");
  c.Command(decisions, [&c] { return RunDecisions(c.g, c.decisions); });
  auto* moves = c.app.add_subcommand(
      "moves", "Sessions this server moved away (starvation avoidance): why, where, the pause");
  moves->add_option("--last", c.moves.last, "How many, newest last")->capture_default_str();
  c.Command(moves, [&c] { return RunMoves(c.g, c.moves); });
}

void DeclareConfig(CommandLine& c) {
  auto* config = c.app.add_subcommand("config", "Export or import the stored configuration");
  config->require_subcommand(1);
  auto* out =
      config->add_subcommand("export", "Print the stored configuration as a farm file (YAML)");
  out->add_option("--out", c.export_out, "Write it to this file instead of stdout");
  c.Command(out, [&c] { return RunConfigExport(c.g, c.export_out); });
  auto* in = config->add_subcommand(
      "import", "Check a farm file and store it as the next configuration version");
  in->add_option("file", c.import_file, "The farm file")->required();
  c.Command(in, [&c] { return RunConfigImport(c.g, c.import_file); });
}

void DeclareShutdown(CommandLine& c) {
  auto* cmd = c.app.add_subcommand(
      "shutdown", "Shut down a DASP instance on this server and wait until it stopped");
  cmd->add_option("dasp", c.shutdown.dasp,
                  "Its VA (0x00100001 or decimal) or URI (mp://farm/app/N)")
      ->required();
  auto* clean = cmd->add_flag("--clean", c.clean, "Tell its clients and finish pending work first");
  cmd->add_flag("--emergency", c.shutdown.emergency, "Tell its clients and stop at once")
      ->excludes(clean);
  cmd->add_option("--timeout-ms", c.shutdown.timeout_ms, "How long to wait in all")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  c.Command(cmd, [&c] {
    if (!c.clean && !c.shutdown.emergency) {
      std::fprintf(
          stderr, "dabsctl: shutdown needs --clean or --emergency (see dabsctl shutdown --help)\n");
      return kExitUsage;
    }
    return RunShutdown(c.g, c.shutdown);
  });
}

void DeclareSecrets(CommandLine& c) {
  auto* keygen =
      c.app.add_subcommand("keygen", "Make the farm's Ed25519 identity key (PEM, mode 0600)");
  keygen->add_option("--out", c.keygen.out,
                     "Where (default: the farm file's farm.identity_key, else ./farm.key)");
  keygen->add_flag("--force", c.keygen.force, "Replace an existing key");
  c.Command(keygen, [&c] { return RunKeygen(c.g, c.keygen); });
  auto* passwd = c.app.add_subcommand("passwd", "Hash a password for users[].password_hash");
  passwd->add_option("--user", c.user, "Whose password (named in the prompt)");
  c.Command(passwd, [&c] { return RunPasswd(c.g, c.user); });
}

void DeclareKeys(CommandLine& c) {
  auto* keys = c.app.add_subcommand(
      "keys", "The farm keys every farm datagram is sealed with (docs/spec/farm-seal.md)");
  keys->require_subcommand(1);
  auto* generate = keys->add_subcommand("generate", "Make a new farm key file (mode 0600)");
  generate->add_option("file", c.keys.file, "Where to write it (seal.key, say)")->required();
  generate->add_flag("--force", c.keys.force, "Replace an existing file");
  c.Command(generate, [&c] { return RunKeysGenerate(c.g, c.keys); });
  auto* install = keys->add_subcommand(
      "install",
      "Add a key to every server's keyring (to this server's alone when no dabs-lbd runs)");
  install->add_option("file", c.keys.file, "The key file")->required();
  c.Command(install, [&c] { return RunKeysInstall(c.g, c.keys); });
  auto* use = keys->add_subcommand("use", "Make a key the one every server seals with");
  use->add_option("id", c.keys.id, "The key id (dabsctl keys list)")->required();
  use->add_flag("--force", c.keys.force, "Even while a live server does not hold it yet");
  c.Command(use, [&c] { return RunKeysChange(c.g, c.keys, true); });
  auto* remove = keys->add_subcommand("remove", "Take a key out of every server's keyring");
  remove->add_option("id", c.keys.id, "The key id")->required();
  c.Command(remove, [&c] { return RunKeysChange(c.g, c.keys, false); });
  c.Command(keys->add_subcommand("list", "This server's keys and which live servers hold each"),
            [&c] { return RunKeysList(c.g); });
  c.Command(c.app.add_subcommand(
                "security", "What this server's daemons sealed, opened and refused, by reason"),
            [&c] { return RunSecurity(c.g); });
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("dabsctl"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  spdlog::set_level(spdlog::level::warn);

  CommandLine c;
  DeclareGlobals(c);
  DeclareListings(c);
  DeclareConfig(c);
  DeclareShutdown(c);
  DeclareSecrets(c);
  DeclareKeys(c);
  AddGlobalsFooter(c.app);
  try {
    c.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ParseFailure(c.app, e, argc, argv);
  }
  if (c.g.verbose) spdlog::set_level(spdlog::level::info);
  for (const auto& [sub, run] : c.commands) {
    if (sub->parsed()) return run();
  }
  return kExitUsage;
}
