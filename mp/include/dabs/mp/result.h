// Result<T>: a value or an error, for parsing and other fallible calls that must not
// throw across module boundaries. Lives in mp because mp is the root of the dependency
// graph; every other component already depends on it.
#pragma once

#include <cassert>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace dabs {

// An error with an optional human-readable detail ("line 3, column 7: expected ...").
struct Error {
  std::error_code code;
  std::string detail;

  std::string Message() const {
    return detail.empty() ? code.message() : code.message() + ": " + detail;
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}              // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}          // NOLINT
  Result(std::error_code code) : state_(Error{code, {}}) {}  // NOLINT
  template <typename E>
  requires std::is_error_code_enum_v<E> Result(E code)
      : state_(Error{make_error_code(code), {}}) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok().
  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }
  std::error_code code() const { return ok() ? std::error_code{} : error().code; }

 private:
  std::variant<T, Error> state_;
};

// Result<void> analogue.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}                      // NOLINT
  Status(std::error_code code) : error_{code, {}}, failed_(static_cast<bool>(code)) {}  // NOLINT
  template <typename E>
  requires std::is_error_code_enum_v<E> Status(E code) : Status(make_error_code(code)) {}  // NOLINT

  static Status Ok() { return {}; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }
  std::error_code code() const { return error_.code; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace dabs
