#include <string>

#include <dabs/statistics/errc.h>

namespace dabs::statistics {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dabs.statistics"; }
  std::string message(int v) const override {
    switch (static_cast<Errc>(v)) {
      case Errc::kOk:
        return "ok";
      case Errc::kMalformed:
        return "malformed statistics source";
      case Errc::kNotFound:
        return "statistics source not found";
      case Errc::kTooLarge:
        return "statistics source too large";
      case Errc::kIo:
        return "statistics source unreadable";
      case Errc::kNotReady:
        return "figures need a second reading";
      case Errc::kInvalidConfig:
        return "invalid statistics setting";
    }
    return "unknown statistics error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& StatisticsCategory() {
  static const Category category;
  return category;
}

}  // namespace dabs::statistics
