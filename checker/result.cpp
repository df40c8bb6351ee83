#include "checker/result.h"

namespace cc {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Pass:
      return "pass";
    case Verdict::Violation:
      return "violation";
    case Verdict::Incomplete:
      return "incomplete";
    case Verdict::Error:
      return "error";
  }
  return "?";
}

}  // namespace cc
