// Where the figures come from. Every /proc, /sys and cgroup file reaches the parsers and
// the sampler through this small interface, so that they run the same code on canned text
// in tests (testing/fake_proc_source.h) and on the live machine (FsProcSource).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <dabs/mp/result.h>

namespace dabs::statistics {

// The largest file a source reads. /proc/stat grows with the number of cores and
// interrupts (about 30 kB on a 64-core server); anything near this limit is not a file
// the parsers know.
inline constexpr size_t kMaxSourceFileBytes = 1 << 20;

// Size of a file system, as statvfs reports it to an unprivileged process.
struct FsSpace {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;  // f_bavail: free to unprivileged users
};

class ProcSource {
 public:
  virtual ~ProcSource() = default;

  // The whole text of `path`, an absolute name such as "/proc/stat". Errors: kNotFound when
  // it does not exist, kTooLarge past kMaxSourceFileBytes, kIo when it cannot be read (a
  // /sys/class/net/IF/speed of a virtual interface answers EINVAL).
  virtual Result<std::string> ReadFile(std::string_view path) const = 0;

  // The space of the file system holding `path` (a directory or file). Errors as ReadFile.
  virtual Result<FsSpace> StatFs(std::string_view path) const = 0;
};

// Reads the real files under `root` ("" for the machine itself; a directory holding a
// fake proc/ and sys/ tree in tests). Stateless and thread-safe.
class FsProcSource final : public ProcSource {
 public:
  explicit FsProcSource(std::string root = "") : root_(std::move(root)) {}

  Result<std::string> ReadFile(std::string_view path) const override;
  Result<FsSpace> StatFs(std::string_view path) const override;

 private:
  std::string root_;
};

}  // namespace dabs::statistics
