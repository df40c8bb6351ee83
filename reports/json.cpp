#include "reports/json.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "reports/escape.h"

namespace cc::reports {
namespace {

using nlohmann::json;

constexpr std::string_view kActorNames[] = {"driver", "framework", "target", "originator"};
constexpr Verdict kVerdicts[] = {Verdict::Pass, Verdict::Violation, Verdict::Incomplete,
                                 Verdict::Error};

// Strings go through sanitize_utf8 so that dumping never throws on invalid UTF-8.
json str(std::string_view s) {
  return sanitize_utf8(s);
}

/// Lower-case hex of every byte.
std::string hex_bytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += kDigits[u >> 4];
    out += kDigits[u & 0xF];
  }
  return out;
}

/// The bytes hex_bytes wrote (either case); nullopt when `hex` is not pairs of hex digits.
std::optional<std::string> bytes_from_hex(std::string_view hex) {
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

json loc_to_json(const ResultLoc& loc) {
  return json{
      {"file", str(loc.file)}, {"line", loc.line}, {"col", loc.col}, {"source", str(loc.source)}};
}

json pairs_to_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json out = json::array();
  for (const auto& [name, value] : pairs)
    out.push_back(json{{"name", str(name)}, {"value", str(value)}});
  return out;
}

json strings_to_json(const std::vector<std::string>& v) {
  json out = json::array();
  for (const std::string& x : v) out.push_back(str(x));
  return out;
}

json step_to_json(const TraceStep& s) {
  json objects = json::array();
  for (const ObjectView& o : s.objects) {
    objects.push_back(
        json{{"name", str(o.name)}, {"kind", str(o.kind)}, {"fields", pairs_to_json(o.fields)}});
  }
  return json{{"activity", s.activity},
              {"activity_name", str(s.activity_name)},
              {"actor", kActorNames[static_cast<std::size_t>(s.actor)]},
              {"action", str(s.action)},
              {"result", str(s.result)},
              {"note", str(s.note)},
              {"loc", loc_to_json(s.loc)},
              {"choice", s.choice},
              {"event", str(s.event)},
              {"choices", strings_to_json(s.choices)},
              {"calls", strings_to_json(s.calls)},
              {"symbolic_values", pairs_to_json(s.symbolic_values)},
              {"objects", objects}};
}

json violation_to_json(const Violation& v) {
  const RuleInfo& rule = rule_info(v.rule);
  json trace = json::array();
  for (const TraceStep& s : v.trace) trace.push_back(step_to_json(s));
  json racing = json::array();
  for (StepIndex i : v.racing_steps) racing.push_back(i.value);
  json out{{"rule", rule.id},
           {"rule_name", rule.name},
           {"message", str(v.message)},
           {"headline", str(v.headline)},
           {"loc", loc_to_json(v.loc)},
           {"violating_step", v.violating_step ? json(v.violating_step->value) : json(nullptr)},
           {"racing_steps", racing},
           {"replayed", v.replayed},
           {"accepted", v.accepted},
           {"trace", trace}};
  if (v.loop_start) {
    out["loop"] = json{{"start_step", v.loop_start->value},
                       {"stays", str(v.stays)},
                       {"stays_blocked", v.stays_blocked}};
  }
  return out;
}

json stats_to_json(const Stats& st, const JsonOptions& o) {
  json out{{"states", st.states},         {"transitions", st.transitions},
           {"max_depth", st.max_depth},   {"state_bytes", st.state_bytes},
           {"z3_queries", st.z3_queries}, {"z3_cached", st.z3_cached}};
  if (st.hash_compaction) {
    out["hash_compaction"] = true;
    out["omission_probability"] = omission_probability(st);
  }
  if (st.reduced != 0) out["reduced_expansions"] = st.reduced;
  if (st.cyclic_states != 0) out["cyclic_states"] = st.cyclic_states;
  if (st.concrete_states != 0) out["cycle_analysis_states"] = st.concrete_states;
  if (st.packed_bytes != 0) out["packed_state_bytes"] = st.packed_bytes;
  if (o.timings) {
    out["peak_memory_bytes"] = st.peak_memory_bytes;
    out["seconds"] = st.seconds;
    out["z3_seconds"] = st.z3_seconds;
  }
  return out;
}

