// For dabsctl's integration tests: a temporary state directory with a store filled as the
// daemons fill it, the spec's example farm file with what it names, and a way to run the
// real dabsctl and read what it printed.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/store/records.h>
#include <dabs/store/store.h>

extern char** environ;

namespace dabs::ctl::testing {

namespace fs = std::filesystem;
using nlohmann::json;

struct CtlRun {
  int exit_code = -1;
  std::string out, err;
  // stdout as JSON (null if it is not one document).
  json Json() const { return json::parse(out, nullptr, false); }
};

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs dabsctl with `args`, `input` on its stdin and `env` added to the environment (with
// DABS_STATE_DIR removed unless given), in `cwd` if given, and waits for it.
inline CtlRun RunCtl(const std::vector<std::string>& args, const std::string& input = "",
                     const std::vector<std::string>& env = {}, const fs::path& cwd = {}) {
  char dir_template[] = "/tmp/dabsctl-run-XXXXXX";
  const fs::path io = ::mkdtemp(dir_template);
  std::ofstream(io / "in") << input;
  std::vector<std::string> argv_text{DABS_CTL};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text = env;
  for (char** e = environ; *e; ++e) {
    if (std::string(*e).rfind("DABS_STATE_DIR=", 0) != 0) env_text.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_text)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, (io / "in").c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, 1, (io / "out").c_str(), O_WRONLY | O_CREAT, 0600);
  posix_spawn_file_actions_addopen(&files, 2, (io / "err").c_str(), O_WRONLY | O_CREAT, 0600);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&files, cwd.c_str());
  pid_t pid = 0;
  CtlRun run;
  if (posix_spawn(&pid, DABS_CTL, &files, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&files);
  run.out = ReadFile(io / "out");
  run.err = ReadFile(io / "err");
  fs::remove_all(io);
  return run;
}

// A fresh directory per test, removed afterwards, with helpers to fill server stores.
class CtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/dabsctl-test-XXXXXX";
    root_ = ::mkdtemp(dir_template);
  }
  void TearDown() override {
    stores_.clear();
    fs::remove_all(root_);
  }

  // The store of the server whose state directory is `dir` (opened once per test).
  store::Store& StoreAt(const fs::path& dir) {
    for (auto& [d, s] : stores_) {
      if (d == dir) return *s;
    }
    auto s = store::Store::Open(dir / "store");
    EXPECT_TRUE(s.ok()) << s.error().Message();
    stores_.emplace_back(dir, std::move(*s));
    return *stores_.back().second;
  }
  void Put(const fs::path& dir, store::Database db, const std::string& key,
           const std::string& value) {
    Status s = StoreAt(dir).Write([&](store::WriteTxn& t) { return t.Put(db, key, value); });
    ASSERT_TRUE(s.ok()) << s.error().Message();
  }
  void Delete(const fs::path& dir, store::Database db, const std::string& key) {
    Status s = StoreAt(dir).Write([&](store::WriteTxn& t) -> Status {
      auto d = t.Delete(db, key);
      return d ? Status::Ok() : Status(d.error());
    });
    ASSERT_TRUE(s.ok()) << s.error().Message();
  }
  // As dabs-lbd records a member (and itself, with self).
  void PutServer(const fs::path& dir, const store::ServerRecord& r) {
    Put(dir, store::Database::kServers, r.id, store::ToJson(r));
  }
  // As dabs-lbd records a DASP instance in the directory (with its URI key).
  void PutDirectory(const fs::path& dir, const store::DirectoryRecord& r) {
    Put(dir, store::Database::kDirectory, "va/" + store::VaKey(r.va), store::ToJson(r));
    if (!r.uri.empty()) Put(dir, store::Database::kDirectory, "uri/" + r.uri, store::VaKey(r.va));
  }

  // The spec's example farm file, in etc/ beside the executable and key it names.
  fs::path ExampleFarm() {
    std::ifstream in(DABS_EXAMPLE_FARM);
    std::stringstream s;
    s << in.rdbuf();
    const std::string doc = s.str();
    const auto start = doc.find("```yaml\n") + 8;
    return WriteFarm(doc.substr(start, doc.find("```", start) - start));
  }
  fs::path WriteFarm(const std::string& text, const std::string& name = "farm.yaml") {
    fs::create_directories(root_ / "etc");
    fs::create_directories(root_ / "build" / "bin");
    const fs::path dasp = root_ / "build" / "bin" / "calculator-dasp";
    std::ofstream(dasp) << "#!/bin/sh\n";
    fs::permissions(dasp, fs::perms::owner_all);
    std::ofstream(root_ / "etc" / "farm.key") << "key\n";
    std::ofstream(root_ / "etc" / name) << text;
    return root_ / "etc" / name;
  }

  fs::path root_;
  std::vector<std::pair<fs::path, std::unique_ptr<store::Store>>> stores_;
};

}  // namespace dabs::ctl::testing
