// Hand-built RunResults for the report tests and the browser test: a realistic KMDF double
// completion, a spec whose names are hostile HTML/XML, and pass/incomplete/error verdicts.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "checker/result.h"

namespace cc::test {

/// A string with every character the report formats must escape.
inline const std::string kHostile = "<script>alert(1)</script>\"&'";

/// Builds an ObjectView from (field, value) pairs.
inline ObjectView object(std::string name, std::string kind,
                         std::vector<std::pair<std::string, std::string>> fields) {
  ObjectView o;
  o.name = std::move(name);
  o.kind = std::move(kind);
  o.fields = std::move(fields);
  return o;
}

/// A spec location.
inline ResultLoc loc(std::string file, uint32_t line, uint32_t col, std::string source) {
  ResultLoc l;
  l.file = std::move(file);
  l.line = line;
  l.col = col;
  l.source = std::move(source);
  return l;
}

/// The request and timer of the double-completion trace in a given state.
inline std::vector<ObjectView> fx2_objects(const std::string& state, const std::string& owner,
                                           const std::string& cancelable, const std::string& cancel,
                                           const std::string& completions,
                                           const std::string& status, const std::string& timer) {
  return {object("req#1 (reads)", "request",
                 {{"state", state},
                  {"owner", owner},
                  {"cancelable", cancelable},
                  {"cancel requested", cancel},
                  {"completions", completions},
                  {"status", status}}),
          object("timer#1", "timer", {{"state", timer}})};
}

/// One trace step.
inline TraceStep step(uint32_t activity, std::string name, ActorKind actor, std::string action,
                      std::string result, std::string note, ResultLoc loc,
                      std::vector<ObjectView> objects) {
  TraceStep s;
  s.activity = activity;
  s.activity_name = std::move(name);
  s.actor = actor;
  s.action = std::move(action);
  s.result = std::move(result);
  s.note = std::move(note);
  s.loc = std::move(loc);
  s.objects = std::move(objects);
  return s;
}

/// Search statistics set by name, so that new Stats fields keep their defaults.
inline Stats stats(uint64_t states, uint64_t transitions, uint32_t depth, double seconds,
                   uint64_t z3_queries = 0, uint64_t z3_cached = 0, double z3_seconds = 0.0) {
  Stats st;
  st.states = states;
  st.transitions = transitions;
  st.max_depth = depth;
  st.state_bytes = 48;
  st.peak_memory_bytes = 1 << 20;
  st.seconds = seconds;
  st.z3_queries = z3_queries;
  st.z3_cached = z3_cached;
  st.z3_seconds = z3_seconds;
  return st;
}

/// The spec path of the realistic example.
inline const std::string kFx2Path = "specs/kmdf/fx2_timer_cancel.spec";

/// A spec location in the realistic example.
inline ResultLoc fx2_loc(uint32_t line, uint32_t col, std::string source) {
  return loc(kFx2Path, line, col, std::move(source));
}

/// CR001: the cancel routine and the timer both complete req#1 (9 steps, 5 activities).
inline Violation fx2_double_completion() {
  Violation v;
  v.rule = RuleId::DoubleCompletion;
  v.message = "req#1 completed twice: by OnCancel at step 7 and by OnTimer at step 9";
  v.headline = "OnCancel completed req#1 at step 7; OnTimer completed it again at step 9";
  v.loc = fx2_loc(31, 5, "    WdfRequestComplete(req, STATUS_SUCCESS);");
  using A = ActorKind;
  v.trace = {
      step(0, "I/O manager", A::Originator, "IRP_MJ_READ", "", "req#1 arrives on queue reads", {},
           fx2_objects("queued", "framework", "no", "no", "0", "-", "idle")),
      step(1, "framework", A::Framework, "dispatch req#1 to EvtIoRead", "", "OnRead[req#1] starts",
           fx2_loc(6, 5, "    EvtIoRead = OnRead;"),
           fx2_objects("dispatched", "driver", "no", "no", "0", "-", "idle")),
      step(2, "OnRead[req#1]", A::Driver, "WdfRequestMarkCancelableEx(req#1, OnCancel)",
           "STATUS_SUCCESS", "", fx2_loc(14, 3, "  WdfRequestMarkCancelableEx(req, OnCancel);"),
           fx2_objects("dispatched", "driver", "yes", "no", "0", "-", "idle")),
      step(2, "OnRead[req#1]", A::Driver, "WdfTimerStart(timer#1, 10)", "FALSE", "OnRead returns",
           fx2_loc(15, 3, "  WdfTimerStart(timer, 10);"),
           fx2_objects("dispatched", "driver", "yes", "no", "0", "-", "armed")),
      step(0, "I/O manager", A::Originator, "IoCancelIrp(req#1)", "TRUE",
           "the application cancels the read", {},
           fx2_objects("dispatched", "driver", "yes", "yes", "0", "-", "armed")),
      step(1, "framework", A::Framework, "call EvtRequestCancel(req#1)", "",
           "the request is no longer cancelable", {},
           fx2_objects("dispatched", "driver", "no", "yes", "0", "-", "armed")),
      step(3, "OnCancel[req#1]", A::Driver, "WdfRequestComplete(req#1, STATUS_CANCELLED)", "", "",
           fx2_loc(22, 3, "  WdfRequestComplete(req, STATUS_CANCELLED);"),
           fx2_objects("completed", "I/O manager", "no", "yes", "1", "STATUS_CANCELLED", "armed")),
      step(
          1, "framework", A::Framework, "timer#1 expires", "", "OnTimer[timer#1] starts",
          fx2_loc(9, 5, "    EvtTimerFunc = OnTimer;"),
          fx2_objects("completed", "I/O manager", "no", "yes", "1", "STATUS_CANCELLED", "running")),
      step(4, "OnTimer[timer#1]", A::Driver, "WdfRequestComplete(req#1, STATUS_SUCCESS)", "",
           "req#1 was already completed at step 7",
           fx2_loc(31, 5, "    WdfRequestComplete(req, STATUS_SUCCESS);"),
           fx2_objects("completed twice", "I/O manager", "no", "yes", "2", "STATUS_SUCCESS",
                       "running")),
  };
  v.violating_step = StepIndex{8};
  v.racing_steps = {StepIndex{6}, StepIndex{8}};
  v.replayed = true;
  return v;
}

/// The spec path whose name is hostile.
inline const std::string kHostilePath = "specs/evil/" + kHostile + ".spec";

/// CR006 in a spec whose activity, object, action and message texts are hostile markup.
inline Violation hostile_violation() {
  Violation v;
  v.rule = RuleId::CompleteWhileCancelable;
  v.message = "completed " + kHostile + " while cancelable <img src=x onerror=alert(3)>";
  v.headline = kHostile + " completed the request at step 2 while it was still cancelable";
  v.loc = loc(kHostilePath, 3, 7, "  if (a < b && c > d) { x = \"</script>\"; }");
  TraceStep s1 = step(
      0, kHostile, ActorKind::Driver, "WdfRequestMarkCancelableEx(" + kHostile + ", OnCancel)",
      "STATUS_SUCCESS", "note with </script><script>alert(2)</script>",
      loc(kHostilePath, 2, 3, "  <b>bold</b> & 'quoted' \"text\""),
      {object("</script><script>alert(4)</script>", "request\"&'",
              {{"state<", "pending & \"cancelable\""}, {"ctrl", std::string("bell\x07here")}})});
  TraceStep s2 = step(1, "framework \u2028 \"&'", ActorKind::Framework, "dispatch", "", "", {},
                      {object("</script><script>alert(4)</script>", "request\"&'",
                              {{"state<", "completed"}, {"ctrl", std::string("bell\x07here")}})});
  TraceStep s3 =
      step(0, kHostile, ActorKind::Driver, "WdfRequestComplete(" + kHostile + ", STATUS_SUCCESS)",
           "", "", v.loc, s2.objects);
  s3.symbolic_values = {{"len<", "3&4"}};
  s3.choice = 2;
  v.trace = {s1, s2, s3};
  v.violating_step = StepIndex{2};
  v.racing_steps = {StepIndex{0}, StepIndex{2}};
  v.replayed = false;
  return v;
}

/// A run with every verdict: the realistic violation, the hostile one, a pass, an incomplete
/// search and a spec error.
inline RunResult sample_run() {
  RunResult run;
  run.tool_version = "0.1.0";

  SpecResult fx2;
  fx2.path = kFx2Path;
  fx2.title = "kmdf_fx2 read with a timer and a cancel routine";
  fx2.verdict = Verdict::Violation;
  fx2.violations = {fx2_double_completion()};
  fx2.stats = stats(1234, 5678, 17, 0.0125);
  run.specs.push_back(fx2);

  SpecResult evil;
  evil.path = kHostilePath;
  evil.title = kHostile;
  evil.verdict = Verdict::Violation;
  evil.violations = {hostile_violation()};
  evil.stats = stats(42, 77, 3, 0.5, 5, 2, 0.25);
  evil.checked_rules = {RuleId::DoubleCompletion, RuleId::CompleteWhileCancelable,
                        RuleId::Assertion};
  run.specs.push_back(evil);

  SpecResult fixed;
  fixed.path = "specs/kmdf/fx2_timer_cancel_fixed.spec";
  fixed.title = "kmdf_fx2 read, fixed";
  fixed.verdict = Verdict::Pass;
  fixed.stats = stats(2048, 6000, 19, 0.02);
  run.specs.push_back(fixed);

  SpecResult big;
  big.path = "specs/ndis/filter_many.spec";
  big.verdict = Verdict::Incomplete;
  big.incomplete_reason = "state limit 1000000 reached";
  big.stats = stats(1000000, 3500000, 40, 2.0);
  big.checked_rules = {RuleId::DoubleCompletion, RuleId::LostCancel};
  run.specs.push_back(big);

  SpecResult broken;
  broken.path = "specs/appc/broken.spec";
  broken.verdict = Verdict::Error;
  broken.error =
      "specs/appc/broken.spec:3:1: error: unknown API 'WdfRequestCompleet'\n  3 | "
      "WdfRequestCompleet(req);\n    | ^";
  run.specs.push_back(broken);
  return run;
}

}  // namespace cc::test
