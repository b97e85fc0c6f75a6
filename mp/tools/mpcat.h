// mpcat: to the MP what nc is to TCP. Subcommands: listen (a standalone echo responder),
// send (open a session, send one command, print the reply), decode (print every field of
// a datagram).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <dabs/mp/result.h>

namespace dabs::mp::mpcat {

struct ListenArgs {
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  std::vector<std::string> groups;  // also answer OPEN_SESSION sent to these groups
  std::string interface = "127.0.0.1";
  size_t max_sessions = 100'000;
  bool verbose = false;
  std::string encryption = "off";  // off, offered, required (spec 6)
  std::string identity_key;        // the Ed25519 private key that signs ENC_ACCEPT
};

struct SendArgs {
  std::string target;  // ADDR:PORT of a responder, or of a group with --group
  bool group = false;
  std::string interface = "127.0.0.1";
  std::string app = "echo";
  uint16_t command = 0x0100;
  std::vector<uint8_t> payload;
  int count = 1;
  bool json = false;
  bool quiet = false;
  int reply_timeout_ms = 5000;
  bool encrypt = false;         // offer and require encryption (spec 6)
  std::vector<uint8_t> suites;  // offered, most preferred first; empty: 1 then 2
  std::string farm_public_key;  // the farm's Ed25519 public key (PEM or hex), with encrypt
};

struct DecodeArgs {
  std::vector<uint8_t> bytes;
  bool json = false;
};

int RunListen(const ListenArgs& args);  // runs until SIGINT/SIGTERM; exit code
int RunSend(const SendArgs& args);      // exit code: 0 ok, 1 refused or failed
int RunDecode(const DecodeArgs& args);  // exit code: 0 valid, 1 invalid

// Hex text (spaces, colons and a 0x prefix allowed) to bytes.
Result<std::vector<uint8_t>> ParseHex(const std::string& text);
std::string ToHex(const std::vector<uint8_t>& bytes);
// "0x0100" or "256".
Result<uint16_t> ParseCommand(const std::string& text);

}  // namespace dabs::mp::mpcat
