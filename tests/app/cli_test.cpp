#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "app/catalogue_commands.h"
#include "app/cli.h"
#include "app/color.h"
#include "app/spec_files.h"
#include "model/api.h"
#include "model/rules.h"
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
  std::string path =
      temp_file("fn OnRead(request req) {\n  WdfRequestCompelte(req, STATUS_SUCCESS);\n}\n");
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

// --version names the build type and the linked Z3.
TEST(Cli, VersionNamesZ3AndTheBuild) {
  auto v = run_tool("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("cancelcheck " + std::string(version_string()) + " ("), std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find(" build, Z3 "), std::string::npos) << v.out;
  // The build type of this build (RelWithDebInfo for the ci preset, another for asan).
  EXPECT_NE(v.out.find(CC_BUILD_TYPE_NAME), std::string::npos) << v.out;
}

TEST(Cli, MistypedSubcommandGetsASuggestion) {
  auto r = run_tool("chekc specs/");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'chekc'; did you mean 'check'?"), std::string::npos)
      << r.err;
  r = run_tool("rulez");
  EXPECT_NE(r.err.find("did you mean 'rules'?"), std::string::npos) << r.err;
}

TEST(Cli, ApisListsEveryCallFromTheTable) {
  auto all = run_tool("apis --no-color");
  EXPECT_EQ(all.exit_code, 0);
  for (const ApiInfo& a : all_apis()) {
    EXPECT_NE(all.out.find(" " + std::string(a.name) + "("), std::string::npos) << a.name;
  }
  EXPECT_NE(all.out.find(std::to_string(all_apis().size()) + " calls"), std::string::npos);
  for (const char* domain : {"\nKMDF\n", "\nNDIS\n", "\nAPPC\n", "\nbuiltin\n"}) {
    EXPECT_NE(("\n" + all.out).find(domain), std::string::npos) << domain;
  }
  auto one = run_tool("apis WdfRequestMarkCancelableEx");
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_NE(one.out.find("status WdfRequestMarkCancelableEx(request, fn)"), std::string::npos)
      << one.out;
  EXPECT_NE(one.out.find("domain: KMDF"), std::string::npos);
  EXPECT_NE(one.out.find("semantics: docs/semantics/kmdf.md"), std::string::npos);
  auto miss = run_tool("apis WdfRequestSnd");
  EXPECT_EQ(miss.exit_code, 2);
  EXPECT_NE(miss.err.find("did you mean 'WdfRequestSend'?"), std::string::npos) << miss.err;
}

// --color and --no-color on every subcommand, from the one CLI definition.
TEST(Cli, EverySubcommandTakesColorFlags) {
  CLI::App app;
  CliState state;
  define_cli(app, state);
  auto subs = app.get_subcommands([](const CLI::App*) { return true; });
  ASSERT_GE(subs.size(), 5U);
  for (const CLI::App* sub : subs) {
    if (sub->get_name() == "lsp") continue;  // speaks JSON-RPC, never to a terminal
    EXPECT_NO_THROW(sub->get_option("--color")) << sub->get_name();
    EXPECT_NO_THROW(sub->get_option("--no-color")) << sub->get_name();
  }
  // parse --color colours the diagnostics even into a pipe.
  const std::string bad = temp_file("spec \"x\";\nvoid OnTimer() { }\n");
  EXPECT_NE(run_tool("parse --color " + bad).err.find("\x1b["), std::string::npos);
  EXPECT_EQ(run_tool("parse " + bad).err.find("\x1b["), std::string::npos);
}

// NO_COLOR (no-color.org): set and not empty, no colour on a terminal; the flags still win.
TEST(Cli, NoColorEnvironmentTurnsColourOffOnATerminal) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(tty, 0);
  const char* saved = getenv("NO_COLOR");
  const std::string old = saved ? saved : "";
  unsetenv("NO_COLOR");
  EXPECT_TRUE(use_color({}, tty));
  setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(use_color({}, tty));
  EXPECT_TRUE(use_color(ColorFlags{.always = true}, tty));
  setenv("NO_COLOR", "", 1);
  EXPECT_TRUE(use_color({}, tty));
  EXPECT_FALSE(use_color(ColorFlags{.never = true}, tty));
  if (saved) {
    setenv("NO_COLOR", old.c_str(), 1);
  } else {
    unsetenv("NO_COLOR");
  }
  close(tty);
  close(master);
}

// docs/rules.md, which SARIF helpUri links point at, is what `rules --markdown` writes.
TEST(Cli, RulesMarkdownIsDocsRulesMd) {
  std::ifstream in(std::filesystem::path(CC_SOURCE_DIR) / "docs" / "rules.md");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), rules_markdown())
      << "regenerate it: cancelcheck rules --markdown > docs/rules.md";
  for (const RuleInfo& r : all_rules()) {
    std::string anchor(r.id);
    for (char& c : anchor) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(text.str().find("<a id=\"" + anchor + "\"></a>"), std::string::npos) << anchor;
  }
}

TEST(Cli, InternalErrorAdviceNamesWorkaroundAndTracker) {
  const std::string advice = internal_error_advice();
  EXPECT_NE(advice.find("--por off --symmetry off --threads 1"), std::string::npos);
  EXPECT_NE(advice.find("/issues"), std::string::npos);
  EXPECT_NE(advice.find(long_version()), std::string::npos);
}

}  // namespace
}  // namespace cc
