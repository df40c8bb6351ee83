#include "checker/limits.h"

#include <cstdio>

namespace cc {

std::string limit_reason(LimitHit hit, const CheckOptions& opts, uint64_t states, uint32_t depth,
                         std::string_view where) {
  const std::string after = " after " + std::to_string(states) +
                            (states == 1 ? " state" : " states") + " (depth " +
                            std::to_string(depth) + ")";
  switch (hit) {
    case LimitHit::States:
      return "state limit " + std::to_string(opts.max_states) + " reached" + after;
    case LimitHit::StateIds:
      return "state id space (32-bit) exhausted" + after;
    case LimitHit::Memory:
      return "memory limit " + std::to_string(opts.max_memory_mb) + " MB reached" + after +
             std::string(where);
    case LimitHit::Time: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", opts.time_limit_s);
      return std::string("time limit ") + buf + " s reached" + after;
    }
    case LimitHit::Interrupt:
      return "interrupted" + after;
  }
  return {};
}

}  // namespace cc
