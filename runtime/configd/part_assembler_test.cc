// Putting configurations in parts back together, within its bounds.
#include "part_assembler.h"

#include <gtest/gtest.h>

namespace dabs::configd {
namespace {

SyncMessage Part(uint64_t version, uint16_t part, uint16_t parts, size_t bytes = 300) {
  SyncMessage m;
  m.kind = Heard::kPart;
  m.id = {version, "s1", std::string(64, 'a')};
  m.part = part;
  m.parts = parts;
  m.data.assign(bytes, static_cast<uint8_t>('A' + part));
  return m;
}

TimePoint At(int ms) {
  return TimePoint{} + milliseconds(ms);
}

TEST(PartAssembler, CompletesWhenEveryPartIsThereInPartOrder) {
  PartAssembler a(AssemblyLimits{});
  EXPECT_EQ(a.Add(Part(1, 2, 3, 1), At(0)).outcome, PartAssembler::Outcome::kIncomplete);
  EXPECT_EQ(a.Add(Part(1, 0, 3, 1), At(1)).outcome, PartAssembler::Outcome::kIncomplete);
  EXPECT_EQ(a.Add(Part(1, 0, 3, 1), At(2)).outcome, PartAssembler::Outcome::kIncomplete);
  auto done = a.Add(Part(1, 1, 3, 1), At(3));
  ASSERT_EQ(done.outcome, PartAssembler::Outcome::kComplete);
  EXPECT_EQ(std::string(done.whole.begin(), done.whole.end()), "ABC");
  EXPECT_EQ(a.size(), 0u);
}

TEST(PartAssembler, AConfigurationOverTheLimitIsRejectedAndForgotten) {
  PartAssembler a(AssemblyLimits{1000, 4, milliseconds(5000)});
  EXPECT_EQ(a.Add(Part(1, 0, 5, 400), At(0)).outcome, PartAssembler::Outcome::kIncomplete);
  EXPECT_EQ(a.Add(Part(1, 1, 5, 400), At(0)).outcome, PartAssembler::Outcome::kIncomplete);
  EXPECT_EQ(a.Add(Part(1, 2, 5, 400), At(0)).outcome, PartAssembler::Outcome::kRejected);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.bytes(), 0u);
}

TEST(PartAssembler, MorePartsThanTheLimitCouldNeedAreRejectedAtOnce) {
  PartAssembler a(AssemblyLimits{1 << 20, 4, milliseconds(5000)});
  EXPECT_EQ(a.Add(Part(1, 0, 65535, 1), At(0)).outcome, PartAssembler::Outcome::kRejected);
  EXPECT_EQ(a.size(), 0u);
}

TEST(PartAssembler, TheLeastRecentlyFedAssemblyMakesRoomForANewOne) {
  PartAssembler a(AssemblyLimits{1 << 20, 2, milliseconds(5000)});
  (void)a.Add(Part(1, 0, 2), At(0));
  (void)a.Add(Part(2, 0, 2), At(1));
  (void)a.Add(Part(1, 0, 2), At(2));  // a copy does not feed it
  (void)a.Add(Part(3, 0, 2), At(3));  // version 1 goes
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.Add(Part(1, 1, 2), At(4)).outcome, PartAssembler::Outcome::kIncomplete);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_LE(a.bytes(), 2u * 2 * 300);
}

TEST(PartAssembler, IdleAssembliesExpire) {
  PartAssembler a(AssemblyLimits{1 << 20, 4, milliseconds(5000)});
  (void)a.Add(Part(1, 0, 2), At(0));
  (void)a.Add(Part(2, 0, 2), At(3000));
  a.Expire(At(5001));
  EXPECT_EQ(a.size(), 1u);
  a.Expire(At(8001));
  EXPECT_EQ(a.size(), 0u);
}

TEST(PartAssembler, AssembliesNoNewerThanOursAreDropped) {
  PartAssembler a(AssemblyLimits{});
  (void)a.Add(Part(4, 0, 2), At(0));
  (void)a.Add(Part(6, 0, 2), At(0));
  a.DropNotNewer({5, "s1", std::string(64, 'a')});
  EXPECT_EQ(a.size(), 1u);
}

}  // namespace
}  // namespace dabs::configd
