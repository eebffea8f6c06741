#pragma once
// Time-sortable 64-bit ids, unique across nodes: 41 bits of milliseconds since
// 2025-01-01, 10 bits of node id, 12 bits of per-millisecond sequence. Sent as
// decimal strings in JSON (JavaScript numbers cannot hold 64 bits).

#include <cstdint>
#include <mutex>
#include <string>

#include "core/clock.hpp"

namespace parley {

class IdGen {
 public:
  virtual ~IdGen() = default;
  virtual std::string next() = 0;
};

class SnowflakeIdGen final : public IdGen {
 public:
  static constexpr std::int64_t kEpochMs = 1'735'689'600'000; // 2025-01-01T00:00:00Z
  static constexpr unsigned kNodeBits = 10;
  static constexpr unsigned kSeqBits = 12;

  SnowflakeIdGen(const Clock& clock, std::uint32_t node);
  std::string next() override;
  std::uint64_t next_raw();

 private:
  const Clock& clock_;
  std::uint64_t node_;
  std::mutex mutex_;
  std::int64_t last_ms_ = 0;
  std::uint64_t seq_ = 0;
};

} // namespace parley
