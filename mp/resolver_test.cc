#include <string>

#include <gtest/gtest.h>

#include <dabs/mp/resolver.h>

namespace dabs::mp {
namespace {

Endpoint Ep(std::string_view text) {
  auto e = Endpoint::Parse(text);
  EXPECT_TRUE(e.ok()) << text;
  return e.ok() ? *e : Endpoint{};
}

DirectoryEntry Entry(Va va, std::string app, uint32_t instance, std::string_view udp) {
  DirectoryEntry e;
  e.va = va;
  e.uri = VaUri{"headend-a", std::move(app), instance};
  e.location.host_id = "server-1";
  e.location.pid = 100;
  e.location.udp = Ep(udp);
  return e;
}

// ---------------------------------------------------------------------------- resolver

TEST(InMemoryResolver, LooksAnEntryUpByVaAndByUri) {
  InMemoryResolver r;
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.1:7400"));
  EXPECT_EQ(r.size(), 1u);

  auto by_va = r.Lookup(MakeVa(1, 1));
  ASSERT_TRUE(by_va.has_value());
  EXPECT_EQ(by_va->uri.ToString(), "mp://headend-a/calculator/3");
  EXPECT_EQ(by_va->location.udp, Ep("10.0.0.1:7400"));

  auto uri = VaUri::Parse("mp://headend-a/calculator/3");
  ASSERT_TRUE(uri.ok());
  auto by_uri = r.Lookup(*uri);
  ASSERT_TRUE(by_uri.has_value());
  EXPECT_EQ(by_uri->va, MakeVa(1, 1));
  EXPECT_EQ(by_uri->location.host_id, "server-1");
}

TEST(InMemoryResolver, UnknownVaOrUriIsNotFound) {
  InMemoryResolver r;
  EXPECT_FALSE(r.Lookup(MakeVa(1, 1)).has_value());
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.1:7400"));
  EXPECT_FALSE(r.Lookup(MakeVa(1, 2)).has_value());
  EXPECT_FALSE(r.Lookup(VaUri{"headend-a", "calculator", 4}).has_value());
  EXPECT_FALSE(r.Lookup(VaUri{"headend-b", "calculator", 3}).has_value());
}

TEST(InMemoryResolver, RemoveForgetsBothNames) {
  InMemoryResolver r;
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.1:7400"));
  r.Put(Entry(MakeVa(1, 2), "echo", 1, "10.0.0.1:7401"));
  EXPECT_TRUE(r.Remove(MakeVa(1, 1)));
  EXPECT_EQ(r.size(), 1u);
  EXPECT_FALSE(r.Lookup(MakeVa(1, 1)).has_value());
  EXPECT_FALSE(r.Lookup(VaUri{"headend-a", "calculator", 3}).has_value());
  EXPECT_TRUE(r.Lookup(VaUri{"headend-a", "echo", 1}).has_value());
  EXPECT_FALSE(r.Remove(MakeVa(1, 1)));
  EXPECT_EQ(r.size(), 1u);
}

TEST(InMemoryResolver, PutWithTheSameVaAndUriUpdatesTheLocation) {
  // An entity that moves keeps its VA and URI; only where it lives changes.
  InMemoryResolver r;
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.1:7400"));
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.2:7400"));
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(r.Lookup(MakeVa(1, 1)).value().location.udp, Ep("10.0.0.2:7400"));
  EXPECT_EQ(r.Lookup(VaUri{"headend-a", "calculator", 3}).value().location.udp,
            Ep("10.0.0.2:7400"));
}

TEST(InMemoryResolver, PutWithTheSameVaAndANewUriDropsTheOldUri) {
  InMemoryResolver r;
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.1:7400"));
  r.Put(Entry(MakeVa(1, 1), "calculator", 4, "10.0.0.1:7400"));
  EXPECT_EQ(r.size(), 1u);
  EXPECT_FALSE(r.Lookup(VaUri{"headend-a", "calculator", 3}).has_value());
  auto e = r.Lookup(VaUri{"headend-a", "calculator", 4});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->va, MakeVa(1, 1));
}

TEST(InMemoryResolver, PutWithTheSameUriAndANewVaDropsTheOldVa) {
  InMemoryResolver r;
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.1:7400"));
  r.Put(Entry(MakeVa(2, 9), "calculator", 3, "10.0.0.2:7400"));
  EXPECT_EQ(r.size(), 1u);
  EXPECT_FALSE(r.Lookup(MakeVa(1, 1)).has_value());
  auto e = r.Lookup(VaUri{"headend-a", "calculator", 3});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->va, MakeVa(2, 9));
}

