#include "fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace dabs::fuzz {

namespace fs = std::filesystem;

void Fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "dabs fuzz: property broken at %s:%d: %s\n", file, line, what);
  std::abort();
}

void WriteSeedsIfAsked(const std::function<std::vector<Seed>()>& make) {
  const char* dir = std::getenv("DABS_FUZZ_SEED_DIR");
  if (!dir || !*dir) return;
  fs::create_directories(dir);
  const std::vector<Seed> seeds = make();
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(fs::path(dir) / ("seed-" + std::to_string(i)), std::ios::binary);
    out.write(reinterpret_cast<const char*>(seeds[i].data()),
              static_cast<std::streamsize>(seeds[i].size()));
    if (!out) Fail("the seed was written", __FILE__, __LINE__);
  }
  std::printf("%zu seeds\n", seeds.size());
  std::exit(0);
}

Seed Bytes(std::string_view text) {
  return Seed(text.begin(), text.end());
}

std::string_view Text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::vector<Seed> SpecVectors() {
  std::vector<Seed> out;
  const auto doc =
      nlohmann::json::parse(ReadSourceFile("docs/spec/mp-vectors.json"), nullptr, false);
  if (!doc.is_object()) Fail("docs/spec/mp-vectors.json parses", __FILE__, __LINE__);
  for (const auto& v : doc["vectors"]) {
    const std::string hex = v["hex"].get<std::string>();
    Seed bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      bytes.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    out.push_back(std::move(bytes));
  }
  return out;
}

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(fs::path(DABS_SOURCE_DIR) / relative, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> ReadSourceYamls(const std::string& relative_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(DABS_SOURCE_DIR) / relative_dir, ec)) {
    if (e.path().extension() == ".yaml")
      out.push_back(ReadSourceFile(fs::relative(e.path(), DABS_SOURCE_DIR).string()));
  }
  return out;
}

std::vector<std::string> YamlBlocks(std::string_view markdown) {
  constexpr std::string_view kOpen = "```yaml\n";
  std::vector<std::string> out;
  for (size_t at = markdown.find(kOpen); at != std::string_view::npos;
       at = markdown.find(kOpen, at)) {
    at += kOpen.size();
    const size_t end = markdown.find("```", at);
    if (end == std::string_view::npos) break;
    out.emplace_back(markdown.substr(at, end - at));
    at = end + 3;
  }
  return out;
}

namespace {

void Touch(const fs::path& file, fs::perms perms) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "#!/bin/sh\n";
  fs::permissions(file, perms);
}

fs::path MakeFarmFileBase() {
  const fs::path root =
      fs::temp_directory_path() / ("dabs-fuzz-farm-" + std::to_string(::getpid()));
  const fs::path base = root / "x" / "etc";
  Touch(base / "farm.key", fs::perms::owner_read | fs::perms::owner_write);
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(FarmFileBase().parent_path().parent_path(), ec);
  });
  return base;
}

}  // namespace

const fs::path& FarmFileBase() {
  // Never destroyed: the exit handler that removes the directory still needs it.
  static const fs::path* base = new fs::path(MakeFarmFileBase());
  return *base;
}

bool MakeExecutableInFarmRoot(const fs::path& file) {
  const fs::path root = FarmFileBase().parent_path().parent_path();
  const fs::path normal = file.lexically_normal();
  const fs::path inside = normal.lexically_relative(root);
  if (inside.empty() || *inside.begin() == "..") return false;
  Touch(normal, fs::perms::owner_all);
  return true;
}

}  // namespace dabs::fuzz
