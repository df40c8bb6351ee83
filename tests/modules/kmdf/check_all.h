// A spec checked with `--all` through the whole checker, for the KMDF module tests: every
// finding must be replayed by the reference executor.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "checker/check.h"
#include "model/frontend.h"
#include "tests/app/run_tool.h"

namespace cc::test {

/// A loaded spec and its result.
struct Checked {
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
  SpecResult result;
};

/// Loads `text` (it must load without errors) and checks it with `all`.
inline std::unique_ptr<Checked> check_all(const std::string& text) {
  auto c = std::make_unique<Checked>();
  Diagnostics diags;
  c->spec = load_spec(c->sm, temp_file(text), {}, diags);
  EXPECT_TRUE(c->spec != nullptr);
  EXPECT_FALSE(diags.has_errors());
  CheckOptions opts;
  opts.all = true;
  if (c->spec) c->result = check_spec(*c->spec, c->sm, opts);
  return c;
}

/// The rules found, each with its message, as "CRnnn: message" lines (and each replayed).
inline std::string findings(const Checked& c) {
  std::string out;
  for (const Violation& v : c.result.violations) {
    out += std::string(rule_info(v.rule).id) + ": " + v.message + "\n";
    EXPECT_TRUE(v.replayed) << v.message;
  }
  return out;
}

/// A finding of `rule` whose message contains `words`.
inline bool found(const Checked& c, RuleId rule, const std::string& words) {
  for (const Violation& v : c.result.violations) {
    if (v.rule == rule && v.message.find(words) != std::string::npos) return true;
  }
  return false;
}

/// True when some finding exists and every finding is of `rule` (each replayed).
inline bool only(const Checked& c, RuleId rule) {
  if (c.result.violations.empty()) return false;
  for (const Violation& v : c.result.violations) {
    EXPECT_TRUE(v.replayed) << v.message;
    if (v.rule != rule) return false;
  }
  return true;
}

}  // namespace cc::test
