// Turning a path of stored (canonical) states into a concrete execution whose object names
// stay stable (docs/decisions.md, "Traces under symmetry are concrete"). Shared by the
// explorer's traces and the liveness pass's lassos.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "checker/check.h"
#include "engine/transition.h"

namespace cc {

/// Switches the system's reductions off for its lifetime (concrete successors) and back to
/// the options' setting afterwards.
class ConcreteMode {
 public:
  ConcreteMode(TransitionSystem& ts, const CheckOptions& opts) : ts_(ts), opts_(opts) {
    ts_.set_reductions(false, false);
  }
  ~ConcreteMode() { ts_.set_reductions(opts_.por, opts_.symmetry); }
  ConcreteMode(const ConcreteMode&) = delete;
  ConcreteMode& operator=(const ConcreteMode&) = delete;
  /// `raw` (a concrete state) in the form the search stored: canonicalized as the options say.
  void stored_form(std::span<const uint8_t> raw, std::vector<uint8_t>& out) {
    out.assign(raw.begin(), raw.end());
    ts_.set_reductions(opts_.por, opts_.symmetry);
    ts_.canonicalize(out);
    ts_.set_reductions(false, false);
  }

 private:
  TransitionSystem& ts_;
  const CheckOptions& opts_;
};

/// A state's successors, collected (for walking a canonical path concretely).
class CollectSink final : public SuccessorSink {
 public:
  struct Entry {
    Label label;
    std::vector<uint8_t> state;
    std::optional<Finding> finding;
  };
  std::vector<Entry> out;  ///< in delivery order
  void on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) override {
    out.push_back({label,
                   {state.begin(), state.end()},
                   finding != nullptr ? std::optional<Finding>(*finding) : std::nullopt});
  }
};

/// The concrete execution through the stored states `canon` (canon[0] is the initial state,
/// which is never canonicalized): from the concrete state so far, the first successor without
/// a checked finding (`checked`, by rule) whose stored form is the next state. Appends the
/// described steps to `trace` and leaves the last concrete state in `cur`. Runs inside `mode`.
/// Throws std::logic_error when no concrete step matches.
void concrete_path(TransitionSystem& ts, ConcreteMode& mode,
                   const std::vector<std::vector<uint8_t>>& canon,
                   const std::array<bool, kRuleCount>& checked, std::vector<TraceStep>& trace,
                   std::vector<uint8_t>& cur);

}  // namespace cc
