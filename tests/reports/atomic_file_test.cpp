#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "reports/atomic_file.h"

namespace cc::reports {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("cc-reports-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AtomicFile, CreatesParentDirectoriesAndReplacesContent) {
  auto dir = fresh_dir("atomic");
  auto file = dir / "a" / "b" / "report.txt";
  EXPECT_EQ(write_file_atomic(file, "first version, longer"), "");
  EXPECT_EQ(slurp(file), "first version, longer");
  EXPECT_EQ(write_file_atomic(file, "second"), "");
  EXPECT_EQ(slurp(file), "second");
  // No temporary files are left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "a" / "b"))
    ++entries;
  EXPECT_EQ(entries, 1U);
  std::filesystem::remove_all(dir);
}

TEST(AtomicFile, ReportsErrorsAsStrings) {
  auto dir = fresh_dir("atomic-err");
  std::filesystem::create_directories(dir);
  // A regular file where a directory is needed.
  ASSERT_EQ(write_file_atomic(dir / "blocker", "x"), "");
  std::string error = write_file_atomic(dir / "blocker" / "report.txt", "y");
  EXPECT_NE(error, "");
  EXPECT_NE(error.find("blocker"), std::string::npos);
  // Writing onto an existing directory fails without touching it.
  std::filesystem::create_directories(dir / "adir");
  EXPECT_NE(write_file_atomic(dir / "adir", "z"), "");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "adir"));
  EXPECT_NE(write_file_atomic("", "z"), "");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::reports
