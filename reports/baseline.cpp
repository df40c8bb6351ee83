#include "reports/baseline.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "reports/escape.h"

namespace cc::reports {
namespace {

using nlohmann::json;

constexpr std::string_view kBaselineSchema = "cancelcheck-baseline";
constexpr int kBaselineVersion = 2;
// Version 1 files hold fingerprints of an earlier hash (FNV-1a of the path as typed).
constexpr int kOldFingerprintVersion = 1;

// Collapses whitespace runs to one space, trims, and replaces digit runs by "0" so that
// object numbering (req#1 vs req#2) and counts do not change the fingerprint.
std::string normalize(std::string_view text) {
  std::string out;
  bool space = false;
  bool digit = false;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      space = !out.empty();
      digit = false;
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    if (std::isdigit(u)) {
      if (!digit) out += '0';
      digit = true;
      continue;
    }
    digit = false;
    out += c;
  }
  return out;
}

auto entry_key(const BaselineEntry& e) {
  return std::tie(e.fingerprint, e.spec, e.line, e.message);
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::runtime_error("cancelcheck-baseline JSON: " + where + ": " + what);
}

std::string need_string(const json& obj, const std::string& where, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) bad(where, std::string("missing required field \"") + key + "\"");
  if (!it->is_string()) bad(where + "/" + key, "expected a string");
  return it->get<std::string>();
}

}  // namespace

std::string violation_fingerprint(const SpecResult& spec, const Violation& v,
                                  const SourceRoot& root) {
  std::string where =
      v.loc.source.empty() ? "L" + std::to_string(v.loc.line) : normalize(v.loc.source);
  // Fields are joined with 0x1F (unit separator), which spec text does not contain.
  std::string key = std::string(rule_info(v.rule).id) + '\x1f' + root.stable_path(spec.path) +
                    '\x1f' + where + '\x1f' + normalize(v.message);
  // XXH3's 128-bit variant (seed 0): stable across platforms and xxHash releases.
  const XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

Baseline make_baseline(const RunResult& run, const SourceRoot& root) {
  Baseline b;
  for (const SpecResult& s : run.specs) {
    for (const Violation& v : s.violations) {
      b.entries.push_back(BaselineEntry{violation_fingerprint(s, v, root),
                                        std::string(rule_info(v.rule).id), root.stable_path(s.path),
                                        v.loc.line, sanitize_utf8(v.message)});
    }
  }
  std::sort(b.entries.begin(), b.entries.end(), [](const BaselineEntry& a, const BaselineEntry& c) {
    return entry_key(a) < entry_key(c);
  });
  return b;
}

BaselineOutcome apply_baseline(RunResult& run, const Baseline& baseline, BaselineMode mode,
                               const SourceRoot& root) {
  std::map<std::string, std::vector<std::size_t>> available;  // fingerprint -> entry indices
  for (std::size_t i = 0; i < baseline.entries.size(); ++i) {
    available[baseline.entries[i].fingerprint].push_back(i);
  }
  std::vector<bool> used(baseline.entries.size(), false);
  BaselineOutcome outcome;
  for (SpecResult& s : run.specs) {
    for (Violation& v : s.violations) {
      auto it = available.find(violation_fingerprint(s, v, root));
      if (it != available.end() && !it->second.empty()) {
        used[it->second.front()] = true;
        it->second.erase(it->second.begin());
        v.accepted = true;
        ++outcome.accepted;
      } else {
        v.accepted = false;
        ++outcome.new_violations;
      }
    }
    if (mode == BaselineMode::Remove) {
      std::erase_if(s.violations, [](const Violation& v) { return v.accepted; });
      if (s.verdict == Verdict::Violation && s.violations.empty()) s.verdict = Verdict::Pass;
    }
  }
  for (std::size_t i = 0; i < baseline.entries.size(); ++i) {
    if (!used[i]) outcome.stale.push_back(baseline.entries[i]);
  }
  return outcome;
}

std::size_t count_new_violations(const RunResult& run) {
  const RunTotals t = totals(run);
  return t.violations - t.accepted;
}

nlohmann::json baseline_to_json(const Baseline& baseline) {
  json entries = json::array();
  for (const BaselineEntry& e : baseline.entries) {
    entries.push_back(json{{"fingerprint", e.fingerprint},
                           {"rule", e.rule},
                           {"spec", sanitize_utf8(e.spec)},
                           {"line", e.line},
                           {"message", sanitize_utf8(e.message)}});
  }
  return json{{"schema", kBaselineSchema}, {"version", kBaselineVersion}, {"accepted", entries}};
}

std::string render_baseline(const Baseline& baseline) {
  return baseline_to_json(baseline).dump(2) + "\n";
}

Baseline baseline_from_json(const nlohmann::json& document) {
  if (!document.is_object()) bad("/", "expected an object");
  if (need_string(document, "/", "schema") != kBaselineSchema) {
    bad("/schema", "expected \"" + std::string(kBaselineSchema) + "\"");
  }
  auto version = document.find("version");
  if (version == document.end() || !version->is_number_integer() ||
      version->get<int64_t>() != kBaselineVersion) {
    if (version != document.end() && version->is_number_integer() &&
        version->get<int64_t>() == kOldFingerprintVersion) {
      bad("/version",
          "version 1 holds fingerprints of an earlier release that this build no longer "
          "computes; write a new baseline with --write-baseline");
    }
    bad("/version", "this build reads version " + std::to_string(kBaselineVersion));
  }
  auto accepted = document.find("accepted");
  if (accepted == document.end() || !accepted->is_array()) bad("/accepted", "expected an array");
  Baseline b;
  for (std::size_t i = 0; i < accepted->size(); ++i) {
    const json& e = (*accepted)[i];
    std::string at = "/accepted/" + std::to_string(i);
    if (!e.is_object()) bad(at, "expected an object");
    BaselineEntry entry;
    entry.fingerprint = need_string(e, at, "fingerprint");
    entry.rule = e.contains("rule") ? need_string(e, at, "rule") : "";
    entry.spec = e.contains("spec") ? need_string(e, at, "spec") : "";
    entry.message = e.contains("message") ? need_string(e, at, "message") : "";
    if (e.contains("line")) {
      if (!e["line"].is_number_unsigned()) bad(at + "/line", "expected a non-negative integer");
      entry.line = e["line"].get<uint32_t>();
    }
    b.entries.push_back(std::move(entry));
  }
  std::sort(b.entries.begin(), b.entries.end(), [](const BaselineEntry& a, const BaselineEntry& c) {
    return entry_key(a) < entry_key(c);
  });
  return b;
}

Baseline parse_baseline(std::string_view text) {
  json document = json::parse(text, nullptr, false);
  if (document.is_discarded())
    throw std::runtime_error("cancelcheck-baseline JSON: not valid JSON");
  return baseline_from_json(document);
}

}  // namespace cc::reports
