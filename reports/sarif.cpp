#include "reports/sarif.h"

#include <string_view>

#include "reports/baseline.h"
#include "reports/escape.h"
#include "reports/project.h"

namespace cc::reports {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kSchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";
/// The partialFingerprints key: v2 since fingerprints are XXH3 over root-relative paths.
constexpr std::string_view kFingerprintKey = "cancelcheck/v2";
constexpr std::string_view kActorNames[] = {"driver", "framework", "target", "originator"};

std::string str(std::string_view s) {
  return sanitize_utf8(s);
}

ordered_json text_message(std::string_view text) {
  return ordered_json{{"text", str(text)}};
}

ordered_json string_list(std::string_view comma_separated) {
  ordered_json out = ordered_json::array();
  std::string_view rest = comma_separated;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.push_back(std::string(item));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

// PascalCase of a kebab-case rule name ("double-completion" -> "DoubleCompletion").
std::string pascal(std::string_view kebab) {
  std::string out;
  bool upper = true;
  for (char c : kebab) {
    if (c == '-') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

ordered_json rule_descriptor(const RuleInfo& r) {
  std::string help = std::string(r.full);
  std::string markdown =
      "**" + std::string(r.id) + " " + std::string(r.name) + "**: " + std::string(r.full);
  if (!r.aliases.empty()) {
    help += " Related SDV rules: " + std::string(r.aliases) + ".";
    markdown += "\n\nRelated SDV rules: " + std::string(r.aliases) + ".";
  }
  return ordered_json{
      {"id", r.id},
      {"name", pascal(r.name)},
      {"shortDescription", text_message(r.brief)},
      {"fullDescription", text_message(r.full)},
      {"helpUri", rule_help_uri(r)},
      {"help", ordered_json{{"text", help}, {"markdown", markdown}}},
      {"defaultConfiguration", ordered_json{{"level", "error"}}},
      {"properties",
       ordered_json{{"ruleName", r.name},
                    {"sdvAliases", string_list(r.aliases)},
                    {"tags", ordered_json::array({"correctness", "concurrency", "cancellation"})},
                    {"precision", "very-high"},
                    {"problem.severity", "error"}}}};
}

// An artifactLocation: relative to SRCROOT when the file lies under the source root, else an
// absolute file:// URI (or the path as given when no root is set).
ordered_json artifact_location(std::string_view file, const SourceRoot& root) {
  if (auto rel = root.relative(file)) {
    return ordered_json{{"uri", path_to_uri(*rel)}, {"uriBaseId", kSourceRootBaseId}};
  }
  return ordered_json{
      {"uri", path_to_uri(root.empty() ? std::string(file) : root.stable_path(file))}};
}

// A physicalLocation for a spec location; the region only when a line is known.
ordered_json physical_location(const ResultLoc& loc, std::string_view fallback_file,
                               const SourceRoot& root) {
  std::string file = loc.file.empty() ? std::string(fallback_file) : loc.file;
  ordered_json physical{{"artifactLocation", artifact_location(file, root)}};
  if (loc.line > 0) {
    ordered_json region{{"startLine", loc.line}};
    if (loc.col > 0) region["startColumn"] = loc.col;
    if (!loc.source.empty()) region["snippet"] = ordered_json{{"text", str(loc.source)}};
    physical["region"] = region;
  }
  return physical;
}

std::string step_text(const TraceStep& s, std::size_t index) {
  std::string text = "Step " + std::to_string(index + 1) + " [" + s.activity_name + "] " + s.action;
  if (!s.result.empty()) text += " -> " + s.result;
  if (!s.note.empty()) text += " (" + s.note + ")";
  return text;
}

bool is_racing(const Violation& v, std::size_t i) {
  for (StepIndex s : v.racing_steps) {
    if (s.value == i) return true;
  }
  return false;
}

ordered_json thread_flow_location(const SpecResult& spec, const Violation& v, std::size_t i,
                                  const SourceRoot& root) {
  const TraceStep& s = v.trace[i];
  bool racing = is_racing(v, i);
  bool violating = v.violating_step && v.violating_step->value == i;
  const bool in_loop = v.loop_start && i >= v.loop_start->value;
  std::string text = step_text(s, i);
  if (racing) text += " [racing step]";
  if (violating) text += " [violation]";
  if (v.loop_start && i == v.loop_start->value) text += " [the loop begins: repeats for ever]";
  ordered_json location{{"message", text_message(text)}};
  if (s.loc.line > 0) location["physicalLocation"] = physical_location(s.loc, spec.path, root);
  ordered_json tfl{{"location", location},
                   {"executionOrder", i + 1},
                   {"nestingLevel", 0},
                   {"importance", racing || violating ? "essential" : "important"}};
  ordered_json state = ordered_json::object();
  for (const ObjectView& o : s.objects) {
    for (const auto& [field, value] : o.fields) {
      state[str(o.name + "." + field)] = text_message(value);
    }
  }
  for (const auto& [name, value] : s.symbolic_values) state[str(name)] = text_message(value);
  if (!state.empty()) tfl["state"] = state;
  ordered_json properties{{"activity", s.activity},
                          {"activityName", str(s.activity_name)},
                          {"actor", kActorNames[static_cast<std::size_t>(s.actor)]},
                          {"choice", s.choice}};
  if (!s.result.empty()) properties["result"] = str(s.result);
  if (in_loop) properties["loop"] = true;  // a lasso's cycle (docs/liveness.md)
  // The replay protocol (docs/replay.md): who moved, the outcomes taken, the API calls made.
  if (!s.event.empty()) properties["event"] = str(s.event);
  if (!s.choices.empty()) {
    ordered_json choices = ordered_json::array();
    for (const std::string& c : s.choices) choices.push_back(str(c));
    properties["choices"] = choices;
  }
  if (!s.calls.empty()) {
    ordered_json calls = ordered_json::array();
    for (const std::string& c : s.calls) calls.push_back(str(c));
    properties["calls"] = calls;
  }
  tfl["properties"] = properties;
  return tfl;
}

// The racing steps other than the reported location (the other side of the race), each with
// its spec line: SARIF relatedLocations, numbered by step.
ordered_json related_locations(const SpecResult& spec, const Violation& v, const SourceRoot& root) {
  ordered_json related = ordered_json::array();
  for (StepIndex s : v.racing_steps) {
    if (s.value >= v.trace.size()) continue;
    const TraceStep& step = v.trace[s.value];
    if (step.loc.line == 0 || (step.loc.line == v.loc.line && step.loc.col == v.loc.col)) continue;
    related.push_back(
        ordered_json{{"id", s.value + 1},
                     {"physicalLocation", physical_location(step.loc, spec.path, root)},
                     {"message", text_message("Racing step: " + step_text(step, s.value))}});
  }
  return related;
}

ordered_json result_for(const SpecResult& spec, const Violation& v, const SourceRoot& root) {
  const RuleInfo& rule = rule_info(v.rule);
  // The message and the race headline, once: single-step and end-state headlines often repeat
  // the message ("OnTimer at step 9: req#1 completed while still marked cancelable").
  std::string message = v.message;
  if (!v.headline.empty() && v.headline.find(v.message) != std::string::npos) {
    message = v.headline;
  } else if (!v.headline.empty()) {
    message += ". " + v.headline;
  }
  ordered_json result{
      {"ruleId", rule.id},
      {"ruleIndex", static_cast<std::size_t>(v.rule)},
      {"level", "error"},
      {"message", text_message(message)},
      {"locations", ordered_json::array({ordered_json{
                        {"physicalLocation", physical_location(v.loc, spec.path, root)}}})},
      {"partialFingerprints",
       ordered_json{{kFingerprintKey, violation_fingerprint(spec, v, root)}}},
      // Every result says whether a baseline knew it (code scanning shows "new" ones).
      {"baselineState", v.accepted ? "unchanged" : "new"}};
  ordered_json related = related_locations(spec, v, root);
  if (!related.empty()) result["relatedLocations"] = related;
  if (!v.trace.empty()) {
    ordered_json locations = ordered_json::array();
    for (std::size_t i = 0; i < v.trace.size(); ++i)
      locations.push_back(thread_flow_location(spec, v, i, root));
    const std::string flow_text =
        v.loop_start ? "The interleaving that leads to the violation, step by step: steps " +
                           std::to_string(v.loop_start->value + 1) + " to " +
                           std::to_string(v.trace.size()) + " repeat for ever, and " + v.stays +
                           (v.stays_blocked ? " stays blocked" : " stays pending") + " throughout."
                     : std::string("The interleaving that leads to the violation, step by step.");
    ordered_json thread_flow{
        {"id", "schedule"}, {"message", text_message(flow_text)}, {"locations", locations}};
    ordered_json code_flow{{"threadFlows", ordered_json::array({thread_flow})}};
    if (!v.headline.empty()) code_flow["message"] = text_message(v.headline);
    result["codeFlows"] = ordered_json::array({code_flow});
  }
  if (v.accepted) {
    result["suppressions"] = ordered_json::array({ordered_json{
        {"kind", "external"}, {"justification", "accepted in the cancelcheck baseline"}}});
  }
  ordered_json racing = ordered_json::array();
  for (StepIndex s : v.racing_steps) racing.push_back(s.value + 1);
  result["properties"] =
      ordered_json{{"ruleName", rule.name},  {"spec", str(root.stable_path(spec.path))},
                   {"replayed", v.replayed}, {"endState", !v.violating_step.has_value()},
                   {"racingSteps", racing},  {"traceLength", v.trace.size()}};
  if (v.loop_start) {
    result["properties"]["loopStart"] = v.loop_start->value + 1;
    result["properties"][v.stays_blocked ? "staysBlocked" : "staysPending"] = str(v.stays);
  }
  return result;
}

ordered_json build_sarif(const RunResult& run, const SarifOptions& o) {
  const SourceRoot& root = o.source_root;
  ordered_json rules = ordered_json::array();
  for (const RuleInfo& r : all_rules()) rules.push_back(rule_descriptor(r));
  ordered_json driver{{"name", "cancelcheck"}, {"informationUri", project_home()}};
  if (!run.tool_version.empty()) {
    driver["version"] = str(run.tool_version);
    driver["semanticVersion"] = str(run.tool_version);
  }
  driver["rules"] = rules;

  ordered_json results = ordered_json::array();
  ordered_json notifications = ordered_json::array();
  ordered_json specs = ordered_json::array();
  for (const SpecResult& s : run.specs) {
    for (const Violation& v : s.violations) results.push_back(result_for(s, v, root));
    specs.push_back(ordered_json{{"path", str(root.stable_path(s.path))},
                                 {"verdict", verdict_name(s.verdict)},
                                 {"states", s.stats.states}});
    if (s.verdict == Verdict::Error || search_incomplete(s)) {
      bool error = s.verdict == Verdict::Error;
      // A search that found violations before a limit stopped it is incomplete too.
      std::string text =
          root.stable_path(s.path) + ": " + std::string(error ? "error" : "incomplete");
      std::string detail = error ? s.error : s.incomplete_reason;
      if (!detail.empty()) text += ": " + detail;
      notifications.push_back(ordered_json{
          {"level", error ? "error" : "warning"},
          {"message", text_message(text)},
          {"locations",
           ordered_json::array({ordered_json{
               {"physicalLocation",
                ordered_json{{"artifactLocation", artifact_location(s.path, root)}}}}})}});
    }
  }
  ordered_json invocation{{"executionSuccessful", totals(run).error == 0}};
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = notifications;

  ordered_json sarif_run{{"tool", ordered_json{{"driver", driver}}},
                         {"automationDetails", ordered_json{{"id", str(o.category) + "/"}}}};
  if (!root.empty()) {
    sarif_run["originalUriBaseIds"] =
        ordered_json{{kSourceRootBaseId, ordered_json{{"uri", root.uri()}}}};
  }
  sarif_run.update(ordered_json{{"invocations", ordered_json::array({invocation})},
                                {"columnKind", "utf16CodeUnits"},
                                {"results", results},
                                {"properties", ordered_json{{"specs", specs}}}});
  ordered_json log{
      {"$schema", kSchemaUri}, {"version", "2.1.0"}, {"runs", ordered_json::array({sarif_run})}};
  return log;
}

}  // namespace

nlohmann::json to_sarif(const RunResult& run, const SarifOptions& options) {
  return nlohmann::json::parse(build_sarif(run, options).dump());
}

std::string render_sarif(const RunResult& run, const SarifOptions& options) {
  // Built as ordered_json so that the file keeps the conventional SARIF key order.
  return build_sarif(run, options).dump(2) + "\n";
}

}  // namespace cc::reports
