// Test-only: a Supervisor over a real store in a temporary directory, with the fake
// launcher, a manual scheduler and a fake clock, and one-line reads of its records.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/farm/supervisor.h>
#include <dabs/farm/testing/fake_launcher.h>
#include <dabs/farm/testing/manual_scheduler.h>
#include <dabs/mp/testing/fake_clock.h>
#include <dabs/store/audit.h>
#include <dabs/store/records.h>
#include <dabs/store/store.h>

namespace dabs::farm::testing {

using namespace std::chrono_literals;

// A fresh directory under /tmp, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/dabs-supervisor-test-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::optional<store::DaspRecord> ReadRecord(const store::Store& s, mp::Va va) {
  std::optional<store::DaspRecord> out;
  Status st = s.Read([&](const store::ReadTxn& txn) -> Status {
    auto v = txn.Get(store::Database::kDasps, store::VaKey(va));
    if (!v) return v.error();
    if (*v) {
      auto r = store::DaspRecordFromJson(**v);
      if (!r) return r.error();
      out = *r;
    }
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.error().Message();
  return out;
}

inline Status WriteRecord(store::Store& s, const store::DaspRecord& r) {
  return s.Write([&](store::WriteTxn& txn) {
    return txn.Put(store::Database::kDasps, store::VaKey(r.va), store::ToJson(r));
  });
}

inline std::vector<store::AuditRecord> AuditTrail(const store::Store& s) {
  std::vector<store::AuditRecord> out;
  Status st = s.Read([&](const store::ReadTxn& txn) {
    out.clear();
    return store::ForEachAudit(txn, 1, [&](const store::AuditRecord& a) {
      out.push_back(a);
      return true;
    });
  });
  EXPECT_TRUE(st.ok()) << st.error().Message();
  return out;
}

inline int Count(const std::vector<std::string>& argv, const std::string& arg) {
  return static_cast<int>(std::count(argv.begin(), argv.end(), arg));
}

inline config::AppEntry EchoApp(uint32_t instances_per_process = 2, uint32_t start_at_init = 0) {
  config::AppEntry app;
  app.name = "echo";
  app.dasp = "/opt/dabs/bin/echo-dasp";
  app.instances_per_process = instances_per_process;
  app.start_at_init = start_at_init;
  return app;
}

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto opened = store::Store::Open(dir_.path() / "store");
    ASSERT_TRUE(opened) << opened.error().Message();
    store_ = std::move(*opened);
    options_.command.state_dir = dir_.path() / "state";
    options_.command.server_id = "s1";
    options_.farm_name = "headend-a";
    options_.env = {"PATH=/usr/bin"};
  }

  // Builds the supervisor (again, as a restarted dabs-lbd would).
  void Make() {
    supervisor_.reset();
    supervisor_ = std::make_unique<Supervisor>(
        SupervisorDeps{*store_, launcher_, scheduler_, clock_,
                       [this]() -> Result<mp::Va> { return mp::MakeVa(1, next_counter_++); },
                       [this](const AppFailure& f) { failures_.push_back(f); },
                       with_channel_
                           ? std::function<void(const ShutdownRequest&)>(
                                 [this](const ShutdownRequest& r) { shutdowns_.push_back(r); })
                           : nullptr},
        options_);
  }

  // Starts one process of `app`; fails the test if it cannot.
  ProcessInfo Start(const config::AppEntry& app, uint32_t instances) {
    auto info = supervisor_->StartProcess(app, instances);
    EXPECT_TRUE(info) << info.error().Message();
    return info ? *info : ProcessInfo{};
  }

  size_t Advance(std::chrono::milliseconds d) { return scheduler_.Advance(clock_, d); }
  // How long from now until the next scheduled task, or -1 ms if none.
  std::chrono::milliseconds NextIn() const {
    auto due = scheduler_.NextDue();
    if (!due) return -1ms;
    return std::chrono::duration_cast<std::chrono::milliseconds>(*due - clock_.Now());
  }
  pid_t PidOf(const std::string& id) const {
    auto p = supervisor_->Process(id);
    return p ? p->pid : -1;
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  mp::testing::FakeClock clock_;
  ManualScheduler scheduler_;
  FakeLauncher launcher_;
  uint32_t next_counter_ = 1;
  bool with_channel_ = true;
  std::vector<AppFailure> failures_;
  std::vector<ShutdownRequest> shutdowns_;
  SupervisorOptions options_;
  std::unique_ptr<Supervisor> supervisor_;
};

}  // namespace dabs::farm::testing
