// Writes every report format for the hand-built sample run (tests/reports/fixture.h) into a
// directory: html/ (index and trace pages), result.json, result.sarif, result.xml, result.txt.
#include <cstdio>
#include <string>

#include "reports/atomic_file.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"
#include "reports/sarif.h"
#include "reports/text.h"
#include "tests/reports/fixture.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const cc::RunResult run = cc::test::sample_run();
  std::string error = cc::reports::write_html_reports(run, dir / "html");
  const std::pair<const char*, std::string> files[] = {
      {"result.json", cc::reports::render_json(run)},
      {"result.sarif", cc::reports::render_sarif(run)},
      {"result.xml", cc::reports::render_junit(run)},
      {"result.txt", cc::reports::render_text(run)},
  };
  for (const auto& [name, content] : files) {
    if (error.empty()) error = cc::reports::write_file_atomic(dir / name, content);
  }
  if (!error.empty()) {
    std::fprintf(stderr, "report_fixture: %s\n", error.c_str());
    return 1;
  }
  for (const auto& f : cc::reports::html_trace_files(run))
    std::printf("html/%s\n", f.file_name.c_str());
  return 0;
}
