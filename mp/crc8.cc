// CRC-8 lives in its header (crc8.h); this unit keeps a translation unit for the table.
#include <dabs/mp/crc8.h>

namespace dabs::mp {
static_assert(Crc8(std::span<const uint8_t>()) == 0);
}  // namespace dabs::mp
