// The command line of a DASP process, as the DASP framework's RunDasp takes it
// (dasp_framework/main.cc):
//
//   DASP [args...] --app NAME --lbd unix:STATE/lbd.sock --server-id ID
//        --instance 0xVA@ADDR:0@STATE/dasp-0xVA.sock ...   (one per instance)
//        --max-sessions N --read-timeout-ms N --backlog-reads N
//        --lock-timeout-ms N --write-timeout-ms N --encryption off|offered|required
//        [farm args...]
//
// The configured args come first so that they cannot repeat a flag set here (CLI11 refuses
// a single-valued flag given twice). Pure functions; thread-safe.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <dabs/config/farm.h>
#include <dabs/mp/result.h>
#include <dabs/mp/va.h>

namespace dabs::farm {

// Where this server's DASPs are told to find dabs-lbd and bind their own sockets.
struct DaspCommandContext {
  std::filesystem::path state_dir;  // dabs-lbd's --state-dir
  std::string server_id;
  std::string address = "127.0.0.1";  // the UDP address instances bind (port 0: any)
  // Farm-wide flags added to every DASP (see FarmDaspArgs).
  std::vector<std::string> farm_args;
};

// STATE/lbd.sock: dabs-lbd's local socket (store::ServerLayout).
std::filesystem::path LbdSocketPath(const std::filesystem::path& state_dir);
// STATE/dasp-0x%08x.sock: the instance's control socket (store::ServerLayout). Stable
// across restarts of the instance, so dabs-lbd can keep sending to it.
std::filesystem::path ControlSocketPath(const std::filesystem::path& state_dir, mp::Va va);

// The full argv. kInvalidArgument if there are no instances, or a socket path would not fit
// in a sockaddr_un (107 bytes).
Result<std::vector<std::string>> DaspArgv(const config::AppEntry& app,
                                          std::span<const mp::Va> instances,
                                          const DaspCommandContext& context);

// The flags every DASP takes from the farm's configuration: --high-water-ms,
// --low-water-ms, --max-transmissions, --initial-rto-ms, --max-message-bytes, and
// --identity-key PATH when farm.identity_key is set.
std::vector<std::string> FarmDaspArgs(const config::FarmConfig& farm);

}  // namespace dabs::farm
