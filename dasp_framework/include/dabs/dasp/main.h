// The main() of a DASP executable. Every example application's `main` is one call:
//
//   int main(int argc, char** argv) {
//     return dabs::dasp::RunDasp(argc, argv, "echo", [] { return std::make_unique<Echo>(); });
//   }
//
// Command line (also printed by --help):
//   NAME-dasp --standalone --listen ADDR:PORT [--group G:P ...]   for authors, no farm
//   NAME-dasp --lbd unix:PATH --instance VA@ADDR:PORT[@SOCKET] ... started by dabs-lbd
// plus the timers and limits of the farm file's application entry (--read-timeout-ms,
// --backlog-reads, --lock-timeout-ms, --write-timeout-ms, --max-sessions, ...).
// SIGTERM or SIGINT shut the process down cleanly (a second one: at once); exits 0.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <dabs/dasp/server.h>

namespace dabs::dasp {

using ServerFactory = std::function<std::unique_ptr<Server>()>;

int RunDasp(int argc, char** argv, const std::string& app, const ServerFactory& factory);

}  // namespace dabs::dasp
