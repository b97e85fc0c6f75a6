#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/mp/reassembly.h>

namespace dabs::mp {
namespace {

using Outcome = ReassemblyBuffer::Outcome;
using std::chrono::seconds;

// Small buffers keep the arithmetic of the limits readable: a message of n bytes is
// ceil(n / 8) buffers, every one 8 bytes but the last.
constexpr size_t kChunk = 8;

const TransactionKey kKey{1, 7, 42, false};

Header BufferHeader(uint16_t buffer, uint16_t buffers) {
  Header h;
  h.kind = Kind::kMessage;
  h.command = 0x0100;
  h.session = kKey.session;
  h.transaction = kKey.transaction;
  h.va = 0x00100005;
  h.multi = true;
  h.buffer = buffer;
  h.buffers = buffers;
  return h;
}

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>(i * 31 + 7);
  return v;
}

uint16_t BuffersFor(size_t bytes) {
  return static_cast<uint16_t>((bytes + kChunk - 1) / kChunk);
}

std::span<const uint8_t> Slice(const std::vector<uint8_t>& message, uint16_t buffer) {
  const size_t offset = size_t{buffer} * kChunk;
  return std::span(message).subspan(offset, std::min(kChunk, message.size() - offset));
}

// Adds buffer `b` of `message` (split into kChunk-byte buffers) under `key`.
ReassemblyBuffer::AddResult AddBuffer(ReassemblyBuffer& rb, const TransactionKey& key,
                                      const std::vector<uint8_t>& message, uint16_t b,
                                      TimePoint now) {
  Header h = BufferHeader(b, BuffersFor(message.size()));
  h.session = key.session;
  h.transaction = key.transaction;
  h.kind = key.reply ? Kind::kReply : Kind::kMessage;
  return rb.Add(key, h, Slice(message, b), kChunk, now);
}

// Feeds the buffers in `order` and expects kIncomplete for all but the last, which must
// complete with exactly `message`.
void ExpectReassembles(ReassemblyBuffer& rb, const TransactionKey& key,
                       const std::vector<uint8_t>& message, const std::vector<uint16_t>& order,
                       TimePoint now) {
  for (size_t i = 0; i < order.size(); ++i) {
    auto r = AddBuffer(rb, key, message, order[i], now);
    if (i + 1 < order.size()) {
      ASSERT_EQ(r.outcome, Outcome::kIncomplete) << "buffer " << order[i];
    } else {
      ASSERT_EQ(r.outcome, Outcome::kComplete) << "buffer " << order[i];
      EXPECT_EQ(r.message, message);
    }
  }
}

std::vector<uint16_t> InOrder(uint16_t buffers) {
  std::vector<uint16_t> order(buffers);
  std::iota(order.begin(), order.end(), uint16_t{0});
  return order;
}

const TimePoint kT0 = TimePoint(seconds(1000));

// ---------------------------------------------------------------------------- reassembly

TEST(ReassemblyBuffer, InOrderBuffersGiveTheExactPayload) {
  ReassemblyBuffer rb;
  const auto message = Pattern(37);  // 4 full buffers and a last one of 5 bytes
  ExpectReassembles(rb, kKey, message, InOrder(5), kT0);
  EXPECT_FALSE(rb.Has(kKey));
  EXPECT_EQ(rb.partial_count(), 0u);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
}

TEST(ReassemblyBuffer, AnyOrderGivesTheExactPayload) {
  const auto message = Pattern(8 * 20 + 3);
  const uint16_t buffers = BuffersFor(message.size());
  std::vector<uint16_t> reversed = InOrder(buffers);
  std::reverse(reversed.begin(), reversed.end());
  std::vector<std::vector<uint16_t>> orders = {reversed};
  std::mt19937 rng(6298);
  for (int i = 0; i < 20; ++i) {
    std::vector<uint16_t> order = InOrder(buffers);
    std::shuffle(order.begin(), order.end(), rng);
    orders.push_back(order);
  }
  for (const auto& order : orders) {
    ReassemblyBuffer rb;
    ExpectReassembles(rb, kKey, message, order, kT0);
    EXPECT_EQ(rb.bytes_reserved(), 0u);
  }
}

TEST(ReassemblyBuffer, PayloadThatFillsTheLastBufferExactlyIsKept) {
  ReassemblyBuffer rb;
  const auto message = Pattern(3 * kChunk);
  ExpectReassembles(rb, kKey, message, {2, 0, 1}, kT0);
}

TEST(ReassemblyBuffer, LoneBufferCompletesAtOnceEvenWhenEmpty) {
  ReassemblyBuffer rb;
  const std::vector<uint8_t> five = Pattern(5);
  auto r = rb.Add(kKey, BufferHeader(0, 1), five, kChunk, kT0);
  ASSERT_EQ(r.outcome, Outcome::kComplete);
  EXPECT_EQ(r.message, five);

  auto empty = rb.Add(TransactionKey{1, 7, 43, false}, BufferHeader(0, 1), {}, kChunk, kT0);
  ASSERT_EQ(empty.outcome, Outcome::kComplete);
  EXPECT_TRUE(empty.message.empty());
  EXPECT_EQ(rb.bytes_reserved(), 0u);
}

TEST(ReassemblyBuffer, KeysThatDifferInAnyFieldReassembleApart) {
  ReassemblyBuffer rb;
  const std::vector<TransactionKey> keys = {{1, 7, 42, false}, {2, 7, 42, false},
                                            {1, 8, 42, false}, {1, 7, 43, false},
                                            {1, 7, 42, true},  {0xFFFFFFFF, 255, 255, true}};
  std::vector<std::vector<uint8_t>> messages;
  for (size_t i = 0; i < keys.size(); ++i)
    messages.push_back(Pattern(17 + i));  // 3 buffers each
  // First buffer of every message, then the rest: none may see another's buffers.
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(AddBuffer(rb, keys[i], messages[i], 0, kT0).outcome, Outcome::kIncomplete);
  }
  EXPECT_EQ(rb.partial_count(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(AddBuffer(rb, keys[i], messages[i], 1, kT0).outcome, Outcome::kIncomplete);
    auto r = AddBuffer(rb, keys[i], messages[i], 2, kT0);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << i;
    EXPECT_EQ(r.message, messages[i]) << i;
  }
}

TEST(TransactionKey, PackedRoundTripsEveryField) {
  for (const TransactionKey& k : {TransactionKey{0, 0, 0, false}, TransactionKey{1, 7, 42, true},
                                  TransactionKey{0xFFFFFFFF, 255, 255, true},
                                  TransactionKey{0x12345678, 0x80, 0x01, false}}) {
    EXPECT_EQ(TransactionKey::Unpack(k.Packed()), k);
  }
  EXPECT_NE(TransactionKey({1, 0, 0, false}).Packed(), TransactionKey({0, 0, 0, true}).Packed());
}

// ---------------------------------------------------------------------------- duplicates

TEST(ReassemblyBuffer, DuplicateBufferIsReportedAndDoesNotCount) {
  ReassemblyBuffer rb;
  const auto message = Pattern(3 * kChunk);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kDuplicate);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kDuplicate);
  // Had the duplicates counted, three buffers would have been "received" by now.
  EXPECT_EQ(AddBuffer(rb, kKey, message, 1, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(rb.Missing(kKey, 10), std::vector<uint16_t>{2});
  auto r = AddBuffer(rb, kKey, message, 2, kT0);
  ASSERT_EQ(r.outcome, Outcome::kComplete);
  EXPECT_EQ(r.message, message);
}

TEST(ReassemblyBuffer, DuplicateDoesNotOverwriteTheBufferAlreadyHeld) {
  ReassemblyBuffer rb;
  const auto message = Pattern(2 * kChunk);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kIncomplete);
  const std::vector<uint8_t> other(kChunk, 0xEE);
  EXPECT_EQ(rb.Add(kKey, BufferHeader(0, 2), other, kChunk, kT0).outcome, Outcome::kDuplicate);
  auto r = AddBuffer(rb, kKey, message, 1, kT0);
  ASSERT_EQ(r.outcome, Outcome::kComplete);
  EXPECT_EQ(r.message, message);
}

