#include <gtest/gtest.h>

#include "app/spec_files.h"
#include "tests/app/run_tool.h"

namespace cc {
namespace {

using test::run_tool;
using test::temp_file;

TEST(Cli, VersionAndHelp) {
  auto v = run_tool("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("cancelcheck "), std::string::npos);
  auto h = run_tool("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("check"), std::string::npos);
  EXPECT_NE(h.out.find("rules"), std::string::npos);
  EXPECT_NE(h.out.find("parse"), std::string::npos);
  auto ch = run_tool("check --help");
  EXPECT_EQ(ch.exit_code, 0);
  EXPECT_NE(ch.out.find("--fail-on"), std::string::npos);
  EXPECT_NE(ch.out.find("--max-states"), std::string::npos);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_tool("").exit_code, 2);
  EXPECT_EQ(run_tool("frobnicate").exit_code, 2);
  EXPECT_EQ(run_tool("check --search sideways x.spec").exit_code, 2);
  auto missing = run_tool("check /nonexistent/dir/nothing.spec");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos);
}

TEST(Cli, RulesCatalogue) {
  auto all = run_tool("rules");
  EXPECT_EQ(all.exit_code, 0);
  for (const char* id : {"CR001", "CR005", "CR010", "CR013"}) {
    EXPECT_NE(all.out.find(id), std::string::npos) << id;
  }
  auto one = run_tool("rules CompleteCanceledReq");
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_NE(one.out.find("CR007 complete-after-unmark-cancelled"), std::string::npos);
  auto bad = run_tool("rules CR999");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown rule"), std::string::npos);
}

TEST(Cli, ParseReportsDiagnosticsWithLocation) {
  std::string path = temp_file(
      "fn OnRead(request req) {\n  WdfRequestCompelte(req, STATUS_SUCCESS);\n}\n");
  auto r = run_tool("parse '" + path + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path + ":2:3: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("WdfRequestComplete"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("^"), std::string::npos) << r.err;
}

TEST(Cli, CheckRejectsBadDefinesAndRules) {
  std::string path = temp_file("const N = 1;\n");
  EXPECT_EQ(run_tool("check '" + path + "' -D 'N=abc'").exit_code, 2);
  EXPECT_EQ(run_tool("check '" + path + "' -D '=3'").exit_code, 2);
  auto r = run_tool("check '" + path + "' --rules CR001,NoSuchRule");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("NoSuchRule"), std::string::npos);
}

TEST(SpecFiles, ParseDefine) {
  std::string name;
  long long v = 0;
  EXPECT_TRUE(parse_define("READS=3", name, v));
  EXPECT_EQ(name, "READS");
  EXPECT_EQ(v, 3);
  EXPECT_TRUE(parse_define("X=0x10", name, v));
  EXPECT_EQ(v, 16);
  EXPECT_TRUE(parse_define("X=-2147483648", name, v));
  EXPECT_EQ(v, -2147483648LL);
  EXPECT_FALSE(parse_define("X=2147483648", name, v));
  EXPECT_FALSE(parse_define("X=", name, v));
  EXPECT_FALSE(parse_define("1X=2", name, v));
  EXPECT_FALSE(parse_define("X=1.5", name, v));
  EXPECT_FALSE(parse_define("noequals", name, v));
}

TEST(SpecFiles, CollectsSortedUniqueSpecs) {
  std::vector<std::string> missing;
  auto files = collect_spec_files({CC_SOURCE_DIR "/specs", CC_SOURCE_DIR "/specs"}, missing);
  EXPECT_TRUE(missing.empty());
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
  for (std::size_t i = 1; i < files.size(); ++i) EXPECT_NE(files[i - 1], files[i]);
  for (const auto& f : files) EXPECT_EQ(f.substr(f.size() - 5), ".spec");
  collect_spec_files({"/definitely/not/here"}, missing);
  ASSERT_EQ(missing.size(), 1U);
}

}  // namespace
}  // namespace cc
