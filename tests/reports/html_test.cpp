#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "reports/html.h"
#include "tests/reports/fixture.h"

namespace cc::reports {
namespace {

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

TEST(HtmlReport, DeterministicUniqueFileNames) {
  RunResult run = test::sample_run();
  // A second spec with the same file name in another folder, with two CR001 violations.
  SpecResult twin = run.specs[0];
  twin.path = "other/fx2_timer_cancel.spec";
  twin.violations.push_back(twin.violations[0]);
  run.specs.push_back(twin);
  std::vector<HtmlTraceFile> files = html_trace_files(run);
  ASSERT_EQ(files.size(), 4U);
  EXPECT_EQ(files[0].file_name, "fx2_timer_cancel-CR001-1.html");
  EXPECT_EQ(files[1].file_name, "script____-CR006-1.html");
  EXPECT_EQ(files[2].file_name, "fx2_timer_cancel-2-CR001-1.html");
  EXPECT_EQ(files[3].file_name, "fx2_timer_cancel-2-CR001-2.html");
  EXPECT_EQ(files[3].spec_index, 5U);
  EXPECT_EQ(files[3].violation_index, 1U);
}

TEST(HtmlReport, TracePageHasLanesRowsAndRacingHighlights) {
  RunResult run = test::sample_run();
  std::string html = render_html_trace(run, 0, 0);
  EXPECT_EQ(count(html, "<th class=\"lane "),
            5U);  // I/O manager, framework, OnRead, OnCancel, OnTimer
  EXPECT_EQ(count(html, "<tr class=\"step"), 9U);
  EXPECT_EQ(count(html, "<tr class=\"step racing"), 2U);
  EXPECT_NE(html.find("<tr class=\"step racing\" id=\"step-7\""), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"step racing violating\" id=\"step-9\""), std::string::npos);
  EXPECT_NE(html.find("OnCancel completed req#1 at step 7; OnTimer completed it again at step 9"),
            std::string::npos);
  EXPECT_NE(html.find("<span class=\"rule-id\">CR001</span>"), std::string::npos);
  EXPECT_NE(html.find(std::string(rule_info(RuleId::DoubleCompletion).full)), std::string::npos);
  EXPECT_NE(html.find("WdfRequestComplete(<wbr>req#1, STATUS_CANCELLED)"), std::string::npos);
  EXPECT_NE(html.find("line\u00a022"), std::string::npos);
  EXPECT_NE(html.find("  WdfRequestComplete(req, STATUS_CANCELLED);"), std::string::npos);
  // Object states for the side panel are embedded as data.
  EXPECT_NE(html.find("[\"completions\",\"2\"]"), std::string::npos);
  EXPECT_NE(html.find("\"initial\":6"), std::string::npos);
}

TEST(HtmlReport, EndStateViolationEndsWithAnEndStateRow) {
  RunResult run = test::sample_run();
  Violation& v = run.specs[0].violations[0];
  v.violating_step.reset();
  v.racing_steps.clear();
  v.message = "deadlock: OnRead[req#1] waits for OnCancel[req#1] to return";
  v.headline = v.message;
  std::string html = render_html_trace(run, 0, 0);
  EXPECT_EQ(count(html, "<tr class=\"step"), 9U);
  EXPECT_EQ(count(html, "<tr class=\"step racing"), 0U);
  EXPECT_EQ(count(html, "<tr class=\"endstate\" id=\"end\">"), 1U);
  EXPECT_NE(html.find("END STATE"), std::string::npos);
  EXPECT_NE(html.find("end-state violation"), std::string::npos);
  EXPECT_NE(html.find("data-goto=\"8\""), std::string::npos);  // the end row selects the last step
  EXPECT_NE(html.find("\"initial\":8"), std::string::npos);    // and the page opens there
  // The message is the headline: shown once in the header (and once in the end row).
  EXPECT_EQ(count(html, "deadlock: OnRead[req#1] waits for OnCancel[req#1] to return"), 2U);
}

TEST(HtmlReport, SingleViolatingStepIsLabelledViolation) {
  RunResult run = test::sample_run();
  Violation& v = run.specs[0].violations[0];
  v.racing_steps = {StepIndex{8}};
  std::string html = render_html_trace(run, 0, 0);
  EXPECT_NE(html.find("<span class=\"flag\">VIOLATION</span>"), std::string::npos);
  EXPECT_EQ(html.find("RACE 1"), std::string::npos);
  EXPECT_NE(html.find("VIOLATION \u00b7 step 9"), std::string::npos);
  // Two racing steps, the second violating.
  std::string two = render_html_trace(test::sample_run(), 0, 0);
  EXPECT_NE(two.find("<span class=\"flag\">RACE 1</span>"), std::string::npos);
  EXPECT_NE(two.find("<span class=\"flag\">RACE 2 \u00b7 VIOLATION</span>"), std::string::npos);
}

TEST(HtmlReport, IndexListsRulesAndIncompleteReasons) {
  std::string index = render_html_index(test::sample_run());
  EXPECT_EQ(count(index, "<tr class=\"rule\">"), all_rules().size());
  EXPECT_NE(index.find("search incomplete: state limit 1000000 reached"), std::string::npos);
  EXPECT_NE(index.find("<td class=\"n\">2.00 s</td>"), std::string::npos);  // seconds from 1 s on
  EXPECT_NE(index.find(" ms</td>"), std::string::npos);                     // milliseconds below
  EXPECT_NE(index.find("(9 steps)"), std::string::npos);
}

TEST(HtmlReport, SelfContainedWithoutNetwork) {
  std::string html = render_html_trace(test::sample_run(), 0, 0);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
}

TEST(HtmlReport, SpecStringsAreEscapedEverywhere) {
  RunResult run = test::sample_run();
  std::string html = render_html_trace(run, 1, 0);
  // Exactly our two script elements; nothing from the spec opens another.
  EXPECT_EQ(count(html, "<script"), 2U);
  EXPECT_EQ(count(html, "</script>"), 2U);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(3)&gt;"), std::string::npos);
  // In the embedded JSON '<' is \u003c, and U+2028 cannot end the script's string.
  EXPECT_NE(html.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(4)"), std::string::npos);
  std::size_t data = html.find("<script type=\"application/json\" id=\"cc-data\">");
  ASSERT_NE(data, std::string::npos);
  std::string json = html.substr(data, html.find("</script>", data) - data);
  EXPECT_EQ(json.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_NE(json.find("\\u2028"), std::string::npos);
  EXPECT_NE(json.find("bell\\\\u0007here"), std::string::npos);  // shown as text, not a raw BEL
  EXPECT_EQ(html.find('\x07'), std::string::npos);

  std::string index = render_html_index(run);
  EXPECT_EQ(count(index, "<script"), 1U);  // the search and filter script, nothing injected
  EXPECT_EQ(index.find("<img"), std::string::npos);
  EXPECT_NE(index.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(HtmlReport, IndexListsSpecsVerdictsAndLinks) {
  std::string index = render_html_index(test::sample_run());
  EXPECT_EQ(count(index, "<tr class=\"spec\" data-verdict="), 5U);
  EXPECT_NE(index.find("<input id=\"filter-text\" type=\"search\""), std::string::npos);
  EXPECT_NE(index.find("<a href=\"fx2_timer_cancel-CR001-1.html\">"), std::string::npos);
  EXPECT_NE(index.find("<a href=\"script____-CR006-1.html\">"), std::string::npos);
  EXPECT_NE(index.find("<span class=\"verdict incomplete\">incomplete</span>"), std::string::npos);
  EXPECT_NE(index.find("unknown API"), std::string::npos);
  EXPECT_NE(index.find("1,234"), std::string::npos);
  HtmlOptions no_time;
  no_time.timings = false;
  EXPECT_EQ(render_html_index(test::sample_run(), no_time).find("0.013 s"), std::string::npos);
}

TEST(HtmlReport, WritesIndexAndTraces) {
  auto dir =
      std::filesystem::temp_directory_path() / ("cc-reports-html-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_EQ(write_html_reports(test::sample_run(), dir), "");
  EXPECT_TRUE(std::filesystem::exists(dir / "index.html"));
  EXPECT_TRUE(std::filesystem::exists(dir / "fx2_timer_cancel-CR001-1.html"));
  EXPECT_TRUE(std::filesystem::exists(dir / "script____-CR006-1.html"));
  std::filesystem::remove_all(dir);
}

// The spec source beside the trace: one item per line, the lines steps run marked with their
// steps, the racing and violating steps' lines marked as the race, cards linking to #LN.
TEST(HtmlReport, SourceViewLinksStepsAndLines) {
  RunResult run = test::sample_run();
  const Violation& v = run.specs[0].violations[0];
  std::string text;
  for (int i = 1; i <= 40; ++i) text += "line " + std::to_string(i) + " <b>\n";
  HtmlOptions options;
  options.sources[run.specs[0].path] = text;
  const std::string html = render_html_trace(run, 0, 0, options);
  EXPECT_EQ(count(html, "<li id=\"L"), 40U);
  // The source is escaped like any spec text.
  EXPECT_EQ(html.find("line 5 <b>"), std::string::npos);
  EXPECT_NE(html.find("line 5 &lt;b&gt;"), std::string::npos);
  const uint32_t racing_line = v.trace[v.racing_steps[0].value].loc.line;
  ASSERT_GT(racing_line, 0U);
  EXPECT_NE(html.find("<li id=\"L" + std::to_string(racing_line) +
                      "\" class=\"used race\" data-steps=\""),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<a class=\"ln\" href=\"#L" + std::to_string(racing_line) + "\">"),
            std::string::npos);
  EXPECT_NE(html.find("role=\"grid\""), std::string::npos);
  EXPECT_NE(html.find("aria-selected=\"false\""), std::string::npos);
  EXPECT_NE(html.find("id=\"help\" role=\"dialog\""), std::string::npos);
  // Without the text, no source view.
  EXPECT_EQ(render_html_trace(run, 0, 0).find("id=\"source-lines\""), std::string::npos);
}

}  // namespace
}  // namespace cc::reports
