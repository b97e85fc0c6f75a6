#include <sys/un.h>

#include <dabs/farm/dasp_command.h>
#include <dabs/farm/supervisor_errc.h>
#include <dabs/store/layout.h>

namespace dabs::farm {

namespace {

// sun_path holds the path and its terminating NUL.
constexpr size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;

std::string Ms(std::chrono::milliseconds ms) {
  return std::to_string(ms.count());
}

}  // namespace

std::filesystem::path LbdSocketPath(const std::filesystem::path& state_dir) {
  return store::ServerLayout{state_dir}.lbd_socket();
}

std::filesystem::path ControlSocketPath(const std::filesystem::path& state_dir, mp::Va va) {
  return store::ServerLayout{state_dir}.dasp_socket(va);
}

Result<std::vector<std::string>> DaspArgv(const config::AppEntry& app,
                                          std::span<const mp::Va> instances,
                                          const DaspCommandContext& context) {
  auto bad = [](std::string why) {
    return Error{make_error_code(SupervisorErrc::kInvalidArgument), std::move(why)};
  };
  if (instances.empty()) return bad(app.name + ": a DASP process needs at least one instance");
  const std::string lbd = LbdSocketPath(context.state_dir).string();
  if (lbd.size() > kMaxSocketPath) return bad("socket path too long: " + lbd);

  std::vector<std::string> argv{app.dasp};
  argv.insert(argv.end(), app.args.begin(), app.args.end());
  // --app: the configured name is the one clients ask for, whatever the executable's own.
  argv.insert(argv.end(),
              {"--app", app.name, "--lbd", "unix:" + lbd, "--server-id", context.server_id});
  for (mp::Va va : instances) {
    const std::string control = ControlSocketPath(context.state_dir, va).string();
    if (control.size() > kMaxSocketPath) return bad("socket path too long: " + control);
    argv.insert(argv.end(),
                {"--instance", mp::FormatVa(va) + "@" + context.address + ":0@" + control});
  }
  const config::AppTimers& t = app.timers;
  argv.insert(argv.end(),
              {"--max-sessions", std::to_string(app.limits.instance_sessions), "--read-timeout-ms",
               Ms(t.read_timeout), "--backlog-reads", std::to_string(t.backlog_reads),
               "--lock-timeout-ms", Ms(t.lock_timeout), "--write-timeout-ms", Ms(t.write_timeout),
               "--encryption", app.encryption});
  argv.insert(argv.end(), context.farm_args.begin(), context.farm_args.end());
  return argv;
}

std::vector<std::string> FarmDaspArgs(const config::FarmConfig& farm) {
  std::vector<std::string> args = {"--high-water-ms",     std::to_string(farm.high_water_ms),
                                   "--low-water-ms",      std::to_string(farm.low_water_ms),
                                   "--max-transmissions", std::to_string(farm.max_transmissions),
                                   "--initial-rto-ms",    Ms(farm.initial_rto),
                                   "--max-message-bytes", std::to_string(farm.max_message_bytes)};
  // Already absolute (config resolves kPath keys against the farm file); a DASP whose
  // application has encryption off does not read it.
  if (farm.identity_key) args.insert(args.end(), {"--identity-key", *farm.identity_key});
  return args;
}

}  // namespace dabs::farm
