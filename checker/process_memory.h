// How much memory the whole process holds, so that --max-memory bounds the process and not
// only the search's own structures.
#pragma once

#include <cstdint>

namespace cc {

/// Resident set size of this process in bytes (Linux /proc/self/statm); 0 where unknown.
uint64_t process_resident_bytes();

}  // namespace cc