// ---- reading ----

/// At most this many bytes of a string from the document go into an error message.
constexpr std::size_t kSnippetBytes = 64;

/// A string from the document, cut for an error message (the caller's message is one line;
/// cli's replay escapes control characters when printing it).
std::string snippet(std::string_view s) {
  if (s.size() <= kSnippetBytes) return std::string(s);
  return std::string(s.substr(0, kSnippetBytes)) + "...";
}

/// A value from the document described without dumping it whole (it may be huge or deep).
std::string describe_value(const json& j) {
  if (j.is_number() || j.is_boolean() || j.is_null()) return snippet(j.dump());
  if (j.is_string()) return "the string \"" + snippet(j.get_ref<const std::string&>()) + "\"";
  return j.is_array() ? "an array" : "an object";
}

[[noreturn]] void schema_error(const std::string& where, const std::string& what) {
  throw JsonSchemaError("cancelcheck-result JSON: " + (where.empty() ? std::string("/") : where) +
                        ": " + what);
}

const json& field(const json& obj, const std::string& where, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) schema_error(where, std::string("missing required field \"") + key + "\"");
  return *it;
}

const json& object_at(const json& j, const std::string& where) {
  if (!j.is_object()) schema_error(where, "expected an object");
  return j;
}

const json& array_at(const json& j, const std::string& where) {
  if (!j.is_array()) schema_error(where, "expected an array");
  return j;
}

std::string get_string(const json& obj, const std::string& where, const char* key) {
  const json& j = field(obj, where, key);
  if (!j.is_string()) schema_error(where + "/" + key, "expected a string");
  return j.get<std::string>();
}

uint64_t get_uint(const json& obj, const std::string& where, const char* key, uint64_t max) {
  const json& j = field(obj, where, key);
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0)) {
    schema_error(where + "/" + key, "expected a non-negative integer");
  }
  uint64_t value = j.get<uint64_t>();
  if (value > max) schema_error(where + "/" + key, "integer out of range");
  return value;
}

uint32_t get_u32(const json& obj, const std::string& where, const char* key) {
  return static_cast<uint32_t>(get_uint(obj, where, key, UINT32_MAX));
}

bool get_bool(const json& obj, const std::string& where, const char* key) {
  const json& j = field(obj, where, key);
  if (!j.is_boolean()) schema_error(where + "/" + key, "expected true or false");
  return j.get<bool>();
}

double get_double(const json& obj, const std::string& where, const char* key) {
  const json& j = field(obj, where, key);
  if (!j.is_number()) schema_error(where + "/" + key, "expected a number");
  return j.get<double>();
}

ResultLoc loc_from_json(const json& j, const std::string& where) {
  object_at(j, where);
  ResultLoc loc;
  loc.file = get_string(j, where, "file");
  loc.line = get_u32(j, where, "line");
  loc.col = get_u32(j, where, "col");
  loc.source = get_string(j, where, "source");
  return loc;
}

std::vector<std::pair<std::string, std::string>> pairs_from_json(const json& j,
                                                                 const std::string& where) {
  array_at(j, where);
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string at = where + "/" + std::to_string(i);
    object_at(j[i], at);
    out.emplace_back(get_string(j[i], at, "name"), get_string(j[i], at, "value"));
  }
  return out;
}

ActorKind actor_from_json(const json& obj, const std::string& where) {
  std::string name = get_string(obj, where, "actor");
  for (std::size_t i = 0; i < std::size(kActorNames); ++i) {
    if (kActorNames[i] == name) return static_cast<ActorKind>(i);
  }
  schema_error(where + "/actor", "unknown actor \"" + snippet(name) +
                                     "\" (expected driver, framework, target or originator)");
}

