#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "reports/baseline.h"
#include "reports/sarif.h"
#include "tests/reports/fixture.h"

namespace cc::reports {
namespace {

TEST(SarifReport, ToolDriverCarriesTheWholeCatalogue) {
  nlohmann::json log = to_sarif(test::sample_run());
  EXPECT_EQ(log["version"], "2.1.0");
  ASSERT_EQ(log["runs"].size(), 1U);
  const auto& driver = log["runs"][0]["tool"]["driver"];
  EXPECT_EQ(driver["name"], "cancelcheck");
  EXPECT_EQ(driver["version"], "0.1.0");
  ASSERT_EQ(driver["rules"].size(), kRuleCount);
  for (std::size_t i = 0; i < kRuleCount; ++i) {
    const RuleInfo& r = all_rules()[i];
    const auto& d = driver["rules"][i];
    EXPECT_EQ(d["id"], std::string(r.id));
    EXPECT_EQ(d["shortDescription"]["text"], std::string(r.brief));
    EXPECT_EQ(d["fullDescription"]["text"], std::string(r.full));
    EXPECT_EQ(d["properties"]["ruleName"], std::string(r.name));
    EXPECT_TRUE(d["help"]["text"].is_string());
  }
  EXPECT_EQ(driver["rules"][0]["name"], "DoubleCompletion");
  EXPECT_EQ(driver["rules"][0]["properties"]["sdvAliases"],
            nlohmann::json::array({"DoubleCompletion", "DoubleCompletionLocal"}));
  EXPECT_EQ(driver["rules"][1]["properties"]["sdvAliases"], nlohmann::json::array());
}

TEST(SarifReport, OneResultPerViolationWithLocationAndCodeFlow) {
  RunResult run = test::sample_run();
  nlohmann::json log = to_sarif(run);
  const auto& results = log["runs"][0]["results"];
  ASSERT_EQ(results.size(), 2U);
  const auto& r = results[0];
  EXPECT_EQ(r["ruleId"], "CR001");
  EXPECT_EQ(r["ruleIndex"], 0);
  EXPECT_EQ(r["level"], "error");
  EXPECT_NE(r["message"]["text"].get<std::string>().find("req#1 completed twice"),
            std::string::npos);
  const auto& phys = r["locations"][0]["physicalLocation"];
  EXPECT_EQ(phys["artifactLocation"]["uri"], "specs/kmdf/fx2_timer_cancel.spec");
  EXPECT_EQ(phys["region"]["startLine"], 31);
  EXPECT_EQ(phys["region"]["startColumn"], 5);
  EXPECT_EQ(r["partialFingerprints"]["cancelcheck/v2"],
            violation_fingerprint(run.specs[0], run.specs[0].violations[0]));
  EXPECT_EQ(r["baselineState"], "new");

  const auto& flow = r["codeFlows"][0]["threadFlows"][0]["locations"];
  ASSERT_EQ(flow.size(), 9U);
  for (std::size_t i = 0; i < flow.size(); ++i) {
    EXPECT_EQ(flow[i]["executionOrder"], i + 1);
    EXPECT_EQ(flow[i]["nestingLevel"], 0);
    EXPECT_TRUE(flow[i]["location"]["message"]["text"].is_string());
  }
  EXPECT_EQ(flow[2]["location"]["message"]["text"],
            "Step 3 [OnRead[req#1]] WdfRequestMarkCancelableEx(req#1, OnCancel) -> STATUS_SUCCESS");
  EXPECT_EQ(flow[2]["location"]["physicalLocation"]["region"]["startLine"], 14);
  EXPECT_FALSE(flow[0]["location"].contains("physicalLocation"));  // environment step: no spec line
  EXPECT_EQ(flow[6]["importance"], "essential");
  EXPECT_EQ(flow[5]["importance"], "important");
  EXPECT_EQ(flow[6]["state"]["req#1 (reads).completions"]["text"], "1");
  EXPECT_EQ(flow[6]["properties"]["actor"], "driver");
}

TEST(SarifReport, MessageOnceEndStateAndReplayProperties) {
  RunResult run = test::sample_run();
  Violation& v = run.specs[0].violations[0];
  v.headline = "OnTimer at step 9: " + v.message;  // a single-step headline repeats the message
  v.trace[6].event = "OnCancel[req#1]";
  v.trace[6].choices = {"nondet:0"};
  v.trace[6].calls = {"WdfRequestComplete"};
  nlohmann::json r = to_sarif(run)["runs"][0]["results"][0];
  EXPECT_EQ(r["message"]["text"], v.headline);
  EXPECT_EQ(r["properties"]["endState"], false);
  const auto& props = r["codeFlows"][0]["threadFlows"][0]["locations"][6]["properties"];
  EXPECT_EQ(props["event"], "OnCancel[req#1]");
  EXPECT_EQ(props["choices"], nlohmann::json::array({"nondet:0"}));
  EXPECT_EQ(props["calls"], nlohmann::json::array({"WdfRequestComplete"}));
  EXPECT_FALSE(r["codeFlows"][0]["threadFlows"][0]["locations"][5]["properties"].contains("event"));

  v.violating_step.reset();
  v.headline = v.message;
  r = to_sarif(run)["runs"][0]["results"][0];
  EXPECT_EQ(r["message"]["text"], v.message);
  EXPECT_EQ(r["properties"]["endState"], true);
}

TEST(SarifReport, IncompleteAndErrorSpecsBecomeNotifications) {
  nlohmann::json log = to_sarif(test::sample_run());
  const auto& inv = log["runs"][0]["invocations"][0];
  EXPECT_EQ(inv["executionSuccessful"], false);
  ASSERT_EQ(inv["toolExecutionNotifications"].size(), 2U);
  EXPECT_EQ(inv["toolExecutionNotifications"][0]["level"], "warning");
  EXPECT_EQ(inv["toolExecutionNotifications"][1]["level"], "error");
}

TEST(SarifReport, AcceptedViolationsAreSuppressed) {
  RunResult run = test::sample_run();
  run.specs[0].violations[0].accepted = true;
  nlohmann::json log = to_sarif(run);
  EXPECT_EQ(log["runs"][0]["results"][0]["baselineState"], "unchanged");
  EXPECT_EQ(log["runs"][0]["results"][0]["suppressions"][0]["kind"], "external");
  EXPECT_FALSE(log["runs"][0]["results"][1].contains("suppressions"));
}

TEST(SarifReport, HostilePathIsPercentEncodedAndOutputIsDeterministic) {
  RunResult run = test::sample_run();
  nlohmann::json log = to_sarif(run);
  std::string uri =
      log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
  EXPECT_EQ(uri.find('<'), std::string::npos);
  EXPECT_EQ(uri.find('"'), std::string::npos);
  EXPECT_EQ(render_sarif(run), render_sarif(test::sample_run()));
  std::string text = render_sarif(run);
  // Conventional key order: $schema, version, runs.
  EXPECT_LT(text.find("\"$schema\""), text.find("\"version\""));
  EXPECT_LT(text.find("\"version\""), text.find("\"runs\""));
}

TEST(SarifReport, EndStateViolationWithoutLineHasNoRegion) {
  RunResult run = test::sample_run();
  Violation& v = run.specs[0].violations[0];
  v.loc = ResultLoc{};
  v.violating_step.reset();
  nlohmann::json log = to_sarif(run);
  const auto& phys = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
  EXPECT_EQ(phys["artifactLocation"]["uri"], "specs/kmdf/fx2_timer_cancel.spec");
  EXPECT_FALSE(phys.contains("region"));
}

// What GitHub code scanning needs for stable alerts: URIs relative to a declared base,
// rule help pages, the tool's home page, a category, the other racing step, baselineState.
TEST(SarifReport, SourceRootGivesRelativeUrisUnderSrcroot) {
  RunResult run = test::sample_run();
  const std::filesystem::path root = std::filesystem::temp_directory_path() / "cc-sarif-root";
  run.specs[0].path = (root / "specs/kmdf/fx2_timer_cancel.spec").string();
  for (TraceStep& step : run.specs[0].violations[0].trace) step.loc.file.clear();
  run.specs[0].violations[0].loc.file.clear();
  SarifOptions options;
  options.source_root = SourceRoot(root);
  nlohmann::json log = to_sarif(run, options);
  const auto& sarif_run = log["runs"][0];
  EXPECT_EQ(sarif_run["originalUriBaseIds"]["SRCROOT"]["uri"],
            "file://" + SourceRoot(root).dir().generic_string() + "/");
  EXPECT_EQ(sarif_run["automationDetails"]["id"], "cancelcheck/");
  EXPECT_FALSE(sarif_run["tool"]["driver"]["informationUri"].get<std::string>().empty());
  for (const auto& rule : sarif_run["tool"]["driver"]["rules"]) {
    const std::string uri = rule["helpUri"];
    EXPECT_EQ(uri.rfind("https://", 0), 0U) << uri;
    std::string id = rule["id"];
    for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(uri.find("docs/rules.md#" + id), std::string::npos) << uri;
  }
  const auto& r = sarif_run["results"][0];
  const auto& artifact = r["locations"][0]["physicalLocation"]["artifactLocation"];
  EXPECT_EQ(artifact["uri"], "specs/kmdf/fx2_timer_cancel.spec");
  EXPECT_EQ(artifact["uriBaseId"], "SRCROOT");
  EXPECT_EQ(r["properties"]["spec"], "specs/kmdf/fx2_timer_cancel.spec");
  // The same violation named by a relative path from the root: the same fingerprint.
  EXPECT_EQ(
      r["partialFingerprints"]["cancelcheck/v2"],
      to_sarif(
          test::sample_run())["runs"][0]["results"][0]["partialFingerprints"]["cancelcheck/v2"]);
  // The first racing step (step 7, the cancel routine) is the related location.
  ASSERT_EQ(r["relatedLocations"].size(), 1U);
  EXPECT_EQ(r["relatedLocations"][0]["id"], 7);
  EXPECT_EQ(r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "SRCROOT");
  // A spec outside the root keeps an absolute URI and no base.
  RunResult outside = test::sample_run();
  outside.specs[0].path = "/elsewhere/x.spec";
  outside.specs[0].violations[0].loc.file.clear();
  const nlohmann::json outside_log = to_sarif(outside, options);
  const auto& art =
      outside_log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
  EXPECT_EQ(art["uri"], "file:///elsewhere/x.spec");
  EXPECT_FALSE(art.contains("uriBaseId"));
}

}  // namespace
}  // namespace cc::reports
