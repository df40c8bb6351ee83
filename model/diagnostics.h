// Spec diagnostics: collected during parsing and checking, rendered like a compiler's
// (file:line:col: error: message, the source line, a caret/tilde span, notes).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "model/source.h"

namespace cc {

/// Every diagnostic the front-end can emit (model/diagnostics.def).
enum class DiagId : uint16_t {
#define CC_DIAG(e, severity, text) e,
#include "model/diagnostics.def"
#undef CC_DIAG
};

/// Severity of a diagnostic.
enum class Severity : uint8_t { Error, Warning, Note };

/// One reported problem.
struct Diagnostic {
  DiagId id;
  Severity severity = Severity::Error;
  SourceRange range;
  std::string message;  ///< fully formatted text
  std::string hint;     ///< optional "did you mean 'X'?" suggestion text (may be empty)
};

/// Collects diagnostics for a run; caps the count so hostile input cannot flood output.
class Diagnostics {
 public:
  /// Records a diagnostic.
  void report(Diagnostic d);
  /// Records a diagnostic with its catalogue severity and a formatted message.
  void report(DiagId id, SourceRange range, std::string message, std::string hint = {});
  /// True if any error was reported.
  bool has_errors() const { return error_count_ > 0; }
  /// Number of errors reported (including those dropped over the cap).
  std::size_t error_count() const { return error_count_; }
  /// All kept diagnostics in report order.
  const std::vector<Diagnostic>& all() const { return diags_; }
  /// Prints every diagnostic with source line and caret span.
  void print(std::ostream& out, const SourceManager& sm, bool color = false) const;

 private:
  std::vector<Diagnostic> diags_;
  std::size_t error_count_ = 0;
};

/// The catalogue severity of a diagnostic id.
Severity diag_severity(DiagId id);
/// The catalogue name of a diagnostic id (e.g. "unknown-api").
std::string_view diag_name(DiagId id);

}  // namespace cc
