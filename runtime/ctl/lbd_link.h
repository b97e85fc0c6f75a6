// Asking this server's dabs-lbd something over its local socket (DIR/lbd.sock): dabsctl binds
// a socket of its own in the state directory for the answer, which only dabs-lbd's user, root
// and ours may write to, and removes it afterwards (also on SIGINT/SIGTERM).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <dabs/mp/engine.h>
#include <dabs/mp/result.h>

namespace dabs::ctl {

// Whether dabs-lbd has its socket in `server_dir` (it may still be starting or dead).
bool LbdSocketExists(const std::filesystem::path& server_dir);

// Sends `command` with `payload` (header VA `va`) and waits for the reply. Errors keep the
// mp error code (a NAK's number, kReplyTimeout) with the NAK's text as detail.
Result<mp::Message> AskLbd(const std::filesystem::path& server_dir, uint16_t command, uint32_t va,
                           std::vector<uint8_t> payload, std::chrono::milliseconds timeout);

}  // namespace dabs::ctl
