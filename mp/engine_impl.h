// Private: the state behind dabs::mp::Engine. engine.cc holds set-up, peers, sessions and
// timers; engine_send.cc the outbound half (transmission, ACK/NAK/reply matching,
// retransmission); engine_receive.cc the inbound half (validation, duplicates, reassembly,
// delivery).
#pragma once

#include <array>
#include <bitset>
#include <deque>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include <dabs/mp/engine.h>

#include "id_history.h"
#include "inbound_window.h"

namespace dabs::mp {
namespace internal {

struct Pending;

// One session with one peer (spec 1.3). Outbound: our transaction counter and the window of
// ids awaiting an answer, which never spans more than 128 ids, so the peer can tell a new id
// from an old one. Inbound: the window of the peer's messages we accepted, and which of our
// transactions got their reply.
struct Session {
  uint8_t id = 0;
  uint8_t next_transaction = 0;
  uint8_t oldest = 0;           // oldest id that may still be unfinished
  std::bitset<256> unfinished;  // our ids awaiting their ACK or reply
  // Recent uses of ids on each side (id_history.h); allocated while there are any.
  std::unique_ptr<OutboundIdHistory> sent_ids;
  std::unique_ptr<InboundIdHistory> received_ids;
  std::unique_ptr<std::deque<std::unique_ptr<Pending>>> queue;  // waiting for the window
  InboundWindow window;
  std::bitset<256> replied;  // our transaction t has had its reply accepted
  std::shared_ptr<SessionCipher> cipher;
  // Session 0 only: the opening transactions accepted from this peer, with their sent
  // times, for 30 s (spec 4 step 5).
  struct Opening {
    uint8_t transaction;
    SentTime sent;
    TimePoint at;
  };
  std::vector<Opening> opening_seen;

  size_t queued() const { return queue ? queue->size() : 0; }
};

struct Peer {
  uint32_t id = 0;
  Endpoint endpoint;
  RtoEstimator rto;
  TimePoint last_backoff{};
  TimePoint last_activity{};
  int pending = 0;  // Pending entries that point here; a peer is never freed while > 0
  // Last time something reached this peer twice, or came back from it twice (our
  // retransmission, its duplicate, a NAK). Only then can stray copies exist, so only then
  // do reused ids need the long quarantine.
  TimePoint last_anomaly{};
  std::vector<std::unique_ptr<Session>> sessions;  // few per peer: a linear search
};

// A message or reply of ours awaiting its ACK or reply.
struct Pending {
  enum class State { kAwaitAck, kAwaitReply };
  uint64_t id = 0;
  Peer* peer = nullptr;
  uint8_t session = 0;
  uint8_t transaction = 0;
  uint16_t command = 0;
  Va va = kVaNone;
  bool is_reply = false;
  bool group = false;     // to a multicast group: completes on a reply from any member
  bool reliable = false;  // local link: no ACKs
  std::vector<uint8_t> payload;
  SentTime sent;
  uint16_t buffers = 0;  // 0: one plain datagram; else a multi-buffer message
  size_t chunk = 0;
  State state = State::kAwaitAck;
  int transmissions = 0;
  int naks = 0;
  int naked_transmission = 0;  // the transmission the last NAK was taken for
  int max_transmissions = 0;
  uint32_t missing_rounds = 0;
  // The millisecond of the reply to this id's previous use: a reply with it is a late copy.
  std::optional<uint32_t> stale_reply_ms;
  TimePoint first_sent{}, last_sent{}, deadline{};
  Duration reply_timeout{};
  bool expect_reply = true;
  uint64_t client_id = 0;
  SendCallback done;
  std::shared_ptr<SessionCipher> cipher;
  std::function<bool(const Message&)> accept_reply;  // SendOptions::accept_reply
};

}  // namespace internal

class Engine::Impl {
 public:
  using Peer = internal::Peer;
  using Session = internal::Session;
  using Pending = internal::Pending;

 public:
  Impl(const EngineConfig& config, const Clock& clock, Random& random, DatagramSink& sink,
       EngineHandler& handler);

  // engine.cc: peers, sessions, timers, completions.
  Peer* FindPeer(const Endpoint& e) const;
  Peer* GetOrCreatePeer(const Endpoint& e);
  Peer* PeerById(uint32_t id) const;
  Session* FindSession(Peer& peer, uint8_t id) const;
  Session& OpeningSession(Peer& peer);
  void OpenSession(const Endpoint& peer, uint8_t id, SessionOptions options);
  void CloseSession(const Endpoint& peer, uint8_t id);
  void OnTimer();
  std::optional<TimePoint> NextDeadline();
  void Arm(Pending& p, TimePoint deadline);
  // Removes a pending send and queues its callback; the session's queue moves on.
  void Finish(uint64_t id, std::error_code ec, std::optional<Message> reply = std::nullopt,
              std::string text = {});
  // Finishes with an error; `report` also raises an ErrorReport (spec 2: give-ups).
  void Fail(Pending& p, Errc error, std::string text, bool report = true);
  void RunCompletions();
  // Sends queued messages while the in-flight limit and the reuse quarantine allow.
  void Pump(Peer& peer, Session& s);
  // True when the next id is inside the 128-id window and out of quarantine; sets *wake
  // when only the quarantine holds it back.
  bool CanLaunch(Session& s, TimePoint now, std::optional<TimePoint>* wake = nullptr);
  void RecordCompletion(Peer& peer, Session& s, const Pending& p, const Message* reply);
  void NoteAnomaly(Peer* peer) {
    if (peer) peer->last_anomaly = clock.Now();
  }
  void Housekeeping(TimePoint now);
  void SweepPeers(TimePoint now);

