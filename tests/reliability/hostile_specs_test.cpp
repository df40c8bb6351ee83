// Hostile specs: every one must end in a clear diagnostic (exit 2) or an incomplete verdict
// (exit 4) within the limits: never a crash, a hang or an unbounded allocation.
// See docs/reliability.md.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/app/run_tool.h"
#include "tests/reliability/child.h"

namespace cc::test {
namespace {

// Exit codes (app/cli.h).
constexpr int kPass = 0;
constexpr int kSpecError = 2;
constexpr int kIncomplete = 4;

/// A one-queue spec whose EvtIoRead runs `body` (which must complete `req`).
std::string read_spec(const std::string& decls, const std::string& body,
                      const std::string& arrive = "1") {
  return "spec \"hostile\";\n" + decls +
         "\nqueue reads : sequential {\n  EvtIoRead = OnRead;\n}\n"
         "fn OnRead(request req) {\n" +
         body +
         "\n  WdfRequestComplete(req, STATUS_SUCCESS);\n}\n"
         "environment {\n  arrive reads x " +
         arrive + ";\n}\n";
}

ChildRun check(const std::string& spec_text, std::vector<std::string> extra = {},
               double deadline_s = 120) {
  std::string path = temp_file(spec_text);
  std::vector<std::string> args{"check", path, "--no-progress", "--no-color"};
  args.insert(args.end(), extra.begin(), extra.end());
  ChildRun r = run_child(args, {.deadline_s = deadline_s});
  std::remove(path.c_str());
  return r;
}

void expect_clean_end(const ChildRun& r) {
  EXPECT_FALSE(r.timed_out) << "hung: killed after " << r.seconds << " s";
  EXPECT_EQ(r.term_signal, 0) << "killed by signal " << r.term_signal << "\n" << r.err;
}

TEST(HostileSpecs, IntMaxArriveCountIsADiagnostic) {
  ChildRun r = check(read_spec("const N = 2147483647;", "", "N"));
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
}

TEST(HostileSpecs, IntMaxArriveCountFromDefineIsADiagnostic) {
  ChildRun r = check(read_spec("const N = 1;", "", "N"), {"-D", "N=2147483647"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
}

TEST(HostileSpecs, IntMaxLoopBoundEndsWithinLimits) {
  ChildRun r = check(
      read_spec("const N = 2147483647;", "  int i = 0;\n  while (i < N) {\n    i = i + 1;\n  }"),
      {"--time-limit", "20"}, 90);
  expect_clean_end(r);
  EXPECT_TRUE(r.exit_code == kIncomplete || r.exit_code == kSpecError)
      << "exit " << r.exit_code << "\n"
      << r.out << r.err;
  EXPECT_LT(r.seconds, 60) << r.out;
}

TEST(HostileSpecs, UnboundedLocalLoopIsIncompleteNotAHang) {
  ChildRun r = check(read_spec("", "  while (TRUE) {\n  }"), {}, 90);
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kIncomplete) << r.out << r.err;
  EXPECT_NE(r.out.find("incomplete"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loop"), std::string::npos) << "no clear message:\n" << r.out;
}

std::string nested_ifs(int depth) {
  std::string body = "  int x = 0;\n";
  for (int i = 0; i < depth; ++i) body += "if (x == 0) {\n";
  body += "x = 1;\n";
  for (int i = 0; i < depth; ++i) body += "}\n";
  return body;
}

TEST(HostileSpecs, TwoHundredLevelsOfNesting) {
  // The parser's limit is kMaxNesting = 200 levels (model/lexer.h); an `if` block costs two
  // (statement and block), so 99 nested ifs are within it and check cleanly ...
  ChildRun ok = check(read_spec("", nested_ifs(99)));
  expect_clean_end(ok);
  EXPECT_EQ(ok.exit_code, kPass) << ok.out << ok.err;
  // ... 200 nested ifs are a clear diagnostic ...
  ChildRun deep = check(read_spec("", nested_ifs(200)));
  expect_clean_end(deep);
  EXPECT_EQ(deep.exit_code, kSpecError) << deep.out;
  EXPECT_NE(deep.err.find("nesting too deep"), std::string::npos) << deep.err;
  // ... and 198 levels of parentheses are fine.
  ChildRun parens = check(
      read_spec("const N = " + std::string(198, '(') + "1" + std::string(198, ')') + ";", ""));
  expect_clean_end(parens);
  EXPECT_EQ(parens.exit_code, kPass) << parens.out << parens.err;
}

TEST(HostileSpecs, FarTooDeepNestingIsADiagnostic) {
  // Spelled compactly (10 bytes a level), so that 100,000 levels stay under the 1 MiB a spec
  // file may have (model/source.h) and reach the parser.
  std::string body = "  int x = 0;\n";
  for (int i = 0; i < 100000; ++i) body += "if(x==0){";
  body += "x=1;" + std::string(100000, '}');
  ChildRun r = check(read_spec("", body));
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out;
  EXPECT_NE(r.err.find("nesting"), std::string::npos) << r.err.substr(0, 2000);
}

TEST(HostileSpecs, DeepParenthesesAreADiagnostic) {
  ChildRun r = check(read_spec(
      "const N = " + std::string(100000, '(') + "1" + std::string(100000, ')') + ";", ""));
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out;
}

TEST(HostileSpecs, FiveThousandDeclarations) {
  std::string decls;
  for (int i = 0; i < 5000; ++i) decls += "global int g" + std::to_string(i) + " = 0;\n";
  for (int i = 0; i < 5000; ++i)
    decls += "const C" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  ChildRun r = check(read_spec(decls, "  g4999 = C4999;"));
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kPass) << r.out << r.err.substr(0, 2000);
  EXPECT_LT(r.seconds, 30);
}

TEST(HostileSpecs, FiveThousandUndeclaredNamesAreBoundedDiagnostics) {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "  nope" + std::to_string(i) + " = 1;\n";
  ChildRun r = check(read_spec("", body));
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kSpecError);
  EXPECT_LT(r.err.size(), 4u * 1024 * 1024) << "diagnostic flood";
}

// A state space far beyond memory: the memory limit must stop the search (exit 4, "memory
// limit") and the whole process must stay under the limit. Peak RSS is the child's ru_maxrss.
TEST(HostileSpecs, MemoryLimitStopsAStateSpaceFarBeyondMemory) {
  ChildRun r = run_child({"check", "bench/specs/independent_requests.spec", "-D", "N=8", "--por",
                          "off", "--max-memory", "256", "--no-progress", "--no-color"},
                         {.deadline_s = 300});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kIncomplete) << r.out << r.err;
  EXPECT_NE(r.out.find("memory limit"), std::string::npos) << r.out;
  double peak_mb = static_cast<double>(r.peak_rss_kb) / 1024.0;
  std::printf("[ figure ] --max-memory 256: peak RSS %.0f MB (%.2fx), %.1f s\n", peak_mb,
              peak_mb / 256.0, r.seconds);
  RecordProperty("peak_rss_mb", static_cast<int>(peak_mb));
#if defined(__SANITIZE_ADDRESS__)
  // ASan's shadow memory and quarantine are not the checker's: only the verdict counts here.
#else
  EXPECT_LT(peak_mb, 256) << "peak RSS above the limit";
#endif
}

}  // namespace
}  // namespace cc::test
