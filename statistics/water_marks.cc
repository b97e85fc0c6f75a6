#include <cmath>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/water_marks.h>

namespace dabs::statistics {

Result<WaterMarks> WaterMarks::Create(double high, double low) {
  if (!std::isfinite(high) || !std::isfinite(low) || low < 0 || low > high) {
    return Error{make_error_code(Errc::kInvalidConfig),
                 "water marks need 0 <= low_water <= high_water"};
  }
  return WaterMarks(high, low);
}

std::optional<WaterMarks::State> WaterMarks::Update(double value) {
  if (std::isnan(value)) return std::nullopt;
  const State before = state_;
  if (state_ == State::kNormal && value > high_)
    state_ = State::kHigh;
  else if (state_ == State::kHigh && value < low_)
    state_ = State::kNormal;
  if (state_ == before) return std::nullopt;
  return state_;
}

}  // namespace dabs::statistics
