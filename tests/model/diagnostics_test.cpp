// Diagnostics: rendering (location, source line, caret/tilde span, tabs, colour, long lines),
// the error cap, and the golden error cases in tests/data/diag/ (NAME.spec -> NAME.expected,
// the exact printed output). Set CC_UPDATE_GOLDEN=1 to rewrite the .expected files.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "model/did_you_mean.h"
#include "model/frontend.h"
#include "model/lexer.h"

namespace cc {
namespace {

namespace fs = std::filesystem;

const fs::path kDiagDir = fs::path(CC_SOURCE_DIR) / "tests" / "data" / "diag";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string printed(const Diagnostics& d, const SourceManager& sm, bool color = false) {
  std::ostringstream out;
  d.print(out, sm, color);
  return out.str();
}

/// Runs parse + check like load_spec, over text registered under `path`.
struct Run {
  SourceManager sm;
  Diagnostics diags;
  std::unique_ptr<ast::Spec> spec;
  std::string out;
};

std::unique_ptr<Run> run(const std::string& path, const std::string& text,
                         const Defines& defines = {}) {
  auto r = std::make_unique<Run>();
  FileId f = r->sm.add(path, text);
  r->spec = parse_spec(r->sm, f, r->diags);
  if (r->spec) check_spec(*r->spec, r->sm, defines, r->diags);
  r->out = printed(r->diags, r->sm);
  return r;
}

/// `// defines: A=1 B=2` on the first line of a golden spec.
Defines golden_defines(const std::string& text) {
  Defines d;
  const std::string tag = "// defines:";
  if (text.rfind(tag, 0) != 0) return d;
  std::istringstream line(text.substr(tag.size(), text.find('\n') - tag.size()));
  std::string item;
  while (line >> item) {
    auto eq = item.find('=');
    if (eq != std::string::npos) d[item.substr(0, eq)] = std::stoll(item.substr(eq + 1));
  }
  return d;
}

std::vector<fs::path> golden_specs() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kDiagDir)) {
    if (e.path().extension() == ".spec") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Diagnostics, PrintsLocationSourceLineAndSpan) {
  auto r =
      run("x.spec", "fn OnRead(request req) {\n  WdfRequestCompelte(req, STATUS_SUCCESS);\n}\n");
  EXPECT_EQ(r->out,
            "x.spec:2:3: error: unknown API 'WdfRequestCompelte'; did you mean "
            "'WdfRequestComplete'?\n"
            "  WdfRequestCompelte(req, STATUS_SUCCESS);\n"
            "  ^~~~~~~~~~~~~~~~~~\n");
  ASSERT_EQ(r->diags.all().size(), 1U);
  const Diagnostic& d = r->diags.all()[0];
  EXPECT_EQ(d.id, DiagId::UnknownApi);
  EXPECT_EQ(d.message, "unknown API 'WdfRequestCompelte'");
  EXPECT_EQ(d.hint, "did you mean 'WdfRequestComplete'?");
  EXPECT_EQ(d.range.begin.line, 2U);
  EXPECT_EQ(d.range.begin.col, 3U);
  EXPECT_EQ(d.range.length, 18U);
}

TEST(Diagnostics, CatalogueNamesAndSeverities) {
  EXPECT_EQ(diag_name(DiagId::UnknownApi), "unknown-api");
  EXPECT_EQ(diag_severity(DiagId::UnknownApi), Severity::Error);
  EXPECT_EQ(diag_severity(DiagId::UnusedFunction), Severity::Warning);
  EXPECT_EQ(diag_severity(DiagId::NotePreviousDeclaration), Severity::Note);
  std::set<std::string_view> names;
#define CC_DIAG(e, severity, text) EXPECT_TRUE(names.insert(text).second) << text;
#include "model/diagnostics.def"
#undef CC_DIAG
}

TEST(Diagnostics, TabsExpandAndCaretFollows) {
  SourceManager sm;
  FileId f = sm.add("t.spec", "\tx\t= y;\n");
  Diagnostics d;
  d.report(DiagId::UnknownIdentifier, SourceRange{SourceLoc{f, 1, 6}, 1}, "unknown identifier 'y'");
  EXPECT_EQ(printed(d, sm),
            "t.spec:1:6: error: unknown identifier 'y'\n"
            "        x       = y;\n"
            "                  ^\n");
}

TEST(Diagnostics, ControlBytesAndUtf8ShowOneColumnEach) {
  SourceManager sm;
  FileId f = sm.add("u.spec", std::string("a\0\xc3\xa9\xff b", 7) + "\n");
  Diagnostics d;
  d.report(DiagId::InvalidCharacter, SourceRange{SourceLoc{f, 1, 7}, 1}, "x");
  EXPECT_EQ(printed(d, sm), "u.spec:1:7: error: x\na?\xc3\xa9? b\n     ^\n");
}

