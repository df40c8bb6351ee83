#include "checker/replay.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checker/ref_executor.h"

namespace cc {
namespace {

std::string rule_text(std::optional<RuleId> r) {
  if (!r) return "no violation";
  const RuleInfo& i = rule_info(*r);
  return fmt::format("{} {}", i.id, i.name);
}

std::string trace_view(const TraceStep& s) {
  std::string text = fmt::format("{}  choices [{}]  calls [{}]", s.event,
                                 fmt::join(s.choices, ", "), fmt::join(s.calls, ", "));
  if (!s.action.empty()) text += fmt::format("  ({})", s.action);
  return text;
}

std::string executor_view(const std::string& event, const RefStep& r) {
  if (!r.ok) return r.error;
  std::string text = fmt::format("{}  choices [{}]  calls [{}]", event, fmt::join(r.choices, ", "),
                                 fmt::join(r.calls, ", "));
  if (r.violation) text += fmt::format("  -> {}: {}", rule_text(r.violation), r.violation_message);
  return text;
}

/// The step's API calls agree. A trace entry "Name=?" (a result that is a symbolic value,
/// docs/replay.md) matches the executor's "Name=<int>", which comes from the trace's model.
bool calls_match(const std::vector<std::string>& trace, const std::vector<std::string>& ref) {
  if (trace.size() != ref.size()) return false;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const std::string& t = trace[i];
    if (t.size() > 2 && t.ends_with("=?")) {
      if (!ref[i].starts_with(t.substr(0, t.size() - 1))) return false;
    } else if (t != ref[i]) {
      return false;
    }
  }
  return true;
}

class Replayer {
 public:
  Replayer(const Violation& v, std::span<const RuleId> checked) : v_(v), checked_(checked) {}

  ReplayResult run(const RefExecutor& start) { return go(start, 0); }

 private:
  const Violation& v_;
  std::span<const RuleId> checked_;

  bool checked(RuleId r) const {
    return checked_.empty() || std::find(checked_.begin(), checked_.end(), r) != checked_.end();
  }

  ReplayResult fail(ReplayStatus status, std::size_t i, const std::string& headline,
                    const RefExecutor& before, const std::string& ref_view) const {
    std::ostringstream o;
    const TraceStep& s = v_.trace[i];
    o << fmt::format("step {} of {} ('{}'): {}\n", i + 1, v_.trace.size(), s.event, headline);
    o << "  trace:              " << trace_view(s) << "\n";
    if (v_.violating_step && v_.violating_step->value == i) {
      o << "                      -> " << rule_text(v_.rule) << ": " << v_.message << "\n";
    }
    o << "  reference executor: " << ref_view << "\n";
    o << "  reference executor state before the step:\n" << before.describe_state();
    ReplayResult r;
    r.status = status;
    r.step = static_cast<uint32_t>(i + 1);
    r.message = o.str();
    return r;
  }

  /// Replays steps i.. from `ex`. A key naming several activities (see
  /// RefExecutor::instances) is tried with each of them.
  ReplayResult go(const RefExecutor& ex, std::size_t i) {
    if (i == v_.trace.size()) return at_end(ex);
    const TraceStep& s = v_.trace[i];
    const std::size_t n = ex.instances(s.event);
    std::optional<ReplayResult> first_failure;
    for (std::size_t k = 0; k < n; ++k) {
      RefExecutor next = ex;
      RefStep r = next.step(s.event, s.choices, k);
      ReplayResult res = judge(ex, next, r, i);
      if (res.status == ReplayStatus::Reproduced || res.status == ReplayStatus::Clean ||
          res.status == ReplayStatus::Unsupported) {
        return res;
      }
      if (!first_failure) first_failure = std::move(res);
    }
    return *first_failure;
  }