// ---------------------------------------------------------------------------- size limit

TEST(ReassemblyBuffer, OversizeMessageIsRefusedOnItsFirstBufferWithoutAllocating) {
  // 14 buffers of 8 bytes carry at least 13 * 8 + 1 = 105 bytes: over a 100-byte limit.
  ReassemblyBuffer rb({.max_message_bytes = 100});
  const auto message = Pattern(14 * kChunk);
  ASSERT_EQ(BuffersFor(message.size()), 14);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 5, kT0).outcome, Outcome::kTooLarge);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
  EXPECT_EQ(rb.partial_count(), 0u);
  EXPECT_FALSE(rb.Has(kKey));
  // Every later buffer of it, the first one again included, is dropped without a word.
  for (uint16_t b : {uint16_t{0}, uint16_t{5}, uint16_t{13}}) {
    EXPECT_EQ(AddBuffer(rb, kKey, message, b, kT0 + seconds(1)).outcome, Outcome::kRejected) << b;
  }
  EXPECT_EQ(rb.bytes_reserved(), 0u);
  EXPECT_EQ(rb.partial_count(), 0u);
}

TEST(ReassemblyBuffer, OversizeMessageWithDefaultLimitsIsRefusedWithoutAllocating) {
  // 65535 buffers of a full datagram's payload: ~32 MiB, far over the 1 MiB default.
  ReassemblyBuffer rb;
  Header h = BufferHeader(0, 65535);
  const size_t chunk = h.PayloadCapacity();
  const std::vector<uint8_t> payload(chunk, 0xAB);
  EXPECT_EQ(rb.Add(kKey, h, payload, chunk, kT0).outcome, Outcome::kTooLarge);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
  h.buffer = 1;
  EXPECT_EQ(rb.Add(kKey, h, payload, chunk, kT0).outcome, Outcome::kRejected);
}

