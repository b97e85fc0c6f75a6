// mpcat send: open a session (directly, or through a farm's group), send a command, print
// the reply, close the session.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>

#include "mpcat.h"

namespace dabs::mp::mpcat {

namespace {

std::string Refusal(const Error& e) {
  const int v = e.code.value();
  std::string s = e.code.message();
  if (e.code.category() == MpCategory() && IsNakCode(static_cast<uint16_t>(v))) {
    s += " (NAK " + std::to_string(v) + ")";
  }
  return s;
}

bool IsUnspecified(const Endpoint& e) {
  for (size_t i = 0; i < (e.is_v6() ? 16u : 4u); ++i) {
    if (e.address_bytes()[i] != 0) return false;
  }
  return true;
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

  // 1. OPEN_SESSION (spec 4).
  OpenSessionRequest req;
  req.app = args.app;
  req.caps = caps::kFloatingPoint;
  req.client_id = "mpcat-" + std::to_string(::getpid());
  auto opened = node.SendSync(*target, wire::kOpeningSession, wire::kOpenSession,
                              args.group ? kVaLbGroup : kVaNone, req.Encode(), options);
  if (!opened) {
    std::fprintf(stderr, "mpcat send: OPEN_SESSION for '%s' failed: %s\n", args.app.c_str(),
                 Refusal(opened.error()).c_str());
    return 1;
  }
  auto reply = OpenSessionReply::Decode(opened->payload);
  if (!reply) {
    std::fprintf(stderr, "mpcat send: bad OPEN_SESSION reply from %s: %s\n",
                 opened->peer.ToString().c_str(), reply.error().Message().c_str());
    return 1;
  }
  // The reply names the DASP's endpoint; without one (or with an unspecified address) the
  // DASP is where the reply came from.
  const Endpoint dasp = reply->dasp_endpoint.valid() && !IsUnspecified(reply->dasp_endpoint)
                            ? reply->dasp_endpoint
                            : opened->peer;
  node.OpenSession(dasp, reply->session);
  if (!args.json && !args.quiet) {
    std::printf("session %u with %s at %s (DASP VA %s, client VA %s, server %s)\n", reply->session,
                args.app.c_str(), dasp.ToString().c_str(), FormatVa(reply->dasp_va).c_str(),
                FormatVa(reply->client_va).c_str(),
                reply->server.empty() ? "-" : reply->server.c_str());
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
