// The limits cover the whole process, from reading the spec on: a spec file is read up to a
// cap (an endless or huge file is a clear error at once), the time limit counts from the start
// of reading, and the resident set is checked against --max-memory after loading.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/app/run_tool.h"
#include "tests/reliability/child.h"

namespace cc::test {
namespace {

constexpr int kSpecError = 2;
constexpr int kIncomplete = 4;

/// A one-request spec with `globals` global ints: about 25 bytes each.
std::string spec_with_globals(int globals) {
  std::string text = "spec \"many globals\";\n";
  text.reserve(static_cast<std::size_t>(globals) * 26 + 200);
  for (int i = 0; i < globals; ++i) text += "global int g" + std::to_string(i) + " = 0;\n";
  text +=
      "queue reads : sequential {\n  EvtIoRead = OnRead;\n}\n"
      "fn OnRead(request req) {\n  WdfRequestComplete(req, STATUS_SUCCESS);\n}\n"
      "environment {\n  arrive reads x 1;\n}\n";
  return text;
}

TEST(WholeProcessLimits, EndlessInputEndsAtOnceWithAClearMessage) {
  ChildRun r = run_child({"check", "/dev/zero", "--no-progress", "--no-color"}, {.deadline_s = 20});
  EXPECT_FALSE(r.timed_out) << "still reading /dev/zero after " << r.seconds << " s";
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("'/dev/zero' is larger than 1 MiB"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 10);
}

TEST(WholeProcessLimits, AHugeSpecIsRefusedWithinTheMemoryLimit) {
  std::string path = temp_file(spec_with_globals(800'000));  // about 20 MB
  ChildRun r = run_child(
      {"check", path, "--max-memory", "256", "--time-limit", "5", "--no-progress", "--no-color"},
      {.deadline_s = 120});
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("is larger than 1 MiB"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 5) << "not refused before parsing";
  const double peak_mb = static_cast<double>(r.peak_rss_kb) / 1024.0;
  std::printf("[ figure ] 20 MB spec, --max-memory 256: peak RSS %.0f MB, %.2f s\n", peak_mb,
              r.seconds);
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(peak_mb, 256) << "peak RSS above the limit";
#endif
  std::remove(path.c_str());
}

TEST(WholeProcessLimits, TheTimeLimitCountsReadingAndParsing) {
  std::string path = temp_file(spec_with_globals(36'000));  // about 0.9 MB, under the cap
  ChildRun r = run_child({"check", path, "--time-limit", "0.001", "--no-progress", "--no-color"},
                         {.deadline_s = 60});
  EXPECT_EQ(r.exit_code, kIncomplete) << r.out << r.err;
  EXPECT_NE(r.out.find("time limit 0.001 s reached while reading/parsing the spec"),
            std::string::npos)
      << r.out;
  EXPECT_LT(r.seconds, 10);
  std::remove(path.c_str());
}

TEST(WholeProcessLimits, TheMemoryLimitIsCheckedAfterLoading) {
  std::string path = temp_file(spec_with_globals(36'000));
  ChildRun r = run_child({"check", path, "--max-memory", "1", "--no-progress", "--no-color"},
                         {.deadline_s = 60});
  EXPECT_EQ(r.exit_code, kIncomplete) << r.out << r.err;
  EXPECT_NE(r.out.find("memory limit 1 MB reached while reading/parsing the spec"),
            std::string::npos)
      << r.out;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace cc::test
