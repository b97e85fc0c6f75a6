#include "calc_client.h"

#include <cmath>
#include <limits>

#include <dabs/mp/clock.h>

namespace dabs::calculator {

namespace {

bool SameFloat(const FloatAnswer& x, const FloatAnswer& y) {
  if (x.status != y.status) return false;
  if (x.status != CalcStatus::kOk) return true;  // the value of a failed op is unspecified
  return x.value == y.value || (std::isnan(x.value) && std::isnan(y.value));
}

bool SameInt(const IntAnswer& x, const IntAnswer& y) {
  return x.status == y.status && (x.status != CalcStatus::kOk || x.value == y.value);
}

// An operand: mostly small numbers a viewer types, sometimes anything.
int64_t IntOperand(mp::Random& rng) {
  if (rng.Below(8) == 0) return static_cast<int64_t>(rng.Next());
  return static_cast<int64_t>(rng.Below(2'000'001)) - 1'000'000;
}

}  // namespace

CalcClient::CalcClient(const dacp::SetTopProfile& profile, std::shared_ptr<dacp::Client> client)
    : client_(client),
      int_part_(MakeIntPartition(profile, client)),
      flt_part_(MakeFloatPartition(profile, std::move(client))) {}

void CalcClientApp::Act(uint64_t random, std::function<void(dacp::ActOutcome)> done) {
  mp::SeededRandom rng(random);
  const uint64_t kind = rng.Below(10);
  if (kind < 6) {
    uint8_t op = static_cast<uint8_t>(1 + rng.Below(5));
    int64_t a = IntOperand(rng), b = IntOperand(rng);
    if (kind == 0) {  // the statuses a viewer can provoke
      if (rng.Below(2) == 0) {
        op = static_cast<uint8_t>(4 + rng.Below(2));  // divide or modulus by zero
        b = 0;
      } else {
        op = 1;  // overflow
        a = std::numeric_limits<int64_t>::max();
        b = 1 + static_cast<int64_t>(rng.Below(100));
      }
    }
    const IntAnswer want = IntegerOps().Apply(op, a, b);
    const bool network = !calc_.int_partition().is_local();
    calc_.Integer(op, a, b, [want, network, done](Result<IntAnswer> got) {
      if (!got) return done({Status(got.error()), false, network});
      done({Status::Ok(), SameInt(*got, want), network});
    });
    return;
  }
  const uint8_t op = static_cast<uint8_t>(1 + rng.Below(4));
  const double a = static_cast<double>(IntOperand(rng)) / 8.0;
  double b = static_cast<double>(IntOperand(rng)) / 16.0;
  if (kind == 6 && op == 4) b = 0;  // division by zero
  const FloatAnswer want = FloatingPointOps().Apply(op, a, b);
  const bool network = !calc_.float_partition().is_local();
  calc_.Float(op, a, b, [want, network, done](Result<FloatAnswer> got) {
    if (!got) return done({Status(got.error()), false, network});
    done({Status::Ok(), SameFloat(*got, want), network});
  });
}

Status RegisterClient() {
  dacp::ClientAppFactory f;
  f.app = kAppName;
  f.make = [](const dacp::SetTopProfile& profile, std::shared_ptr<dacp::Client> client) {
    return std::make_unique<CalcClientApp>(profile, std::move(client));
  };
  return dacp::RegisterClientApp(kAppName, std::move(f));
}

}  // namespace dabs::calculator
