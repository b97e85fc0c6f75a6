// Feeds one file to the keyring parser (runtime/keyring: DIR/farm.keyring, which dabs-lbd
// writes and every daemon of the server reads). Beyond "no crash" it checks that what parses
// is a keyring the daemons may use (Validate: 1..8 keys matching their ids, the primary among
// them) and that writing it and parsing it again gives the same keyring.
#include <dabs/keyring/keyring.h>

#include "fuzz_support.h"

namespace {

using dabs::keyring::Keyring;

std::vector<dabs::fuzz::Seed> Seeds() {
  std::array<uint8_t, 32> a{}, b{};
  a.fill(3);
  b.fill(4);
  Keyring k = Keyring{}.Install(dabs::mp::FarmKey::FromBytes(a), 1).value();
  k = k.Install(dabs::mp::FarmKey::FromBytes(b), 2).value();
  return {dabs::fuzz::Bytes(k.ToFileText()),
          dabs::fuzz::Bytes(k.Use(k.keys[1].id, 3)->ToFileText())};
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto k = Keyring::Parse(dabs::fuzz::Text({data, size}));
  if (!k) return 0;
  DABS_FUZZ_CHECK(k->Validate().ok());
  auto again = Keyring::Parse(k->ToFileText());
  DABS_FUZZ_CHECK(again.ok());
  DABS_FUZZ_CHECK(again->Digest() == k->Digest());
  return 0;
}