  ReplayResult judge(const RefExecutor& before, const RefExecutor& after, const RefStep& r,
                     std::size_t i) {
    const TraceStep& s = v_.trace[i];
    const bool violating_here = v_.violating_step && v_.violating_step->value == i;
    if (!r.ok) {
      return fail(ReplayStatus::Misfit, i, "the step cannot be taken", before,
                  executor_view(s.event, r));
    }
    if (!calls_match(s.calls, r.calls)) {
      return fail(ReplayStatus::Mismatch, i, "the API results differ", before,
                  executor_view(s.event, r));
    }
    if (r.violation) {
      if (violating_here && *r.violation == v_.rule) {
        ReplayResult ok;
        ok.status = ReplayStatus::Reproduced;
        ok.rule = r.violation;
        ok.step = static_cast<uint32_t>(i + 1);
        ok.message = fmt::format("{} reproduced at step {}: {}", rule_text(r.violation), i + 1,
                                 r.violation_message);
        return ok;
      }
      if (!violating_here && !checked(*r.violation)) {
        ReplayResult u;
        u.status = ReplayStatus::Unsupported;
        u.step = static_cast<uint32_t>(i + 1);
        u.message = fmt::format("step {} violates {}, which the search did not check and went past",
                                i + 1, rule_text(r.violation));
        return u;
      }
      return fail(ReplayStatus::Mismatch, i,
                  violating_here
                      ? "the rule differs"
                      : "the reference executor finds a violation the trace does not have",
                  before, executor_view(s.event, r));
    }
    if (violating_here) {
      return fail(ReplayStatus::Mismatch, i,
                  "the trace's violation does not happen in the reference executor", before,
                  executor_view(s.event, r));
    }
    return go(after, i + 1);
  }

  ReplayResult at_end(const RefExecutor& ex) {
    ReplayResult r;
    r.status = ReplayStatus::Clean;
    const std::size_t n = v_.trace.size();
    if (v_.violating_step) {
      r.message = fmt::format(
          "the schedule runs clean: its {} steps end before step {}, where the trace reports {}", n,
          v_.violating_step->value + 1, rule_text(v_.rule));
      return r;
    }
    std::vector<std::string> movable = ex.enabled_events();
    if (!movable.empty()) {
      r.message = fmt::format(
          "the schedule runs clean: after its {} steps {} can still move, so it is not an end "
          "state",
          n, fmt::join(movable, ", "));
      return r;
    }
    std::optional<RefEndFinding> f = ex.end_state_violation();
    if (!f) {
      r.message =
          fmt::format("the schedule runs clean: its end state after {} steps violates nothing", n);
      return r;
    }
    if (f->rule == v_.rule) {
      r.status = ReplayStatus::Reproduced;
      r.rule = f->rule;
      r.message = fmt::format("{} reproduced at the end state after step {}: {}",
                              rule_text(f->rule), n, f->message);
      return r;
    }
    r.status = ReplayStatus::Mismatch;
    std::ostringstream o;
    o << fmt::format("end state after step {}: the rule differs\n", n);
    o << "  trace:              " << rule_text(v_.rule) << ": " << v_.message << "\n";
    o << "  reference executor: " << rule_text(f->rule) << ": " << f->message << "\n";
    o << "  reference executor state:\n" << ex.describe_state();
    r.message = o.str();
    return r;
  }
};

/// The trace's model: every step's symbolic values by name (a value string starts with the
/// number: "3", "0xC0000001 (STATUS_UNSUCCESSFUL)").
SymbolicValues trace_values(const Violation& v) {
  SymbolicValues out;
  for (const TraceStep& s : v.trace) {
    for (const auto& [name, text] : s.symbolic_values) {
      try {
        out[name] = std::stoull(text, nullptr, 0);
      } catch (const std::exception&) {
        // not a number: leave the variable at its default
      }
    }
  }
  return out;
}

}  // namespace

ReplayResult replay_violation(const ast::Spec& spec, const SourceManager& sm, const Violation& v,
                              std::span<const RuleId> checked) {
  ReplayResult r;
  try {
    RefExecutor ex(spec, sm, trace_values(v));
    Replayer rp(v, checked);
    return rp.run(ex);
  } catch (const RefUnsupported& e) {
    r.status = ReplayStatus::Unsupported;
    r.message = e.what();
  }
  return r;
}

std::string confirm(const ast::Spec& spec, const SourceManager& sm, const Violation& v) {
  ReplayResult r = replay_violation(spec, sm, v);
  switch (r.status) {
    case ReplayStatus::Reproduced:
      return "";
    case ReplayStatus::Unsupported:
      return "not replayed: " + r.message;
    case ReplayStatus::Clean:
      return "the reference executor finds no violation on this schedule: " + r.message;
    case ReplayStatus::Misfit:
    case ReplayStatus::Mismatch:
      break;
  }
  return r.message;
}

}  // namespace cc
