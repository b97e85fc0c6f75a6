// dabsctl's shared pieces (ctl.h).
#include "ctl.h"

#include <chrono>
#include <cstdio>
#include <iostream>

namespace dabs::ctl {

Error Failure(std::string line) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(line)};
}

int Fail(std::string_view line) {
  std::fprintf(stderr, "dabsctl: %.*s\n", static_cast<int>(line.size()), line.data());
  return kExitFailed;
}

int Fail(const Error& error) {
  return Fail(error.detail.empty() ? error.Message() : error.detail);
}

void PrintJson(const json& doc) {
  std::cout << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  std::cout.flush();
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace dabs::ctl
