// mpcat send: open a session (directly, or through a farm's group), send a command, print
// the reply, close the session.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <dabs/mp/node.h>
#include <dabs/mp/session_handshake.h>
#include <dabs/mp/system_messages.h>

#include "mpcat.h"

namespace dabs::mp::mpcat {

namespace {

std::string Refusal(const Error& e) {
  const int v = e.code.value();
  std::string s = e.code.message();
  if (e.code.category() == MpCategory() && IsNakCode(static_cast<uint16_t>(v))) {
    s += " (NAK " + std::to_string(v) + ")";
    if (v == static_cast<int>(Errc::kCrypto) && !e.detail.empty()) s += ": " + e.detail;
  }
  return s;
}

bool IsUnspecified(const Endpoint& e) {
  for (size_t i = 0; i < (e.is_v6() ? 16u : 4u); ++i) {
    if (e.address_bytes()[i] != 0) return false;
  }
  return true;
}

// --encrypt: our half of spec 6 for the OPEN_SESSION, and the reply accepted.
struct Encryption {
  std::shared_ptr<const ClientHandshake> handshake;
  std::mutex mu;
  std::shared_ptr<SessionCrypto> cipher;
  std::string refused;  // why the last reply was ignored
};

// The handshake for --encrypt, or an error line's text.
Result<std::shared_ptr<Encryption>> StartEncryption(const SendArgs& args) {
  auto key = FarmPublicKey::Load(args.farm_public_key);
  if (!key) return Error{key.error().code, "--farm-public-key: " + key.error().Message()};
  ClientEncryption config;
  config.policy = EncryptionPolicy::kRequired;
  if (!args.suites.empty()) config.suites = args.suites;
  config.farm_key = std::make_shared<const FarmPublicKey>(std::move(*key));
  auto handshake = ClientHandshake::Start(config);
  if (!handshake) return handshake.error();
  auto e = std::make_shared<Encryption>();
  e->handshake = *handshake;
  return e;
}

// Ignores a reply that is not properly encrypted and signed (a forger's must not win).
bool AcceptReply(Encryption& e, const Message& m) {
  auto reply = OpenSessionReply::Decode(m.payload);
  auto cipher =
      reply ? e.handshake->Finish(*reply) : Result<std::shared_ptr<SessionCrypto>>(reply.error());
  std::lock_guard lock(e.mu);
  if (!cipher) {
    e.refused = "reply from " + m.peer.ToString() + " refused: " + cipher.error().detail;
    return false;
  }
  e.cipher = std::move(*cipher);
  return true;
}

struct Opened {
  OpenSessionReply reply;
  Endpoint dasp;      // where the session's messages go
  uint8_t suite = 0;  // spec 6's suite; 0: plaintext
};

// OPEN_SESSION to `target` and the session opened on `node`; 0, or the exit code once the
// failure is printed.
int OpenSession(Node& node, const Endpoint& target, const SendArgs& args,
                const SendOptions& options, Opened& out) {
  OpenSessionRequest req;
  req.app = args.app;
  req.caps = caps::kFloatingPoint;
  req.client_id = "mpcat-" + std::to_string(::getpid());
  std::shared_ptr<Encryption> encryption;
  SendOptions open_options = options;
  if (args.encrypt) {
    auto started = StartEncryption(args);
    if (!started) {
      std::fprintf(stderr, "mpcat send: %s\n", started.error().Message().c_str());
      return 2;
    }
    encryption = *started;
    req.caps = *req.caps | caps::kEncryption;
    req.enc_offer = encryption->handshake->offer();
    open_options.accept_reply = [encryption](const Message& m) {
      return AcceptReply(*encryption, m);
    };
  }
  auto opened = node.SendSync(target, wire::kOpeningSession, wire::kOpenSession,
                              args.group ? kVaLbGroup : kVaNone, req.Encode(), open_options);
  if (!opened) {
    std::string why = Refusal(opened.error());
    if (encryption && !IsNakCode(static_cast<uint16_t>(opened.error().code.value()))) {
      std::lock_guard lock(encryption->mu);
      if (!encryption->refused.empty()) why = "encryption: " + encryption->refused;
    }
    std::fprintf(stderr, "mpcat send: OPEN_SESSION for '%s' failed: %s\n", args.app.c_str(),
                 why.c_str());
    return 1;
  }
  auto reply = OpenSessionReply::Decode(opened->payload);
  if (!reply) {
    std::fprintf(stderr, "mpcat send: bad OPEN_SESSION reply from %s: %s\n",
                 opened->peer.ToString().c_str(), reply.error().Message().c_str());
    return 1;
  }
  out.reply = std::move(*reply);
  // The reply names the DASP's endpoint; without one (or with an unspecified address) the
  // DASP is where the reply came from.
  out.dasp = out.reply.dasp_endpoint.valid() && !IsUnspecified(out.reply.dasp_endpoint)
                 ? out.reply.dasp_endpoint
                 : opened->peer;
  std::shared_ptr<SessionCrypto> cipher;
  if (encryption) {
    std::lock_guard lock(encryption->mu);
    cipher = encryption->cipher;
  }
  out.suite = cipher ? static_cast<uint8_t>(cipher->suite()) : 0;
  node.OpenSession(out.dasp, out.reply.session, {cipher});
  return 0;
}

}  // namespace

int RunSend(const SendArgs& args) {
  auto target = Endpoint::Parse(args.target);
  if (!target) {
    std::fprintf(stderr, "mpcat send: %s\n", target.error().Message().c_str());
    return 2;
  }
  if (args.group != target->IsMulticast()) {
    std::fprintf(stderr, "mpcat send: %s %s a multicast group%s\n", args.target.c_str(),
                 target->IsMulticast() ? "is" : "is not",
                 args.group ? "" : " (use --group to send OPEN_SESSION to a group)");
    return 2;
  }
  IoThreads threads(1);
  NodeConfig config;
  config.udp = Endpoint::Parse(target->is_v6() ? "[::]:0" : "0.0.0.0:0").value();
  config.multicast_interface = args.interface;
  auto created = Node::Create(threads.io(), config, {});
  if (!created) {
    std::fprintf(stderr, "mpcat send: %s\n", created.error().Message().c_str());
    return 1;
  }
  Node& node = **created;
  SendOptions options;
  options.reply_timeout = std::chrono::milliseconds(args.reply_timeout_ms);

  // 1. OPEN_SESSION (spec 4), with ENC_OFFER when encrypting (spec 6).
  Opened session;
  if (const int failed = OpenSession(node, *target, args, options, session); failed != 0) {
    return failed;
  }
  const OpenSessionReply* reply = &session.reply;
  const Endpoint dasp = session.dasp;
  if (!args.json && !args.quiet) {
    const std::string sealed =
        session.suite ? ", encrypted with suite " + std::to_string(session.suite) + " (" +
                            std::string(SuiteName(static_cast<Suite>(session.suite))) + ")"
                      : "";
    std::printf("session %u with %s at %s (DASP VA %s, client VA %s, server %s%s)\n",
                reply->session, args.app.c_str(), dasp.ToString().c_str(),
                FormatVa(reply->dasp_va).c_str(), FormatVa(reply->client_va).c_str(),
                reply->server.empty() ? "-" : reply->server.c_str(), sealed.c_str());
  }

  // 2. The command, `count` times.
  std::vector<double> rtts_us;
  std::vector<uint8_t> last;
  int failures = 0;
  std::string failure;
  for (int i = 0; i < args.count; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto answer =
        node.SendSync(dasp, reply->session, args.command, reply->dasp_va, args.payload, options);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if (!answer) {
      ++failures;
      failure = Refusal(answer.error());
      if (!args.json)
        std::fprintf(stderr, "mpcat send: command 0x%04x failed: %s\n", args.command,
                     failure.c_str());
      continue;
    }
    rtts_us.push_back(us);
    last = answer->payload;
    if (!args.json && !args.quiet) {
      std::printf("reply 0x%04x: %zu bytes in %.0f us\n%s\n", args.command, answer->payload.size(),
                  us, ToHex(answer->payload).c_str());
    }
  }

  // 3. CLOSE_SESSION, ACKed, no reply.
  SendOptions one_way = options;
  one_way.expect_reply = false;
  (void)node.SendSync(dasp, reply->session, wire::kCloseSession, reply->dasp_va, {}, one_way);

  std::sort(rtts_us.begin(), rtts_us.end());
  auto pct = [&](double q) {
    return rtts_us.empty()
               ? 0.0
               : rtts_us[std::min(rtts_us.size() - 1, static_cast<size_t>(q * rtts_us.size()))];
  };
  if (args.json) {
    nlohmann::json j = {
        {"app", args.app},
        {"session", reply->session},
        {"dasp_endpoint", dasp.ToString()},
        {"dasp_va", reply->dasp_va},
        {"client_va", reply->client_va},
        {"server", reply->server},
        {"suite", session.suite},
        {"command", args.command},
        {"sent", args.count},
        {"ok", static_cast<int>(rtts_us.size())},
        {"failed", failures},
        {"reply_hex", ToHex(last)},
        {"rtt_us", {{"p50", pct(0.5)}, {"p99", pct(0.99)}}},
    };
    if (failures) j["error"] = failure;
    std::cout << j.dump() << std::endl;
  } else if (args.count > 1) {
    std::printf("%zu of %d replies, rtt p50 %.0f us, p99 %.0f us\n", rtts_us.size(), args.count,
                pct(0.5), pct(0.99));
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace dabs::mp::mpcat
