// A server's figures in their two forms: SERVER_STATS on the wire (mp::ServerStats, u64 TLVs,
// percentages and the load x 100) and StatsRecord in the store (named doubles, in plain units,
// the names dabsctl stats --json uses). One table maps each server_stat tag to its name and
// scale, so both directions agree.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <dabs/mp/farm_messages.h>
#include <dabs/store/records.h>

namespace dabs::statd {

// Names of StatsRecord::figures.
namespace figure {
inline constexpr std::string_view kCpuPct = "cpu_pct";
inline constexpr std::string_view kMemoryPct = "memory_pct";
inline constexpr std::string_view kNetPct = "net_pct";
inline constexpr std::string_view kLoad = "load";  // smoothed load score, 0..100
inline constexpr std::string_view kLatencyP99Ms = "latency_p99_ms";
inline constexpr std::string_view kFreeMemoryMb = "free_memory_mb";
inline constexpr std::string_view kFreeDiskMb = "free_disk_mb";
inline constexpr std::string_view kFreeCpuPct = "free_cpu_pct";
inline constexpr std::string_view kInstances = "instances";
inline constexpr std::string_view kSessions = "sessions";
inline constexpr std::string_view kBelowMinimums = "below_minimums";  // bits: 1 cpu 2 mem 4 disk
inline constexpr std::string_view kLatencyHigh = "latency_high";      // 1 or 0
inline constexpr std::string_view kCpuCores = "cpu_cores";
inline constexpr std::string_view kMemoryTotalMb = "memory_total_mb";
inline constexpr std::string_view kRawLoad = "raw_load";  // the last sample's score
}  // namespace figure

struct FigureSpec {
  uint8_t tag;            // mp::server_stat
  std::string_view name;  // figure::
  double scale;           // wire value = round(figure * scale)
};

// Every figure SERVER_STATS carries besides the sample time (kSampledAtMs).
std::span<const FigureSpec> FigureSpecs();

// The wire form of a record: each named figure that has a tag (negative and NaN figures as 0),
// and sampled_ms as kSampledAtMs. Figures without a tag are not sent.
mp::ServerStats ToServerStats(const store::StatsRecord& record);

// The store form of SERVER_STATS: every known tag by name, scaled back; unknown tags (a newer
// server's) are left out. sampled_ms is kSampledAtMs, or `received_ms` when absent.
store::StatsRecord ToStatsRecord(const mp::ServerStats& stats, int64_t received_ms);

// A figure of a record, or `fallback` when absent.
double FigureOr(const store::StatsRecord& record, std::string_view name, double fallback = 0);

}  // namespace dabs::statd
