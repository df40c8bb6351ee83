// load_spec: read, parse, check. parse_spec lives in parser.cpp, check_spec in sema.cpp.
#include "model/frontend.h"

#include <fmt/format.h>

namespace cc {

std::unique_ptr<ast::Spec> load_spec(SourceManager& sm, const std::string& path,
                                     const Defines& defines, Diagnostics& diags) {
  std::size_t errors_before = diags.error_count();
  std::string error;
  FileId file = sm.load(path, error);
  if (!file.valid()) {
    diags.report(DiagId::CannotReadFile, SourceRange{},
                 error.empty() ? fmt::format("cannot read '{}'", path) : error);
    return nullptr;
  }
  auto spec = parse_spec(sm, file, diags);
  if (!spec) return nullptr;
  // Checked even after syntax errors: more problems are reported in one run.
  check_spec(*spec, sm, defines, diags);
  if (diags.error_count() != errors_before) return nullptr;
  return spec;
}

}  // namespace cc
