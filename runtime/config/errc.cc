#include <dabs/config/errc.h>

#include <string>

namespace dabs::config {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dabs.daemon"; }
  std::string message(int v) const override {
    switch (static_cast<DaemonErrc>(v)) {
      case DaemonErrc::kOk:
        return "ok";
      case DaemonErrc::kInvalidConfig:
        return "invalid configuration";
      case DaemonErrc::kCorruptRecord:
        return "corrupt configuration record";
      case DaemonErrc::kStartup:
        return "cannot start";
    }
    return "unknown daemon error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& DaemonCategory() {
  static const Category category;
  return category;
}

}  // namespace dabs::config
