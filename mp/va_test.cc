#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/mp/errc.h>
#include <dabs/mp/va.h>

namespace dabs::mp {
namespace {

// ---------------------------------------------------------------------------- numbers

TEST(Va, ReservedValuesMatchTheSpec) {
  EXPECT_EQ(kVaNone, 0x00000000u);
  EXPECT_EQ(kVaLbGroup, 0x00000001u);
  EXPECT_EQ(kVaStatsGroup, 0x00000002u);
  EXPECT_EQ(kVaConfigGroup, 0x00000003u);
  for (Va va = 0; va <= 0xFF; ++va)
    EXPECT_TRUE(IsReservedVa(va)) << va;
  EXPECT_FALSE(IsReservedVa(0x100));
  EXPECT_FALSE(IsReservedVa(0xFFFFFFFF));
}

TEST(Va, OnlyTheThreeFarmGroupsAreGroupVas) {
  EXPECT_FALSE(IsGroupVa(kVaNone));
  EXPECT_TRUE(IsGroupVa(kVaLbGroup));
  EXPECT_TRUE(IsGroupVa(kVaStatsGroup));
  EXPECT_TRUE(IsGroupVa(kVaConfigGroup));
  EXPECT_FALSE(IsGroupVa(0x04));
  EXPECT_FALSE(IsGroupVa(MakeVa(1, 1)));
}

TEST(Va, ServerIndexIsTheUpper12BitsAndCounterTheLower20) {
  EXPECT_EQ(MakeVa(1, 5), 0x00100005u);
  EXPECT_EQ(MakeVa(0xABC, 0x12345), 0xABC12345u);
  EXPECT_EQ(MakeVa(kMaxServerIndex, kVaCounterMask), 0xFFFFFFFFu);
  EXPECT_EQ(ServerIndexOf(0xABC12345), 0xABC);
  EXPECT_EQ(CounterOf(0xABC12345), 0x12345u);
}

TEST(Va, MakeVaRoundTripsThroughServerIndexOfAndCounterOf) {
  for (uint16_t server : {uint16_t{1}, uint16_t{2}, uint16_t{77}, kMaxServerIndex}) {
    for (uint32_t counter : {0u, 1u, 0x7FFFFu, 0x80000u, kVaCounterMask}) {
      const Va va = MakeVa(server, counter);
      EXPECT_EQ(ServerIndexOf(va), server) << server << "/" << counter;
      EXPECT_EQ(CounterOf(va), counter) << server << "/" << counter;
    }
  }
}

TEST(Va, AllocatedVasNeverFallInTheReservedRange) {
  // The smallest VA a server can hand out is server 1, counter 0.
  EXPECT_FALSE(IsReservedVa(MakeVa(1, 0)));
  EXPECT_GT(MakeVa(1, 0), kVaLastReserved);
}

// ---------------------------------------------------------------------------- allocator

TEST(VaAllocator, HandsOutConsecutiveCountersUnderItsServerIndex) {
  VaAllocator alloc(7);
  EXPECT_EQ(alloc.server_index(), 7);
  EXPECT_EQ(alloc.next_counter(), 0u);
  for (uint32_t i = 0; i < 5; ++i) {
    auto va = alloc.Next();
    ASSERT_TRUE(va.ok());
    EXPECT_EQ(*va, MakeVa(7, i));
    EXPECT_EQ(ServerIndexOf(*va), 7);
  }
  EXPECT_EQ(alloc.next_counter(), 5u);
}

TEST(VaAllocator, ResumesFromTheGivenCounter) {
  VaAllocator alloc(2, 1000);
  auto va = alloc.Next();
  ASSERT_TRUE(va.ok());
  EXPECT_EQ(*va, 0x002003E8u);
  EXPECT_EQ(alloc.next_counter(), 1001u);
}

TEST(VaAllocator, ExhaustsAfterTwoToTheTwentyVas) {
  VaAllocator alloc(4095);
  uint32_t handed_out = 0;
  bool in_sequence = true;
  while (true) {
    auto va = alloc.Next();
    if (!va.ok()) {
      EXPECT_EQ(va.code(), Errc::kLimitExceeded);
      EXPECT_FALSE(va.error().detail.empty());
      break;
    }
    in_sequence = in_sequence && *va == MakeVa(4095, handed_out);
    ++handed_out;
    ASSERT_LE(handed_out, 1u << 20);  // never more, never wrapping to counter 0
  }
  EXPECT_EQ(handed_out, 1u << 20);
  EXPECT_TRUE(in_sequence);
  // And it stays exhausted.
  EXPECT_EQ(alloc.Next().code(), Errc::kLimitExceeded);
}

TEST(VaAllocator, ResumingAtTheLastCounterGivesOneMoreVa) {
  VaAllocator alloc(3, kVaCounterMask);
  auto last = alloc.Next();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, MakeVa(3, kVaCounterMask));
  EXPECT_EQ(alloc.Next().code(), Errc::kLimitExceeded);
}

// ---------------------------------------------------------------------------- URIs

TEST(VaUri, ParsesTheSpecExample) {
  auto uri = VaUri::Parse("mp://headend-a/calculator/3");
  ASSERT_TRUE(uri.ok()) << uri.error().Message();
  EXPECT_EQ(uri->farm, "headend-a");
  EXPECT_EQ(uri->app, "calculator");
  EXPECT_EQ(uri->instance, 3u);
}

TEST(VaUri, FormatsTheSpecExample) {
  const VaUri uri{"headend-a", "calculator", 3};
  EXPECT_EQ(uri.ToString(), "mp://headend-a/calculator/3");
}

TEST(VaUri, RoundTripsBothWays) {
  for (std::string_view text : {"mp://headend-a/calculator/3", "mp://F/a/0",
                                "mp://farm.example_1/my-app.v2/4294967295", "mp://0/9/12"}) {
    auto uri = VaUri::Parse(text);
    ASSERT_TRUE(uri.ok()) << text;
    EXPECT_EQ(uri->ToString(), text);
    auto again = VaUri::Parse(uri->ToString());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *uri);
  }
}