TEST(InMemoryResolver, PutMatchingTwoEntriesReplacesBoth) {
  // The new entry takes A's VA and B's URI: neither A nor B may survive half-linked.
  InMemoryResolver r;
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.1:7400"));  // A
  r.Put(Entry(MakeVa(1, 2), "echo", 1, "10.0.0.1:7401"));        // B
  r.Put(Entry(MakeVa(1, 1), "echo", 1, "10.0.0.3:7400"));
  EXPECT_EQ(r.size(), 1u);
  EXPECT_FALSE(r.Lookup(MakeVa(1, 2)).has_value());
  EXPECT_FALSE(r.Lookup(VaUri{"headend-a", "calculator", 3}).has_value());
  auto e = r.Lookup(VaUri{"headend-a", "echo", 1});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->va, MakeVa(1, 1));
  EXPECT_EQ(e->location.udp, Ep("10.0.0.3:7400"));
  // Removing the survivor leaves nothing behind.
  EXPECT_TRUE(r.Remove(MakeVa(1, 1)));
  EXPECT_EQ(r.size(), 0u);
  EXPECT_FALSE(r.Lookup(VaUri{"headend-a", "echo", 1}).has_value());
}

TEST(InMemoryResolver, UriLookupIsByCanonicalForm) {
  InMemoryResolver r;
  r.Put(Entry(MakeVa(1, 1), "calculator", 3, "10.0.0.1:7400"));
  auto uri = VaUri::Parse("mp://headend-a/calculator/003");
  ASSERT_TRUE(uri.ok());
  EXPECT_TRUE(r.Lookup(*uri).has_value());
}

// ---------------------------------------------------------------------------- proximity

Location Where() {
  Location where;
  where.host_id = "server-1";
  where.pid = 100;
  where.udp = Ep("10.0.0.1:7400");
  return where;
}

TEST(Proximity, SameHostAndProcessIsSameProcess) {
  EXPECT_EQ(ProximityOf(Where(), Self{"server-1", 100}), Proximity::kSameProcess);
}

TEST(Proximity, SameHostOtherProcessIsSameHost) {
  EXPECT_EQ(ProximityOf(Where(), Self{"server-1", 101}), Proximity::kSameHost);
}

TEST(Proximity, OtherHostIsRemoteWhateverThePid) {
  EXPECT_EQ(ProximityOf(Where(), Self{"server-2", 100}), Proximity::kRemote);
}

TEST(Proximity, UnknownHostIsNeverLocal) {
  Location where = Where();
  where.host_id.clear();
  EXPECT_EQ(ProximityOf(where, Self{"", 100}), Proximity::kRemote);
}

TEST(Proximity, UnknownProcessOnTheSameHostIsSameHost) {
  Location where = Where();
  where.pid = 0;
  EXPECT_EQ(ProximityOf(where, Self{"server-1", 0}), Proximity::kSameHost);
}

TEST(ChooseEndpoint, SameProcessPrefersTheInProcessEndpoint) {
  Location where = Where();
  where.local = Ep("unix:/run/dabs/calc.sock");
  where.in_process = Endpoint::InProcess("calc-3");
  EXPECT_EQ(ChooseEndpoint(where, Self{"server-1", 100}), Endpoint::InProcess("calc-3"));
}

TEST(ChooseEndpoint, SameProcessWithoutInProcessFallsBackToLocalThenUdp) {
  Location where = Where();
  where.local = Ep("unix:/run/dabs/calc.sock");
  EXPECT_EQ(ChooseEndpoint(where, Self{"server-1", 100}), Ep("unix:/run/dabs/calc.sock"));
  where.local.reset();
  EXPECT_EQ(ChooseEndpoint(where, Self{"server-1", 100}), Ep("10.0.0.1:7400"));
}

TEST(ChooseEndpoint, SameHostUsesTheLocalSocketButNeverAnotherProcessesInProcessName) {
  Location where = Where();
  where.in_process = Endpoint::InProcess("calc-3");
  EXPECT_EQ(ChooseEndpoint(where, Self{"server-1", 101}), Ep("10.0.0.1:7400"));
  where.local = Ep("unix:/run/dabs/calc.sock");
  EXPECT_EQ(ChooseEndpoint(where, Self{"server-1", 101}), Ep("unix:/run/dabs/calc.sock"));
}

TEST(ChooseEndpoint, RemoteAlwaysUsesUdp) {
  Location where = Where();
  where.local = Ep("unix:/run/dabs/calc.sock");
  where.in_process = Endpoint::InProcess("calc-3");
  EXPECT_EQ(ChooseEndpoint(where, Self{"server-2", 100}), Ep("10.0.0.1:7400"));
}

}  // namespace
}  // namespace dabs::mp
