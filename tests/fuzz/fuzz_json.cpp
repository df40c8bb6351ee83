// libFuzzer target for the JSON trace reader that `cancelcheck replay` uses:
// arbitrary bytes -> reports::parse_run_result. The reader may only succeed or throw
// reports::JsonSchemaError; anything else (another exception, a crash, a sanitizer report)
// is a bug. A document that reads back must also survive a write/read round trip unchanged.
// Built with clang (-fsanitize=fuzzer,address,undefined) by tests/fuzz/CMakeLists.txt; the
// same file builds a plain replay driver (CC_FUZZ_REPLAY) that runs saved inputs under GCC.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "reports/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size > 1024 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  cc::RunResult run;
  try {
    run = cc::reports::parse_run_result(text);
  } catch (const cc::reports::JsonSchemaError&) {
    return 0;  // the documented way to reject a document
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parse_run_result threw a non-schema exception: %s\n", e.what());
    __builtin_trap();
  }
  // Accepted: what we write from it must read back, and write identically again.
  std::string first = cc::reports::render_json(run);
  cc::RunResult again;
  try {
    again = cc::reports::parse_run_result(first);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "re-reading a rendered document failed: %s\n", e.what());
    __builtin_trap();
  }
  if (cc::reports::render_json(again) != first) {
    std::fprintf(stderr, "render(parse(render(x))) != render(x)\n");
    __builtin_trap();
  }
  return 0;
}

#ifdef CC_FUZZ_REPLAY
#include "tests/fuzz/replay_main.h"
#endif