TraceStep step_from_json(const json& j, const std::string& where) {
  object_at(j, where);
  TraceStep s;
  s.activity = get_u32(j, where, "activity");
  s.activity_name = get_string(j, where, "activity_name");
  s.actor = actor_from_json(j, where);
  s.action = get_string(j, where, "action");
  s.result = get_string(j, where, "result");
  s.note = get_string(j, where, "note");
  s.loc = loc_from_json(field(j, where, "loc"), where + "/loc");
  s.choice = get_u32(j, where, "choice");
  // Replay-protocol fields (added within schema version 1; absent in older documents).
  if (j.contains("event")) s.event = get_string(j, where, "event");
  for (const char* key : {"choices", "calls"}) {
    if (!j.contains(key)) continue;
    const json& arr = array_at(j.at(key), where + "/" + key);
    auto& out = std::string_view(key) == "choices" ? s.choices : s.calls;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_string()) {
        schema_error(where + "/" + key + "/" + std::to_string(i), "expected a string");
      }
      out.push_back(arr[i].get<std::string>());
    }
  }
  s.symbolic_values =
      pairs_from_json(field(j, where, "symbolic_values"), where + "/symbolic_values");
  const json& objects = array_at(field(j, where, "objects"), where + "/objects");
  for (std::size_t i = 0; i < objects.size(); ++i) {
    std::string at = where + "/objects/" + std::to_string(i);
    object_at(objects[i], at);
    ObjectView o;
    o.name = get_string(objects[i], at, "name");
    o.kind = get_string(objects[i], at, "kind");
    o.fields = pairs_from_json(field(objects[i], at, "fields"), at + "/fields");
    s.objects.push_back(std::move(o));
  }
  return s;
}

RuleId rule_from_json(const json& obj, const std::string& where) {
  std::string id = get_string(obj, where, "rule");
  for (const RuleInfo& r : all_rules()) {
    if (r.id == id) return r.rule;
  }
  schema_error(where + "/rule", "unknown rule id \"" + snippet(id) + "\"");
}

Violation violation_from_json(const json& j, const std::string& where) {
  object_at(j, where);
  Violation v;
  v.rule = rule_from_json(j, where);
  v.message = get_string(j, where, "message");
  v.headline = get_string(j, where, "headline");
  v.loc = loc_from_json(field(j, where, "loc"), where + "/loc");
  const json& trace = array_at(field(j, where, "trace"), where + "/trace");
  for (std::size_t i = 0; i < trace.size(); ++i) {
    v.trace.push_back(step_from_json(trace[i], where + "/trace/" + std::to_string(i)));
  }
  const json& violating = field(j, where, "violating_step");
  if (!violating.is_null()) {
    uint32_t step = get_u32(j, where, "violating_step");
    if (step >= v.trace.size())
      schema_error(where + "/violating_step", "step index beyond the trace");
    v.violating_step = StepIndex{step};
  }
  const json& racing = array_at(field(j, where, "racing_steps"), where + "/racing_steps");
  for (std::size_t i = 0; i < racing.size(); ++i) {
    std::string at = where + "/racing_steps/" + std::to_string(i);
    if (!racing[i].is_number_unsigned() &&
        !(racing[i].is_number_integer() && racing[i].get<int64_t>() >= 0)) {
      schema_error(at, "expected a non-negative integer");
    }
    uint64_t step = racing[i].get<uint64_t>();
    if (step >= v.trace.size()) schema_error(at, "step index beyond the trace");
    v.racing_steps.push_back(StepIndex{static_cast<uint32_t>(step)});
  }
  v.replayed = get_bool(j, where, "replayed");
  v.accepted = j.contains("accepted") ? get_bool(j, where, "accepted") : false;
  if (j.contains("loop")) {
    const std::string at = where + "/loop";
    const json& loop = object_at(j["loop"], at);
    const uint32_t start = get_u32(loop, at, "start_step");
    if (start >= v.trace.size()) schema_error(at + "/start_step", "step index beyond the trace");
    v.loop_start = StepIndex{start};
    v.stays = get_string(loop, at, "stays");
    v.stays_blocked = get_bool(loop, at, "stays_blocked");
  }
  return v;
}

