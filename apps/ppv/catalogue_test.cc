// The catalogue file, PIN hashes and event times: what is accepted, and every refusal with
// its line and column.
#include "catalogue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "utc_time.h"

namespace dabs::ppv {
namespace {

using ::testing::HasSubstr;

// Python: hashlib.pbkdf2_hmac('sha256', b'1234', b'saltsaltsaltsalt', 1000)
constexpr char kHash1234[] =
    "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$"
    "Yo7f0NJD76SOoRMf9wsRfo7jhsRsIhoioGLVJlCb2Gs=";

std::string Valid() {
  return std::string(R"(pin_policy: {max_failures: 3, lockout_s: 60}
events:
  - {id: 2, title: "Late", channel: 901, start: 2030-06-02T01:00:00Z, end: 2030-06-02T04:00:00Z, price_cents: 100}
  - id: 1
    title: "Early"
    channel: 902
    start: 2030-06-01T01:00:00Z
    end: 2030-06-01T04:00:00Z
    sale_closes: 2030-06-01T02:00:00Z
    price_cents: 5999
subscribers:
  - {id: "stb-*", pin_hash: ")") +
         kHash1234 + R"("}
  - {id: "stb-7*", pin_hash: ")" +
         kHash1234 + R"("}
  - {id: "stb-77", pin_hash: ")" +
         kHash1234 + R"("}
)";
}

// The problems of `yaml` (it must be refused).
std::vector<std::string> Problems(const std::string& yaml) {
  std::vector<std::string> p;
  auto c = ParseCatalogue(yaml, "cat.yaml", &p);
  EXPECT_FALSE(c.ok()) << yaml;
  return p;
}

std::string One(const std::string& yaml) {
  auto p = Problems(yaml);
  return p.empty() ? "(accepted)" : p[0];
}

TEST(PinHash, KnownVectorVerifiesAndRoundTrips) {
  auto h = ParsePinHash(kHash1234);
  ASSERT_TRUE(h.ok()) << h.error().Message();
  EXPECT_EQ(h->iterations, 1000u);
  EXPECT_TRUE(VerifyPin(*h, "1234"));
  EXPECT_FALSE(VerifyPin(*h, "1235"));
  EXPECT_FALSE(VerifyPin(*h, ""));
  EXPECT_EQ(FormatPinHash(*h), kHash1234);
}

TEST(PinHash, NewHashesAreSaltedAndVerify) {
  auto a = HashPin("4321", kMinPinIterations), b = HashPin("4321", kMinPinIterations);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // a fresh salt each time
  EXPECT_TRUE(VerifyPin(ParsePinHash(*a).value(), "4321"));
}

TEST(PinHash, MalformedHashesAreRefused) {
  const std::string good = kHash1234;
  const std::string tail = good.substr(good.find('$', 14));  // "$SALT$KEY"
  for (const std::string& bad :
       {std::string(), std::string("1234"), std::string("pbkdf2-sha1$1000") + tail,
        "pbkdf2-sha256$999" + tail, "pbkdf2-sha256$01000" + tail, "pbkdf2-sha256$1e3" + tail,
        "pbkdf2-sha256$99999999999" + tail, good + "$", good.substr(0, good.size() - 2),
        "pbkdf2-sha256$1000$c2FsdA==$" + good.substr(good.rfind('$') + 1),  // 4-byte salt
        "pbkdf2-sha256$1000$c2Fs dHNhbHRzYWx0c2FsdA=$" + good.substr(good.rfind('$') + 1)}) {
    EXPECT_FALSE(ParsePinHash(bad).ok()) << bad;
  }
}

TEST(UtcTime, ParsesTheZFormOnlyAndRealDatesOnly) {
  EXPECT_EQ(ParseUtc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseUtc("2030-06-01T01:00:00Z"), 1'906'506'000);
  EXPECT_EQ(ParseUtc("2028-02-29T23:59:59Z"), 1'835'481'599);
  EXPECT_EQ(FormatUtc(1'906'506'000), "2030-06-01T01:00:00Z");
  for (const char* bad :
       {"2030-06-01 01:00:00Z", "2030-06-01T01:00:00", "2030-06-01T01:00:00+00:00",
        "2029-02-29T00:00:00Z", "2030-13-01T00:00:00Z", "2030-06-01T24:00:00Z",
        "1969-12-31T23:59:59Z", "2030-6-01T01:00:00Z", "tomorrow"}) {
    EXPECT_FALSE(ParseUtc(bad)) << bad;
  }
}

TEST(Catalogue, AValidFileLoadsInScheduleOrderWithItsDefaults) {
  auto c = ParseCatalogue(Valid(), "cat.yaml");
  ASSERT_TRUE(c.ok()) << c.error().Message();
  ASSERT_EQ(c->events().size(), 2u);
  EXPECT_EQ(c->events()[0].id, 1u);  // the earlier start first
  EXPECT_EQ(c->events()[0].sale_closes_s, *ParseUtc("2030-06-01T02:00:00Z"));
  EXPECT_EQ(c->FindEvent(2)->sale_closes_s, c->FindEvent(2)->end_s);  // by default the end
  EXPECT_EQ(c->FindEvent(3), nullptr);
  EXPECT_EQ(c->pin_policy().max_failures, 3u);
  EXPECT_EQ(c->pin_policy().lockout_s, 60u);
  EXPECT_TRUE(c->FindEvent(1)->OnSale(*ParseUtc("2030-06-01T01:59:59Z")));
  EXPECT_FALSE(c->FindEvent(1)->OnSale(*ParseUtc("2030-06-01T02:00:00Z")));
}

TEST(Catalogue, SubscribersMatchExactlyThenByTheLongestPattern) {
  auto c = ParseCatalogue(Valid(), "cat.yaml").value();
  EXPECT_EQ(c.FindSubscriber("stb-77")->id, "stb-77");
  EXPECT_EQ(c.FindSubscriber("stb-771")->id, "stb-7*");
  EXPECT_EQ(c.FindSubscriber("stb-1")->id, "stb-*");
  EXPECT_EQ(c.FindSubscriber("mpcat-1"), nullptr);
  EXPECT_EQ(c.FindSubscriber(""), nullptr);
}

TEST(Catalogue, UnknownKeysAreRefusedWithLineColumnAndTheKnownKeys) {
  auto yaml = Valid();
  yaml.replace(yaml.find("price_cents: 5999"), 17, "price: 5999");
  const auto p = Problems(yaml);
  ASSERT_EQ(p.size(), 2u);  // the unknown key, and the missing one
  EXPECT_THAT(
      p[0], HasSubstr("cat.yaml:10:5: events[1]: unknown key 'price'; expected one of: id, title"));
  EXPECT_THAT(p[1], HasSubstr("cat.yaml:4:5: events[1]: missing 'price_cents'"));
  EXPECT_THAT(One("events: []\nsubscribers: []\nextra: 1\n"),
              HasSubstr("cat.yaml:1:9: events: expected a list"));
  EXPECT_THAT(Problems("events: []\nsubscribers: []\nextra: 1\n")[1],
              HasSubstr("cat.yaml:3:1: unknown key 'extra'"));
}

TEST(Catalogue, KeysGivenTwiceAreRefused) {
  EXPECT_THAT(One(Valid() + "pin_policy: {max_failures: 2}\n"),
              HasSubstr("cat.yaml:15:1: 'pin_policy' is given twice"));
  auto yaml = Valid();
  yaml.replace(yaml.find("    channel: 902"), 0, "    channel: 903\n");
  EXPECT_THAT(One(yaml), HasSubstr("cat.yaml:7:5: events[1]: 'channel' is given twice"));
  yaml = Valid();
  yaml.replace(yaml.find("id: 2,"), 6, "id: 1,");
  EXPECT_THAT(One(yaml), HasSubstr("events[1].id: event 1 is given twice"));
  EXPECT_THAT(One(Valid() + "  - {id: \"stb-77\", pin_hash: \"" + kHash1234 + "\"}\n"),
              HasSubstr("cat.yaml:15:10: subscribers[3].id: 'stb-77' is given twice"));
}

TEST(Catalogue, WrongTypesAndValuesOutOfRangeAreRefusedWithWhatWasExpected) {
  auto with = [](std::string from, std::string to) {
    auto yaml = Valid();
    yaml.replace(yaml.find(from), from.size(), to);
    return One(yaml);
  };
  EXPECT_THAT(with("price_cents: 5999", "price_cents: 12.5"),
              HasSubstr("cat.yaml:10:18: events[1].price_cents: expected a whole number from 0 to "
                        "10000000, got '12.5'"));
  EXPECT_THAT(with("price_cents: 5999", "price_cents: 10000001"), HasSubstr("got '10000001'"));
  EXPECT_THAT(with("price_cents: 5999", "price_cents: \"5999\""),
              HasSubstr("events[1].price_cents: expected a whole number"));
  EXPECT_THAT(with("price_cents: 5999", "price_cents: [1]"),
              HasSubstr("events[1].price_cents: expected a whole number"));
  EXPECT_THAT(
      with("channel: 902", "channel: 65536"),
      HasSubstr("cat.yaml:6:14: events[1].channel: expected a whole number from 1 to 65535"));
  EXPECT_THAT(with("id: 1\n", "id: -1\n"),
              HasSubstr("events[1].id: expected a whole number from 1 to 4294967295, got '-1'"));
  EXPECT_THAT(with("title: \"Early\"", "title: \"" + std::string(65, 'x') + "\""),
              HasSubstr("events[1].title: expected text of 1-64 bytes"));
  EXPECT_THAT(with("start: 2030-06-01T01:00:00Z", "start: 2030-06-31T01:00:00Z"),
              HasSubstr("cat.yaml:7:12: events[1].start: expected a UTC time such as "
                        "2030-06-01T20:00:00Z, got '2030-06-31T01:00:00Z'"));
  EXPECT_THAT(with("end: 2030-06-01T04:00:00Z", "end: 2030-06-01T01:00:00Z"),
              HasSubstr("cat.yaml:8:10: events[1].end: must be after start"));
  EXPECT_THAT(with("sale_closes: 2030-06-01T02:00:00Z", "sale_closes: 2030-06-01T05:00:00Z"),
              HasSubstr("events[1].sale_closes: must not be after end"));
  EXPECT_THAT(
      with("max_failures: 3", "max_failures: 0"),
      HasSubstr("cat.yaml:1:28: pin_policy.max_failures: expected a whole number from 1 to 100"));
  EXPECT_THAT(
      with("\"stb-7*\"", "\"stb-*7\""),
      HasSubstr(
          "subscribers[1].id: expected a CLIENT_ID of 1-64 bytes, or a prefix ending in '*'"));
  EXPECT_THAT(with("1000$c2Fs", "999$c2Fs"),
              HasSubstr("subscribers[0].pin_hash: iterations must be a number from 1000"));
}

TEST(Catalogue, MissingSectionsBrokenYamlAndMissingFilesAreRefused) {
  EXPECT_THAT(Problems("events:\n  - {id: 1}\n").back(),
              HasSubstr("cat.yaml:1:1: missing 'subscribers'"));
  EXPECT_THAT(One("events: [\n"), HasSubstr("cat.yaml:2:1:"));
  EXPECT_THAT(One("- 1\n"), HasSubstr("cat.yaml:1:1: expected a map"));
  std::vector<std::string> p;
  EXPECT_FALSE(LoadCatalogue("/nonexistent/cat.yaml", &p).ok());
  ASSERT_EQ(p.size(), 1u);
  EXPECT_THAT(p[0], HasSubstr("/nonexistent/cat.yaml: cannot read the catalogue"));
}

TEST(Catalogue, TheShippedDemoCatalogueLoadsAndItsTestPinsVerify) {
  auto c = LoadCatalogue(DABS_PPV_DEMO_CATALOGUE);
  ASSERT_TRUE(c.ok()) << c.error().Message();
  EXPECT_GE(c->events().size(), 10u);
  EXPECT_TRUE(VerifyPin(c->FindSubscriber("stb-1")->pin, "1234"));
  EXPECT_TRUE(VerifyPin(c->FindSubscriber("mpcat-99")->pin, "1234"));
  EXPECT_TRUE(VerifyPin(c->FindSubscriber("00:1a:2b:3c:4d:5e")->pin, "4321"));
}

}  // namespace
}  // namespace dabs::ppv
