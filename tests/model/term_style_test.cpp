#include "model/term_style.h"

#include <gtest/gtest.h>

namespace cc::term {
namespace {

// The exact bytes: the terminal output must not change when the helper does.
TEST(TermStyle, ExactEscapeSequences) {
  EXPECT_EQ(bold(true, "b"), "\x1b[1mb\x1b[0m");
  EXPECT_EQ(dim(true, "d"), "\x1b[2md\x1b[0m");
  EXPECT_EQ(paint(true, Color::Red, "r"), "\x1b[1m\x1b[31mr\x1b[0m");
  EXPECT_EQ(paint(true, Color::Green, "g"), "\x1b[1m\x1b[32mg\x1b[0m");
  EXPECT_EQ(paint(true, Color::Yellow, "y"), "\x1b[1m\x1b[33my\x1b[0m");
  EXPECT_EQ(paint(true, Color::Blue, "b"), "\x1b[1m\x1b[34mb\x1b[0m");
  EXPECT_EQ(paint(true, Color::Magenta, "m"), "\x1b[1m\x1b[35mm\x1b[0m");
  EXPECT_EQ(paint(true, Color::Cyan, "c"), "\x1b[1m\x1b[36mc\x1b[0m");
  EXPECT_EQ(start(Color::Red), "\x1b[1m\x1b[31m");
  EXPECT_EQ(bold(true, ""), "\x1b[1m\x1b[0m");
}

TEST(TermStyle, OffLeavesTheTextAlone) {
  EXPECT_EQ(bold(false, "b"), "b");
  EXPECT_EQ(dim(false, "d"), "d");
  EXPECT_EQ(paint(false, Color::Red, "r{}"), "r{}");
}

}  // namespace
}  // namespace cc::term
