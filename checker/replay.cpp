#include "checker/replay.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "reference/ref_executor.h"

namespace cc {
namespace {

/// Length of the valid UTF-8 sequence at text[i] (1 to 4), or 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

/// The code point of the valid UTF-8 sequence of `len` bytes at text[i].
uint32_t utf8_code_point(std::string_view text, std::size_t i, std::size_t len) {
  static constexpr unsigned char kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t cp = static_cast<unsigned char>(text[i]) & kLeadMask[len];
  for (std::size_t k = 1; k < len; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return cp;
}

/// Code points a terminal acts on or that reorder the text around them: C1 controls, line
/// and paragraph separators, bidirectional embeddings, overrides and isolates.
bool is_hidden_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

std::string rule_text(std::optional<RuleId> r) {
  if (!r) return "no violation";
  const RuleInfo& i = rule_info(*r);
  return fmt::format("{} {}", i.id, i.name);
}

/// The trace's step in one line; every piece comes from the trace file, so it is made
/// printable.
std::string trace_view(const TraceStep& s) {
  std::vector<std::string> choices;
  std::vector<std::string> calls;
  for (const std::string& c : s.choices) choices.push_back(printable(c));
  for (const std::string& c : s.calls) calls.push_back(printable(c));
  std::string text = fmt::format("{}  choices [{}]  calls [{}]", printable(s.event),
                                 fmt::join(choices, ", "), fmt::join(calls, ", "));
  if (!s.action.empty()) text += fmt::format("  ({})", printable(s.action));
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

  /// Replays the whole trace from `start`: a depth-first search over the activities a key
  /// names (RefExecutor::instances), with an explicit stack of the steps that still have an
  /// untried instance, so the depth of the C++ stack does not grow with the trace. The first
  /// Reproduced, Clean or Unsupported outcome ends it; when every alternative fails, the
  /// first failure met (in depth-first order) is the result.
  ReplayResult run(const RefExecutor& start) {
    struct ChoicePoint {
      RefExecutor before;  ///< the state before step `i`
      std::size_t i = 0;   ///< the step
      std::size_t k = 0;   ///< the next instance to try
      std::size_t n = 0;   ///< how many instances answer to the step's key
    };
    std::vector<ChoicePoint> points;
    std::optional<ReplayResult> first_failure;
    RefExecutor ex = start;
    std::size_t i = 0;
    std::size_t k = 0;
    std::size_t n = 0;
    std::optional<RefExecutor> loop_begin;  // a lasso: the state where its cycle begins
    for (;;) {
      std::optional<ReplayResult> outcome;
      if (v_.loop_start && i >= v_.loop_start->value && k == 0) {
        if (i == v_.loop_start->value) loop_begin = ex;
        outcome = in_cycle(ex, i);
      }
      if (outcome) {
        // the lasso's predicate fails: judged below like any failure
      } else if (i == v_.trace.size()) {
        outcome = v_.loop_start ? cycle_end(ex, loop_begin) : at_end(ex);
      } else {
        const TraceStep& s = v_.trace[i];
        if (k == 0) n = ex.instances(s.event);
        if (k + 1 < n) points.push_back(ChoicePoint{ex, i, k + 1, n});
        RefExecutor next = ex;
        RefStep r = next.step(s.event, s.choices, k);
        outcome = judge(ex, r, i);
        if (!outcome) {  // the step fits: go on with the next one
          ex = std::move(next);
          ++i;
          k = 0;
          continue;
        }
      }
      if (outcome->status == ReplayStatus::Reproduced || outcome->status == ReplayStatus::Clean ||
          outcome->status == ReplayStatus::Unsupported) {
        return std::move(*outcome);
      }
      if (!first_failure) first_failure = std::move(outcome);
      if (points.empty()) return std::move(*first_failure);
      ChoicePoint& p = points.back();
      i = p.i;
      k = p.k;
      n = p.n;
      ex = std::move(p.before);
      points.pop_back();  // re-pushed above when instance k + 1 remains
    }
  }

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
    o << fmt::format("step {} of {} ('{}'): {}\n", i + 1, v_.trace.size(), printable(s.event),
                     headline);
    o << "  trace:              " << trace_view(s) << "\n";
    if (v_.violating_step && v_.violating_step->value == i) {
      o << "                      -> " << rule_text(v_.rule) << ": " << printable(v_.message)
        << "\n";
    }
    o << "  reference executor: " << printable(ref_view, 4096) << "\n";
    o << "  reference executor state before the step:\n" << before.describe_state();
    ReplayResult r;
    r.status = status;
    r.step = static_cast<uint32_t>(i + 1);
    r.message = o.str();
    return r;
  }

  /// Judges step i taken from `before`: nullopt when it fits and the replay goes on.
  std::optional<ReplayResult> judge(const RefExecutor& before, const RefStep& r, std::size_t i) {
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
    return std::nullopt;
  }

  /// A lasso's state `ex` before step i of its cycle (or after the last step): what stays
  /// pending is pending, the activity that stays blocked is there and step i is not its own.
  std::optional<ReplayResult> in_cycle(const RefExecutor& ex, std::size_t i) const {
    const auto broken = [&](const std::string& what) {
      ReplayResult r;
      r.status = ReplayStatus::Mismatch;
      r.step = static_cast<uint32_t>(i + 1);
      r.message = fmt::format("lasso, step {} of {}: {}\n  reference executor state:\n{}", i + 1,
                              v_.trace.size(), what, ex.describe_state());
      return r;
    };
    if (v_.stays_blocked) {
      if (ex.instances(v_.stays) == 0 || ex.enabled_events().empty()) {
        return broken(fmt::format("{} is not there to stay blocked", printable(v_.stays)));
      }
      if (i < v_.trace.size() && v_.trace[i].event == v_.stays) {
        return broken(
            fmt::format("{}, which should stay blocked, moves in the cycle", printable(v_.stays)));
      }
      return std::nullopt;
    }
    const std::vector<RefPending> pending = ex.pending_objects();
    const auto it = std::find_if(pending.begin(), pending.end(),
                                 [&](const RefPending& p) { return p.name == v_.stays; });
    if (it == pending.end()) {
      return broken(fmt::format("{} is not pending here", printable(v_.stays)));
    }
    if (it->cancelled != (v_.rule == RuleId::LostCancel)) {
      return broken(fmt::format("{} was {}cancelled, so the rule is not {}", printable(v_.stays),
                                it->cancelled ? "" : "not ", rule_text(v_.rule)));
    }
    return std::nullopt;
  }

  /// After a lasso's last step: the cycle must have returned to the state where it began.
  ReplayResult cycle_end(const RefExecutor& ex, const std::optional<RefExecutor>& begin) const {
    ReplayResult r;
    const std::size_t n = v_.trace.size();
    if (!begin || v_.loop_start->value >= n) {
      r.status = ReplayStatus::Misfit;
      r.message = fmt::format("the lasso's cycle starts at step {}, past its last step ({})",
                              v_.loop_start->value + 1, n);
      return r;
    }
    if (!ex.same_state(*begin)) {
      r.status = ReplayStatus::Mismatch;
      std::ostringstream o;
      o << fmt::format("the cycle (steps {} to {}) does not return to the state where it began\n",
                       v_.loop_start->value + 1, n);
      o << "  reference executor state where the cycle begins:\n" << begin->describe_state();
      o << "  reference executor state after the cycle:\n" << ex.describe_state();
      r.message = o.str();
      return r;
    }
    r.status = ReplayStatus::Reproduced;
    r.rule = v_.rule;
    r.message = fmt::format(
        "{} reproduced as a lasso: steps {} to {} return to the state where they began, with {} "
        "{} throughout",
        rule_text(v_.rule), v_.loop_start->value + 1, n, printable(v_.stays),
        v_.stays_blocked ? "blocked" : "pending");
    return r;
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
    o << "  trace:              " << rule_text(v_.rule) << ": " << printable(v_.message) << "\n";
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

std::string printable(std::string_view text, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (out.size() >= max_bytes) {
      out += fmt::format("... ({} more bytes)", text.size() - i);
      break;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += fmt::format("\\x{:02x}", c);
      }
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t len = utf8_length(text, i);
    if (len == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    const uint32_t cp = utf8_code_point(text, i, len);
    if (is_hidden_control(cp)) {
      out += fmt::format("\\u{:04x}", cp);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

ReplayResult replay_violation(const ast::Spec& spec, const SourceManager& sm, const Violation& v,
                              std::span<const RuleId> checked) {
  ReplayResult r;
  if (v.violating_step && v.violating_step->value + 1 != v.trace.size()) {
    // A trace ends at its violating step; steps after it were never checked.
    const uint32_t at = v.violating_step->value + 2;
    r.status = ReplayStatus::Misfit;
    r.step = at;
    r.message = fmt::format("step {} of {} ('{}'): the trace goes on past its violating step {}\n",
                            at, v.trace.size(), printable(v.trace[at - 1].event), at - 1);
    return r;
  }
  try {
    RefExecutor ex(spec, sm, trace_values(v));
    Replayer rp(v, checked);
    r = rp.run(ex);
  } catch (const RefUnsupported& e) {
    r.status = ReplayStatus::Unsupported;
    r.message = e.what();
  }
  if (v.trace.empty() && r.status == ReplayStatus::Clean) {
    // No steps claim a violation of the initial state, which is then an end state: a
    // schedule of no steps cannot "run clean".
    r.status = ReplayStatus::Misfit;
    r.message = fmt::format(
        "its start: the trace has no steps, so it claims {} in the initial state, but {}\n",
        rule_text(v.rule), r.message);
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
