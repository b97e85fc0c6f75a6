// Feeds one payload to every decoder of the messages between dabs-lbd and its DASP
// processes on a server's local sockets (local_messages.h): ADD_CLIENT (and the client's
// OPEN_SESSION request it carries), STARTED, STATE_CHANGE, the GET_STATISTICS reply's
// figures, the local form of REDIRECT and MIGRATE (migrate.h, which also crosses the farm).
// Beyond "no crash" it checks that
//  - whatever decodes re-encodes to a payload that decodes again and encodes to the same
//    bytes (RoundTrip), the nested OPEN_SESSION request included;
//  - the request ADD_CLIENT carries is no larger than ADD_CLIENT itself, a STATE_CHANGE's
//    state is one of spec 7's (1..6) and every figure of a statistics reply was a whole
//    11-byte TLV of the payload.
#include <dabs/mp/local_messages.h>
#include <dabs/mp/migrate.h>
#include <dabs/mp/system_messages.h>

#include "fuzz_support.h"

namespace {

using namespace dabs::mp;
using dabs::fuzz::RoundTrip;

std::vector<dabs::fuzz::Seed> Seeds() {
  const Endpoint client = Endpoint::Parse("10.1.1.1:5000").value();
  const Endpoint dasp = Endpoint::Parse("10.0.0.2:40000").value();
  const auto request = OpenSessionRequest{"calculator", caps::kDocsis, "stb-1", {}}.Encode();
  StateChange lock{wire::DaspState::kBusy,
                   0x00200005,
                   StateReason::kLockTimeout,
                   "ledger",
                   "lock on 'ledger' timed out after 50 ms",
                   12,
                   kVaNone};
  StateChange closed{
      wire::DaspState::kReady, 0x00200005, StateReason::kSessionClosed, "", "", 11, 0x00200400};
  Statistics stats;
  stats.values = {
      {stat_tag::kSessions, 12}, {stat_tag::kLatencyP99Ms, 40}, {stat_tag::kFirstApplication, 7}};
  return {AddClient{request, client, 42, 0x00200400, 0x00200005, std::nullopt}.Encode(),
          AddClient{request, client, 0, 0x00200400, 0x00200005, std::vector<uint8_t>{0, 0, 0, 7}}
              .Encode(),
          Started{0x00200005, dasp, "/run/dabs/calc-1.sock", "calculator", 4242, 1000, true}.Encode(),
          lock.Encode(),
          closed.Encode(),
          stats.Encode(),
          Redirect{7, 0x00300005, dasp, kVaNone}.Encode(),
          Redirect{7, 0x00300005, dasp, 0x00200400}.Encode(),
          Migrate{MigrateOp::kPlace, 0x00200400, 9, client, request, {1, 2, 3}, 2, "s1", "starving"}
              .Encode()};
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> payload(data, size);
  if (auto a = RoundTrip<AddClient>(payload)) {
    DABS_FUZZ_CHECK(a->request.size() < payload.size());
    (void)RoundTrip<OpenSessionRequest>(a->request);
  }
  (void)RoundTrip<Started>(payload);
  if (auto m = RoundTrip<Migrate>(payload)) {
    DABS_FUZZ_CHECK(m->state.size() < payload.size());
    (void)RoundTrip<OpenSessionRequest>(m->request);
  }
  if (auto s = RoundTrip<StateChange>(payload)) {
    const auto state = static_cast<int>(s->state);
    DABS_FUZZ_CHECK(state >= 1 && state <= 6);
  }
  if (auto s = RoundTrip<Statistics>(payload)) {
    DABS_FUZZ_CHECK(s->values.size() * 11 <= payload.size());
  }
  (void)RoundTrip<Redirect>(payload);
  return 0;
}
