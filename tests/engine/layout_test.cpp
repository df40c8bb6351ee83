// The state layout as data (engine/layout.h): byte regions first, aligned regions after a
// given base, no overlap.
#include "engine/layout.h"

#include <gtest/gtest.h>

namespace cc {
namespace {

TEST(Layout, ByteRegionsPackFromZeroAndWordRegionsStartAtTheBase) {
  Layout measure;
  measure.add("a.bytes", 3, 1);
  measure.add("a.words", 8, 2, 4);
  measure.add("b.bytes", 1, 2);
  EXPECT_EQ(measure.byte_end(), 5U);

  Layout layout(8);  // the byte regions' end, rounded up to 4
  const Region a = layout.add("a.bytes", 3, 1);
  const Region w = layout.add("a.words", 8, 2, 4);
  const Region b = layout.add("b.bytes", 1, 2);
  EXPECT_EQ(a.offset, 0U);
  EXPECT_EQ(b.offset, 3U);  // right after a, not after the words
  EXPECT_EQ(w.offset, 8U);
  EXPECT_EQ(w.at(1), 16U);
  EXPECT_EQ(layout.size(), 24U);
  EXPECT_TRUE(layout.consistent());
  ASSERT_EQ(layout.regions().size(), 3U);
  EXPECT_EQ(layout.regions()[1].name, "a.words");
}

TEST(Layout, ABaseBelowTheByteRegionsIsInconsistent) {
  Layout layout(2);
  layout.add("bytes", 1, 4);
  layout.add("words", 4, 1, 4);
  EXPECT_FALSE(layout.consistent());
}

}  // namespace
}  // namespace cc
