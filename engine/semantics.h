// The framework semantics (docs/semantics/: kmdf.md, ndis.md, appc.md) as a
// TransitionSystem over flat byte states: requests, queues, targets, NBLs, verbs, VCBs,
// locks, events, timers, globals and activities (callback instances, threads) laid out once
// per spec.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "engine/transition.h"
#include "model/ast.h"
#include "model/source.h"

namespace cc {

/// Thrown when a run exceeds a bound of the model itself (too many concurrent activities, a
/// list over capacity, a local loop that never reaches a visible step). The search reports
/// the spec as incomplete with this message.
class ModelLimit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Builds the transition system of a checked spec. Returns nullptr and sets `unsupported`
/// when the spec uses a domain or construct the semantics do not execute yet.
std::unique_ptr<TransitionSystem> make_transition_system(const ast::Spec& spec,
                                                         const SourceManager& sm,
                                                         std::string& unsupported);

}  // namespace cc
