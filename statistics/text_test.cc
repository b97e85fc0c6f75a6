#include "text.h"

#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>

namespace dabs::statistics::text {
namespace {

TEST(Text, LinesAreNumberedFromOneAndTheLastNeedsNoNewline) {
  Lines lines("a\n\nb");
  std::string_view line;
  ASSERT_TRUE(lines.Next(line));
  EXPECT_EQ(line, "a");
  ASSERT_TRUE(lines.Next(line));
  EXPECT_EQ(line, "");
  ASSERT_TRUE(lines.Next(line));
  EXPECT_EQ(line, "b");
  EXPECT_EQ(lines.number(), 3u);
  EXPECT_FALSE(lines.Next(line));
}

TEST(Text, FieldsSplitOnAnyRunOfWhitespace) {
  Fields fields("  cpu0\t 12  34 \r");
  std::string_view f;
  std::vector<std::string_view> all;
  while (fields.Next(f))
    all.push_back(f);
  EXPECT_EQ(all, (std::vector<std::string_view>{"cpu0", "12", "34"}));
}

TEST(Text, NumbersMustBeWholeDecimalAndInRange) {
  uint64_t u = 0;
  EXPECT_TRUE(ParseU64("18446744073709551615", u));
  EXPECT_EQ(u, UINT64_MAX);
  EXPECT_FALSE(ParseU64("18446744073709551616", u));
  for (std::string_view bad : {"", "-1", "+1", "1x", " 1", "0x10"})
    EXPECT_FALSE(ParseU64(bad, u));
  int64_t i = 0;
  EXPECT_TRUE(ParseI64("-1", i));
  EXPECT_EQ(i, -1);
  EXPECT_FALSE(ParseI64("--1", i));
}

TEST(Text, ErrorsNameTheFileAndLineAndQuoteSafely) {
  const Error e = Malformed("/proc/stat", 3, "bad " + Quote(std::string(40, 'z') + "\x01"));
  EXPECT_EQ(e.code, Errc::kMalformed);
  EXPECT_EQ(e.detail, "/proc/stat line 3: bad '" + std::string(32, 'z') + "...'");
  EXPECT_EQ(Quote("a\x01"), "'a?'");
  EXPECT_EQ(TooMany("/proc/net/dev", "interfaces", 7).code, Errc::kTooLarge);
}

}  // namespace
}  // namespace dabs::statistics::text
