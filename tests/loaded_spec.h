// A spec loaded from text for tests (kept alive with its
// SourceManager); a spec with diagnostics fails the calling test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "model/frontend.h"

namespace cc::testing {

/// A loaded spec and the SourceManager its locations point into.
struct Loaded {
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
};

/// Writes `text` to a temporary file named after `prefix` and loads it; expects no errors.
inline std::unique_ptr<Loaded> load(const std::string& text, const std::string& prefix = "cc_ref") {
  static int counter = 0;
  const std::filesystem::path p =
      std::filesystem::temp_directory_path() /
      (prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".spec");
  std::ofstream(p) << text;
  auto l = std::make_unique<Loaded>();
  Diagnostics diags;
  l->spec = load_spec(l->sm, p.string(), {}, diags);
  std::ostringstream d;
  diags.print(d, l->sm);
  EXPECT_TRUE(l->spec != nullptr && !diags.has_errors()) << d.str();
  std::filesystem::remove(p);
  return l;
}

}  // namespace cc::testing