TEST(ReassemblyBuffer, RefusalOfAMessageDoesNotAffectOtherKeys) {
  ReassemblyBuffer rb({.max_message_bytes = 100});
  EXPECT_EQ(AddBuffer(rb, kKey, Pattern(200), 0, kT0).outcome, Outcome::kTooLarge);
  const TransactionKey next{kKey.peer, kKey.session, static_cast<uint8_t>(kKey.transaction + 1),
                            false};
  ExpectReassembles(rb, next, Pattern(100), InOrder(BuffersFor(100)), kT0);
}

TEST(ReassemblyBuffer, RefusalEndsAfterTheTimeoutSoTheKeyCanBeReused) {
  ReassemblyBuffer rb({.max_message_bytes = 100, .timeout = seconds(5)});
  EXPECT_EQ(AddBuffer(rb, kKey, Pattern(200), 0, kT0).outcome, Outcome::kTooLarge);
  EXPECT_EQ(AddBuffer(rb, kKey, Pattern(200), 1, kT0 + seconds(4)).outcome, Outcome::kRejected);
  // Transaction ids wrap: after the timeout the same key names a new message.
  const auto message = Pattern(20);
  ExpectReassembles(rb, kKey, message, InOrder(3), kT0 + seconds(5));
}

TEST(ReassemblyBuffer, MessageOfExactlyTheLimitIsAccepted) {
  // 13 buffers: 12 * 8 + 4 = 100 bytes, the limit exactly.
  ReassemblyBuffer rb({.max_message_bytes = 100});
  const auto message = Pattern(100);
  ExpectReassembles(rb, kKey, message, InOrder(13), kT0);
}

TEST(ReassemblyBuffer, FirstBufferIsRefusedWhenEvenAOneByteLastBufferWouldPassTheLimit) {
  // 13 buffers of 8 bytes carry at least 12 * 8 + 1 = 97 bytes: one over a 96-byte limit.
  ReassemblyBuffer rb({.max_message_bytes = 96});
  const auto message = Pattern(97);
  ASSERT_EQ(BuffersFor(message.size()), 13);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kTooLarge);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
  // 12 full buffers are exactly the limit.
  const TransactionKey next{kKey.peer, kKey.session, static_cast<uint8_t>(kKey.transaction + 1),
                            false};
  ExpectReassembles(rb, next, Pattern(96), InOrder(12), kT0);
}

