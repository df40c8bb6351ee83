#include <gtest/gtest.h>
#include <filesystem>

#include "reports/baseline.h"
#include "tests/reports/fixture.h"

namespace cc::reports {
namespace {

TEST(Baseline, FingerprintIgnoresTimingsCountsTraceAndObjectNumbers) {
  RunResult a = test::sample_run();
  RunResult b = test::sample_run();
  b.specs[0].stats = Stats{};
  b.specs[0].violations[0].trace.pop_back();
  b.specs[0].violations[0].loc.line = 40;  // lines moved, same statement
  b.specs[0].violations[0].message =
      "req#2  completed   twice: by OnCancel at step 8 and by OnTimer at step 11";
  EXPECT_EQ(violation_fingerprint(a.specs[0], a.specs[0].violations[0]),
            violation_fingerprint(b.specs[0], b.specs[0].violations[0]));
  EXPECT_EQ(violation_fingerprint(a.specs[0], a.specs[0].violations[0]).size(), 32U);
}

TEST(Baseline, FingerprintDistinguishesRuleSpecAndStatement) {
  RunResult run = test::sample_run();
  const SpecResult& s = run.specs[0];
  Violation v = s.violations[0];
  std::string base = violation_fingerprint(s, v);
  Violation other_rule = v;
  other_rule.rule = RuleId::UseAfterFree;
  EXPECT_NE(violation_fingerprint(s, other_rule), base);
  Violation other_line = v;
  other_line.loc.source = "  WdfRequestComplete(req, STATUS_CANCELLED);";
  EXPECT_NE(violation_fingerprint(s, other_line), base);
  SpecResult other_spec = s;
  other_spec.path = "specs/kmdf/other.spec";
  EXPECT_NE(violation_fingerprint(other_spec, v), base);
  SpecResult windows_path = s;
  windows_path.path = "specs\\kmdf\\fx2_timer_cancel.spec";
  EXPECT_EQ(violation_fingerprint(windows_path, v), base);
}

TEST(Baseline, MarkModeFlagsAcceptedAndCountsNewOnes) {
  RunResult run = test::sample_run();
  Baseline b = make_baseline(run);
  ASSERT_EQ(b.entries.size(), 2U);
  // A new violation appears in the fixed spec.
  run.specs[2].violations.push_back(test::fx2_double_completion());
  run.specs[2].violations.back().message = "a new problem";
  run.specs[2].verdict = Verdict::Violation;
  BaselineOutcome out = apply_baseline(run, b);
  EXPECT_EQ(out.accepted, 2U);
  EXPECT_EQ(out.new_violations, 1U);
  EXPECT_TRUE(out.stale.empty());
  EXPECT_TRUE(run.specs[0].violations[0].accepted);
  EXPECT_FALSE(run.specs[2].violations[0].accepted);
  EXPECT_EQ(count_new_violations(run), 1U);
}

TEST(Baseline, RemoveModeDropsAcceptedAndReportsStaleEntries) {
  RunResult run = test::sample_run();
  Baseline b = make_baseline(run);
  b.entries.push_back(
      BaselineEntry{"00000000000000000000000000000000", "CR003", "gone.spec", 3, "fixed long ago"});
  BaselineOutcome out = apply_baseline(run, b, BaselineMode::Remove);
  EXPECT_EQ(out.accepted, 2U);
  EXPECT_EQ(out.new_violations, 0U);
  ASSERT_EQ(out.stale.size(), 1U);
  EXPECT_EQ(out.stale[0].spec, "gone.spec");
  EXPECT_TRUE(run.specs[0].violations.empty());
  EXPECT_EQ(run.specs[0].verdict, Verdict::Pass);
  EXPECT_EQ(run.specs[1].verdict, Verdict::Pass);
  EXPECT_EQ(run.specs[3].verdict, Verdict::Incomplete);
  EXPECT_EQ(count_new_violations(run), 0U);
}

TEST(Baseline, EachEntryAcceptsOneViolation) {
  RunResult run = test::sample_run();
  Baseline b = make_baseline(run);
  run.specs[0].violations.push_back(run.specs[0].violations[0]);  // same fingerprint twice
  BaselineOutcome out = apply_baseline(run, b);
  EXPECT_EQ(out.accepted, 2U);
  EXPECT_EQ(out.new_violations, 1U);
  EXPECT_FALSE(run.specs[0].violations[1].accepted);
}

TEST(Baseline, FileRoundTripAndErrors) {
  Baseline b = make_baseline(test::sample_run());
  std::string text = render_baseline(b);
  EXPECT_NE(text.find("\"schema\": \"cancelcheck-baseline\""), std::string::npos);
  EXPECT_EQ(text.find("seconds"), std::string::npos);
  EXPECT_EQ(text.find("states"), std::string::npos);
  EXPECT_EQ(parse_baseline(text), b);
  EXPECT_EQ(render_baseline(parse_baseline(text)), text);
  EXPECT_THROW(parse_baseline("{}"), std::runtime_error);
  EXPECT_THROW(parse_baseline("nope"), std::runtime_error);
  EXPECT_THROW(parse_baseline(R"({"schema":"cancelcheck-baseline","version":3,"accepted":[]})"),
               std::runtime_error);
  EXPECT_THROW(
      parse_baseline(
          R"({"schema":"cancelcheck-baseline","version":2,"accepted":[{"rule":"CR001"}]})"),
      std::runtime_error);
  // A version 1 file (FNV fingerprints of the path as typed) says how to replace it.
  try {
    parse_baseline(R"({"schema":"cancelcheck-baseline","version":1,"accepted":[]})");
    ADD_FAILURE() << "version 1 accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--write-baseline"), std::string::npos) << e.what();
  }
}

TEST(Baseline, FingerprintIsXxh3OfTheRootRelativePath) {
  RunResult run = test::sample_run();
  const SpecResult& spec = run.specs[0];
  const Violation& v = spec.violations[0];
  // The same spec named from two working directories: one fingerprint under one root.
  const std::filesystem::path root = std::filesystem::temp_directory_path() / "cc-fp-root";
  SpecResult from_root = spec;
  from_root.path = (root / "specs/kmdf/fx2_timer_cancel.spec").string();
  SpecResult relative = spec;  // "specs/kmdf/fx2_timer_cancel.spec" from the root itself
  const SourceRoot source_root(root);
  std::error_code ec;
  const auto cwd = std::filesystem::current_path();
  std::filesystem::create_directories(root, ec);
  std::filesystem::current_path(root);
  const std::string a = violation_fingerprint(relative, v, source_root);
  std::filesystem::current_path(cwd);
  EXPECT_EQ(violation_fingerprint(from_root, v, source_root), a);
  EXPECT_EQ(source_root.stable_path(from_root.path), "specs/kmdf/fx2_timer_cancel.spec");
  // Without a root, the path as given (so the same value as the root-relative one here).
  EXPECT_EQ(violation_fingerprint(spec, v), a);
  EXPECT_EQ(a.size(), 32U);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  // The baseline names the spec relative to the root, whatever was typed.
  run.specs.resize(1);
  RunResult absolute = run;
  absolute.specs[0].path = from_root.path;
  Baseline b = make_baseline(absolute, source_root);
  bool found = false;
  for (const BaselineEntry& e : b.entries)
    found = found || e.spec == "specs/kmdf/fx2_timer_cancel.spec";
  EXPECT_TRUE(found);
  EXPECT_EQ(apply_baseline(run, b).accepted, b.entries.size());
  std::filesystem::remove_all(root, ec);
}

}  // namespace
}  // namespace cc::reports
