#include "app/spec_files.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <system_error>

#include <fmt/format.h>

namespace cc {

namespace fs = std::filesystem;

namespace {

std::vector<fs::directory_entry> list_folder(const fs::path& folder, std::error_code& ec) {
  std::vector<fs::directory_entry> entries;
  fs::directory_iterator it(folder, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) entries.push_back(*it);
  return entries;
}

bool is_spec_name(const fs::path& p) {
  return p.extension() == ".spec";
}

/// Walks one folder tree iteratively (no recursion depth limit), collecting `*.spec` files.
void walk(const fs::path& root, const FolderLister& lister, std::vector<std::string>& found,
          std::vector<UnreadablePath>& unreadable) {
  std::vector<fs::path> pending{root};
  while (!pending.empty()) {
    const fs::path folder = std::move(pending.back());
    pending.pop_back();
    std::error_code ec;
    std::vector<fs::directory_entry> entries = lister(folder, ec);
    if (ec) {
      // Entries listed before the error are still walked.
      unreadable.push_back(
          {folder.lexically_normal().string(), "cannot read folder: " + ec.message()});
    }
    for (const fs::directory_entry& e : entries) {
      std::error_code lec;
      const fs::file_status link = e.symlink_status(lec);
      const std::string path = e.path().lexically_normal().string();
      if (lec) {
        unreadable.push_back({path, "cannot read: " + lec.message()});
        continue;
      }
      if (fs::is_directory(link)) {
        pending.push_back(e.path());
        continue;
      }
      if (!is_spec_name(e.path())) continue;  // other files, and folder symlinks: not walked
      std::error_code sec;
      const fs::file_status target = fs::is_symlink(link) ? e.status(sec) : link;
      if (sec || !fs::exists(target)) {
        unreadable.push_back(
            {path, "cannot read: " + (sec ? sec.message() : std::string("dangling symlink"))});
      } else if (fs::is_regular_file(target)) {
        found.push_back(path);
      }
    }
  }
}

}  // namespace

SpecFileList collect_spec_files(const std::vector<std::string>& paths, const FolderLister& lister) {
  const FolderLister& list = lister ? lister : FolderLister(list_folder);
  SpecFileList out;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      std::vector<UnreadablePath> bad;
      walk(p, list, found, bad);
      std::sort(found.begin(), found.end());
      std::sort(bad.begin(), bad.end(),
                [](const UnreadablePath& a, const UnreadablePath& b) { return a.path < b.path; });
      files.insert(files.end(), found.begin(), found.end());
      out.unreadable.insert(out.unreadable.end(), bad.begin(), bad.end());
    } else if (fs::exists(st)) {
      files.push_back(fs::path(p).lexically_normal().string());
    } else if (ec && ec != std::errc::no_such_file_or_directory) {
      out.unreadable.push_back({p, "cannot read: " + ec.message()});  // e.g. a symlink loop
    } else {
      out.missing.push_back(p);
    }
  }
  // Keep the first occurrence of each file, preserving order.
  for (const std::string& f : files) {
    if (std::find(out.files.begin(), out.files.end(), f) == out.files.end()) out.files.push_back(f);
  }
  return out;
}

std::vector<std::string> collect_spec_files(const std::vector<std::string>& paths,
                                            std::vector<std::string>& missing) {
  SpecFileList list = collect_spec_files(paths);
  missing.insert(missing.end(), list.missing.begin(), list.missing.end());
  for (const UnreadablePath& u : list.unreadable) missing.push_back(u.path);
  return std::move(list.files);
}

std::size_t report_unwalkable(const SpecFileList& list) {
  for (const std::string& m : list.missing) {
    std::cerr << fmt::format("cancelcheck: error: no such file or directory: '{}'\n", m);
  }
  for (const UnreadablePath& u : list.unreadable) {
    std::cerr << fmt::format("cancelcheck: error: '{}': {} (skipped)\n", u.path, u.reason);
  }
  return list.missing.size() + list.unreadable.size();
}

bool parse_define(const std::string& text, std::string& name, long long& value) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  name = text.substr(0, eq);
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  if (std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  std::string v = text.substr(eq + 1);
  bool negative = !v.empty() && v[0] == '-';
  std::string_view digits(v);
  if (negative) digits.remove_prefix(1);
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  if (digits.empty()) return false;
  unsigned long long magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  if (magnitude > 0x7fffffffULL + (negative ? 1 : 0)) return false;
  value = negative ? -static_cast<long long>(magnitude) : static_cast<long long>(magnitude);
  return true;
}

}  // namespace cc
