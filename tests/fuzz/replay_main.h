// The plain (GCC) replay driver shared by the fuzz targets: runs saved inputs, files or
// directories (recursively), through LLVMFuzzerTestOneInput. Included under CC_FUZZ_REPLAY.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

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
