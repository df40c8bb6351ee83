#include "app/spec_files.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <system_error>

namespace cc {

namespace fs = std::filesystem;

std::vector<std::string> collect_spec_files(const std::vector<std::string>& paths,
                                            std::vector<std::string>& missing) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".spec") {
          found.push_back(it->path().lexically_normal().string());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(fs::path(p).lexically_normal().string());
    } else {
      missing.push_back(p);
    }
  }
  // Keep the first occurrence of each file, preserving order.
  std::vector<std::string> unique;
  for (const std::string& f : files) {
    if (std::find(unique.begin(), unique.end(), f) == unique.end()) unique.push_back(f);
  }
  return unique;
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
