// Limit values that are not numbers, are negative or overflow are usage errors (exit 2),
// never "no limit"; one -D name with two different values is an error too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/reliability/child.h"

namespace cc::test {
namespace {

constexpr int kViolation = 1;
constexpr int kSpecError = 2;

ChildRun check_with(std::vector<std::string> extra) {
  std::vector<std::string> args{"check", "specs/kmdf/cr001_double_completion.spec", "--no-progress",
                                "--no-color", "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_child(args, {.deadline_s = 60});
}

TEST(CliValues, BadLimitValuesAreUsageErrors) {
  const std::vector<std::vector<std::string>> bad{{"--max-states", "-5"},
                                                  {"--max-memory", "-5"},
                                                  {"--max-states", "99999999999999999999999"},
                                                  {"--max-memory", "99999999999999999999999"},
                                                  {"--time-limit", "nan"},
                                                  {"--time-limit", "inf"},
                                                  {"--time-limit", "-1"},
                                                  {"--max-states", "1e3"},
                                                  {"--z3-timeout", "-1"}};
  for (const auto& args : bad) {
    ChildRun r = check_with(args);
    EXPECT_EQ(r.exit_code, kSpecError) << args[0] << " " << args[1] << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(args[0]), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'" + args[1] + "'"), std::string::npos) << r.err;
  }
}

TEST(CliValues, GoodLimitValuesAreAccepted) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--max-states", "0"},
                                                                {"--max-states", "100000"},
                                                                {"--max-memory", "4096"},
                                                                {"--time-limit", "0"},
                                                                {"--time-limit", "2.5"}}) {
    ChildRun r = check_with(args);
    EXPECT_EQ(r.exit_code, kViolation) << args[0] << " " << args[1] << "\n" << r.out << r.err;
  }
}

TEST(CliValues, ADefineGivenTwiceWithTwoValuesIsAnError) {
  ChildRun r = run_child({"check", "bench/specs/independent_requests.spec", "-D", "N=1", "-D",
                          "N=2", "--no-progress", "-q"});
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("-D N given twice"), std::string::npos) << r.err;
  ChildRun same = run_child({"check", "bench/specs/independent_requests.spec", "-D", "N=1", "-D",
                             "N=1", "--no-progress", "-q"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
}

}  // namespace
}  // namespace cc::test