TEST(ReassemblyBuffer, LastBufferPushingThePayloadPastTheLimitIsTooLarge) {
  // 13 buffers may carry 97..104 bytes, so the first buffer is accepted; the last one
  // decides, and 101 bytes is one too many.
  ReassemblyBuffer rb({.max_message_bytes = 100});
  const auto message = Pattern(101);
  for (uint16_t b = 0; b < 12; ++b) {
    ASSERT_EQ(AddBuffer(rb, kKey, message, b, kT0).outcome, Outcome::kIncomplete) << b;
  }
  EXPECT_LE(rb.bytes_reserved(), 100u);  // never more than the limit, even while partial
  EXPECT_EQ(AddBuffer(rb, kKey, message, 12, kT0).outcome, Outcome::kTooLarge);
  EXPECT_FALSE(rb.Has(kKey));
  EXPECT_EQ(rb.bytes_reserved(), 0u);
  // The sender resends every buffer after the NAK: all are dropped, none reported again.
  EXPECT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kRejected);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 12, kT0).outcome, Outcome::kRejected);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
}

TEST(ReassemblyBuffer, OversizeLastBufferArrivingFirstLeavesNothingBehind) {
  ReassemblyBuffer rb({.max_message_bytes = 100});
  const auto message = Pattern(101);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 12, kT0).outcome, Outcome::kTooLarge);
  EXPECT_EQ(rb.partial_count(), 0u);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
  EXPECT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kRejected);
}

TEST(ReassemblyBuffer, LoneBufferLargerThanTheLimitIsTooLarge) {
  ReassemblyBuffer rb({.max_message_bytes = 4});
  const auto payload = Pattern(5);
  EXPECT_EQ(rb.Add(kKey, BufferHeader(0, 1), payload, kChunk, kT0).outcome, Outcome::kTooLarge);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
}

// ---------------------------------------------------------------------------- budgets

