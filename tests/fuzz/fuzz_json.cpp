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
#include <filesystem>
#include <fstream>
#include <iostream>

// Replays files and directories (recursively) through the fuzz target.
int main(int argc, char** argv) {
  std::size_t n = 0;
  auto run = [&](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ++n;
  };
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p, ec)) {
      for (auto it = std::filesystem::recursive_directory_iterator(p, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) run(it->path());
      }
    } else if (std::filesystem::exists(p, ec)) {
      run(p);
    }
  }
  std::cout << "replayed " << n << " input(s)\n";
  return 0;
}
#endif
