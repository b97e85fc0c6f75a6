#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/proc_parsers.h>
#include <dabs/statistics/proc_source.h>

namespace dabs::statistics {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system's temporary directory, removed afterwards.
class FakeTree : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "dabs-proc-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& path, const std::string& text) {
    const fs::path full = root_ / path.substr(1);
    fs::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary) << text;
  }
  fs::path root_;
};

TEST_F(FakeTree, ReadsAFileUnderTheRoot) {
  Write("/proc/stat", "cpu 1 2 3 4\n");
  FsProcSource source(root_.string());
  auto text = source.ReadFile("/proc/stat");
  ASSERT_TRUE(text.ok()) << text.error().Message();
  EXPECT_EQ(*text, "cpu 1 2 3 4\n");
}

TEST_F(FakeTree, AnswersNotFoundForAMissingFile) {
  FsProcSource source(root_.string());
  auto text = source.ReadFile("/sys/fs/cgroup/cpu.max");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.code(), Errc::kNotFound);
  EXPECT_NE(text.error().detail.find("cpu.max"), std::string::npos);
}

TEST_F(FakeTree, RefusesAFileOverTheSizeLimit) {
  Write("/proc/stat", std::string(kMaxSourceFileBytes + 1, 'x'));
  FsProcSource source(root_.string());
  EXPECT_EQ(source.ReadFile("/proc/stat").code(), Errc::kTooLarge);
  Write("/proc/stat", std::string(kMaxSourceFileBytes, 'x'));
  EXPECT_TRUE(source.ReadFile("/proc/stat").ok());
}

TEST_F(FakeTree, ReadingADirectoryIsAnIoError) {
  Write("/proc/net/dev", "x");
  FsProcSource source(root_.string());
  EXPECT_EQ(source.ReadFile("/proc/net").code(), Errc::kIo);
}

TEST_F(FakeTree, StatFsReportsTheSpaceOfTheTree) {
  FsProcSource source(root_.string());
  auto space = source.StatFs("/");
  ASSERT_TRUE(space.ok()) << space.error().Message();
  EXPECT_GT(space->total_bytes, 0u);
  EXPECT_LE(space->available_bytes, space->total_bytes);
  EXPECT_EQ(source.StatFs("/no/such/dir").code(), Errc::kNotFound);
}

TEST(FsProcSource, ReadsThisMachinesProcFiles) {
  FsProcSource source;
  auto stat = source.ReadFile("/proc/stat");
  ASSERT_TRUE(stat.ok()) << stat.error().Message();
  auto parsed = ParseProcStat(*stat);
  ASSERT_TRUE(parsed.ok()) << parsed.error().Message();
  EXPECT_GE(parsed->cores.size(), 1u);
  auto meminfo = source.ReadFile("/proc/meminfo");
  ASSERT_TRUE(meminfo.ok());
  EXPECT_TRUE(ParseMeminfo(*meminfo).ok());
  auto net = source.ReadFile("/proc/net/dev");
  ASSERT_TRUE(net.ok());
  EXPECT_TRUE(ParseNetDev(*net).ok());
}

}  // namespace
}  // namespace dabs::statistics