TEST(ReassemblyBuffer, PerPeerBudgetRefusesNewMessagesOfThatPeerOnly) {
  // Each 4-buffer message reserves 32 bytes: two fit the peer's 64, a third does not.
  ReassemblyBuffer rb({.max_partial_bytes_per_peer = 64});
  const auto message = Pattern(4 * kChunk);
  const TransactionKey a{1, 1, 1, false}, b{1, 1, 2, false}, c{1, 1, 3, false};
  EXPECT_EQ(AddBuffer(rb, a, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(AddBuffer(rb, b, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(rb.bytes_reserved(), 64u);
  EXPECT_EQ(AddBuffer(rb, c, message, 0, kT0).outcome, Outcome::kOverBudget);
  EXPECT_FALSE(rb.Has(c));
  EXPECT_EQ(rb.bytes_reserved(), 64u);

  // Another peer has a budget of its own.
  const TransactionKey other{2, 1, 3, false};
  ExpectReassembles(rb, other, message, InOrder(4), kT0);

  // Once one of the peer's messages completes, its room is free again.
  ExpectReassembles(rb, a, message, {1, 2, 3}, kT0);
  EXPECT_EQ(rb.bytes_reserved(), 32u);
  ExpectReassembles(rb, c, message, InOrder(4), kT0);
}

TEST(ReassemblyBuffer, TotalBudgetRefusesEveryPeerOnceFull) {
  ReassemblyBuffer rb({.max_partial_bytes_per_peer = 1000, .max_partial_bytes_total = 64});
  const auto message = Pattern(4 * kChunk);
  const TransactionKey a{1, 1, 1, false}, b{2, 1, 1, false}, c{3, 1, 1, false};
  EXPECT_EQ(AddBuffer(rb, a, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(AddBuffer(rb, b, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(AddBuffer(rb, c, message, 0, kT0).outcome, Outcome::kOverBudget);
  EXPECT_EQ(AddBuffer(rb, c, message, 1, kT0).outcome, Outcome::kOverBudget);
  EXPECT_EQ(rb.bytes_reserved(), 64u);
  // Messages already admitted still complete.
  ExpectReassembles(rb, b, message, {3, 2, 1}, kT0);
  ExpectReassembles(rb, c, message, InOrder(4), kT0);
}

TEST(ReassemblyBuffer, OverBudgetIsNotARefusalOfTheMessage) {
  // kOverBudget means "not now": the same message is taken when it is resent later.
  ReassemblyBuffer rb({.max_partial_bytes_total = 32});
  const auto message = Pattern(4 * kChunk);
  const TransactionKey a{1, 1, 1, false}, b{2, 1, 1, false};
  EXPECT_EQ(AddBuffer(rb, a, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(AddBuffer(rb, b, message, 0, kT0).outcome, Outcome::kOverBudget);
  ExpectReassembles(rb, a, message, {1, 2, 3}, kT0);
  ExpectReassembles(rb, b, message, InOrder(4), kT0);
}

TEST(ReassemblyBuffer, ReservationIsCappedAtTheMessageLimit) {
  // 13 buffers would be 104 bytes at full size; no more than the 100-byte limit is held.
  ReassemblyBuffer rb({.max_message_bytes = 100});
  EXPECT_EQ(AddBuffer(rb, kKey, Pattern(100), 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(rb.bytes_reserved(), 100u);
}

// ---------------------------------------------------------------------------- malformed

TEST(ReassemblyBuffer, NonLastBufferOfTheWrongLengthIsMalformed) {
  ReassemblyBuffer rb;
  const auto short_one = Pattern(kChunk - 1);
  const auto long_one = Pattern(kChunk + 1);
  EXPECT_EQ(rb.Add(kKey, BufferHeader(0, 3), short_one, kChunk, kT0).outcome, Outcome::kMalformed);
  EXPECT_EQ(rb.Add(kKey, BufferHeader(1, 3), long_one, kChunk, kT0).outcome, Outcome::kMalformed);
  EXPECT_EQ(rb.Add(kKey, BufferHeader(1, 3), {}, kChunk, kT0).outcome, Outcome::kMalformed);
  // Refused before anything was reserved.
  EXPECT_EQ(rb.partial_count(), 0u);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
}

TEST(ReassemblyBuffer, EmptyOrOverlongLastBufferIsMalformed) {
  ReassemblyBuffer rb;
  EXPECT_EQ(rb.Add(kKey, BufferHeader(2, 3), {}, kChunk, kT0).outcome, Outcome::kMalformed);
  const auto long_one = Pattern(kChunk + 1);
  EXPECT_EQ(rb.Add(kKey, BufferHeader(2, 3), long_one, kChunk, kT0).outcome, Outcome::kMalformed);
  EXPECT_EQ(rb.partial_count(), 0u);
}

TEST(ReassemblyBuffer, BufferDisagreeingWithTheFirstIsMalformedAndChangesNothing) {
  const auto message = Pattern(3 * kChunk);
  const std::vector<void (*)(Header&)> changes = {
      [](Header& h) { h.buffers = 4; },         [](Header& h) { h.command = 0x0101; },
      [](Header& h) { h.kind = Kind::kReply; }, [](Header& h) { h.va = 0x00100006; },
      [](Header& h) { h.encrypted = true; },    [](Header& h) { h.crc = true; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    ReassemblyBuffer rb;
    ASSERT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kIncomplete);
    const size_t reserved = rb.bytes_reserved();
    Header bad = BufferHeader(1, 3);
    changes[i](bad);
    EXPECT_EQ(rb.Add(kKey, bad, Slice(message, 1), kChunk, kT0).outcome, Outcome::kMalformed)
        << "change " << i;
    EXPECT_EQ(rb.bytes_reserved(), reserved);
    // The bad buffer was not counted: buffer 1 is still missing and still welcome.
    EXPECT_EQ(rb.Missing(kKey, 10), (std::vector<uint16_t>{1, 2})) << "change " << i;
    ExpectReassembles(rb, kKey, message, {1, 2}, kT0);
  }
}

TEST(ReassemblyBuffer, BufferWithADifferentChunkSizeIsMalformed) {
  ReassemblyBuffer rb;
  const auto message = Pattern(3 * kChunk);
  ASSERT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kIncomplete);
  const auto wider = Pattern(kChunk + 2);
  EXPECT_EQ(rb.Add(kKey, BufferHeader(1, 3), wider, kChunk + 2, kT0).outcome, Outcome::kMalformed);
  EXPECT_EQ(rb.Missing(kKey, 10), (std::vector<uint16_t>{1, 2}));
}

TEST(ReassemblyBuffer, SentTimeMayDifferBetweenBuffers) {
  // Every buffer keeps the time of its own first transmission; that is no inconsistency.
  ReassemblyBuffer rb;
  const auto message = Pattern(2 * kChunk);
  Header first = BufferHeader(0, 2);
  first.sent = {10, 0, 0};
  Header second = BufferHeader(1, 2);
  second.sent = {10, 0, 250};
  EXPECT_EQ(rb.Add(kKey, first, Slice(message, 0), kChunk, kT0).outcome, Outcome::kIncomplete);
  auto r = rb.Add(kKey, second, Slice(message, 1), kChunk, kT0);
  ASSERT_EQ(r.outcome, Outcome::kComplete);
  EXPECT_EQ(r.message, message);
}

// ---------------------------------------------------------------------------- expiry

TEST(ReassemblyBuffer, ExpireDropsOnlyPartialsOlderThanTheTimeoutAndReturnsThem) {
  ReassemblyBuffer rb({.timeout = seconds(5)});
  const auto message = Pattern(4 * kChunk);
  const TransactionKey old_key{1, 1, 1, false}, young_key{1, 1, 2, true};
  ASSERT_EQ(AddBuffer(rb, old_key, message, 0, kT0).outcome, Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, young_key, message, 0, kT0 + seconds(3)).outcome, Outcome::kIncomplete);
  EXPECT_EQ(rb.bytes_reserved(), 64u);

  EXPECT_TRUE(rb.Expire(kT0 + seconds(5) - milliseconds(1)).empty());
  EXPECT_EQ(rb.partial_count(), 2u);

  auto expired = rb.Expire(kT0 + seconds(5));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].key, old_key);
  EXPECT_EQ(expired[0].header.command, 0x0100);
  EXPECT_EQ(expired[0].header.transaction, old_key.transaction);
  EXPECT_EQ(expired[0].header.buffers, 4);
  EXPECT_FALSE(rb.Has(old_key));
  EXPECT_TRUE(rb.Has(young_key));
  EXPECT_EQ(rb.bytes_reserved(), 32u);

  expired = rb.Expire(kT0 + seconds(8));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].key, young_key);
  EXPECT_EQ(expired[0].header.kind, Kind::kReply);
  EXPECT_EQ(rb.bytes_reserved(), 0u);
}

TEST(ReassemblyBuffer, ExpiryCountsFromTheFirstBufferNotTheLatest) {
  ReassemblyBuffer rb({.timeout = seconds(5)});
  const auto message = Pattern(4 * kChunk);
  ASSERT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, kKey, message, 1, kT0 + seconds(4)).outcome, Outcome::kIncomplete);
  EXPECT_EQ(rb.Expire(kT0 + seconds(5)).size(), 1u);
  EXPECT_FALSE(rb.Has(kKey));
}

TEST(ReassemblyBuffer, ExpireFreesThePeerBudget) {
  ReassemblyBuffer rb({.max_partial_bytes_per_peer = 32, .timeout = seconds(5)});
  const auto message = Pattern(4 * kChunk);
  const TransactionKey a{1, 1, 1, false}, b{1, 1, 2, false};
  ASSERT_EQ(AddBuffer(rb, a, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(AddBuffer(rb, b, message, 0, kT0 + seconds(1)).outcome, Outcome::kOverBudget);
  ASSERT_EQ(rb.Expire(kT0 + seconds(5)).size(), 1u);
  ExpectReassembles(rb, b, message, InOrder(4), kT0 + seconds(5));
}

TEST(ReassemblyBuffer, NextExpiryIsTheOldestPartialPlusTheTimeout) {
  ReassemblyBuffer rb({.timeout = seconds(5)});
  EXPECT_FALSE(rb.NextExpiry().has_value());
  const auto message = Pattern(4 * kChunk);
  ASSERT_EQ(AddBuffer(rb, {1, 1, 2, false}, message, 0, kT0 + seconds(2)).outcome,
            Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, {1, 1, 1, false}, message, 0, kT0 + seconds(1)).outcome,
            Outcome::kIncomplete);
  ASSERT_TRUE(rb.NextExpiry().has_value());
  EXPECT_EQ(*rb.NextExpiry(), kT0 + seconds(6));
  ASSERT_EQ(rb.Expire(kT0 + seconds(6)).size(), 1u);
  EXPECT_EQ(rb.NextExpiry(), std::optional<TimePoint>(kT0 + seconds(7)));
}

// ---------------------------------------------------------------------------- missing

TEST(ReassemblyBuffer, MissingListsTheGapsLowestFirst) {
  ReassemblyBuffer rb;
  const auto message = Pattern(10 * kChunk);
  for (uint16_t b : {9, 3, 0, 4}) {
    ASSERT_EQ(AddBuffer(rb, kKey, message, b, kT0).outcome, Outcome::kIncomplete);
  }
  EXPECT_EQ(rb.Missing(kKey, 100), (std::vector<uint16_t>{1, 2, 5, 6, 7, 8}));
}

TEST(ReassemblyBuffer, MissingRespectsMax) {
  ReassemblyBuffer rb;
  const auto message = Pattern(10 * kChunk);
  for (uint16_t b : {9, 3, 0, 4}) {
    ASSERT_EQ(AddBuffer(rb, kKey, message, b, kT0).outcome, Outcome::kIncomplete);
  }
  EXPECT_EQ(rb.Missing(kKey, 3), (std::vector<uint16_t>{1, 2, 5}));
  EXPECT_EQ(rb.Missing(kKey, 1), (std::vector<uint16_t>{1}));
  EXPECT_TRUE(rb.Missing(kKey, 0).empty());
}

TEST(ReassemblyBuffer, MissingAcrossManyWordsOfTheBitSet) {
  ReassemblyBuffer rb;
  const auto message = Pattern(200 * kChunk);
  for (uint16_t b = 0; b < 200; ++b) {
    if (b == 63 || b == 64 || b == 130 || b == 199) continue;
    ASSERT_EQ(AddBuffer(rb, kKey, message, b, kT0).outcome, Outcome::kIncomplete);
  }
  EXPECT_EQ(rb.Missing(kKey, 100), (std::vector<uint16_t>{63, 64, 130, 199}));
}

TEST(ReassemblyBuffer, MissingOfAnUnknownMessageIsEmpty) {
  ReassemblyBuffer rb;
  EXPECT_TRUE(rb.Missing(kKey, 100).empty());
}

// ---------------------------------------------------------------------------- stalls

struct StallReport {
  TransactionKey key;
  Duration idle_for;
};

std::vector<StallReport> Stalled(ReassemblyBuffer& rb, TimePoint now, Duration idle) {
  std::vector<StallReport> out;
  rb.ForEachStalled(now, idle, [&](const TransactionKey& key, const Header&, Duration idle_for) {
    out.push_back({key, idle_for});
  });
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return x.key.Packed() < y.key.Packed(); });
  return out;
}

TEST(ReassemblyBuffer, ForEachStalledReportsOnlyPartialsIdleForAtLeastIdle) {
  ReassemblyBuffer rb;
  const auto message = Pattern(4 * kChunk);
  const TransactionKey a{1, 1, 1, false}, b{1, 1, 2, false};
  ASSERT_EQ(AddBuffer(rb, a, message, 0, kT0).outcome, Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, b, message, 0, kT0 + seconds(1)).outcome, Outcome::kIncomplete);

  auto stalled = Stalled(rb, kT0 + seconds(2), milliseconds(1500));
  ASSERT_EQ(stalled.size(), 1u);
  EXPECT_EQ(stalled[0].key, a);
  EXPECT_EQ(stalled[0].idle_for, seconds(2));

  stalled = Stalled(rb, kT0 + seconds(2), seconds(1));  // b is idle exactly 1 s
  ASSERT_EQ(stalled.size(), 2u);
  EXPECT_EQ(stalled[1].key, b);
  EXPECT_EQ(stalled[1].idle_for, seconds(1));

  EXPECT_TRUE(Stalled(rb, kT0 + seconds(2), seconds(3)).empty());
}

TEST(ReassemblyBuffer, NewBufferRestartsTheIdleClock) {
  ReassemblyBuffer rb;
  const auto message = Pattern(4 * kChunk);
  ASSERT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, kKey, message, 2, kT0 + seconds(2)).outcome, Outcome::kIncomplete);
  EXPECT_TRUE(Stalled(rb, kT0 + seconds(2) + milliseconds(500), seconds(1)).empty());
  EXPECT_EQ(Stalled(rb, kT0 + seconds(3), seconds(1)).size(), 1u);
}

