#include "reports/junit.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "reports/escape.h"
#include "reports/text.h"

namespace cc::reports {
namespace {

struct Counts {
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t errors = 0;
  std::size_t skipped = 0;
};

std::string attr(std::string_view text) {
  return "\"" + xml_escape(text) + "\"";
}

// Text content: like xml_escape but newlines and tabs stay literal for readability.
std::string content(std::string_view text) {
  std::string escaped = xml_escape(text);
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped.compare(i, 5, "&#10;") == 0) {
      out += '\n';
      i += 4;
    } else if (escaped.compare(i, 4, "&#9;") == 0) {
      out += '\t';
      i += 3;
    } else {
      out += escaped[i];
    }
  }
  return out;
}

std::vector<RuleId> checked_rules(const SpecResult& spec) {
  if (!spec.checked_rules.empty()) {
    std::vector<RuleId> rules = spec.checked_rules;
    // Rules that were violated are listed even if the caller forgot them.
    for (const Violation& v : spec.violations) {
      bool listed = false;
      for (RuleId r : rules) listed = listed || r == v.rule;
      if (!listed) rules.push_back(v.rule);
    }
    std::sort(rules.begin(), rules.end());
    return rules;
  }
  std::vector<RuleId> rules;
  for (const RuleInfo& r : all_rules()) rules.push_back(r.rule);
  return rules;
}

std::string time_attr(const JunitOptions& o, double seconds) {
  return o.timings ? fmt::format(" time=\"{:.3f}\"", seconds) : std::string();
}

std::string suite(const SpecResult& spec, const JunitOptions& o, Counts& total) {
  Counts c;
  std::string cases;
  std::string classname = attr(spec.path);
  TextOptions text{.color = false, .timings = o.timings, .traces = true};
  if (spec.verdict == Verdict::Error) {
    c.tests = 1;
    c.errors = 1;
    std::string first_line = spec.error.substr(0, spec.error.find('\n'));
    cases += fmt::format("    <testcase classname={} name=\"load and check the spec\"{}>\n",
                         classname, time_attr(o, 0.0));
    cases += fmt::format("      <error message={} type=\"spec-error\">{}</error>\n",
                         attr(first_line.empty() ? "spec error" : first_line), content(spec.error));
    cases += "    </testcase>\n";
  } else {
    for (RuleId rule : checked_rules(spec)) {
      const RuleInfo& info = rule_info(rule);
      std::vector<const Violation*> found;     // new: failures
      std::vector<const Violation*> accepted;  // in the baseline: a passed case with a note
      for (const Violation& v : spec.violations) {
        if (v.rule == rule) (v.accepted ? accepted : found).push_back(&v);
      }
      ++c.tests;
      std::string name = attr(std::string(info.id) + " " + std::string(info.name));
      cases +=
          fmt::format("    <testcase classname={} name={}{}", classname, name, time_attr(o, 0.0));
      std::string note;
      if (!accepted.empty()) {
        note = fmt::format("      <system-out>{} violation(s) accepted in the baseline:\n",
                           accepted.size());
        for (const Violation* v : accepted) note += content(render_text_violation(*v, text));
        note += "</system-out>\n";
      }
      if (!found.empty()) {
        ++c.failures;
        std::string message = found.front()->message;
        if (found.size() > 1) message += fmt::format(" (and {} more)", found.size() - 1);
        std::string body;
        for (const Violation* v : found) body += render_text_violation(*v, text);
        cases +=
            fmt::format(">\n      <failure message={} type={}>{}</failure>\n{}    </testcase>\n",
                        attr(message), attr(info.id), content(body), note);
      } else if (!accepted.empty()) {
        cases += ">\n" + note + "    </testcase>\n";
      } else if (search_incomplete(spec)) {
        ++c.skipped;
        std::string reason = "search incomplete";
        if (!spec.incomplete_reason.empty()) reason += ": " + spec.incomplete_reason;
        cases += fmt::format(">\n      <skipped message={}/>\n    </testcase>\n", attr(reason));
      } else {
        cases += "/>\n";
      }
    }
  }
  total.tests += c.tests;
  total.failures += c.failures;
  total.errors += c.errors;
  total.skipped += c.skipped;
  std::string out = fmt::format(
      "  <testsuite name={} tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"{}>\n",
      attr(spec.path), c.tests, c.failures, c.errors, c.skipped, time_attr(o, spec.stats.seconds));
  out += "    <properties>\n";
  out += fmt::format("      <property name=\"title\" value={}/>\n", attr(spec.title));
  out +=
      fmt::format("      <property name=\"verdict\" value=\"{}\"/>\n", verdict_name(spec.verdict));
  out += fmt::format("      <property name=\"states\" value=\"{}\"/>\n", spec.stats.states);
  out +=
      fmt::format("      <property name=\"transitions\" value=\"{}\"/>\n", spec.stats.transitions);
  out += "    </properties>\n";
  out += cases;
  out += "  </testsuite>\n";
  return out;
}

}  // namespace

std::string render_junit(const RunResult& run, const JunitOptions& options) {
  Counts total;
  std::string suites;
  for (const SpecResult& spec : run.specs) suites += suite(spec, options, total);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  // <testsuites> has no skipped attribute: the Jenkins xunit schema (junit-10.xsd) rejects it;
  // each <testsuite> carries its own count.
  out += fmt::format(
      "<testsuites name=\"cancelcheck\" tests=\"{}\" failures=\"{}\" errors=\"{}\"{}>\n",
      total.tests, total.failures, total.errors, time_attr(options, totals(run).stats.seconds));
  out += suites;
  out += "</testsuites>\n";
  return out;
}

}  // namespace cc::reports
