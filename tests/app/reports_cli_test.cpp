// The reports of a real `cancelcheck check` run: HTML, SARIF, JUnit and JSON written together
// over the bundled specs, hostile spec names, baselines and --fail-on on real violations.
// (The renderers' unit tests use a hand-built result; these run the built binary.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "model/rules.h"
#include "tests/app/run_tool.h"

namespace cc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run_tool;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

// Single-quotes an argument for /bin/sh (run_tool passes its arguments to the shell).
std::string sh(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// A fresh directory per test, removed at the end.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("cc-reports-cli-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The <testsuite ...>...</testsuite> element of one spec in a JUnit file, or "".
std::string junit_suite(const std::string& xml, const std::string& escaped_name) {
  std::size_t at = xml.find("<testsuite name=\"" + escaped_name + "\"");
  if (at == std::string::npos) return "";
  std::size_t end = xml.find("</testsuite>", at);
  return end == std::string::npos ? "" : xml.substr(at, end - at);
}

// Violations per spec path in a JSON result.
std::map<std::string, std::vector<std::string>> violations_by_spec(const json& doc) {
  std::map<std::string, std::vector<std::string>> out;
  for (const json& spec : doc["specs"]) {
    auto& rules = out[spec["path"].get<std::string>()];
    for (const json& v : spec["violations"]) rules.push_back(v["rule"].get<std::string>());
  }
  return out;
}

// One run over specs/ writing all four formats, shared by the tests below.
class ReportsRealRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("real");
    const fs::path& d = dir_->path();
    run_ = new test::ToolRun(run_tool(
        "check specs/ tests/data/incomplete_model_limit.spec --no-color --html " +
        sh((d / "html").string()) + " --sarif " + sh((d / "r.sarif").string()) + " --junit " +
        sh((d / "r.xml").string()) + " --json " + sh((d / "r.json").string())));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete dir_;
  }
  static fs::path path(const std::string& name) { return dir_->path() / name; }
  static json load_json(const std::string& name) { return json::parse(slurp(path(name))); }

  static ScratchDir* dir_;
  static test::ToolRun* run_;
};
ScratchDir* ReportsRealRun::dir_ = nullptr;
test::ToolRun* ReportsRealRun::run_ = nullptr;

TEST_F(ReportsRealRun, ExitsOneAndWritesAllFourReports) {
  EXPECT_EQ(run_->exit_code, 1) << run_->out << run_->err;
  for (const char* name : {"html/index.html", "r.sarif", "r.xml", "r.json"}) {
    ASSERT_TRUE(fs::exists(path(name))) << name;
    EXPECT_GT(fs::file_size(path(name)), 1000U) << name;
    EXPECT_NE(run_->out.find("wrote " + path(name).string()), std::string::npos) << run_->out;
  }
  // No temporary files are left next to the reports.
  for (const auto& entry : fs::recursive_directory_iterator(dir_->path())) {
    std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
  }
}

TEST_F(ReportsRealRun, JsonHasEverySpecAndReplayableSteps) {
  json doc = load_json("r.json");
  EXPECT_EQ(doc["schema"], "cancelcheck-result");
  EXPECT_EQ(doc["version"], 2);
  std::size_t spec_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(CC_SOURCE_DIR) / "specs")) {
    spec_files += e.path().extension() == ".spec" ? 1 : 0;
  }
  ASSERT_EQ(doc["specs"].size(), spec_files + 1);  // + tests/data/incomplete_model_limit.spec
  auto found = violations_by_spec(doc);
  EXPECT_EQ(found["specs/kmdf/cr001_double_completion.spec"], std::vector<std::string>{"CR001"});
  EXPECT_EQ(found["specs/kmdf/cr004_use_after_free.spec"], std::vector<std::string>{"CR004"});
  EXPECT_TRUE(found["specs/kmdf/cr001_double_completion_fixed.spec"].empty());
  std::size_t steps = 0;
  for (const json& spec : doc["specs"]) {
    if (spec["verdict"] == "incomplete") {
      EXPECT_FALSE(spec["incomplete_reason"].get<std::string>().empty());
    }
    for (const json& v : spec["violations"]) {
      EXPECT_FALSE(v["trace"].empty()) << spec["path"];
      EXPECT_TRUE(v["replayed"].get<bool>()) << spec["path"];
      for (const json& s : v["trace"]) {
        ++steps;
        EXPECT_FALSE(s["event"].get<std::string>().empty()) << spec["path"];
        EXPECT_TRUE(s["choices"].is_array());
        EXPECT_TRUE(s["calls"].is_array());
      }
    }
  }
  EXPECT_GT(steps, 100U);
}

