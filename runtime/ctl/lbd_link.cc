#include "lbd_link.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include <dabs/mp/node.h>
#include <dabs/store/layout.h>

#include "ctl.h"

namespace dabs::ctl {

namespace fs = std::filesystem;

namespace {

// Our socket's path, for the signal handler to remove (unlink is async-signal-safe).
char g_own_socket[256];

extern "C" void RemoveOwnSocketAndExit(int signal) {
  if (g_own_socket[0] != '\0') ::unlink(g_own_socket);
  ::_exit(128 + signal);
}

// The daemons' user: the state directory's owner (an operator may run dabsctl as root while
// the daemons run as "dabs"). Ours when the directory cannot be read.
uid_t DaemonUser(const fs::path& state_dir) {
  struct stat st {};
  return ::stat(state_dir.c_str(), &st) == 0 ? st.st_uid : ::geteuid();
}

Result<std::unique_ptr<mp::Node>> OpenOwn(mp::IoThreads& io, const fs::path& own,
                                          const fs::path& state_dir,
                                          std::chrono::milliseconds timeout) {
  const uid_t daemons = DaemonUser(state_dir);
  mp::NodeConfig config;
  config.local_path = own.string();
  config.local_allowed_uids = {::geteuid(), 0, daemons};
  config.udp_offload = false;
  config.socket_buffer_bytes = 256 << 10;
  config.engine.reply_timeout = timeout;
  auto node = mp::Node::Create(io.io(), config, {});
  if (!node) return Failure("cannot bind " + own.string() + ": " + node.error().Message());
  if (daemons != ::geteuid() && ::chown(own.c_str(), daemons, static_cast<gid_t>(-1)) != 0) {
    const int err = errno;
    (*node)->Stop();
    return Failure("cannot hand " + own.string() + " to uid " + std::to_string(daemons) +
                   " (dabs-lbd's user): " + std::strerror(err));
  }
  return node;
}

}  // namespace

bool LbdSocketExists(const fs::path& server_dir) {
  return fs::exists(store::ServerLayout{server_dir}.lbd_socket());
}

Result<mp::Message> AskLbd(const fs::path& server_dir, uint16_t command, uint32_t va,
                           std::vector<uint8_t> payload, std::chrono::milliseconds timeout) {
  const store::ServerLayout layout{server_dir};
  const fs::path own = server_dir / ("ctl-" + std::to_string(::getpid()) + ".sock");
  std::snprintf(g_own_socket, sizeof g_own_socket, "%s", own.c_str());
  ::signal(SIGINT, RemoveOwnSocketAndExit);
  ::signal(SIGTERM, RemoveOwnSocketAndExit);
  mp::IoThreads io(1);
  auto node = OpenOwn(io, own, server_dir, timeout);
  if (!node) {
    g_own_socket[0] = '\0';
    return node.error();
  }
  auto reply = (*node)->SendSync(mp::Endpoint::Local(layout.lbd_socket().string()), 0, command, va,
                                 std::move(payload));
  (*node)->Stop();  // removes our socket
  g_own_socket[0] = '\0';
  return reply;
}

}  // namespace dabs::ctl
