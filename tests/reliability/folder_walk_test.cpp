// A folder walk goes on past what it cannot read, reports each such path as an error
// (exit 2), and does not follow folder symlinks (a symlink loop cannot make it endless).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/spec_files.h"
#include "tests/reliability/child.h"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

constexpr int kSpecError = 2;

/// dir/a, dir/b, ..., each with one passing spec.
void make_tree(const std::string& dir, const std::vector<std::string>& subfolders) {
  const std::string spec =
      read_file(std::string(CC_SOURCE_DIR) + "/specs/kmdf/cr001_double_completion_fixed.spec");
  for (const std::string& s : subfolders) {
    fs::create_directories(dir + "/" + s);
    std::ofstream(dir + "/" + s + "/" + s + ".spec") << spec;
  }
}

/// Every spec of the tree was checked (its result line is printed).
void expect_checked(const ChildRun& r, const std::string& dir,
                    const std::vector<std::string>& subfolders) {
  for (const std::string& s : subfolders) {
    EXPECT_NE(r.out.find(dir + "/" + s + "/" + s + ".spec: pass"), std::string::npos)
        << s << " not checked:\n"
        << r.out << r.err;
  }
}

const std::vector<std::string> kFolders{"a", "b", "c", "m", "x", "y", "z"};

TEST(FolderWalk, ALoopingSymlinkIsReportedAndTheWalkGoesOn) {
  std::string dir = temp_dir();
  make_tree(dir, kFolders);
  fs::create_symlink("loop.spec", dir + "/m/loop.spec");  // ELOOP when followed
  fs::create_directory_symlink("..", dir + "/c/up");      // a folder loop: not followed
  ChildRun r = run_child({"check", dir, "--no-progress", "--no-color"}, {.deadline_s = 60});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("'" + dir + "/m/loop.spec': cannot read"), std::string::npos) << r.err;
  expect_checked(r, dir, kFolders);
  EXPECT_NE(r.out.find("7 pass"), std::string::npos) << r.out;  // each spec once
  fs::remove_all(dir);
}

TEST(FolderWalk, AnUnreadableFolderIsReportedAndTheWalkGoesOn) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any folder; see InjectedUnreadableFolder";
  std::string dir = temp_dir();
  make_tree(dir, kFolders);
  fs::create_directories(dir + "/m/locked");
  ASSERT_EQ(chmod((dir + "/m/locked").c_str(), 0), 0);
  ChildRun r = run_child({"check", dir, "--no-progress", "--no-color"}, {.deadline_s = 60});
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find(dir + "/m/locked"), std::string::npos) << r.err;
  expect_checked(r, dir, kFolders);
  chmod((dir + "/m/locked").c_str(), 0700);
  fs::remove_all(dir);
}

TEST(FolderWalk, InjectedUnreadableFolder) {
  std::string dir = temp_dir();
  make_tree(dir, kFolders);
  // Lists like the file system, except that folder "m" fails after listing nothing.
  FolderLister failing = [&](const fs::path& folder, std::error_code& ec) {
    std::vector<fs::directory_entry> entries;
    if (folder.filename() == "m") {
      ec = std::make_error_code(std::errc::permission_denied);
      return entries;
    }
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      entries.push_back(*it);
    }
    return entries;
  };
  SpecFileList list = collect_spec_files({dir}, failing);
  ASSERT_EQ(list.unreadable.size(), 1u);
  EXPECT_EQ(list.unreadable[0].path, dir + "/m");
  EXPECT_NE(list.unreadable[0].reason.find("ermission denied"), std::string::npos);
  std::vector<std::string> expected;
  for (const std::string& s : kFolders) {
    if (s != "m") expected.push_back(dir + "/" + s + "/" + s + ".spec");
  }
  EXPECT_EQ(list.files, expected);
  EXPECT_TRUE(list.missing.empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
