// mp_lossy_peer: the far end of the lossy-link integration test. An echo node whose own
// outbound datagrams go through a fault profile; it counts what it delivers per message id
// and answers kReport with {"delivered", "duplicates", "damaged"}. Prints "port N" once
// listening; runs until SIGTERM.
#include <cstdio>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <nlohmann/json.hpp>

#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>

#include "lossy_peer.h"

using namespace dabs;

int main(int argc, char** argv) {
  CLI::App app{"mp_lossy_peer: echo node behind a fault profile, for the lossy-link test"};
  mp::FaultProfile faults;
  uint64_t seed = 1;
  int max_transmissions = 6;
  app.add_option("--loss", faults.loss);
  app.add_option("--duplicate", faults.duplicate);
  app.add_option("--reorder", faults.reorder);
  app.add_option("--corrupt", faults.corrupt);
  app.add_option("--seed", seed);
  app.add_option("--max-transmissions", max_transmissions);
  CLI11_PARSE(app, argc, argv);

  boost::asio::io_context io(1);
  mp::NodeConfig config;
  config.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  config.faults = faults;
  config.fault_seed = seed;
  config.engine.max_transmissions = max_transmissions;
  std::unordered_map<uint32_t, int> delivered;
  int damaged = 0;
  uint8_t next_session = 1;
  mp::Node* node = nullptr;
  mp::NodeCallbacks callbacks;
  callbacks.on_message = [&](mp::Message&& m) {
    if (m.header.command == lossy::kReport) {
      int duplicates = 0;
      for (const auto& [id, n] : delivered)
        duplicates += n - 1;
      const std::string report = nlohmann::json{
          {"delivered", delivered.size()},
          {"duplicates", duplicates},
          {"damaged", damaged}}.dump();
      node->Reply(m, std::vector<uint8_t>(report.begin(), report.end()));
      return;
    }
    if (m.header.command == mp::wire::kOpenSession) {  // spec 4: a session id per request
      mp::OpenSessionReply reply;
      reply.session = next_session++;
      reply.dasp_va = mp::MakeVa(1, 1);
      reply.server = "lossy-peer";
      node->OpenSession(m.peer, reply.session);
      node->Reply(m, reply.Encode());
      return;
    }
    if (auto id = lossy::CheckPayload(m.payload)) {
      ++delivered[*id];
    } else {
      ++damaged;
    }
    node->Reply(m, std::move(m.payload));
  };
  auto created = mp::Node::Create(io, config, callbacks);
  if (!created) {
    std::fprintf(stderr, "mp_lossy_peer: %s\n", created.error().Message().c_str());
    return 1;
  }
  node = created->get();
  std::printf("port %u\n", node->udp_endpoint()->port());
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    node->Stop();
    io.stop();
  });
  io.run();
  return 0;
}
