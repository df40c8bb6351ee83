// JUnit XML for CI test views: a <testsuite> per spec and a <testcase> per checked rule.
#pragma once

#include <string>

#include "checker/result.h"

namespace cc::reports {

/// JUnit switches.
struct JunitOptions {
  bool timings = true;  ///< write time attributes (off = byte-stable output)
};

/// The JUnit XML document of a run: <testsuites> with one <testsuite> per spec (name = path),
/// one <testcase> per checked rule ("CR001 double-completion"), a <failure type="CRnnn"> with
/// the text trace for violations not in the baseline, a <system-out> note (and no failure) for
/// accepted ones, <skipped> for rules an incomplete search did not settle, and one <error> test
/// case for a spec that failed to load. Valid against the Jenkins xunit junit-10.xsd.
std::string render_junit(const RunResult& run, const JunitOptions& options = {});

}  // namespace cc::reports
