#include <cassert>
#include <charconv>
#include <cstdio>

#include <dabs/mp/errc.h>
#include <dabs/mp/va.h>

namespace dabs::mp {

VaAllocator::VaAllocator(uint16_t server_index, uint32_t next_counter)
    : server_index_(server_index), next_(next_counter) {
  assert(server_index >= 1 && server_index <= kMaxServerIndex);
}

Result<Va> VaAllocator::Next() {
  if (next_ > kVaCounterMask) {
    return Error{make_error_code(Errc::kLimitExceeded), "VA counter exhausted on this server"};
  }
  return MakeVa(server_index_, next_++);
}

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsName(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

}  // namespace

Result<VaUri> VaUri::Parse(std::string_view text) {
  auto bad = [&](const char* why) {
    return Error{make_error_code(Errc::kMalformed), std::string(why) + " in '" + std::string(text) +
                                                        "' (expected mp://FARM/APP/INSTANCE)"};
  };
  constexpr std::string_view kScheme = "mp://";
  if (!text.starts_with(kScheme)) return bad("missing mp:// scheme");
  std::string_view rest = text.substr(kScheme.size());
  auto slash1 = rest.find('/');
  if (slash1 == std::string_view::npos) return bad("missing application");
  auto slash2 = rest.find('/', slash1 + 1);
  if (slash2 == std::string_view::npos) return bad("missing instance");
  VaUri uri;
  std::string_view farm = rest.substr(0, slash1);
  std::string_view app = rest.substr(slash1 + 1, slash2 - slash1 - 1);
  std::string_view inst = rest.substr(slash2 + 1);
  if (!IsName(farm)) return bad("bad farm name");
  if (!IsName(app)) return bad("bad application name");
  auto [end, ec] = std::from_chars(inst.data(), inst.data() + inst.size(), uri.instance);
  if (inst.empty() || ec != std::errc{} || end != inst.data() + inst.size()) {
    return bad("bad instance number");
  }
  uri.farm = std::string(farm);
  uri.app = std::string(app);
  return uri;
}

std::string VaUri::ToString() const {
  return "mp://" + farm + "/" + app + "/" + std::to_string(instance);
}

std::string FormatVa(Va va) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", va);
  return buf;
}

}  // namespace dabs::mp