TEST(Diagnostics, RangeIsClampedToTheLine) {
  SourceManager sm;
  FileId f = sm.add("c.spec", "abc\n");
  Diagnostics d;
  d.report(DiagId::ExpectedToken, SourceRange{SourceLoc{f, 1, 2}, 100}, "x");
  d.report(DiagId::ExpectedToken, SourceRange{SourceLoc{f, 1, 4}, 1}, "at end");
  EXPECT_EQ(printed(d, sm),
            "c.spec:1:2: error: x\nabc\n ^~\n"
            "c.spec:1:4: error: at end\nabc\n   ^\n");
}

TEST(Diagnostics, LongLinesShowAWindowAroundTheCaret) {
  SourceManager sm;
  std::string line(1000, 'a');
  line[700] = 'X';
  FileId f = sm.add("l.spec", line + "\n");
  Diagnostics d;
  d.report(DiagId::InvalidCharacter, SourceRange{SourceLoc{f, 1, 701}, 1}, "x");
  std::string out = printed(d, sm);
  std::istringstream lines(out);
  std::string header, source, caret;
  std::getline(lines, header);
  std::getline(lines, source);
  std::getline(lines, caret);
  EXPECT_EQ(header, "l.spec:1:701: error: x");
  EXPECT_LE(source.size(), 170U);
  EXPECT_EQ(source.substr(0, 3), "...");
  EXPECT_EQ(source.substr(source.size() - 3), "...");
  ASSERT_EQ(caret.back(), '^');
  EXPECT_EQ(source[caret.size() - 1], 'X');
}

TEST(Diagnostics, ColourOnlyWhenAsked) {
  auto r = run("x.spec", "const A = B;\n");
  EXPECT_EQ(r->out.find('\x1b'), std::string::npos);
  std::string colored = printed(r->diags, r->sm, true);
  EXPECT_NE(colored.find("\x1b[1m\x1b[31merror: "), std::string::npos) << colored;
  EXPECT_NE(colored.find("\x1b[1m\x1b[32m"), std::string::npos);
  EXPECT_NE(colored.find("\x1b[0m"), std::string::npos);
}

TEST(Diagnostics, NotesWarningsAndFileLevelDiagnostics) {
  SourceManager sm;
  FileId f = sm.add("n.spec", "lock L;\nevent L;\n");
  Diagnostics d;
  d.report(DiagId::UnknownDefine, SourceRange{SourceLoc{f, 0, 0}, 1}, "file level");
  d.report(DiagId::UnusedFunction, SourceRange{SourceLoc{f, 2, 7}, 1}, "w");
  d.report(DiagId::NoteDeclaredHere, SourceRange{SourceLoc{f, 1, 6}, 1}, "n");
  d.report(DiagId::CannotReadFile, SourceRange{}, "no file");
  // Printed in source order (no location, then file level, then by position); notes stay
  // with the diagnostic they belong to.
  EXPECT_EQ(printed(d, sm),
            "cancelcheck: error: no file\n"
            "n.spec: error: file level\n"
            "n.spec:2:7: warning: w\nevent L;\n      ^\n"
            "n.spec:1:6: note: n\nlock L;\n     ^\n");
  EXPECT_EQ(d.error_count(), 2U);
}

TEST(Diagnostics, PrintedInSourceOrderAllKeptInReportOrder) {
  SourceManager sm;
  FileId f = sm.add("o.spec", "a\nb\nc\n");
  Diagnostics d;
  d.report(DiagId::UnknownIdentifier, SourceRange{SourceLoc{f, 3, 1}, 1}, "third");
  d.report(DiagId::UnknownIdentifier, SourceRange{SourceLoc{f, 1, 1}, 1}, "first");
  d.report(DiagId::NoteDeclaredHere, SourceRange{SourceLoc{f, 3, 1}, 1}, "note of first");
  d.report(DiagId::UnknownIdentifier, SourceRange{SourceLoc{f, 2, 1}, 1}, "second");
  EXPECT_EQ(d.all()[0].message, "third");
  EXPECT_EQ(printed(d, sm),
            "o.spec:1:1: error: first\na\n^\n"
            "o.spec:3:1: note: note of first\nc\n^\n"
            "o.spec:2:1: error: second\nb\n^\n"
            "o.spec:3:1: error: third\nc\n^\n");
}

TEST(Diagnostics, ErrorCapKeepsFiftyThenStops) {
  SourceManager sm;
  FileId f = sm.add("cap.spec", "x\n");
  Diagnostics d;
  for (int i = 0; i < 80; ++i) {
    d.report(DiagId::UnknownIdentifier, SourceRange{SourceLoc{f, 1, 1}, 1}, "e");
    d.report(DiagId::NoteDeclaredHere, SourceRange{SourceLoc{f, 1, 1}, 1}, "n");
  }
  for (int i = 0; i < 80; ++i) {
    d.report(DiagId::UnusedValue, SourceRange{SourceLoc{f, 1, 1}, 1}, "w");
  }
  EXPECT_EQ(d.error_count(), 80U);
  ASSERT_EQ(d.all().size(), 101U);  // 50 errors + 50 notes + "too many errors"
  EXPECT_EQ(d.all().back().id, DiagId::TooManyErrors);
  EXPECT_EQ(d.all().back().message, "too many errors emitted, stopping now");
  EXPECT_TRUE(diags_saturated(d));
}

