// Every output path is checked before the search (exit 2, naming the option): a folder given
// as a file, a folder that takes no file, two options naming one file, an output over an
// input spec or over the baseline. A malformed baseline is a usage error too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/reliability/child.h"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

constexpr int kViolation = 1;
constexpr int kSpecError = 2;

const std::string kSpec = "specs/kmdf/cr001_double_completion.spec";

ChildRun check_with(std::vector<std::string> extra, const std::string& spec = kSpec) {
  std::vector<std::string> args{"check", spec, "--no-progress", "--no-color"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_child(args, {.deadline_s = 60});
}

/// Refused before any search: exit 2, no spec result printed, the message names `what`.
void expect_refused(const ChildRun& r, const std::vector<std::string>& what) {
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_EQ(r.out.find("violation"), std::string::npos) << "searched first:\n" << r.out;
  for (const std::string& w : what) EXPECT_NE(r.err.find(w), std::string::npos) << r.err;
}

TEST(OutputPaths, AnExistingFolderByItsBareNameIsRefused) {
  // Run from the source folder, where "docs" is a folder.
  expect_refused(check_with({"--json", "docs"}), {"--json", "'docs'", "folder"});
  expect_refused(check_with({"--sarif", "docs/"}), {"--sarif"});
}

TEST(OutputPaths, AFolderThatTakesNoFileIsRefused) {
  // /proc accepts no new file, even for root.
  expect_refused(check_with({"--json", "/proc/cancelcheck-results.json"}),
                 {"--json", "cannot write into folder '/proc'"});
  expect_refused(check_with({"--html", "/proc/cancelcheck-html"}), {"--html"});
}

TEST(OutputPaths, OneFileNamedByTwoOptionsIsRefused) {
  std::string dir = temp_dir();
  expect_refused(check_with({"--json", dir + "/r", "--sarif", dir + "/./r"}),
                 {"--json", "--sarif", "both write"});
  expect_refused(check_with({"--out", dir, "--junit", dir + "/results.json"}),
                 {"--junit", "--out (results.json)"});
  EXPECT_FALSE(fs::exists(dir + "/r"));
  fs::remove_all(dir);
}

TEST(OutputPaths, AnOutputOverAnInputIsRefused) {
  std::string dir = temp_dir();
  fs::copy_file(std::string(CC_SOURCE_DIR) + "/" + kSpec, dir + "/victim.spec");
  const std::string before = read_file(dir + "/victim.spec");
  expect_refused(check_with({"--json", dir + "/victim.spec"}, dir + "/victim.spec"),
                 {"--json", "input spec"});
  EXPECT_EQ(read_file(dir + "/victim.spec"), before);

  std::string baseline = dir + "/baseline.json";
  ASSERT_EQ(check_with({"-q", "--write-baseline", baseline}).exit_code, 0);
  expect_refused(check_with({"--baseline", baseline, "--sarif", baseline}),
                 {"--sarif", "--baseline"});
  // Refreshing a baseline in place is allowed: it is read before the search.
  ChildRun refresh = check_with({"-q", "--baseline", baseline, "--write-baseline", baseline});
  EXPECT_EQ(refresh.exit_code, 0) << refresh.out << refresh.err;
  fs::remove_all(dir);
}

TEST(OutputPaths, AMalformedBaselineIsAUsageError) {
  std::string dir = temp_dir();
  std::ofstream(dir + "/bad.json") << "{\"schema\": \"cancelcheck-baseline\", ";
  ChildRun r = check_with({"--baseline", dir + "/bad.json"});
  expect_refused(r, {"baseline", dir + "/bad.json"});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
