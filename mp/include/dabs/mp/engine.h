// The MP reliability engine (spec 1.3-1.5, 2, 4), free of I/O: datagrams come in through
// OnDatagram(), go out through a DatagramSink, and time comes from an injected Clock, so
// the same code runs on real sockets (Node) and under a fake clock and a lossy fake link
// in tests. It keeps per-peer RTO estimates, per-session transaction state, duplicate
// suppression, reassembly and retransmission.
//
// Thread safety: none. One thread (or one strand) owns an Engine and makes every call,
// and every callback runs on it. Callbacks may call back into the engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <dabs/mp/cipher.h>
#include <dabs/mp/clock.h>
#include <dabs/mp/endpoint.h>
#include <dabs/mp/header.h>
#include <dabs/mp/reassembly.h>
#include <dabs/mp/rto.h>
#include <dabs/mp/sent_time.h>
#include <dabs/mp/va.h>

namespace dabs::mp {

struct EngineConfig {
  int max_transmissions = 6;                    // spec 2 (farm file: mp.max_transmissions)
  RtoConfig rto;                                // spec 2 (mp.initial_rto_ms)
  Duration reply_timeout = milliseconds(5000);  // after the ACK, or on local links
  // Group sends (spec 4): bootp-like, 250 ms doubling to 8 s, jitter up to 25%.
  Duration group_initial_timeout = milliseconds(250);
  Duration group_max_timeout = milliseconds(8000);
  double group_jitter = 0.25;
  bool crc = true;  // put a CRC-8 on every datagram we send
  // Bytes each datagram leaves free at its end for a seal added on the way out, in place of
  // the CRC (a farm daemon's FarmGuard: farm_seal::kOverhead + 1), so that sealed datagrams
  // still fit 512 bytes and buffers have one size with or without a CRC.
  size_t datagram_reserve = 0;
  size_t send_queue_limit = 4096;  // per session, waiting behind the 128 in flight
  ReassemblyLimits reassembly;     // spec 1.5 limits (mp.max_message_bytes)
  // NAK 13: a partial message idle for this long (at least; scaled up by the peer's RTT)
  // prompts a NAK listing its missing buffers.
  Duration missing_buffers_idle = milliseconds(20);
  // Multi-buffer messages with at most this many buffers are resent whole on a timeout;
  // larger ones resend their last buffer, which prompts the receiver's NAK 13.
  uint16_t full_resend_max_buffers = 32;
  int naks_before_reopen = 3;                            // spec 2
  Duration opening_dedup_window = milliseconds(30'000);  // spec 4 step 5
  size_t max_peers = 1'000'000;
  Duration idle_peer_timeout = milliseconds(60'000);
};

// A message (kind kMessage) or reply (kReply) handed to the application.
struct Message {
  Endpoint peer;
  Header header;  // kind, command, session, transaction, va, sent time
  std::vector<uint8_t> payload;
  Latency latency;  // from the sent time against our clock (spec 1.4)
  bool via_group = false;
  // The farm sender id (FarmSenderId) of a message that came sealed with the farm key
  // (mp/farm_guard.h); 0 for everything else. Set by the node, never by the wire alone.
  uint32_t sealed_by = 0;
};

struct SendOptions {
  bool expect_reply = true;   // false: complete on the ACK (or at once on local links)
  int max_transmissions = 0;  // 0: the engine's default
  Duration reply_timeout{0};  // 0: the engine's default
  uint64_t client_id = 0;     // handed back in the result (spec 2, async sends)
  // When set, a reply it returns false for is ignored as if it never came: not ACKed, not
  // delivered, the send goes on waiting (a forged OPEN_SESSION reply must not beat the
  // genuine one, spec 6). Runs on the engine's thread; must not call into the engine.
  std::function<bool(const Message&)> accept_reply = nullptr;
};

struct SendResult {
  std::error_code error;         // empty on success; dabs::mp::Errc otherwise
  std::optional<Message> reply;  // when a reply came
  uint64_t client_id = 0;
  int transmissions = 0;
  std::string text;  // why it failed: the NAK's text, or what the engine saw
};
using SendCallback = std::function<void(SendResult&&)>;

// What the engine reports when it gives up (spec 2: an ERROR_REPORT to the farm).
struct ErrorReport {
  Errc error = Errc::kTimedOut;
  Endpoint peer;
  uint8_t session = 0;
  uint8_t transaction = 0;
  uint16_t command = 0;
  bool was_reply = false;  // our reply was never ACKed (e.g. an unclaimed OPEN_SESSION reply)
  std::string text;
};

// Upcalls from the engine, on the engine's thread.
class EngineHandler {
 public:
  virtual ~EngineHandler() = default;
  // A new message (never a duplicate). Session-0 messages (OPEN_SESSION, PING, ...) too.
  virtual void OnMessage(Message&& message) = 0;
  // The engine gave up on a message or reply.
  virtual void OnErrorReport(const ErrorReport& /*report*/) {}
  // A message was NAKed naks_before_reopen times: close the session and open it again.
  virtual void OnSessionReopen(const Endpoint& /*peer*/, uint8_t /*session*/) {}
};

// Where the engine's datagrams go. Called on the engine's thread; the bytes are only valid
// during the call.
class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual void SendDatagram(const Endpoint& to, std::span<const uint8_t> bytes) = 0;
};

struct EngineStats {
  uint64_t datagrams_in = 0, datagrams_out = 0;
  uint64_t messages_delivered = 0, replies_delivered = 0;
  uint64_t acks_sent = 0, acks_received = 0;
  uint64_t naks_sent = 0, naks_received = 0;
  uint64_t missing_buffer_naks_sent = 0;
  uint64_t retransmissions = 0;
  uint64_t duplicates = 0;
  uint64_t bad_crc = 0, malformed = 0, unknown_session = 0, crypto_failures = 0;
  uint64_t replays = 0;           // sealed datagrams dropped for a counter already seen (spec 6)
  uint64_t rejected_replies = 0;  // replies SendOptions::accept_reply refused
  uint64_t send_failures = 0, reply_timeouts = 0, reassembly_timeouts = 0;
  uint64_t over_budget_drops = 0, unmatched = 0, stale_copies = 0;
  uint64_t clock_skew = 0;
};

struct SessionOptions {
  std::shared_ptr<SessionCipher> cipher;  // null: plaintext
};

class Engine {
 public:
  // The clock, random source, sink and handler must outlive the engine.
  Engine(const EngineConfig& config, const Clock& clock, Random& random, DatagramSink& sink,
         EngineHandler& handler);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- Sessions (spec 1.3). Session 0 always exists for every peer.
  // Opens (or resets) session `id` with `peer`; both directions start at transaction 0.
  void OpenSession(const Endpoint& peer, uint8_t id, SessionOptions options = {});
  // Forgets the session; its pending sends fail with kSessionClosed.
  void CloseSession(const Endpoint& peer, uint8_t id);
  bool HasSession(const Endpoint& peer, uint8_t id) const;

