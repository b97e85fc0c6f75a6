// The client-app registry and partitions counted as local or network.
#include <gtest/gtest.h>

#include <dabs/dacp/client_app.h>
#include <dabs/dacp/partition.h>

namespace dabs::dacp {
namespace {

class NullApp final : public ClientApp {
 public:
  void Act(uint64_t, std::function<void(ActOutcome)> done) override {
    done({Status::Ok(), true, false});
  }
};

ClientAppFactory Factory(std::string app) {
  return {std::move(app), [](const SetTopProfile&, std::shared_ptr<Client>) {
            return std::make_unique<NullApp>();
          }};
}

TEST(ClientAppRegistry, FindsWhatWasRegisteredAndNothingElse) {
  ClientAppRegistry r;
  ASSERT_TRUE(r.Register("null", Factory("null-app")).ok());
  const ClientAppFactory* f = r.Find("null");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->app, "null-app");
  EXPECT_EQ(r.Find("other"), nullptr);
  // Registering again keeps the first factory, and the pointer handed out stays valid.
  ASSERT_TRUE(r.Register("null", Factory("second")).ok());
  EXPECT_EQ(r.Find("null"), f);
  EXPECT_EQ(f->app, "null-app");
  EXPECT_FALSE(r.Register("", Factory("x")).ok());
  EXPECT_FALSE(r.Register("nofactory", ClientAppFactory{"x", {}}).ok());
  EXPECT_EQ(r.Names(), std::vector<std::string>{"null"});
}

TEST(SetTopProfile, CapabilitiesAndRoomForModules) {
  SetTopProfile p;
  p.caps = mp::caps::kFloatingPoint | mp::caps::kOob;
  p.memory_kib = 64;
  EXPECT_TRUE(p.Has(mp::caps::kFloatingPoint));
  EXPECT_FALSE(p.Has(mp::caps::kDocsis));
  EXPECT_TRUE(p.CanHost(64));
  EXPECT_FALSE(p.CanHost(65));
}

class Doubler : public Partition {
 public:
  using Partition::Partition;
  int Twice(int x) {
    CountLocalCall();
    return 2 * x;
  }
};

TEST(Partition, CountsLocalCallsAndNoMessages) {
  Doubler d(PartitionPlace::kLocal);
  EXPECT_TRUE(d.is_local());
  EXPECT_EQ(d.Twice(21), 42);
  EXPECT_EQ(d.counters().local_calls, 1u);
  EXPECT_EQ(d.counters().messages_sent, 0u);
  EXPECT_EQ(PartitionPlaceName(d.place()), "local");
}

}  // namespace
}  // namespace dabs::dacp
