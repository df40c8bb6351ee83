#include <gtest/gtest.h>

#include "reports/escape.h"

namespace cc::reports {
namespace {

TEST(ReportEscape, HtmlEscapesMarkupAndQuotes) {
  EXPECT_EQ(html_escape("<script>alert(1)</script>\"&'"),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;");
  EXPECT_EQ(html_escape("plain"), "plain");
}

TEST(ReportEscape, XmlEscapesControlCharactersVisibly) {
  EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
  EXPECT_EQ(xml_escape(std::string("bell\x07")), "bell\\u0007");
  EXPECT_EQ(xml_escape(std::string("nul\0x", 5)), "nul\\u0000x");
  EXPECT_EQ(xml_escape("a\nb\tc"), "a&#10;b&#9;c");
}

TEST(ReportEscape, InvalidUtf8IsReplaced) {
  EXPECT_EQ(sanitize_utf8("ok\xff"), "ok\xEF\xBF\xBD");
  EXPECT_EQ(sanitize_utf8("\xC3\xA9"), "\xC3\xA9");                                  // é stays
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(ReportEscape, JsonForScriptCannotCloseTheElement) {
  std::string out = json_for_script(R"({"a":"</script><script>alert(1)</script>&"})");
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('>'), std::string::npos);
  EXPECT_EQ(out.find('&'), std::string::npos);
  EXPECT_NE(out.find("\\u003c/script\\u003e"), std::string::npos);
  EXPECT_EQ(json_for_script("\xE2\x80\xA8"), "\\u2028");
}

TEST(ReportEscape, PathsBecomeUriReferences) {
  EXPECT_EQ(path_to_uri("specs/kmdf/a.spec"), "specs/kmdf/a.spec");
  EXPECT_EQ(path_to_uri("specs\\kmdf\\a b.spec"), "specs/kmdf/a%20b.spec");
  EXPECT_EQ(path_to_uri("/abs/x.spec"), "file:///abs/x.spec");
  EXPECT_EQ(path_to_uri("C:\\drv\\x.spec"), "file:///C:/drv/x.spec");
  EXPECT_EQ(path_to_uri("a<b>#?.spec"), "a%3Cb%3E%23%3F.spec");
}

}  // namespace
}  // namespace cc::reports
