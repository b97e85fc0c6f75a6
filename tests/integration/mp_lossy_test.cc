// Two processes over loopback through a lossy link (10% loss, 5% duplication, reordering,
// 1% corruption, on every datagram both ways) exchange 10,000 messages, one in ten of them
// multi-buffer, each echoed back whole: every message is delivered exactly once, every reply
// comes back intact, every send reports exactly one outcome.
#include <atomic>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dabs/mp/node.h>
#include <dabs/mp/system_messages.h>

#include "../support/subprocess.h"
#include "lossy_peer.h"

namespace dabs {
namespace {

using namespace std::chrono_literals;

constexpr int kMessages = 10'000;
constexpr int kSessions = 4;
constexpr int kOutstanding = 512;
// 10% loss each way makes one round in five fail; twelve transmissions make a give-up a
// one-in-ten-billion event, so any failure here is a bug.
constexpr int kMaxTransmissions = 12;

mp::FaultProfile Faults() {
  return {.loss = 0.10,
          .duplicate = 0.05,
          .reorder = 0.20,
          .corrupt = 0.01,
          .reorder_delay = std::chrono::milliseconds(5)};
}

TEST(LossyLink, TenThousandMessagesAreDeliveredExactlyOnceBetweenTwoProcesses) {
  const auto f = Faults();
  testing::Subprocess peer({DABS_LOSSY_PEER, "--loss", std::to_string(f.loss), "--duplicate",
                            std::to_string(f.duplicate), "--reorder", std::to_string(f.reorder),
                            "--corrupt", std::to_string(f.corrupt), "--seed", "77",
                            "--max-transmissions", std::to_string(kMaxTransmissions)});
  ASSERT_TRUE(peer.started()) << "cannot start " << DABS_LOSSY_PEER;
  auto line = peer.ReadLine(10s);
  ASSERT_TRUE(line && line->starts_with("port ")) << "peer did not report its port";
  const auto to = mp::Endpoint::Udp4(0x7F000001, static_cast<uint16_t>(std::stoi(line->substr(5))));

  mp::IoThreads io(1);
  mp::NodeConfig config;
  config.udp = mp::Endpoint::Parse("127.0.0.1:0").value();
  config.faults = f;
  config.fault_seed = 78;
  config.engine.max_transmissions = kMaxTransmissions;
  auto node = mp::Node::Create(io.io(), config, {}).value();

  // Open the sessions the way a client does (spec 4), over the same lossy link.
  std::vector<uint8_t> sessions;
  for (int s = 0; s < kSessions; ++s) {
    auto reply = node->SendSync(to, 0, mp::wire::kOpenSession, 0,
                                mp::OpenSessionRequest{"lossy", {}, "test", {}}.Encode());
    ASSERT_TRUE(reply.ok()) << reply.error().Message();
    auto opened = mp::OpenSessionReply::Decode(reply->payload);
    ASSERT_TRUE(opened.ok());
    node->OpenSession(to, opened->session);
    sessions.push_back(opened->session);
  }

  std::mutex mu;
  std::condition_variable cv;
  int finished = 0, in_flight = 0;
  std::vector<int> outcomes(kMessages, 0);
  std::vector<std::string> failures;
  int bad_replies = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < kOutstanding; });
      ++in_flight;
    }
    // One in ten is multi-buffer: 2 to 40 buffers.
    const uint32_t filler = i % 10 == 0 ? 600 + (i * 7919) % 19'000 : (i * 31) % 200;
    auto payload = lossy::MakePayload(static_cast<uint32_t>(i), filler);
    mp::SendOptions options;
    options.client_id = static_cast<uint64_t>(i);
    node->Send(to, sessions[static_cast<size_t>(i) % sessions.size()], lossy::kEcho, 0, payload,
               options, [&, payload](mp::SendResult&& r) {
                 std::lock_guard lock(mu);
                 ++outcomes[r.client_id];
                 if (r.error) {
                   failures.push_back(std::to_string(r.client_id) + ": " + r.error.message());
                 } else if (!r.reply || r.reply->payload != payload) {
                   ++bad_replies;
                 }
                 ++finished;
                 --in_flight;
                 cv.notify_all();
               });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 300s, [&] { return finished == kMessages; }))
        << finished << " of " << kMessages << " sends finished";
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (int i = 0; i < kMessages; ++i)
    ASSERT_EQ(outcomes[i], 1) << "message " << i;
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  EXPECT_EQ(bad_replies, 0);

  auto report = node->SendSync(to, 0, lossy::kReport, 0, {});
  ASSERT_TRUE(report.ok()) << report.error().Message();
  const auto j = nlohmann::json::parse(std::string(report->payload.begin(), report->payload.end()));
  EXPECT_EQ(j["delivered"], kMessages);
  EXPECT_EQ(j["duplicates"], 0);
  EXPECT_EQ(j["damaged"], 0);

  const auto stats = node->Stats();
  EXPECT_GT(stats.fault_drops, 0u);
  EXPECT_GT(stats.engine.retransmissions, 0u);
  EXPECT_GT(stats.engine.bad_crc + stats.engine.duplicates, 0u);
  std::printf(
      "lossy link: %d messages in %.1f s, %lu retransmissions, %lu duplicates suppressed, "
      "%lu damaged datagrams caught, %lu selective resends asked\n",
      kMessages, seconds, static_cast<unsigned long>(stats.engine.retransmissions),
      static_cast<unsigned long>(stats.engine.duplicates),
      static_cast<unsigned long>(stats.engine.bad_crc),
      static_cast<unsigned long>(stats.engine.missing_buffer_naks_sent));
  peer.Signal(SIGTERM);
  const int status = peer.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "peer status " << status;
}

}  // namespace
}  // namespace dabs