  // engine_send.cc: the outbound half.
  void Send(const Endpoint& peer, uint8_t session, uint16_t command, Va va,
            std::vector<uint8_t> payload, const SendOptions& options, SendCallback done);
  void Launch(Session& s, std::unique_ptr<Pending> p);
  Status ReplyTo(const Endpoint& peer, uint8_t session, uint8_t transaction, uint16_t command,
                 Va va, std::vector<uint8_t> payload);
  void TransmitAll(Pending& p);
  void TransmitOnTimeout(Pending& p);
  void TransmitBuffer(Pending& p, uint16_t buffer);
  void SendControl(const Endpoint& to, Kind kind, const Header& about,
                   std::span<const uint8_t> payload);
  void SendAck(const Endpoint& to, const Header& about);
  void SendNak(const Endpoint& to, const Header& about, Errc error,
               const std::vector<uint16_t>& missing = {}, std::string_view text = {});
  Pending* MatchAnswer(const Peer* peer, const Header& h, bool include_our_replies);
  void OnAck(Peer& peer, const Header& h);
  void OnNak(Peer* peer, const Header& h, std::span<const uint8_t> payload);
  void OnExpiry(Pending& p, TimePoint now);
  Duration GroupTimeout(int transmissions);

  // engine_receive.cc: the inbound half.
  void OnDatagram(const Endpoint& from, std::span<const uint8_t> bytes, bool via_group);
  uint32_t sealed_by = 0;  // of the datagram being taken (Engine::OnDatagram)
  void OnUndecodable(const Endpoint& from, std::span<const uint8_t> bytes, Errc error,
                     bool via_group);
  // Decrypts a message or reply in place of `payload`; false (and NAK 9) when it fails.
  bool OpenPayload(Session* s, const Endpoint& from, const Header& h,
                   std::span<const uint8_t> bytes, std::span<const uint8_t>& payload, bool quiet);
  void OnIncomingMessage(Peer& peer, const Header& h, std::span<const uint8_t> bytes,
                         std::span<const uint8_t> payload, bool via_group);
  void OnIncomingReply(const Endpoint& from, Peer* peer, const Header& h,
                       std::span<const uint8_t> bytes, std::span<const uint8_t> payload,
                       bool via_group);
  bool IsDuplicate(Session& s, const Header& h, TimePoint now) const;
  bool IsStaleCopy(const Session& s, const Header& h, TimePoint now) const;
  void MarkAccepted(Session& s, const Header& h, TimePoint now);
  // Runs a multi-buffer datagram through reassembly; true with `whole` set when complete.
  bool Reassemble(Peer& peer, const Header& h, std::span<const uint8_t> payload, bool reply,
                  const SessionCipher* cipher, std::vector<uint8_t>& whole);
  Message MakeMessage(const Peer& peer, const Header& h, std::vector<uint8_t> payload,
                      bool via_group);
  size_t ChunkFor(bool crc, const SessionCipher* cipher) const;
  bool Quiet(const Peer& peer, bool via_group) const {
    return via_group || peer.endpoint.IsReliableLink();
  }

  const EngineConfig config;
  const Clock& clock;
  Random& random;
  DatagramSink& sink;
  EngineHandler& handler;
  EngineStats stats;

  std::unordered_map<Endpoint, uint32_t, EndpointHash> peer_ids;
  std::unordered_map<uint32_t, std::unique_ptr<Peer>> peers;
  uint32_t next_peer_id = 1;

  std::unordered_map<uint64_t, std::unique_ptr<Pending>> pending;  // by Pending::id
  std::unordered_map<uint64_t, uint64_t> pending_by_key;           // TransactionKey -> id
  std::unordered_map<uint8_t, uint64_t> group_pending;             // transaction -> id
  Session group_session;  // the transaction space of our group sends
  uint64_t next_pending_id = 1;

  struct TimerEntry {
    TimePoint at;
    uint64_t id;
    bool operator>(const TimerEntry& o) const { return at > o.at; }
  };
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers;
  struct Wake {
    TimePoint at;
    uint32_t peer;
    uint8_t session;
    bool operator>(const Wake& o) const { return at > o.at; }
  };
  std::priority_queue<Wake, std::vector<Wake>, std::greater<>> wakes;  // quarantined queues
  TimePoint next_housekeeping{};
  TimePoint next_sweep{};

  ReassemblyBuffer reassembly;
  std::vector<uint8_t> scratch;  // one encoded datagram
  std::vector<uint8_t> sealed;   // one sealed payload
  std::vector<uint8_t> opened;   // one opened payload
  std::deque<std::pair<SendCallback, SendResult>> completions;
  bool running_completions = false;
};

}  // namespace dabs::mp
