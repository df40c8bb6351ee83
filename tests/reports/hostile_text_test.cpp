// Spec strings that could mislead a reader or overwhelm a browser: bidi controls are shown
// as visible \uXXXX text (HTML, JUnit XML, terminal), and a huge identifier is cut, so a page
// stays small whatever the spec holds.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reports/escape.h"
#include "reports/html.h"
#include "reports/junit.h"
#include "reports/text.h"
#include "tests/reports/fixture.h"

namespace cc::test {
namespace {

const std::vector<std::pair<std::string, std::string>> kBidi{
    {"\u202E", "\\u202E"}, {"\u202A", "\\u202A"}, {"\u2066", "\\u2066"}, {"\u2069", "\\u2069"},
    {"\u200E", "\\u200E"}, {"\u200F", "\\u200F"}, {"\u061C", "\\u061C"}};

/// The double-completion run with `text` in every spec-provided string of the trace.
RunResult run_with(const std::string& text) {
  RunResult run = sample_run();
  SpecResult& spec = run.specs.front();
  spec.path = "specs/" + text + ".spec";
  spec.title = text;
  for (Violation& v : spec.violations) {
    v.message = "completed " + text;
    v.headline = "race " + text;
    v.loc.source = "  WdfRequestComplete(" + text + ");";
    for (TraceStep& s : v.trace) {
      s.activity_name = "On" + text;
      s.action = "WdfRequestComplete(" + text + ")";
      s.note = text;
      s.loc.source = "  x = " + text + ";";
      for (ObjectView& o : s.objects) {
        o.name = text;
        for (auto& f : o.fields) f.second = text;
      }
    }
  }
  return run;
}

std::vector<std::string> pages(const RunResult& run) {
  std::vector<std::string> out{reports::render_html_index(run)};
  for (const reports::HtmlTraceFile& f : reports::html_trace_files(run))
    out.push_back(reports::render_html_trace(run, f.spec_index, f.violation_index));
  return out;
}

TEST(HostileText, BidiControlsAreShownNotApplied) {
  for (const auto& [raw, shown] : kBidi) {
    RunResult run = run_with("evil" + raw + "live");
    for (const std::string& page : pages(run)) {
      EXPECT_EQ(page.find(raw), std::string::npos) << shown << " raw in an HTML page";
      EXPECT_NE(page.find("evil" + shown + "live"), std::string::npos) << shown;
    }
    std::string text = reports::render_text(run, {});
    EXPECT_EQ(text.find(raw), std::string::npos) << shown << " raw in the text report";
    EXPECT_NE(text.find("evil" + shown + "live"), std::string::npos) << shown;
    std::string junit = reports::render_junit(run);
    EXPECT_EQ(junit.find(raw), std::string::npos) << shown << " raw in JUnit";
  }
  // Neighbours of the controls are ordinary text and stay as they are.
  EXPECT_EQ(reports::html_escape("a\u2010b\u2028c\u202Fd"), "a\u2010b\u2028c\u202Fd");
}

TEST(HostileText, AHugeIdentifierKeepsThePagesSmall) {
  const std::string huge(1 << 20, 'q');  // a 1 MB identifier
  RunResult run = run_with(huge);
  std::size_t total = 0;
  for (const std::string& page : pages(run)) {
    EXPECT_LT(page.size(), 2u << 20) << "a page of " << page.size() << " bytes";
    EXPECT_NE(page.find("more bytes)"), std::string::npos);
    total += page.size();
  }
  std::string index = reports::render_html_index(run);
  EXPECT_NE(index.find("<span class=\"verdict violation\">violation</span>"), std::string::npos);
  std::printf("[ figure ] 1 MB identifier: %zu bytes of HTML in all\n", total);
}

TEST(HostileText, ClipCutsAtACharacterBoundary) {
  EXPECT_EQ(reports::clip_text("abc", 3), "abc");
  EXPECT_EQ(reports::clip_text("abcdef", 3), "abc\u2026 (3 more bytes)");
  EXPECT_EQ(reports::clip_text("ab\u00e9", 3), "ab\u2026 (2 more bytes)");  // é is 2 bytes
}

}  // namespace
}  // namespace cc::test
