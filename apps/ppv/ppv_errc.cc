#include "ppv_errc.h"

namespace dabs::ppv {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dabs.ppv"; }
  std::string message(int value) const override {
    switch (static_cast<PpvErrc>(value)) {
      case PpvErrc::kBadCatalogue:
        return "bad catalogue";
      case PpvErrc::kBadPinHash:
        return "bad PIN hash";
      case PpvErrc::kLedger:
        return "ledger error";
      case PpvErrc::kLedgerFull:
        return "ledger full";
      case PpvErrc::kLedgerBusy:
        return "ledger busy";
      case PpvErrc::kStopped:
        return "ledger closing";
      case PpvErrc::kCrypto:
        return "crypto failure";
    }
    return "ppv error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& PpvCategory() {
  static const Category category;
  return category;
}

}  // namespace dabs::ppv
