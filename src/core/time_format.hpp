#pragma once
#include <cstdint>
#include <string>

namespace parley {
// "2026-01-31T12:00:00.123Z" for milliseconds since the Unix epoch.
std::string format_rfc3339(std::int64_t ms);
} // namespace parley
