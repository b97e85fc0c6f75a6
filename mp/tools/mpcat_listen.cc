// mpcat listen: a lone DASP of the application "echo" that answers OPEN_SESSION itself and
// echoes command 0x0100 (spec 9), multi-buffer both ways.
#include <bitset>
#include <cstdio>
#include <unordered_map>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <dabs/mp/node.h>
#include <dabs/mp/session_handshake.h>
#include <dabs/mp/system_messages.h>

#include "mpcat.h"

namespace dabs::mp::mpcat {

namespace {

constexpr uint16_t kEcho = 0x0100;

// Runs on the node's strand only.
class EchoResponder {
 public:
  EchoResponder(const ListenArgs& args, ServerEncryption encryption)
      : args_(args), encryption_(std::move(encryption)) {}
  void Attach(Node* node) {
    node_ = node;
    self_ = *node->udp_endpoint();
  }

  void OnMessage(Message&& m) {
    switch (m.header.command) {
      case wire::kOpenSession:
        return Open(m);
      case wire::kCloseSession:
        return Close(m);
      case wire::kPing:
        return node_->Reply(m, {});
      case kEcho:
        if (m.header.session == wire::kOpeningSession) {
          return node_->Nak(m, Errc::kUnknownSession, "open a session first");
        }
        return node_->Reply(m, std::move(m.payload), m.header.va);
      default:
        return node_->Nak(m, Errc::kUnknownCommand, "echo knows 0x0100 only");
    }
  }

 private:
  void Open(const Message& m) {
    auto req = OpenSessionRequest::Decode(m.payload);
    if (!req) return node_->Nak(m, Errc::kMalformed, req.error().detail);
    if (req->app != "echo") return node_->Nak(m, Errc::kUnknownApplication, req->app);
    if (Status ok = CheckOffer(encryption_, req->enc_offer); !ok) {
      return node_->Nak(m, Errc::kCrypto, ok.error().detail);
    }
    auto& used = used_[m.peer];
    uint8_t sid = 0;
    for (int s = 1; s <= 255 && sid == 0; ++s) {
      if (!used[static_cast<size_t>(s)]) sid = static_cast<uint8_t>(s);
    }
    if (sid == 0 || sessions_ >= args_.max_sessions) {
      return node_->Nak(m, Errc::kNoCapacity, "no session ids left");
    }
    auto client_va = clients_.Next();
    if (!client_va) return node_->Nak(m, Errc::kNoCapacity, "no VAs left");
    auto agreed = AcceptEncryption(encryption_, req->enc_offer, sid, kDaspVa);
    if (!agreed) return node_->Nak(m, Errc::kCrypto, agreed.error().detail);
    used.set(sid);
    ++sessions_;
    node_->OpenSession(m.peer, sid, {*agreed ? (*agreed)->cipher : nullptr});
    OpenSessionReply reply;
    if (*agreed) reply.enc_accept = (*agreed)->accept;
    reply.session = sid;
    reply.dasp_va = kDaspVa;
    if (self_.is_udp() && !IsUnspecified(self_)) reply.dasp_endpoint = self_;
    reply.client_va = *client_va;
    reply.server = "mpcat";
    node_->Reply(m, reply.Encode(), *client_va);
    if (args_.verbose) {
      spdlog::info("session {} opened for {} (client VA {}, {}, {} open)", sid, m.peer.ToString(),
                   FormatVa(*client_va),
                   *agreed ? "suite " + std::to_string((*agreed)->accept.suite) : "plaintext",
                   sessions_);
    }
  }

  void Close(const Message& m) {
    auto it = used_.find(m.peer);
    if (it == used_.end() || !it->second[m.header.session]) return;
    it->second.reset(m.header.session);
    if (it->second.none()) used_.erase(it);
    --sessions_;
    node_->CloseSession(m.peer, m.header.session);
    if (args_.verbose) spdlog::info("session {} of {} closed", m.header.session, m.peer.ToString());
  }

  static bool IsUnspecified(const Endpoint& e) {
    for (size_t i = 0; i < (e.is_v6() ? 16u : 4u); ++i) {
      if (e.address_bytes()[i] != 0) return false;
    }
    return true;
  }

  static constexpr Va kDaspVa = MakeVa(1, 1);
  const ListenArgs& args_;
  const ServerEncryption encryption_;
  Node* node_ = nullptr;
  Endpoint self_;
  std::unordered_map<Endpoint, std::bitset<256>, EndpointHash> used_;
  size_t sessions_ = 0;
  VaAllocator clients_{2};  // client VAs: server index 2, as if handed out by a farm
};

}  // namespace

int RunListen(const ListenArgs& args) {
  auto bind = Endpoint::Parse(args.address + ":" + std::to_string(args.port));
  if (!bind) bind = Endpoint::Parse("[" + args.address + "]:" + std::to_string(args.port));
  if (!bind) {
    spdlog::error("mpcat listen: {}", bind.error().Message());
    return 2;
  }
  NodeConfig config;
  config.udp = *bind;
  config.multicast_interface = args.interface;
  for (const auto& g : args.groups) {
    auto group = Endpoint::Parse(g);
    if (!group || !group->IsMulticast()) {
      spdlog::error("mpcat listen: --group {} is not a multicast ADDRESS:PORT", g);
      return 2;
    }
    config.groups.push_back(*group);
  }
  ServerEncryption encryption;
  encryption.policy = ParseEncryptionPolicy(args.encryption).value();  // checked by CLI11
  if (!args.identity_key.empty()) {
    auto key = IdentityKey::Load(args.identity_key);
    if (!key) {
      spdlog::error("mpcat listen: --identity-key: {}", key.error().Message());
      return 1;
    }
    encryption.identity = std::make_shared<const IdentityKey>(std::move(*key));
  } else if (encryption.policy != EncryptionPolicy::kOff) {
    spdlog::error("mpcat listen: --encryption {} needs --identity-key FILE", args.encryption);
    return 2;
  }
  boost::asio::io_context io(1);
  EchoResponder responder(args, std::move(encryption));
  NodeCallbacks callbacks;
  callbacks.on_message = [&responder](Message&& m) { responder.OnMessage(std::move(m)); };
  callbacks.on_error_report = [&args](const ErrorReport& r) {
    if (args.verbose)
      spdlog::warn("gave up on {} to {}: {}", CommandName(r.command), r.peer.ToString(), r.text);
  };
  auto node = Node::Create(io, config, callbacks);
  if (!node) {
    spdlog::error("mpcat listen: {}", node.error().Message());
    return 1;
  }
  responder.Attach(node->get());
  // The endpoint on stdout, for scripts that asked for port 0.
  std::printf("listening %s\n", (*node)->udp_endpoint()->ToString().c_str());
  std::fflush(stdout);
  spdlog::info("mpcat: echo listening on {}{}", (*node)->udp_endpoint()->ToString(),
               args.groups.empty() ? "" : " and group " + args.groups.front());
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    spdlog::info("mpcat: stopping");
    (*node)->Stop();
    io.stop();
  });
  io.run();
  return 0;
}

}  // namespace dabs::mp::mpcat
