// The reference executor's public API (see ref_executor.h): a RefExecutor owns a RefMachine
// (ref_machine.h) and takes each step on a copy of it, committed only when the step can be
// taken.
#include "reference/ref_executor.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "reference/ref_machine.h"

namespace cc {

// ---------------------------------------------------------------------------------------------
// RefExecutor
// ---------------------------------------------------------------------------------------------

std::string RefExecutor::unsupported_reason(const ast::Spec& /*spec*/) {
  // KMDF, NDIS, APPC and symbolic values are all executed; bounds are RefUnsupported.
  return "";
}

RefExecutor::RefExecutor(const ast::Spec& spec, const SourceManager& sm)
    : RefExecutor(spec, sm, SymbolicValues{}) {}

RefExecutor::RefExecutor(const ast::Spec& spec, const SourceManager& sm,
                         const SymbolicValues& values) {
  std::string why = unsupported_reason(spec);
  if (!why.empty()) throw RefUnsupported(why);
  m_ = std::make_unique<RefMachine>(spec, sm, values);
}

RefExecutor::RefExecutor(const RefExecutor& other) : m_(std::make_unique<RefMachine>(*other.m_)) {}
RefExecutor& RefExecutor::operator=(const RefExecutor& other) {
  if (this != &other) m_ = std::make_unique<RefMachine>(*other.m_);
  return *this;
}
RefExecutor::RefExecutor(RefExecutor&&) noexcept = default;
RefExecutor& RefExecutor::operator=(RefExecutor&&) noexcept = default;
RefExecutor::~RefExecutor() = default;

std::vector<RefSuccessor> RefExecutor::successors() const {
  std::vector<RefSuccessor> out;
  for (const std::string& key : m_->candidate_events()) {
    for (std::size_t inst = 0; inst < std::max<std::size_t>(1, m_->instances(key)); ++inst) {
      std::vector<std::vector<std::size_t>> work{{}};
      while (!work.empty()) {
        std::vector<std::size_t> prefix = std::move(work.back());
        work.pop_back();
        RefMachine copy = *m_;
        EnumChooser ch(prefix);
        try {
          Outcome o = copy.run_event(key, ch, inst);
          RefSuccessor s;
          s.event = key;
          s.instance = inst;
          s.choices = std::move(o.choices);
          s.calls = std::move(o.calls);
          if (o.violation) {
            s.violation = o.violation->rule;
            s.violation_message = o.violation->message;
          }
          out.push_back(std::move(s));
        } catch (const BlockedSig&) {
        } catch (const PrunedSig&) {
        }
        for (const auto& [pos, count] : ch.fresh_points()) {
          for (std::size_t alt = 1; alt < count; ++alt) {
            std::vector<std::size_t> p(ch.taken().begin(),
                                       ch.taken().begin() + static_cast<std::ptrdiff_t>(pos));
            p.push_back(alt);
            work.push_back(std::move(p));
          }
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const RefSuccessor& a, const RefSuccessor& b) {
    return std::tie(a.event, a.choices, a.instance) < std::tie(b.event, b.choices, b.instance);
  });
  return out;
}

std::vector<std::string> RefExecutor::enabled_events() const {
  std::set<std::string> keys;
  for (const RefSuccessor& s : successors()) keys.insert(s.event);
  return {keys.begin(), keys.end()};
}

std::size_t RefExecutor::instances(const std::string& event) const {
  return std::max<std::size_t>(1, m_->instances(event));
}

RefStep RefExecutor::step(const std::string& event, const std::vector<std::string>& choices,
                          std::size_t instance) {
  RefStep st;
  RefMachine copy = *m_;
  ReplayChooser ch(choices);
  try {
    Outcome o = copy.run_event(event, ch, instance);
    st.calls = std::move(o.calls);
    st.choices = std::move(o.choices);
    if (o.violation) {
      st.violation = o.violation->rule;
      st.violation_message = o.violation->message;
    }
  } catch (const ReplayError& e) {
    st.error = fmt::format("'{}': {}", event, e.message);
    return st;
  } catch (const BlockedSig& b) {
    st.error = fmt::format("'{}' cannot move: {}", event, b.why);
    return st;
  } catch (const PrunedSig&) {
    st.error = fmt::format("'{}' cannot move with these choices: an assume() fails", event);
    return st;
  }
  if (!ch.exhausted()) {
    st.error = fmt::format("'{}' does not use all the choices of the trace ({} given, {} used)",
                           event, choices.size(), st.choices.size());
    st.calls.clear();
    st.violation.reset();
    return st;
  }
  st.ok = true;
  *m_ = std::move(copy);
  return st;
}

bool RefExecutor::at_end() const {
  return successors().empty();
}

std::optional<RefEndFinding> RefExecutor::end_state_violation() const {
  return m_->end_check();
}

std::string RefExecutor::describe_state() const {
  return m_->describe();
}

bool RefExecutor::same_state(const RefExecutor& other) const {
  return m_->same_state(*other.m_);
}

std::vector<RefPending> RefExecutor::pending_objects() const {
  return m_->pending_objects();
}

}  // namespace cc
