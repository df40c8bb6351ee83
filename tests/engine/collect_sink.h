// A SuccessorSink that keeps every successor and its finding (semantics tests).
#pragma once

#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "engine/transition.h"

namespace cc::test {

/// Collects the successors of one state with their findings, in delivery order.
class Collect : public SuccessorSink {
 public:
  std::vector<std::pair<std::vector<uint8_t>, std::optional<Finding>>> out;
  void on_successor(Label, std::span<const uint8_t> state, const Finding* f) override {
    out.emplace_back(std::vector<uint8_t>(state.begin(), state.end()),
                     f ? std::optional<Finding>(*f) : std::nullopt);
  }
};

}  // namespace cc::test
