// A ProcSource holding canned text, for tests and the emulator. Not thread-safe.
#pragma once

#include <map>
#include <string>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/proc_source.h>

namespace dabs::statistics::testing {

class FakeProcSource final : public ProcSource {
 public:
  void Set(const std::string& path, std::string text) { files_[path] = std::move(text); }
  void Remove(const std::string& path) { files_.erase(path); }
  // Makes ReadFile(path) fail with `code` (kIo for a speed file that answers EINVAL).
  void SetError(const std::string& path, Errc code) { errors_[path] = code; }
  void SetFs(const std::string& path, FsSpace space) { spaces_[path] = space; }

  Result<std::string> ReadFile(std::string_view path) const override {
    if (auto e = errors_.find(path); e != errors_.end()) return Error{e->second, {}};
    auto it = files_.find(path);
    if (it == files_.end()) return Error{make_error_code(Errc::kNotFound), std::string(path)};
    return it->second;
  }
  Result<FsSpace> StatFs(std::string_view path) const override {
    auto it = spaces_.find(path);
    if (it == spaces_.end()) return Error{make_error_code(Errc::kNotFound), std::string(path)};
    return it->second;
  }

 private:
  std::map<std::string, std::string, std::less<>> files_;
  std::map<std::string, Errc, std::less<>> errors_;
  std::map<std::string, FsSpace, std::less<>> spaces_;
};

}  // namespace dabs::statistics::testing
