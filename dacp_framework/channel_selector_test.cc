// ChannelSelector with fake modules: the order DOCSIS, OOB, modem; downloads of missing
// modules in that order; a failure that names every module and why.
#include <map>
#include <optional>

#include <gtest/gtest.h>

#include <dabs/dacp/reverse_channel.h>

namespace dabs::dacp {
namespace {

Error Why(std::string text) {
  return Error{make_error_code(mp::Errc::kNoRoute), std::move(text)};
}

class FakeChannel final : public ReverseChannel {
 public:
  FakeChannel(ChannelKind kind, std::vector<std::string>* log, std::string failure = {})
      : kind_(kind), log_(log), failure_(std::move(failure)) {}
  ChannelKind kind() const override { return kind_; }
  void Reach(std::function<void(Result<std::shared_ptr<GatewayPool>>)> done) override {
    log_->push_back("reach " + std::string(name()));
    if (!failure_.empty()) return done(Why(failure_));
    done(pool_);
  }
  std::shared_ptr<GatewayPool> pool_ = std::shared_ptr<GatewayPool>(nullptr);

 private:
  ChannelKind kind_;
  std::vector<std::string>* log_;
  std::string failure_;
};

// The pool a working channel yields; never used to send here.
std::shared_ptr<GatewayPool> APool() {
  static boost::asio::io_context io;
  return std::make_shared<GatewayPool>(io, GatewayPoolConfig{});
}

class FakeSource final : public ModuleSource {
 public:
  explicit FakeSource(std::vector<std::string>* log) : log_(log) {}
  std::map<ChannelKind, std::string> download_fails;  // kind -> why
  std::map<ChannelKind, std::string> reach_fails;     // kind -> why, for downloaded modules
  void Download(ChannelKind kind,
                std::function<void(Result<std::shared_ptr<ReverseChannel>>)> done) override {
    log_->push_back("download " + std::string(ChannelName(kind)));
    if (download_fails.count(kind)) return done(Why(download_fails[kind]));
    auto c =
        std::make_shared<FakeChannel>(kind, log_, reach_fails.count(kind) ? reach_fails[kind] : "");
    c->pool_ = APool();
    done(std::shared_ptr<ReverseChannel>(c));
  }

 private:
  std::vector<std::string>* log_;
};

std::shared_ptr<FakeChannel> Installed(ChannelKind k, std::vector<std::string>* log,
                                       std::string failure = {}) {
  auto c = std::make_shared<FakeChannel>(k, log, std::move(failure));
  c->pool_ = APool();
  return c;
}

Result<SelectedChannel> SelectNow(ChannelSelector& s) {
  std::optional<Result<SelectedChannel>> out;
  s.Select([&out](Result<SelectedChannel> r) { out.emplace(std::move(r)); });
  EXPECT_TRUE(out.has_value());  // the fakes answer inline
  return std::move(*out);
}

TEST(ChannelSelector, TriesInstalledModulesInTheOrderDocsisOobModem) {
  std::vector<std::string> log;
  // Installed in another order; DOCSIS fails, OOB works: the modem is never tried.
  ChannelSelector s({Installed(ChannelKind::kModem, &log), Installed(ChannelKind::kOob, &log),
                     Installed(ChannelKind::kDocsis, &log, "no cable modem")},
                    nullptr);
  auto r = SelectNow(s);
  ASSERT_TRUE(r.ok()) << r.error().Message();
  EXPECT_EQ(r->channel->kind(), ChannelKind::kOob);
  EXPECT_NE(r->pool, nullptr);
  EXPECT_EQ(log, (std::vector<std::string>{"reach docsis", "reach oob"}));
  ASSERT_EQ(r->attempts.size(), 2u);
  EXPECT_EQ(r->attempts[0].failure, "no route to endpoint: no cable modem");
}

TEST(ChannelSelector, DownloadsTheNextMissingModuleWhenNoInstalledOneWorks) {
  std::vector<std::string> log;
  FakeSource source(&log);
  source.download_fails[ChannelKind::kDocsis] = "carousel timeout";
  ChannelSelector s({Installed(ChannelKind::kModem, &log, "no dial tone")}, &source);
  auto r = SelectNow(s);
  ASSERT_TRUE(r.ok()) << r.error().Message();
  EXPECT_EQ(r->channel->kind(), ChannelKind::kOob);
  EXPECT_TRUE(r->attempts.back().downloaded);
  EXPECT_EQ(log, (std::vector<std::string>{"reach modem", "download docsis", "download oob",
                                           "reach oob"}));
  EXPECT_EQ(s.installed().size(), 2u);  // the modem and the downloaded OOB module
}

TEST(ChannelSelector, FailsNamingEachModuleAndWhyWhenNoneReachesTheFarm) {
  std::vector<std::string> log;
  FakeSource source(&log);
  source.download_fails[ChannelKind::kDocsis] = "not subscribed";
  source.reach_fails[ChannelKind::kOob] = "no OOB return on this node";
  ChannelSelector s({Installed(ChannelKind::kModem, &log, "no dial tone")}, &source);
  auto r = SelectNow(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mp::Errc::kNoRoute);
  const std::string& why = r.error().detail;
  EXPECT_NE(why.find("modem: no route to endpoint: no dial tone"), std::string::npos) << why;
  EXPECT_NE(why.find("docsis: download failed:"), std::string::npos) << why;
  EXPECT_NE(why.find("not subscribed"), std::string::npos) << why;
  EXPECT_NE(why.find("oob: downloaded, "), std::string::npos) << why;
  EXPECT_NE(why.find("no OOB return on this node"), std::string::npos) << why;
}

TEST(ChannelSelector, WithoutASourceMissingModulesAreNamed) {
  std::vector<std::string> log;
  ChannelSelector s({}, nullptr);
  auto r = SelectNow(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("docsis: not installed and no module source"), std::string::npos);
  EXPECT_NE(r.error().detail.find("modem: not installed"), std::string::npos);
}

}  // namespace
}  // namespace dabs::dacp