TEST(Diagnostics, WarningsAreCappedToo) {
  Diagnostics d;
  for (int i = 0; i < 500; ++i) d.report(DiagId::UnusedValue, SourceRange{}, "w");
  EXPECT_EQ(d.all().size(), 50U);
  EXPECT_FALSE(d.has_errors());
}

TEST(Diagnostics, NoteWithoutParentIsDropped) {
  Diagnostics d;
  d.report(DiagId::NoteDeclaredHere, SourceRange{}, "orphan");
  EXPECT_TRUE(d.all().empty());
}

TEST(Diagnostics, LoadSpecReportsUnreadableFile) {
  SourceManager sm;
  Diagnostics d;
  auto spec = load_spec(sm, "/definitely/not/here.spec", {}, d);
  EXPECT_EQ(spec, nullptr);
  ASSERT_EQ(d.all().size(), 1U);
  EXPECT_EQ(d.all()[0].id, DiagId::CannotReadFile);
  EXPECT_EQ(printed(d, sm), "cancelcheck: error: cannot open '/definitely/not/here.spec'\n");
}

TEST(Diagnostics, LoadSpecReturnsNullOnErrorsAndSpecOtherwise) {
  fs::path dir = fs::temp_directory_path() / ("cc_diag_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "ok.spec") << "const N = 1;\n";
    std::ofstream(dir / "bad.spec") << "const N = ;\n";
  }
  SourceManager sm;
  Diagnostics d;
  EXPECT_NE(load_spec(sm, (dir / "ok.spec").string(), {}, d), nullptr);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(load_spec(sm, (dir / "bad.spec").string(), {}, d), nullptr);
  EXPECT_TRUE(d.has_errors());
  fs::remove_all(dir);
}

TEST(Diagnostics, DidYouMean) {
  EXPECT_EQ(edit_distance("WdfRequestCompelte", "WdfRequestComplete", 3), 1U);  // transposition
  EXPECT_EQ(edit_distance("abc", "abc", 0), 0U);
  EXPECT_EQ(edit_distance("ABC", "abc", 0), 0U);
  EXPECT_EQ(edit_distance("kitten", "sitting", 5), 3U);
  EXPECT_EQ(edit_distance("a", "abcdefgh", 2), 3U);  // capped at limit + 1
  Suggester s;
  s.add("EvtIoRead");
  s.add("EvtIoWrite");
  s.add("EvtIoStop");
  EXPECT_EQ(s.best("EvtIoRaed"), "EvtIoRead");
  EXPECT_EQ(s.best("evtiostop"), "EvtIoStop");
  EXPECT_EQ(s.best("Completely different"), "");
  EXPECT_EQ(s.best(""), "");
  EXPECT_EQ(s.hint("EvtIoWrit"), "did you mean 'EvtIoWrite'?");
  Suggester shorts;
  shorts.add("x");
  EXPECT_EQ(shorts.best("y"), "");  // no guesses for one-letter names
}

// ---------------------------------------------------------------- golden error cases

TEST(Diagnostics, GoldenFiles) {
  bool update = std::getenv("CC_UPDATE_GOLDEN") != nullptr;
  auto specs = golden_specs();
  ASSERT_GE(specs.size(), 20U);
  for (const fs::path& p : specs) {
    SCOPED_TRACE(p.filename().string());
    std::string text = slurp(p);
    auto r = run("diag/" + p.filename().string(), text, golden_defines(text));
    fs::path expected_path = p;
    expected_path.replace_extension(".expected");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << r->out;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
    EXPECT_EQ(r->out, slurp(expected_path));
  }
}

TEST(Diagnostics, EveryDiagnosticIsProducedByAGoldenFile) {
  std::set<DiagId> seen;
  for (const fs::path& p : golden_specs()) {
    std::string text = slurp(p);
    auto r = run("diag/" + p.filename().string(), text, golden_defines(text));
    for (const Diagnostic& d : r->diags.all()) seen.insert(d.id);
  }
  // Produced only outside a spec's text; covered by LoadSpecReportsUnreadableFile.
  seen.insert(DiagId::CannotReadFile);
#define CC_DIAG(e, severity, text) \
  EXPECT_TRUE(seen.count(DiagId::e)) << "no golden file produces " << text;
#include "model/diagnostics.def"
#undef CC_DIAG
}

TEST(Diagnostics, GoldenCasesWithErrorsFailToLoadAndWarningsDoNot) {
  for (const fs::path& p : golden_specs()) {
    SCOPED_TRACE(p.filename().string());
    std::string text = slurp(p);
    auto r = run("diag/" + p.filename().string(), text, golden_defines(text));
    bool has_error_text = r->out.find(": error: ") != std::string::npos;
    EXPECT_EQ(r->diags.has_errors(), has_error_text);
    if (p.filename() == "warnings.spec") {
      EXPECT_FALSE(r->diags.has_errors());
    } else {
      EXPECT_TRUE(r->diags.has_errors());
    }
  }
}

}  // namespace
}  // namespace cc