TEST_F(ReportsRealRun, SarifHasOneResultPerViolationWithTheSchedule) {
  json doc = load_json("r.json");
  json sarif = load_json("r.sarif");
  EXPECT_EQ(sarif["version"], "2.1.0");
  const json& run = sarif["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), all_rules().size());
  std::size_t violations = 0;
  for (const json& spec : doc["specs"]) violations += spec["violations"].size();
  ASSERT_EQ(run["results"].size(), violations);
  bool saw_cr001 = false;
  for (const json& r : run["results"]) {
    const json& props = r["properties"];
    const json& flow = r["codeFlows"][0]["threadFlows"][0]["locations"];
    EXPECT_EQ(flow.size(), props["traceLength"].get<std::size_t>());
    EXPECT_EQ(r["partialFingerprints"]["cancelcheck/v2"].get<std::string>().size(), 32U);
    EXPECT_EQ(r["baselineState"], "new");
    EXPECT_EQ(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"], "SRCROOT");
    if (props["spec"] == "specs/kmdf/cr001_double_completion.spec") {
      saw_cr001 = true;
      EXPECT_EQ(r["ruleId"], "CR001");
      EXPECT_EQ(r["locations"][0]["physicalLocation"]["region"]["startLine"], 53);
      EXPECT_EQ(props["racingSteps"], json::array({9, 14}));
      EXPECT_EQ(flow[8]["importance"], "essential");
      EXPECT_EQ(flow[8]["properties"]["event"], "OnCancel[req#1]");
      EXPECT_EQ(flow[13]["state"]["req#1.place"]["text"], "completed");
    }
  }
  EXPECT_TRUE(saw_cr001);
  // The incomplete specs are tool notifications.
  EXPECT_EQ(run["invocations"][0]["toolExecutionNotifications"].size(), 1U);
}

TEST_F(ReportsRealRun, JunitHasASuitePerSpecAndACasePerRuleWithTheTrace) {
  json doc = load_json("r.json");
  std::string xml = slurp(path("r.xml"));
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0U);
  EXPECT_EQ(count(xml, "<testsuite "), doc["specs"].size());
  EXPECT_EQ(count(xml, "<testcase "), doc["specs"].size() * all_rules().size());
  std::size_t violations = 0;
  for (const json& spec : doc["specs"]) violations += spec["violations"].size();
  EXPECT_EQ(count(xml, "<failure "), violations);

  std::string suite = junit_suite(xml, "specs/kmdf/cr001_double_completion.spec");
  ASSERT_FALSE(suite.empty());
  EXPECT_EQ(count(suite, "<testcase "), all_rules().size());
  EXPECT_EQ(count(suite, "<failure "), 1U);
  std::size_t failure = suite.find("<failure message=\"req#1 completed twice\" type=\"CR001\">");
  ASSERT_NE(failure, std::string::npos) << suite.substr(0, 2000);
  std::string text = suite.substr(failure, suite.find("</failure>", failure) - failure);
  EXPECT_NE(text.find("trace (14 steps, replayed by the reference executor)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("! 14  OnTimer"), std::string::npos) << text;
  EXPECT_NE(text.find("WdfRequestComplete(req#1, STATUS_CANCELLED)"), std::string::npos);
  EXPECT_NE(text.find("-&gt; STATUS_SUCCESS"), std::string::npos);  // escaped, not raw

  // An incomplete spec: every rule is skipped with the reason.
  suite = junit_suite(xml, "tests/data/incomplete_model_limit.spec");
  ASSERT_FALSE(suite.empty());
  EXPECT_EQ(count(suite, "<skipped message=\"search incomplete: arrive count"), all_rules().size());
}

TEST_F(ReportsRealRun, HtmlHasAnIndexAndOnePagePerViolation) {
  json doc = load_json("r.json");
  std::string index = slurp(path("html/index.html"));
  std::size_t pages = 0;
  for (const auto& e : fs::directory_iterator(path("html")))
    pages += e.path().filename() != "index.html" ? 1 : 0;
  std::size_t violations = 0;
  for (const json& spec : doc["specs"]) violations += spec["violations"].size();
  EXPECT_EQ(pages, violations);
  EXPECT_EQ(count(index, "<tr class=\"spec\" data-verdict="), doc["specs"].size());
  EXPECT_EQ(count(index, "<tr class=\"rule\">"), all_rules().size());
  EXPECT_NE(index.find("<a href=\"cr001_double_completion-CR001-1.html\""), std::string::npos);
  EXPECT_NE(index.find("search incomplete: arrive count"), std::string::npos);
  EXPECT_EQ(count(index, "<script"), 1U);  // the search and filter

  // A 20-step trace: 20 rows, the two racing steps, the violating one last.
  std::string cr002 = slurp(path("html/cr002_use_after_reuse-CR002-1.html"));
  EXPECT_EQ(count(cr002, "<tr class=\"step"), 20U);
  EXPECT_NE(cr002.find("<tr class=\"step racing\" id=\"step-19\""), std::string::npos);
  EXPECT_NE(cr002.find("<tr class=\"step racing violating\" id=\"step-20\""), std::string::npos);
  EXPECT_NE(cr002.find("RACE 2 \u00b7 VIOLATION"), std::string::npos);
  EXPECT_EQ(cr002.find("class=\"endstate\""), std::string::npos);
  EXPECT_EQ(cr002.find("http://"), std::string::npos);  // no network reference at all
  EXPECT_EQ(cr002.find("https://"), std::string::npos);
  EXPECT_NE(cr002.find("default-src 'none'"), std::string::npos);

  // End-state violations (no violating step) end with an END STATE row.
  for (const char* page :
       {"html/cr010_deadlock-CR010-1.html", "html/003_reuse_wipes_stop_cancel-CR003-1.html",
        "html/cr005_never_completed-CR005-1.html"}) {
    std::string html = slurp(path(page));
    EXPECT_NE(html.find("<tr class=\"endstate\" id=\"end\">"), std::string::npos) << page;
    EXPECT_NE(html.find("END STATE"), std::string::npos) << page;
    EXPECT_EQ(html.find(" violating\""), std::string::npos) << page;
  }
  // A deadlock has no racing step: the page opens on the last step, whose state is the bad one.
  EXPECT_NE(slurp(path("html/cr010_deadlock-CR010-1.html")).find("\"initial\":10"),
            std::string::npos);
}

// A spec whose title, folder and file name are markup: text in HTML, valid everywhere else.
TEST(ReportsCli, HostileSpecNamesStayText) {
  ScratchDir scratch("hostile");
  const std::string title = "<script>alert(1)</script> & \"quoted\" 'single' </title><b>bold</b>";
  fs::path folder = scratch.path() / "<img src=x onerror=alert(2)>&'\"";
  fs::create_directories(folder);
  fs::path spec = folder / "a<b>&'\"z.spec";
  std::string text = slurp(fs::path(CC_SOURCE_DIR) / "specs/kmdf/cr001_double_completion.spec");
  const std::string old_title = "spec \"cancel routine and timer DPC both complete the read\";";
  ASSERT_NE(text.find(old_title), std::string::npos);
  text.replace(text.find(old_title), old_title.size(),
               "spec \"<script>alert(1)</script> & \\\"quoted\\\" 'single' </title><b>bold</b>\";");
  std::ofstream(spec) << text;

  const fs::path& d = scratch.path();
  auto r =
      run_tool("check " + sh(folder.string()) + " --no-color --html " + sh((d / "html").string()) +
               " --sarif " + sh((d / "r.sarif").string()) + " --junit " +
               sh((d / "r.xml").string()) + " --json " + sh((d / "r.json").string()));
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;

  // JSON: parses, and the names come back exactly.
  json doc = json::parse(slurp(d / "r.json"));
  ASSERT_EQ(doc["specs"].size(), 1U);
  EXPECT_EQ(doc["specs"][0]["title"], title);
  EXPECT_EQ(doc["specs"][0]["path"], spec.lexically_normal().string());
  EXPECT_EQ(doc["specs"][0]["violations"][0]["rule"], "CR001");

  // SARIF: parses, the path is a percent-encoded file:// URI, the text is intact.
  json sarif = json::parse(slurp(d / "r.sarif"));
  const json& result = sarif["runs"][0]["results"][0];
  std::string uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
  EXPECT_EQ(uri.rfind("file://", 0), 0U) << uri;
  for (char c : std::string("<>\"' ")) EXPECT_EQ(uri.find(c), std::string::npos) << uri;
  EXPECT_NE(
      uri.find("/%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E%26%27%22/a%3Cb%3E%26%27%22z.spec"),
      std::string::npos)
      << uri;
  EXPECT_EQ(result["properties"]["spec"], spec.lexically_normal().string());

  // JUnit: every markup character escaped; no element comes from the spec.
  std::string xml = slurp(d / "r.xml");
  EXPECT_EQ(xml.find("<script"), std::string::npos);
  EXPECT_EQ(xml.find("<img"), std::string::npos);
  EXPECT_EQ(xml.find("<b>"), std::string::npos);
  EXPECT_NE(
      xml.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &apos;single&apos;"),
      std::string::npos)
      << xml.substr(0, 1500);
  EXPECT_NE(
      xml.find(
          "&lt;img src=x onerror=alert(2)&gt;&amp;&apos;&quot;/a&lt;b&gt;&amp;&apos;&quot;z.spec"),
      std::string::npos);

  // HTML: the page's own two scripts only, names escaped in text and attributes.
  std::string index = slurp(d / "html/index.html");
  EXPECT_EQ(count(index, "<script"), 1U);  // the page's own search script only
  EXPECT_EQ(index.find("<img"), std::string::npos);
  EXPECT_NE(
      index.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;"),
      std::string::npos);
  std::string page;
  for (const auto& e : fs::directory_iterator(d / "html")) {
    if (e.path().filename() == "index.html") continue;
    page = slurp(e.path());
    EXPECT_EQ(e.path().filename().string().find_first_of("<>&'\""), std::string::npos);
  }
  ASSERT_FALSE(page.empty());
  EXPECT_EQ(count(page, "<script"), 2U);
  EXPECT_EQ(count(page, "</script>"), 2U);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>bold"), std::string::npos);
  EXPECT_EQ(count(page, "</title>"), 1U);
  EXPECT_NE(
      page.find(
          "&lt;img src=x onerror=alert(2)&gt;&amp;&#39;&quot;/a&lt;b&gt;&amp;&#39;&quot;z.spec"),
      std::string::npos);
}

// Accepting today's violations: a baseline written from a real run makes the same run pass.
TEST(ReportsCli, BaselineFromARealRunAcceptsEverything) {
  ScratchDir scratch("baseline");
  fs::path baseline = scratch.path() / "baseline.json";
  // Writing a baseline accepts what the run found: exit 0, so an "accept" step needs no || true.
  auto first = run_tool("check specs/kmdf --no-color --write-baseline " + sh(baseline.string()));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("do not gate the exit code (--write-baseline accepts them)"),
            std::string::npos)
      << first.out;
  json accepted = json::parse(slurp(baseline));
  EXPECT_EQ(accepted["schema"], "cancelcheck-baseline");
  ASSERT_GE(accepted["accepted"].size(), 15U);

  fs::path sarif_path = scratch.path() / "r.sarif";
  auto second =
      run_tool("check specs/kmdf --no-color --baseline " + sh(baseline.string()) + " --sarif " +
               sh(sarif_path.string()) + " --html " + sh((scratch.path() / "html").string()));
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find(std::to_string(accepted["accepted"].size()) +
                            " accepted by the baseline, 0 new"),
            std::string::npos)
      << second.out;
  // The terminal shows accepted violations as warnings, as each spec finishes.
  EXPECT_EQ(second.out.find("error: [CR"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("warning: [CR001 double-completion]"), std::string::npos) << second.out;
  json sarif = json::parse(slurp(sarif_path));
  ASSERT_EQ(sarif["runs"][0]["results"].size(), accepted["accepted"].size());
  for (const json& r : sarif["runs"][0]["results"]) {
    EXPECT_EQ(r["baselineState"], "unchanged");
    EXPECT_EQ(r["suppressions"][0]["kind"], "external");
  }
  EXPECT_NE(slurp(scratch.path() / "html/cr001_double_completion-CR001-1.html")
                .find("accepted in the baseline"),
            std::string::npos);

  // Drop one CR004 entry: that violation is new again and fails the run alone.
  json partial = accepted;
  partial["accepted"] = json::array();
  bool dropped = false;
  for (const json& e : accepted["accepted"]) {
    if (e["rule"] == "CR004" && !dropped) {
      dropped = true;
      continue;
    }
    partial["accepted"].push_back(e);
  }
  ASSERT_EQ(partial["accepted"].size() + 1, accepted["accepted"].size());
  std::ofstream(scratch.path() / "partial.json") << partial.dump(2);
  auto third = run_tool("check specs/kmdf --no-color --baseline " +
                        sh((scratch.path() / "partial.json").string()));
  EXPECT_EQ(third.exit_code, 1) << third.out;
  EXPECT_NE(third.out.find("1 new"), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("error: [CR004 use-after-free]"), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("warning: [CR001 double-completion]"), std::string::npos) << third.out;
}

TEST(ReportsCli, BaselineDoesNotHideIncompleteSpecs) {
  // An incomplete spec stays incomplete (exit 4) even when a baseline accepts every violation.
  ScratchDir scratch("baseline-all");
  fs::path baseline = scratch.path() / "baseline.json";
  const std::string specs = "specs/ tests/data/incomplete_model_limit.spec";
  // Writing it exits 4 too: the baseline never hides an incomplete search.
  ASSERT_EQ(run_tool("check " + specs + " --no-color --write-baseline " + sh(baseline.string()))
                .exit_code,
            4);
  auto r = run_tool("check " + specs + " --no-color --baseline " + sh(baseline.string()));
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("0 new"), std::string::npos) << r.out;
}

TEST(ReportsCli, FailOnGatesOnlyTheNamedRules) {
  // specs/ has a CR004 (cr004_use_after_free, 000_cancel_sent_from_timer): exit 1.
  auto r = run_tool("check specs/ --no-color --fail-on CR004");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("[CR004 use-after-free]"), std::string::npos);
  // By name too.
  EXPECT_EQ(run_tool("check specs/ --no-color --fail-on use-after-free").exit_code, 1);
  // Violations of other rules are still reported but do not gate.
  r = run_tool(
      "check specs/kmdf/cr001_double_completion.spec specs/kmdf/cr004_use_after_free_fixed.spec "
      "--no-color --fail-on CR004");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("[CR001 double-completion]"), std::string::npos) << r.out;
  // No CR011 anywhere in the complete KMDF specs: exit 0 although 16 other violations exist.
  r = run_tool("check specs/kmdf --no-color --fail-on CR011");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("violations found"), std::string::npos);
  // A CR004 accepted by the baseline does not gate either.
  ScratchDir scratch("failon");
  fs::path baseline = scratch.path() / "b.json";
  ASSERT_EQ(run_tool("check specs/kmdf/cr004_use_after_free.spec --write-baseline " +
                     sh(baseline.string()))
                .exit_code,
            0);
  EXPECT_EQ(run_tool("check specs/kmdf/cr004_use_after_free.spec --fail-on CR004 --baseline " +
                     sh(baseline.string()))
                .exit_code,
            0);
}