TEST(ReassemblyBuffer, DuplicateDoesNotRestartTheIdleClock) {
  ReassemblyBuffer rb;
  const auto message = Pattern(4 * kChunk);
  ASSERT_EQ(AddBuffer(rb, kKey, message, 0, kT0).outcome, Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, kKey, message, 0, kT0 + seconds(2)).outcome, Outcome::kDuplicate);
  auto stalled = Stalled(rb, kT0 + seconds(2), seconds(1));
  ASSERT_EQ(stalled.size(), 1u);
  EXPECT_EQ(stalled[0].idle_for, seconds(2));
}

TEST(ReassemblyBuffer, MarkPromptedRestartsTheIdleClock) {
  ReassemblyBuffer rb;
  const auto message = Pattern(4 * kChunk);
  const TransactionKey a{1, 1, 1, false}, b{1, 1, 2, false};
  ASSERT_EQ(AddBuffer(rb, a, message, 0, kT0).outcome, Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, b, message, 0, kT0).outcome, Outcome::kIncomplete);

  rb.MarkPrompted(a, kT0 + seconds(2));
  auto stalled = Stalled(rb, kT0 + seconds(2) + milliseconds(500), seconds(1));
  ASSERT_EQ(stalled.size(), 1u);
  EXPECT_EQ(stalled[0].key, b);

  stalled = Stalled(rb, kT0 + seconds(3), seconds(1));
  ASSERT_EQ(stalled.size(), 2u);
  EXPECT_EQ(stalled[0].key, a);
  EXPECT_EQ(stalled[0].idle_for, seconds(1));

  rb.MarkPrompted({9, 9, 9, false}, kT0);  // unknown: no effect, no partial created
  EXPECT_EQ(rb.partial_count(), 2u);
}

