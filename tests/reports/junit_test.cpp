#include <gtest/gtest.h>

#include <vector>

#include "reports/junit.h"
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

// A small well-formedness check: tags nest and balance, text and attributes contain no raw
// '<' or stray '&', and no control characters other than tab/newline/CR appear.
::testing::AssertionResult well_formed(const std::string& xml) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  if (xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) != 0) {
    return ::testing::AssertionFailure() << "missing XML declaration";
  }
  i = xml.find('\n') + 1;
  while (i < xml.size()) {
    char c = xml[i];
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
      return ::testing::AssertionFailure() << "control character at " << i;
    }
    if (c == '&') {
      std::size_t semi = xml.find(';', i);
      std::string entity = xml.substr(i, semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;" && entity != "&#10;" && entity != "&#13;" && entity != "&#9;") {
        return ::testing::AssertionFailure() << "bad entity " << entity;
      }
      i = semi + 1;
      continue;
    }
    if (c == '>') return ::testing::AssertionFailure() << "raw '>' in text at " << i;
    if (c != '<') {
      ++i;
      continue;
    }
    std::size_t end = xml.find('>', i);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unterminated tag";
    std::string tag = xml.substr(i + 1, end - i - 1);
    // Inside a tag, quoted attribute values must not contain '<'.
    bool in_quote = false;
    for (char t : tag) {
      if (t == '"') in_quote = !in_quote;
      if (t == '<') return ::testing::AssertionFailure() << "'<' inside tag " << tag;
    }
    if (in_quote) return ::testing::AssertionFailure() << "unbalanced quotes in " << tag;
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != tag.substr(1)) {
        return ::testing::AssertionFailure() << "mismatched </" << tag.substr(1) << ">";
      }
      stack.pop_back();
    } else if (tag.back() != '/') {
      stack.push_back(tag.substr(0, tag.find(' ')));
    }
    i = end + 1;
  }
  if (!stack.empty()) return ::testing::AssertionFailure() << "unclosed <" << stack.back() << ">";
  return ::testing::AssertionSuccess();
}

TEST(JunitReport, SuitePerSpecCasePerCheckedRule) {
  JunitOptions no_time;
  no_time.timings = false;
  std::string xml = render_junit(test::sample_run(), no_time);
  EXPECT_TRUE(well_formed(xml)) << xml;
  // fx2: all 15 rules, 1 failure; evil: 3 checked rules, 1 failure; fixed: 15 passes;
  // incomplete: 2 skipped; broken: 1 error.
  // No skipped attribute on <testsuites>: the Jenkins xunit schema rejects it.
  EXPECT_NE(xml.find("<testsuites name=\"cancelcheck\" tests=\"40\" failures=\"2\" errors=\"1\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testsuite name=\"specs/kmdf/fx2_timer_cancel.spec\" tests=\"17\" "
                     "failures=\"1\" errors=\"0\" "
                     "skipped=\"0\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"specs/kmdf/fx2_timer_cancel.spec\" name=\"CR001 "
                     "double-completion\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"req#1 completed twice: by OnCancel at step 7 and by "
                     "OnTimer at step 9\" "
                     "type=\"CR001\">"),
            std::string::npos);
  EXPECT_NE(xml.find("= why: A request, NBL or verb is completed twice"), std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"specs/kmdf/fx2_timer_cancel.spec\" name=\"CR002 "
                     "use-after-reuse\"/>"),
            std::string::npos);
  EXPECT_NE(xml.find("<skipped message=\"search incomplete: state limit 1000000 reached\"/>"),
            std::string::npos);
  EXPECT_NE(xml.find("<error message=\"specs/appc/broken.spec:3:1: error: unknown API "
                     "&apos;WdfRequestCompleet&apos;\" "
                     "type=\"spec-error\">"),
            std::string::npos);
  EXPECT_EQ(xml.find("time="), std::string::npos);
  EXPECT_NE(render_junit(test::sample_run()).find("time=\"0.013\""), std::string::npos);
}

TEST(JunitReport, HostileNamesAreEscaped) {
  std::string xml = render_junit(test::sample_run());
  EXPECT_TRUE(well_formed(xml));
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  EXPECT_EQ(xml.find("<img"), std::string::npos);
  EXPECT_NE(
      xml.find("name=\"specs/evil/&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&apos;.spec\""),
      std::string::npos);
  EXPECT_EQ(xml.find('\x07'), std::string::npos);
  EXPECT_EQ(count(xml, "<testsuite "), 5U);
}

TEST(JunitReport, ControlCharactersInMessagesAreMadeVisible) {
  RunResult run = test::sample_run();
  run.specs[0].violations[0].message = std::string("nul\0 and esc\x1b", 14);
  std::string xml = render_junit(run);
  EXPECT_TRUE(well_formed(xml));
  EXPECT_NE(xml.find("nul\\u0000 and esc\\u001B"), std::string::npos);
}

TEST(JunitReport, SeveralViolationsOfOneRuleShareOneTestCase) {
  RunResult run = test::sample_run();
  run.specs[0].violations.push_back(run.specs[0].violations[0]);
  run.specs[0].violations[1].message = "second one";
  std::string xml = render_junit(run);
  EXPECT_TRUE(well_formed(xml));
  EXPECT_NE(xml.find("(and 1 more)"), std::string::npos);
  EXPECT_NE(xml.find("second one"), std::string::npos);
  EXPECT_EQ(count(xml, "name=\"CR001 double-completion\""), 4U);  // fx2, evil, fixed, filter_many
}

// A violation the baseline accepts is a passed case with a note, not a failure.
TEST(JunitReport, BaselineAcceptedViolationsPassWithANote) {
  RunResult run = test::sample_run();
  run.specs[0].violations[0].accepted = true;
  JunitOptions no_time;
  no_time.timings = false;
  std::string xml = render_junit(run, no_time);
  EXPECT_TRUE(well_formed(xml)) << xml;
  EXPECT_NE(xml.find("<testsuites name=\"cancelcheck\" tests=\"40\" failures=\"1\" errors=\"1\">"),
            std::string::npos)
      << xml;
  const std::size_t start = xml.find(
      "<testcase classname=\"specs/kmdf/fx2_timer_cancel.spec\" name=\"CR001 double-completion\">");
  ASSERT_NE(start, std::string::npos) << xml;
  const std::string the_case = xml.substr(start, xml.find("</testcase>", start) - start);
  EXPECT_EQ(the_case.find("<failure"), std::string::npos) << the_case;
  EXPECT_NE(the_case.find("<system-out>1 violation(s) accepted in the baseline:"),
            std::string::npos)
      << the_case;
}

}  // namespace
}  // namespace cc::reports
