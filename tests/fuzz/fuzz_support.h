// What the fuzz targets share: the check that turns a broken property into a crash that
// libFuzzer reports with its input, the decode/encode/decode round trip, and the seeds each
// target writes for its own corpus (encodings made by the codecs themselves, the
// repository's example files).
#pragma once

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Aborts, naming the property, when `cond` is false: libFuzzer then saves the input.
#define DABS_FUZZ_CHECK(cond) ((cond) ? (void)0 : ::dabs::fuzz::Fail(#cond, __FILE__, __LINE__))

// Defines the target's LLVMFuzzerInitialize: hands `make`'s seeds to WriteSeedsIfAsked.
#define DABS_FUZZ_SEEDS(make)                          \
  extern "C" int LLVMFuzzerInitialize(int*, char***) { \
    ::dabs::fuzz::WriteSeedsIfAsked(make);             \
    return 0;                                          \
  }

namespace dabs::fuzz {

[[noreturn]] void Fail(const char* what, const char* file, int line);

using Seed = std::vector<uint8_t>;

// Call from LLVMFuzzerInitialize. When DABS_FUZZ_SEED_DIR is set (scripts/fuzz.sh sets it
// for one run before fuzzing), writes make()'s seeds there as seed-0, seed-1, ... and exits;
// otherwise returns at once and make() is not called.
void WriteSeedsIfAsked(const std::function<std::vector<Seed>()>& make);

Seed Bytes(std::string_view text);
std::string_view Text(std::span<const uint8_t> bytes);

// The datagrams of the spec's test vectors (docs/spec/mp-vectors.json).
std::vector<Seed> SpecVectors();

// A file of the repository (path relative to its root), whole; empty when unreadable.
std::string ReadSourceFile(const std::string& relative);
// Every *.yaml file under a directory of the repository, whole.
std::vector<std::string> ReadSourceYamls(const std::string& relative_dir);
// The bodies of a Markdown file's fenced ```yaml blocks.
std::vector<std::string> YamlBlocks(std::string_view markdown);

// A directory to resolve farm files' relative paths against (<root>/x/etc, holding
// farm.key), made once per process; <root> is removed at exit.
const std::filesystem::path& FarmFileBase();
// Makes `file` an executable inside FarmFileBase()'s root; false (and nothing made) for a
// path outside it.
bool MakeExecutableInFarmRoot(const std::filesystem::path& file);

// Decodes `bytes` as a T, encodes what decoded and decodes that again: the second decode
// must succeed and encode to the same bytes (a decoded value's encoding is a fixed point),
// and for types that compare, give the same value. Returns the first decode, if any.
// T: static Result<T> Decode(span), std::vector<uint8_t> Encode() const.
template <typename T>
std::optional<T> RoundTrip(std::span<const uint8_t> bytes) {
  auto first = T::Decode(bytes);
  if (!first) return std::nullopt;
  const std::vector<uint8_t> once = first->Encode();
  auto second = T::Decode(once);
  DABS_FUZZ_CHECK(second.ok());
  DABS_FUZZ_CHECK(second->Encode() == once);
  if constexpr (std::equality_comparable<T>) DABS_FUZZ_CHECK(*second == *first);
  return std::move(*first);
}

}  // namespace dabs::fuzz