TEST(ReassemblyBuffer, ForEachStalledLetsTheCallbackAskMissingAndMarkPrompted) {
  ReassemblyBuffer rb;
  const auto message = Pattern(4 * kChunk);
  ASSERT_EQ(AddBuffer(rb, kKey, message, 1, kT0).outcome, Outcome::kIncomplete);
  std::vector<uint16_t> missing;
  Header seen;
  const TimePoint now = kT0 + seconds(2);
  rb.ForEachStalled(now, seconds(1), [&](const TransactionKey& key, const Header& h, Duration) {
    seen = h;
    missing = rb.Missing(key, 10);
    rb.MarkPrompted(key, now);
  });
  EXPECT_EQ(missing, (std::vector<uint16_t>{0, 2, 3}));
  EXPECT_EQ(seen.buffers, 4);
  EXPECT_EQ(seen.command, 0x0100);
  EXPECT_TRUE(Stalled(rb, now + milliseconds(999), seconds(1)).empty());
}

// ---------------------------------------------------------------------------- peers

TEST(ReassemblyBuffer, DropPeerFreesOnlyThatPeer) {
  ReassemblyBuffer rb({.max_partial_bytes_per_peer = 64});
  const auto message = Pattern(4 * kChunk);
  const TransactionKey a1{1, 1, 1, false}, a2{1, 2, 1, true}, b{2, 1, 1, false};
  ASSERT_EQ(AddBuffer(rb, a1, message, 0, kT0).outcome, Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, a2, message, 0, kT0).outcome, Outcome::kIncomplete);
  ASSERT_EQ(AddBuffer(rb, b, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(rb.bytes_reserved(), 96u);

  rb.DropPeer(1);
  EXPECT_FALSE(rb.Has(a1));
  EXPECT_FALSE(rb.Has(a2));
  EXPECT_TRUE(rb.Has(b));
  EXPECT_EQ(rb.partial_count(), 1u);
  EXPECT_EQ(rb.bytes_reserved(), 32u);

  // Peer 1's whole budget is free again, and peer 2's message is untouched.
  const TransactionKey a3{1, 3, 1, false}, a4{1, 3, 2, false};
  EXPECT_EQ(AddBuffer(rb, a3, message, 0, kT0).outcome, Outcome::kIncomplete);
  EXPECT_EQ(AddBuffer(rb, a4, message, 0, kT0).outcome, Outcome::kIncomplete);
  ExpectReassembles(rb, b, message, {1, 2, 3}, kT0);

  rb.DropPeer(7);  // unknown peer: nothing happens
  EXPECT_EQ(rb.partial_count(), 2u);
}

}  // namespace
}  // namespace dabs::mp
