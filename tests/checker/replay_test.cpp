// checker/replay.h: printable(), which every message built from a trace file goes through.
#include <gtest/gtest.h>

#include <string>

#include "checker/replay.h"

namespace cc {
namespace {

TEST(ReplayPrintable, ControlCharactersBecomeVisibleEscapes) {
  EXPECT_EQ(printable("a\x1b[2Jb\nc\rd\te\x07\x7f"), "a\\x1b[2Jb\\nc\\rd\\te\\x07\\x7f");
  EXPECT_EQ(printable(std::string("nul\0x", 5)), "nul\\x00x");
}

TEST(ReplayPrintable, C1ControlsBidiAndInvalidBytesAreEscaped) {
  EXPECT_EQ(printable("\xC2\x9B"
                      "31m"),
            "\\u009b31m");  // CSI as UTF-8
  EXPECT_EQ(printable("\x9B"
                      "31m"),
            "\\x9b31m");  // a raw C1 byte
  EXPECT_EQ(printable("a\xE2\x80\xAE"
                      "b"),
            "a\\u202eb");                                   // right-to-left override
  EXPECT_EQ(printable("x\xff\xfey"), "x\\xff\\xfey");       // not UTF-8
  EXPECT_EQ(printable("\xED\xA0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(printable("\xC0\xAF"), "\\xc0\\xaf");           // overlong
}

TEST(ReplayPrintable, OrdinaryTextIsUnchanged) {
  const std::string text =
      "OnRead[req#1]  calls [WdfRequestSend=1]  caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x98\x80";
  EXPECT_EQ(printable(text), text);
}

TEST(ReplayPrintable, LongTextIsCut) {
  const std::string out = printable(std::string(100000, 'x'), 100);
  EXPECT_LT(out.size(), 140U);
  EXPECT_NE(out.find("(99900 more bytes)"), std::string::npos) << out;
}

}  // namespace
}  // namespace cc
