// Spec strings that could mislead a reader or overwhelm a browser: bidi controls are shown
// as visible \uXXXX text (HTML, JUnit XML, terminal), and a huge identifier is cut, so a page
// stays small whatever the spec holds.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "reports/escape.h"
#include "reports/html.h"
#include "reports/junit.h"
#include "reports/text.h"
#include "tests/app/run_tool.h"
#include "tests/reliability/child.h"
#include "tests/reports/fixture.h"

namespace cc::test {
namespace {

const std::vector<std::pair<std::string, std::string>> kBidi{
    {"\u202E", "\\u202E"}, {"\u202A", "\\u202A"}, {"\u2066", "\\u2066"}, {"\u2069", "\\u2069"},
    {"\u200E", "\\u200E"}, {"\u200F", "\\u200F"}, {"\u061C", "\\u061C"}};

/// The double-completion run with `text` in every spec-provided string of its first spec.
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

/// The index and the first spec's trace pages.
std::vector<std::string> pages(const RunResult& run) {
  std::vector<std::string> out{reports::render_html_index(run)};
  for (const reports::HtmlTraceFile& f : reports::html_trace_files(run)) {
    if (f.spec_index == 0)  // the spec run_with() changed
      out.push_back(reports::render_html_trace(run, f.spec_index, f.violation_index));
  }
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

/// The bundled double completion with every `from` replaced by `to`, as a temporary spec.
std::string edited_spec(const std::string& from, const std::string& to) {
  std::string text =
      read_file(std::string(CC_SOURCE_DIR) + "/specs/kmdf/cr001_double_completion.spec");
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return temp_file(text);
}

TEST(HostileText, ARealRunShowsBidiControlsInASpecLine) {
  // A comment on the completing lines: it is part of the source line the reports show.
  std::string spec = edited_spec("// BUG: second completion", "// evil\u202Elive");
  std::string dir = temp_dir();
  ChildRun r = run_child({"check", spec, "--no-progress", "--no-color", "--html", dir});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.find("\u202E"), std::string::npos) << "raw U+202E on the terminal";
  EXPECT_NE(r.out.find("evil\\u202Elive"), std::string::npos) << r.out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string page = read_file(e.path().string());
    EXPECT_EQ(page.find("\u202E"), std::string::npos) << "raw U+202E in " << e.path();
  }
  std::filesystem::remove_all(dir);
  std::remove(spec.c_str());
}

TEST(HostileText, ARealRunWithAHugeIdentifierWritesSmallPages) {
  std::string spec = edited_spec("OnRead", "OnRead" + std::string(300'000, 'q'));
  std::string dir = temp_dir();
  ChildRun r = run_child({"check", spec, "--no-progress", "--no-color", "-q", "--html", dir});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    EXPECT_LT(e.file_size(), 256u << 10) << e.path();
  }
  EXPECT_NE(
      read_file(dir + "/index.html").find("<span class=\"verdict violation\">violation</span>"),
      std::string::npos);
  std::filesystem::remove_all(dir);
  std::remove(spec.c_str());
}

TEST(HostileText, ClipCutsAtACharacterBoundary) {
  EXPECT_EQ(reports::clip_text("abc", 3), "abc");
  EXPECT_EQ(reports::clip_text("abcdef", 3), "abc\u2026 (3 more bytes)");
  EXPECT_EQ(reports::clip_text("ab\u00e9", 3), "ab\u2026 (2 more bytes)");  // é is 2 bytes
}

}  // namespace
}  // namespace cc::test