Stats stats_from_json(const json& j, const std::string& where) {
  object_at(j, where);
  Stats st;
  st.states = get_uint(j, where, "states", UINT64_MAX);
  st.transitions = get_uint(j, where, "transitions", UINT64_MAX);
  st.max_depth = get_u32(j, where, "max_depth");
  st.state_bytes = get_u32(j, where, "state_bytes");
  st.z3_queries = get_uint(j, where, "z3_queries", UINT64_MAX);
  st.z3_cached = get_uint(j, where, "z3_cached", UINT64_MAX);
  if (j.contains("peak_memory_bytes"))
    st.peak_memory_bytes = get_uint(j, where, "peak_memory_bytes", UINT64_MAX);
  if (j.contains("seconds")) st.seconds = get_double(j, where, "seconds");
  if (j.contains("z3_seconds")) st.z3_seconds = get_double(j, where, "z3_seconds");
  if (j.contains("hash_compaction")) st.hash_compaction = get_bool(j, where, "hash_compaction");
  if (j.contains("packed_state_bytes")) st.packed_bytes = get_u32(j, where, "packed_state_bytes");
  if (j.contains("reduced_expansions"))
    st.reduced = get_uint(j, where, "reduced_expansions", UINT64_MAX);
  if (j.contains("cyclic_states"))
    st.cyclic_states = get_uint(j, where, "cyclic_states", UINT64_MAX);
  if (j.contains("cycle_analysis_states"))
    st.concrete_states = get_uint(j, where, "cycle_analysis_states", UINT64_MAX);
  return st;
}

SpecResult spec_from_json(const json& j, const std::string& where) {
  object_at(j, where);
  SpecResult s;
  s.path = get_string(j, where, "path");
  if (j.contains("path_bytes")) {
    std::optional<std::string> bytes = bytes_from_hex(get_string(j, where, "path_bytes"));
    if (!bytes) schema_error(where + "/path_bytes", "expected an even number of hex digits");
    s.path = std::move(*bytes);
  }
  if (j.contains("spec_hash")) s.spec_hash = get_string(j, where, "spec_hash");
  s.title = get_string(j, where, "title");
  std::string verdict = get_string(j, where, "verdict");
  bool found = false;
  for (Verdict v : kVerdicts) {
    if (verdict_name(v) == verdict) {
      s.verdict = v;
      found = true;
    }
  }
  if (!found)
    schema_error(where + "/verdict", "unknown verdict \"" + snippet(verdict) +
                                         "\" (expected pass, violation, incomplete or error)");
  const json& checked = array_at(field(j, where, "checked_rules"), where + "/checked_rules");
  for (std::size_t i = 0; i < checked.size(); ++i) {
    std::string at = where + "/checked_rules/" + std::to_string(i);
    if (!checked[i].is_string()) schema_error(at, "expected a rule id string");
    std::string id = checked[i].get<std::string>();
    bool known = false;
    for (const RuleInfo& r : all_rules()) {
      if (r.id == id) {
        s.checked_rules.push_back(r.rule);
        known = true;
      }
    }
    if (!known) schema_error(at, "unknown rule id \"" + snippet(id) + "\"");
  }
  s.stats = stats_from_json(field(j, where, "stats"), where + "/stats");
  s.incomplete_reason = get_string(j, where, "incomplete_reason");
  if (j.contains("liveness")) {
    const std::string l = get_string(j, where, "liveness");
    bool known = false;
    for (const LivenessRun r : {LivenessRun::Checked, LivenessRun::Off, LivenessRun::NotChecked}) {
      if (liveness_name(r) == l) {
        s.liveness = r;
        known = true;
      }
    }
    if (!known) {
      schema_error(where + "/liveness",
                   "unknown value \"" + snippet(l) + "\" (expected checked, off or not checked)");
    }
  }
  if (j.contains("liveness_note")) s.liveness_note = get_string(j, where, "liveness_note");
  s.error = get_string(j, where, "error");
  const json& violations = array_at(field(j, where, "violations"), where + "/violations");
  for (std::size_t i = 0; i < violations.size(); ++i) {
    s.violations.push_back(
        violation_from_json(violations[i], where + "/violations/" + std::to_string(i)));
  }
  return s;
}

}  // namespace

