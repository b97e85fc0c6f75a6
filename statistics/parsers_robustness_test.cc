// Every parser answers every input without crashing (ASan and UBSan watch): truncations and
// single-byte damage of real files, and random bytes. The fuzz-friendly contract of
// proc_parsers.h, checked deterministically.
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/mp/clock.h>
#include <dabs/statistics/errc.h>
#include <dabs/statistics/proc_parsers.h>

#include "canned_proc.h"

namespace dabs::statistics {
namespace {

// Runs `parse` and answers whether it failed with one of our codes (and not something else).
using Parser = std::function<std::error_code(std::string_view)>;

struct Case {
  const char* name;
  std::string_view sample;
  Parser parse;
};

std::vector<Case> Cases() {
  return {
      {"stat", canned::kProcStat, [](std::string_view t) { return ParseProcStat(t).code(); }},
      {"meminfo", canned::kMeminfo, [](std::string_view t) { return ParseMeminfo(t).code(); }},
      {"net/dev", canned::kNetDev, [](std::string_view t) { return ParseNetDev(t).code(); }},
      {"diskstats", canned::kDiskstats,
       [](std::string_view t) { return ParseDiskstats(t).code(); }},
      {"cpu.max", canned::kCgroupCpuMax,
       [](std::string_view t) { return ParseCgroupCpuMax(t).code(); }},
      {"cpu.stat", canned::kCgroupCpuStat,
       [](std::string_view t) { return ParseCgroupCpuUsageUs(t).code(); }},
      {"memory.max", canned::kCgroupMemoryMax,
       [](std::string_view t) { return ParseCgroupMemoryMax(t).code(); }},
      {"memory.stat", canned::kCgroupMemoryStat,
       [](std::string_view t) { return ParseCgroupInactiveFile(t).code(); }},
      {"speed", "1000\n", [](std::string_view t) { return ParseLinkSpeed(t).code(); }},
  };
}

void ExpectOursOrOk(std::error_code code, const char* name, const std::string& input) {
  if (!code) return;
  EXPECT_EQ(&code.category(), &StatisticsCategory()) << name;
  EXPECT_TRUE(code == Errc::kMalformed || code == Errc::kTooLarge)
      << name << ": " << code.message() << " for " << input.size() << " bytes";
}

TEST(ParserRobustness, EveryTruncationOfARealFileParsesOrFailsCleanly) {
  for (const auto& c : Cases()) {
    ASSERT_FALSE(c.parse(c.sample)) << c.name << " refuses its own sample";
    for (size_t n = 0; n < c.sample.size(); ++n) {
      const std::string prefix(c.sample.substr(0, n));
      ExpectOursOrOk(c.parse(prefix), c.name, prefix);
    }
  }
}

TEST(ParserRobustness, EverySingleByteDamageParsesOrFailsCleanly) {
  const std::string replacements("\0 \n\t:x9-|", 9);
  for (const auto& c : Cases()) {
    std::string text(c.sample);
    for (size_t i = 0; i < text.size(); ++i) {
      const char original = text[i];
      for (char r : replacements) {
        text[i] = r;
        ExpectOursOrOk(c.parse(text), c.name, text);
      }
      text[i] = original;
    }
  }
}

TEST(ParserRobustness, RandomBytesParseOrFailCleanly) {
  mp::SeededRandom random(6);
  const std::string alphabet("0123456789 \n:-|cpuMemTotalkBethx\t\0", 35);
  for (const auto& c : Cases()) {
    for (int round = 0; round < 300; ++round) {
      std::string text(random.Below(400), ' ');
      for (char& ch : text)
        ch = alphabet[random.Below(alphabet.size())];
      ExpectOursOrOk(c.parse(text), c.name, text);
    }
  }
}

TEST(ParserRobustness, ErrorsReadAsStatisticsErrors) {
  const std::error_code code = make_error_code(Errc::kMalformed);
  EXPECT_STREQ(code.category().name(), "dabs.statistics");
  EXPECT_EQ(code.message(), "malformed statistics source");
  EXPECT_EQ(make_error_code(Errc::kNotReady).message(), "figures need a second reading");
}

}  // namespace
}  // namespace dabs::statistics
