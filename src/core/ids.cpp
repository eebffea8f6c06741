#include "core/ids.hpp"

#include <stdexcept>

namespace parley {

SnowflakeIdGen::SnowflakeIdGen(const Clock& clock, std::uint32_t node) : clock_(clock), node_(node) {
  if (node >= (1u << kNodeBits)) throw std::invalid_argument("node id must be below 1024");
}

std::string SnowflakeIdGen::next() { return std::to_string(next_raw()); }

std::uint64_t SnowflakeIdGen::next_raw() {
  std::lock_guard lock(mutex_);
  std::int64_t ms = clock_.now_ms() - kEpochMs;
  // A clock that steps back must not produce a smaller id: keep the last millisecond.
  if (ms < last_ms_) ms = last_ms_;
  if (ms == last_ms_) {
    if (++seq_ == (1u << kSeqBits)) { // sequence exhausted: borrow the next millisecond
      seq_ = 0;
      ++ms;
    }
  } else {
    seq_ = 0;
  }
  last_ms_ = ms;
  return (static_cast<std::uint64_t>(ms) << (kNodeBits + kSeqBits)) | (node_ << kSeqBits) | seq_;
}

} // namespace parley