std::size_t json_nesting_depth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

nlohmann::json to_json(const RunResult& run, const JsonOptions& options) {
  json specs = json::array();
  for (const SpecResult& s : run.specs) {
    json violations = json::array();
    for (const Violation& v : s.violations) violations.push_back(violation_to_json(v));
    json checked = json::array();
    for (RuleId r : s.checked_rules) checked.push_back(rule_info(r).id);
    json spec{{"path", str(s.path)},
              {"title", str(s.title)},
              {"verdict", verdict_name(s.verdict)},
              {"checked_rules", checked},
              {"stats", stats_to_json(s.stats, options)},
              {"incomplete_reason", str(s.incomplete_reason)},
              {"liveness", liveness_name(s.liveness)},
              {"error", str(s.error)},
              {"violations", violations}};
    if (!s.liveness_note.empty()) spec["liveness_note"] = str(s.liveness_note);
    // A path that is not UTF-8 is written lossy (U+FFFD) in `path`, exactly in `path_bytes`.
    if (sanitize_utf8(s.path) != s.path) spec["path_bytes"] = hex_bytes(s.path);
    if (!s.spec_hash.empty()) spec["spec_hash"] = str(s.spec_hash);
    specs.push_back(std::move(spec));
  }
  return json{{"schema", kJsonSchemaName},
              {"version", kJsonSchemaVersion},
              {"tool_version", str(run.tool_version)},
              {"specs", specs}};
}

RunResult run_result_from_json(const nlohmann::json& document) {
  object_at(document, "");
  std::string schema = get_string(document, "", "schema");
  if (schema != kJsonSchemaName) {
    schema_error("/schema", "expected \"" + std::string(kJsonSchemaName) + "\", found \"" +
                                snippet(schema) + "\"");
  }
  const json& version = field(document, "", "version");
  if (!version.is_number_integer() || version.get<int64_t>() < kJsonSchemaOldestVersion ||
      version.get<int64_t>() > kJsonSchemaVersion) {
    schema_error("/version",
                 "this build reads versions " + std::to_string(kJsonSchemaOldestVersion) + " to " +
                     std::to_string(kJsonSchemaVersion) + ", found " + describe_value(version));
  }
  RunResult run;
  run.tool_version = get_string(document, "", "tool_version");
  const json& specs = array_at(field(document, "", "specs"), "/specs");
  for (std::size_t i = 0; i < specs.size(); ++i) {
    run.specs.push_back(spec_from_json(specs[i], "/specs/" + std::to_string(i)));
  }
  return run;
}

std::string render_json(const RunResult& run, const JsonOptions& options) {
  return to_json(run, options).dump(2) + "\n";
}

RunResult parse_run_result(std::string_view text) {
  // Checked before parsing, so that nothing recursive (nlohmann's copy, dump, comparison)
  // ever meets an input-sized depth.
  if (json_nesting_depth(text) > kMaxJsonDepth) {
    throw JsonSchemaError("cancelcheck-result JSON: nested deeper than " +
                          std::to_string(kMaxJsonDepth) + " levels");
  }
  json document = json::parse(text, nullptr, false);
  if (document.is_discarded()) throw JsonSchemaError("cancelcheck-result JSON: not valid JSON");
  return run_result_from_json(document);
}

}  // namespace cc::reports
