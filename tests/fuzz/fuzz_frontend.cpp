// libFuzzer target for the spec front-end: arbitrary bytes -> lex, parse, check, print.
// Built with clang (-fsanitize=fuzzer,address,undefined) by tests/fuzz/CMakeLists.txt; the
// same file builds a plain replay driver (CC_FUZZ_REPLAY) that runs saved inputs under GCC.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "model/frontend.h"
#include "model/lexer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  // Bound the input: the front-end is linear, but the fuzzer should explore shapes, not sizes.
  if (size > 256 * 1024) return 0;
  cc::SourceManager sm;
  cc::FileId file = sm.add("fuzz.spec", std::string(reinterpret_cast<const char*>(data), size));
  cc::Diagnostics diags;
  auto tokens = cc::lex(sm, file, diags);
  if (tokens.empty() || tokens.back().kind != cc::Tok::Eof) __builtin_trap();
  cc::Diagnostics parse_diags;
  auto spec = cc::parse_spec(sm, file, parse_diags);
  if (!spec) __builtin_trap();
  // Exercise -D handling too: a define that may or may not name a const.
  cc::Defines defines;
  if (size > 0 && (data[0] & 1)) defines["N"] = 3;
  bool ok = cc::check_spec(*spec, sm, defines, parse_diags);
  if (ok && parse_diags.has_errors() && parse_diags.error_count() == 0) __builtin_trap();
  std::ostringstream out;
  parse_diags.print(out, sm, (size & 1) != 0);
  // Every kept diagnostic must point into the file (or nowhere).
  for (const cc::Diagnostic& d : parse_diags.all()) {
    if (d.range.begin.file.valid() && d.range.begin.line > sm.file(file).line_starts.size()) {
      __builtin_trap();
    }
  }
  return 0;
}

#ifdef CC_FUZZ_REPLAY
#include "tests/fuzz/replay_main.h"
#endif
