// What a run of the semantics can hit besides a rule: a bound of the model itself. The
// transition system is built by modules/registry.h (the engine, engine/core.h, with every
// framework module).
#pragma once

#include <stdexcept>
#include <string>

namespace cc {

/// Thrown when a run exceeds a bound of the model itself (too many concurrent activities, a
/// list over capacity, a local loop that never reaches a visible step). The search reports
/// the spec as incomplete with this message.
class ModelLimit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cc
