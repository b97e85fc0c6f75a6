// RunDasp: the command line of every DASP executable (see main.h and docs/dasp.md).
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <dabs/dasp/instance.h>
#include <dabs/dasp/main.h>

namespace dabs::dasp {

namespace {

struct Args {
  std::string app;  // the name clients open sessions with (default: built in)
  bool standalone = false;
  std::vector<std::string> listen;  // standalone instances
  std::vector<std::string> groups;
  std::string interface;
  std::string lbd;
  std::vector<std::string> instances;  // VA@ADDR:PORT[@SOCKET]
  std::string server_id;
  uint16_t server_index = 1;
  int workers = 0;
  size_t max_sessions = 1000;
  int read_timeout_ms = 100, backlog_reads = 64, lock_timeout_ms = 50, write_timeout_ms = 200;
  uint32_t high_water_ms = 250, low_water_ms = 150;
  int max_transmissions = 6, initial_rto_ms = 250;
  size_t max_message_bytes = 1 << 20;
  int shutdown_timeout_ms = 5000;
  std::string encryption = "off";
  std::string identity_key;
  std::string log_level = "info";
};

void AddOptions(CLI::App& app, Args& a) {
  app.add_option("--app", a.app,
                 "The application name clients ask for (dabs-lbd passes the configured one)");
  app.add_flag("--standalone", a.standalone, "Answer OPEN_SESSION itself, without a farm");
  app.add_option("--listen", a.listen,
                 "Standalone: an instance on this UDP ADDR:PORT (repeat for more)");
  app.add_option("--group", a.groups,
                 "Standalone: also answer OPEN_SESSION sent to this group ADDR:PORT");
  app.add_option("--interface", a.interface, "Interface address for multicast");
  app.add_option("--lbd", a.lbd, "dabs-lbd's local socket (unix:PATH), when started by the farm");
  app.add_option("--instance", a.instances,
                 "Farm: an instance VA@ADDR:PORT[@SOCKET] (repeat for more)");
  app.add_option("--server-id", a.server_id, "The server's id, for OPEN_SESSION replies");
  app.add_option("--server-index", a.server_index,
                 "Standalone: server index of client VAs (1..4095)")
      ->check(CLI::Range(1, 4095));
  app.add_option("--workers", a.workers, "Worker threads per instance (0: one per CPU)");
  app.add_option("--max-sessions", a.max_sessions, "limits.instance.sessions")
      ->capture_default_str();
  app.add_option("--read-timeout-ms", a.read_timeout_ms, "timers.read_timeout_ms")
      ->capture_default_str();
  app.add_option("--backlog-reads", a.backlog_reads, "timers.backlog_reads")->capture_default_str();
  app.add_option("--lock-timeout-ms", a.lock_timeout_ms, "timers.lock_timeout_ms")
      ->capture_default_str();
  app.add_option("--write-timeout-ms", a.write_timeout_ms, "timers.write_timeout_ms")
      ->capture_default_str();
  app.add_option("--high-water-ms", a.high_water_ms, "latency.high_water_ms")
      ->capture_default_str();
  app.add_option("--low-water-ms", a.low_water_ms, "latency.low_water_ms")->capture_default_str();
  app.add_option("--max-transmissions", a.max_transmissions, "mp.max_transmissions")
      ->capture_default_str();
  app.add_option("--initial-rto-ms", a.initial_rto_ms, "mp.initial_rto_ms")->capture_default_str();
  app.add_option("--max-message-bytes", a.max_message_bytes, "mp.max_message_bytes")
      ->capture_default_str();
  app.add_option("--shutdown-timeout-ms", a.shutdown_timeout_ms, "Bound of a clean shutdown")
      ->capture_default_str();
  app.add_option("--encryption", a.encryption, "apps[].encryption: off, offered or required")
      ->check(CLI::IsMember({"off", "offered", "required"}))
      ->capture_default_str();
  app.add_option("--identity-key", a.identity_key,
                 "farm.identity_key: the Ed25519 private key (PEM, mode 0600) that signs "
                 "ENC_ACCEPT; needed unless --encryption off");
  app.add_option("--log-level", a.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

Result<InstanceConfig> BaseConfig(const Args& a, const std::string& app) {
  InstanceConfig c;
  c.app = app;
  c.standalone = a.standalone;
  c.multicast_interface = a.interface;
  c.server_index = a.server_index;
  c.server_id = a.server_id.empty() ? (a.standalone ? "standalone" : "") : a.server_id;
  c.workers = a.workers;
  c.max_sessions = a.max_sessions;
  c.read_timer.first_timeout = std::chrono::milliseconds(a.read_timeout_ms);
  c.read_timer.backlog_reads = static_cast<uint32_t>(a.backlog_reads);
  c.lock_timeout = std::chrono::milliseconds(a.lock_timeout_ms);
  c.write_timer.initial_timeout = std::chrono::milliseconds(a.write_timeout_ms);
  c.high_water_ms = a.high_water_ms;
  c.low_water_ms = a.low_water_ms;
  c.engine.max_transmissions = a.max_transmissions;
  c.engine.rto.initial = std::chrono::milliseconds(a.initial_rto_ms);
  c.engine.reassembly.max_message_bytes = a.max_message_bytes;
  c.shutdown_timeout = std::chrono::milliseconds(a.shutdown_timeout_ms);
  c.encryption.policy = mp::ParseEncryptionPolicy(a.encryption).value();  // checked by CLI11
  if (c.encryption.policy != mp::EncryptionPolicy::kOff && a.identity_key.empty()) {
    return Error{make_error_code(mp::Errc::kMalformed),
                 "--encryption " + a.encryption + " needs --identity-key PATH"};
  }
  for (const auto& g : a.groups) {
    auto e = mp::Endpoint::Parse(g);
    if (!e || !e->IsMulticast())
      return Error{make_error_code(mp::Errc::kMalformed),
                   "--group " + g + " is not a multicast ADDR:PORT"};
    c.groups.push_back(*e);
  }
  if (!a.lbd.empty()) {
    auto e = mp::Endpoint::Parse(a.lbd);
    if (!e || e->kind() != mp::TransportKind::kLocal)
      return Error{make_error_code(mp::Errc::kMalformed), "--lbd must be unix:PATH"};
    c.lbd = *e;
  }
  return c;
}

// VA@ADDR:PORT[@SOCKET]
Result<InstanceConfig> FarmInstance(InstanceConfig c, const std::string& spec) {
  auto bad = [&](const char* why) {
    return Error{make_error_code(mp::Errc::kMalformed), std::string(why) + ": --instance " + spec};
  };
  const auto at1 = spec.find('@');
  if (at1 == std::string::npos) return bad("expected VA@ADDR:PORT[@SOCKET]");
  const auto at2 = spec.find('@', at1 + 1);
  try {
    c.va = static_cast<mp::Va>(std::stoul(spec.substr(0, at1), nullptr, 0));
  } catch (const std::exception&) {
    return bad("bad VA");
  }
  auto listen = mp::Endpoint::Parse(
      spec.substr(at1 + 1, at2 == std::string::npos ? std::string::npos : at2 - at1 - 1));
  if (!listen) return bad("bad ADDR:PORT");
  c.listen = *listen;
  if (at2 != std::string::npos) c.control = spec.substr(at2 + 1);
  return c;
}

}  // namespace

int RunDasp(int argc, char** argv, const std::string& app_name, const ServerFactory& factory) {
  spdlog::set_default_logger(spdlog::stderr_color_mt(app_name + "-dasp"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  CLI::App cli{app_name + "-dasp: the server portion of '" + app_name +
               "', on the dabs DASP framework"};
  Args a;
  AddOptions(cli, a);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_name() == "CallForHelp") {
      std::fputs(cli.help().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "%s-dasp: %s (see --help)\n", app_name.c_str(), e.what());
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(a.log_level));
  if (a.standalone == !a.instances.empty() || (a.standalone && a.listen.empty())) {
    std::fprintf(stderr,
                 "%s-dasp: give either --standalone --listen ADDR:PORT or --lbd and --instance "
                 "(see --help)\n",
                 app_name.c_str());
    return 2;
  }
  auto base = BaseConfig(a, a.app.empty() ? app_name : a.app);
  if (!base) {
    std::fprintf(stderr, "%s-dasp: %s\n", app_name.c_str(), base.error().detail.c_str());
    return 2;
  }
  if (!a.identity_key.empty() && base->encryption.policy != mp::EncryptionPolicy::kOff) {
    // Read once, shared by every instance; a key others can read is refused. (dabs-lbd
    // gives every DASP the farm's key; one whose application is not encrypted leaves it.)
    auto key = mp::IdentityKey::Load(a.identity_key);
    if (!key) {
      std::fprintf(stderr, "%s-dasp: --identity-key: %s\n", app_name.c_str(),
                   key.error().Message().c_str());
      return 1;
    }
    base->encryption.identity = std::make_shared<const mp::IdentityKey>(std::move(*key));
  }
  std::vector<InstanceConfig> configs;
  if (a.standalone) {
    uint32_t n = 1;
    for (const auto& l : a.listen) {
      auto listen = mp::Endpoint::Parse(l);
      if (!listen) {
        std::fprintf(stderr, "%s-dasp: --listen %s: %s\n", app_name.c_str(), l.c_str(),
                     listen.error().detail.c_str());
        return 2;
      }
      InstanceConfig c = *base;
      c.listen = *listen;
      c.va = mp::MakeVa(a.server_index, n++);  // instances: counters 1..; clients: from 1024
      configs.push_back(c);
    }
  } else {
    if (!base->lbd) {
      std::fprintf(stderr, "%s-dasp: --lbd unix:PATH is needed with --instance\n",
                   app_name.c_str());
      return 2;
    }
    for (const auto& spec : a.instances) {
      auto c = FarmInstance(*base, spec);
      if (!c) {
        std::fprintf(stderr, "%s-dasp: %s\n", app_name.c_str(), c.error().detail.c_str());
        return 2;
      }
      configs.push_back(*c);
    }
  }

  mp::IoThreads io(1);
  std::vector<std::unique_ptr<Instance>> instances;
  std::mutex mu;
  std::condition_variable cv;
  size_t stopped = 0;
  auto on_stopped = [&] {
    std::lock_guard lock(mu);
    ++stopped;
    cv.notify_all();
  };
  for (auto& c : configs) {
    auto instance = Instance::Create(io.io(), c, factory());
    if (!instance) {
      std::fprintf(stderr, "%s-dasp: %s: %s\n", app_name.c_str(), c.listen.ToString().c_str(),
                   instance.error().Message().c_str());
      return 1;
    }
    (*instance)->OnStopped(on_stopped);
    instances.push_back(std::move(*instance));
  }
  // SIGTERM / SIGINT: a clean shutdown; a second signal: an emergency one. Caught before the
  // "listening" lines, so a script that signals as soon as it reads them is obeyed.
  boost::asio::signal_set signals(io.io(), SIGINT, SIGTERM);
  int signals_seen = 0;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        const ShutdownMode mode =
            signals_seen++ == 0 ? ShutdownMode::kClean : ShutdownMode::kEmergency;
        spdlog::info("{} shutdown", mode == ShutdownMode::kClean ? "clean" : "emergency");
        if (mode == ShutdownMode::kEmergency) std::_Exit(0);
        for (auto& i : instances)
          i->Shutdown(mode, on_stopped);
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  for (auto& i : instances) {
    i->Start();
    // Scripts and tests read where each instance listens.
    std::printf("listening %s %s\n", i->udp_endpoint().ToString().c_str(),
                mp::FormatVa(i->va()).c_str());
  }
  std::fflush(stdout);
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return stopped >= instances.size(); });
  }
  signals.cancel();
  instances.clear();
  io.Stop();
  return 0;
}

}  // namespace dabs::dasp