  // ---- Sending.
  // Sends a message; `done` runs exactly once with the reply or the error. To a multicast
  // group the message is not ACKed: it is resent (bootp-like) until a reply or NAK comes
  // from any member (spec 2, 4).
  void Send(const Endpoint& peer, uint8_t session, uint16_t command, Va va,
            std::vector<uint8_t> payload, const SendOptions& options, SendCallback done);
  // Replies to a message we received. The reply is a message in its own right: it is
  // retransmitted until ACKed and resent when the request comes again.
  Status Reply(const Message& request, std::vector<uint8_t> payload, Va va = kVaNone);
  // Replies on behalf of a request received elsewhere (OPEN_SESSION handed over by the
  // farm, spec 4 step 3).
  Status ReplyTo(const Endpoint& peer, uint8_t session, uint8_t transaction, uint16_t command,
                 Va va, std::vector<uint8_t> payload);
  // NAKs a message we received (e.g. NO_CAPACITY); the engine NAKs protocol errors itself.
  void Nak(const Endpoint& peer, const Header& request, Errc error, std::string_view text = {});

  // Fails every pending and queued send with `error` (used when the node stops).
  void FailAll(Errc error);

  // ---- Input.
  // One received datagram. `via_group`: it came in on a multicast group socket. `sealed_by`:
  // the farm sender whose seal it came in (the node's FarmGuard opened it), stamped on the
  // message or reply it completes; 0 for everything else.
  void OnDatagram(const Endpoint& from, std::span<const uint8_t> bytes, bool via_group = false,
                  uint32_t sealed_by = 0);
  // Processes every timer due at Clock::Now().
  void OnTimer();
  // When OnTimer() has work next; nullopt when nothing is pending.
  std::optional<TimePoint> NextDeadline() const;

  // Sends currently awaiting an ACK or reply, across all sessions.
  size_t pending_count() const;
  size_t peer_count() const;
  const EngineStats& stats() const;
  const EngineConfig& config() const;
  // The RTO currently used for a peer (the initial one if never measured).
  Duration RtoFor(const Endpoint& peer) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dabs::mp
