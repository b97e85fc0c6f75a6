// mpcat: command-line entry. See mpcat.h and docs/mpcat.md.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "mpcat.h"

using namespace dabs::mp::mpcat;

namespace {

// One clear line on stderr for a bad argument; help (asked for) on stdout.
int Fail(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_name() == "CallForHelp" || e.get_name() == "CallForAllHelp") {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "mpcat: %s (see mpcat --help)\n", e.what());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("mpcat"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{
      "mpcat: to the dabs message protocol (MP) what nc is to TCP.\n"
      "  mpcat listen --port 7400                 # an echo responder\n"
      "  mpcat send 127.0.0.1:7400 --payload-hex 68690a\n"
      "  mpcat decode 410100072a40000000200001de  # print every header field"};
  app.require_subcommand(1);

  ListenArgs listen;
  auto* l = app.add_subcommand(
      "listen",
      "Answer OPEN_SESSION as a lone DASP of 'echo' and echo command 0x0100; runs until killed.");
  l->add_option("--port", listen.port, "UDP port (0 picks one)")->required();
  l->add_option("--address", listen.address, "Address to bind")->capture_default_str();
  l->add_option("--group", listen.groups,
                "Also answer OPEN_SESSION sent to this multicast ADDRESS:PORT");
  l->add_option("--interface", listen.interface, "Interface address for multicast")
      ->capture_default_str();
  l->add_option("--max-sessions", listen.max_sessions, "Sessions held at once")
      ->capture_default_str();
  l->add_flag("-v,--verbose", listen.verbose, "Log every session");
  l->add_option("--encryption", listen.encryption, "Session encryption: off, offered, required")
      ->check(CLI::IsMember({"off", "offered", "required"}))
      ->capture_default_str();
  l->add_option("--identity-key", listen.identity_key,
                "The farm's Ed25519 private key (PEM, mode 0600) that signs ENC_ACCEPT");

  SendArgs send;
  std::string command = "0x0100", payload_hex;
  std::string payload_text;
  size_t payload_size = 0;
  auto* s = app.add_subcommand(
      "send", "Open a session, send one command, print the reply, close the session.");
  s->add_option("target", send.target,
                "ADDR:PORT of a responder (or, with --group, of a farm's group)")
      ->required();
  s->add_flag("--group", send.group, "Send OPEN_SESSION to the multicast group TARGET");
  s->add_option("--interface", send.interface, "Interface address for multicast")
      ->capture_default_str();
  s->add_option("--app", send.app, "Application to open a session with")->capture_default_str();
  s->add_option("--command", command, "Command type, e.g. 0x0100")->capture_default_str();
  auto* hex = s->add_option("--payload-hex", payload_hex, "Payload as hex");
  auto* text = s->add_option("--payload-text", payload_text, "Payload as text");
  auto* size = s->add_option("--payload-size", payload_size,
                             "A generated payload of this many bytes (multi-buffer above 495)");
  hex->excludes(text)->excludes(size);
  text->excludes(size);
  s->add_option("--count", send.count,
                "Send the command this many times and print the round-trip percentiles")
      ->check(CLI::Range(1, 10'000'000));
  s->add_option("--reply-timeout-ms", send.reply_timeout_ms, "Wait this long for each reply")
      ->capture_default_str();
  s->add_flag("--json", send.json, "Print one JSON document");
  s->add_flag("-q,--quiet", send.quiet, "Print only failures (and the summary with --count)");
  auto* encrypt =
      s->add_flag("--encrypt", send.encrypt, "Offer and require an encrypted session (spec 6)");
  std::vector<int> suites;
  s->add_option("--suite", suites, "Suite to offer: 1 ChaCha20-Poly1305, 2 AES-256-GCM (repeat)")
      ->check(CLI::Range(1, 2))
      ->needs(encrypt);
  s->add_option("--farm-public-key", send.farm_public_key,
                "The farm's Ed25519 public key, PEM or 64 hex digits (FILE.pub of dabsctl keygen)")
      ->needs(encrypt);

  DecodeArgs decode;
  std::string decode_hex;
  auto* d = app.add_subcommand("decode", "Print every field of one MP datagram given in hex.");
  d->add_option("hex", decode_hex, "The datagram, in hex")->required();
  d->add_flag("--json", decode.json,
              "Print one JSON document (the field names of mp-vectors.json)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return Fail(app, e);
  }

  if (*l) return RunListen(listen);
  if (*s) {
    auto c = ParseCommand(command);
    if (!c) {
      std::fprintf(stderr, "mpcat: %s\n", c.error().detail.c_str());
      return 2;
    }
    send.command = *c;
    for (int id : suites)
      send.suites.push_back(static_cast<uint8_t>(id));
    if (send.encrypt && send.farm_public_key.empty()) {
      std::fprintf(stderr, "mpcat: --encrypt needs --farm-public-key FILE (see mpcat --help)\n");
      return 2;
    }
    if (!payload_hex.empty()) {
      auto bytes = ParseHex(payload_hex);
      if (!bytes) {
        std::fprintf(stderr, "mpcat: --payload-hex: %s\n", bytes.error().detail.c_str());
        return 2;
      }
      send.payload = std::move(*bytes);
    } else if (!payload_text.empty()) {
      send.payload.assign(payload_text.begin(), payload_text.end());
    } else {
      send.payload.resize(payload_size);
      for (size_t i = 0; i < payload_size; ++i)
        send.payload[i] = static_cast<uint8_t>(i * 31 + 7);
    }
    return RunSend(send);
  }
  auto bytes = ParseHex(decode_hex);
  if (!bytes) {
    std::fprintf(stderr, "mpcat: decode: %s\n", bytes.error().detail.c_str());
    return 2;
  }
  decode.bytes = std::move(*bytes);
  return RunDecode(decode);
}