TEST(VaUri, RejectsBadUris) {
  const std::vector<std::string> bad = {
      "",
      "headend-a/calculator/3",                           // no scheme
      "http://headend-a/calculator/3",                    // another scheme
      "mp:/headend-a/calculator/3",                       // half a scheme
      "mp://",                                            // nothing after it
      "mp://headend-a",                                   // no application
      "mp://headend-a/calculator",                        // no instance
      "mp:///calculator/3",                               // empty farm
      "mp://headend-a//3",                                // empty application
      "mp://headend-a/calculator/",                       // empty instance
      "mp://head end/calculator/3",                       // bad character in the farm
      "mp://headend-a/calc:ulator/3",                     // bad character in the application
      "mp://headend-a/calcul\xC3\xA4tor/3",               // non-ASCII
      "mp://headend-a/calculator/x",                      // non-numeric instance
      "mp://headend-a/calculator/3x",                     // trailing junk
      "mp://headend-a/calculator/-1",                     // negative
      "mp://headend-a/calculator/+1",                     // signed
      "mp://headend-a/calculator/ 3",                     // space
      "mp://headend-a/calculator/3/4",                    // an extra part
      "mp://headend-a/calculator/4294967296",             // overflows 32 bits
      "mp://headend-a/calculator/99999999999",            // overflows further
      "mp://" + std::string(256, 'f') + "/calculator/3",  // farm name too long
  };
  for (const std::string& text : bad) {
    auto uri = VaUri::Parse(text);
    ASSERT_FALSE(uri.ok()) << "'" << text << "' was accepted";
    EXPECT_EQ(uri.code(), Errc::kMalformed) << text;
    EXPECT_NE(uri.error().detail.find(text), std::string::npos) << uri.error().detail;
  }
}

TEST(VaUri, NamesOf255CharactersAreAccepted) {
  const std::string name(255, 'n');
  auto uri = VaUri::Parse("mp://" + name + "/" + name + "/1");
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->farm, name);
  EXPECT_EQ(uri->app, name);
}

// ---------------------------------------------------------------------------- text

TEST(FormatVa, IsZeroPaddedHex) {
  EXPECT_EQ(FormatVa(0x00100005), "0x00100005");
  EXPECT_EQ(FormatVa(kVaNone), "0x00000000");
  EXPECT_EQ(FormatVa(kVaLbGroup), "0x00000001");
  EXPECT_EQ(FormatVa(0xDEADBEEF), "0xdeadbeef");
}

}  // namespace
}  // namespace dabs::mp