// A malformed baseline is a usage error (exit 2) naming the file and the reason; entries that
// match nothing are listed, and --fail-on-stale makes them fail the run.
TEST(ReportsCli, BaselineErrorsAndStaleEntries) {
  ScratchDir scratch("baseline-stale");
  const fs::path bad = scratch.path() / "bad.json";
  std::ofstream(bad)
      << R"({"schema":"cancelcheck-baseline","version":2,"accepted":[{"fingerprint":3}]})";
  auto r = run_tool("check specs/kmdf/cr001_double_completion.spec --no-color --baseline " +
                    sh(bad.string()));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("/accepted/0/fingerprint: expected a string"), std::string::npos) << r.err;

  const fs::path baseline = scratch.path() / "b.json";
  ASSERT_EQ(run_tool("check specs/kmdf/cr001_double_completion.spec --no-color --write-baseline " +
                     sh(baseline.string()))
                .exit_code,
            0);
  // The bug is fixed: the entry is stale.
  r = run_tool("check specs/kmdf/cr001_double_completion_fixed.spec --no-color --baseline " +
               sh(baseline.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("1 baseline entry matched no violation"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stale: CR001 specs/kmdf/cr001_double_completion.spec:53"),
            std::string::npos)
      << r.out;
  r = run_tool(
      "check specs/kmdf/cr001_double_completion_fixed.spec --no-color --fail-on-stale "
      "--baseline " +
      sh(baseline.string()));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Still matched: nothing stale, --fail-on-stale passes.
  r = run_tool(
      "check specs/kmdf/cr001_double_completion.spec --no-color --fail-on-stale "
      "--baseline " +
      sh(baseline.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("stale:"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cc
