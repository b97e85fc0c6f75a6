// The emulated set-tops: from a scenario and its seed, which profile each set-top has, the
// OOB node and DOCSIS service group it sits on, and its capability bits. Reproducible: the
// same scenario and seed give the same population.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <dabs/emu/scenario.h>
#include <dabs/mp/system_messages.h>

namespace dabs::emu {

// One set-top, compact (16 bytes) so that 100,000 of them stay small.
struct StbRecord {
  uint32_t index = 0;
  uint32_t oob_node = 0;
  uint32_t docsis_group = 0;
  uint16_t profile = 0;   // into Scenario::profiles
  uint8_t caps = 0;       // mp::caps bits (DOCSIS, OOB, telco, FPU, encryption)
  uint8_t installed = 0;  // ChannelMask of reverse-channel modules already installed

  // The capability bits as OPEN_SESSION carries them.
  uint32_t Caps() const { return caps; }
  bool HasHardware(ChannelKind c) const;
  bool HasModule(ChannelKind c) const { return (installed & Bit(c)) != 0; }
};
static_assert(sizeof(StbRecord) == 16);
static_assert(mp::caps::kEncryption < 0x100, "caps must fit StbRecord::caps");

// Immutable after construction; thread-safe for reading.
class Population {
 public:
  // Profile counts follow the shares exactly (largest remainder), then profiles are shuffled
  // over the set-tops with the scenario's seed; set-top i is on OOB node
  // i / stbs_per_oob_node and DOCSIS group i / stbs_per_docsis_group.
  // REQUIRES: a scenario that ParseScenario accepted.
  explicit Population(const Scenario& scenario);

  std::span<const StbRecord> stbs() const { return stbs_; }
  const StbRecord& operator[](size_t i) const { return stbs_[i]; }
  size_t size() const { return stbs_.size(); }
  uint32_t oob_nodes() const { return oob_nodes_; }
  uint32_t docsis_groups() const { return docsis_groups_; }
  // How many set-tops have each profile.
  std::vector<uint32_t> CountByProfile() const;
  // Heap bytes held (for the memory bound).
  size_t MemoryBytes() const { return stbs_.capacity() * sizeof(StbRecord); }

 private:
  std::vector<StbRecord> stbs_;
  uint32_t oob_nodes_ = 0;
  uint32_t docsis_groups_ = 0;
  size_t profiles_ = 0;
};

// A seed for one part of the emulator (population, viewers, a channel) derived from the
// scenario's seed, so that parts draw independent streams. Pure.
uint64_t DeriveSeed(uint64_t seed, uint64_t part);

}  // namespace dabs::emu
