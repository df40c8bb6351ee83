// The front end's hints for habits from C and from other checkers: a C function header gets
// "write 'fn NAME(...)'", and 'cancel all' gets "write 'cancel any;'".
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "model/api.h"
#include "model/api_docs.h"
#include "model/frontend.h"

namespace cc {
namespace {

std::string diagnostics_of(const std::string& text) {
  SourceManager sm;
  Diagnostics diags;
  const FileId f = sm.add("hint.spec", text);
  auto spec = parse_spec(sm, f, diags);
  if (spec) check_spec(*spec, sm, {}, diags);
  std::ostringstream out;
  diags.print(out, sm, false);
  return out.str();
}

constexpr const char* kDevice =
    "spec \"hints\";\n"
    "device d { queue q : parallel { EvtIoRead = OnRead; } }\n";

TEST(Hints, CFunctionHeaderSuggestsFn) {
  const std::string out =
      diagnostics_of(std::string(kDevice) +
                     "fn OnRead(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }\n"
                     "void OnTimer() { int x = 1; }\n"
                     "NTSTATUS Helper(request r, int y) { return; }\n");
  EXPECT_NE(out.find("hint.spec:4:1: error: expected a declaration, found 'void'; spec functions "
                     "have no return type: write 'fn OnTimer(...)'"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("write 'fn Helper(...)'"), std::string::npos) << out;
  // The header and its body are skipped as one: no follow-on errors from inside them.
  EXPECT_EQ(out.find("request NAME"), std::string::npos) << out;
  EXPECT_EQ(out.find("error:", out.find("Helper") + 1), std::string::npos) << out;
}

TEST(Hints, CancelAllSuggestsAny) {
  const std::string out =
      diagnostics_of(std::string(kDevice) +
                     "fn OnRead(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }\n"
                     "environment { arrive q x 1; cancel all; }\n");
  EXPECT_NE(out.find("unknown queue 'all'; write 'cancel any;' to cancel requests of every queue"),
            std::string::npos)
      << out;
  // 'cancel any' itself is fine.
  EXPECT_EQ(diagnostics_of(std::string(kDevice) +
                           "fn OnRead(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }\n"
                           "environment { arrive q x 1; cancel any; }\n"),
            "");
}

// model/api_docs.def covers model/api.def: every call has a summary for `cancelcheck apis`.
TEST(ApiDocs, EveryApiHasASummary) {
  for (const ApiInfo& a : all_apis()) {
    EXPECT_GT(api_summary(a.id).size(), 10U) << a.name;
    EXPECT_NE(api_signature(a).find(" " + std::string(a.name) + "("), std::string::npos)
        << api_signature(a);
  }
  EXPECT_EQ(api_signature(api_info(ApiId::WdfRequestSend)),
            "bool WdfRequestSend(request, target, [int])");
  // Optional parameters are bracketed: as many as the row has beyond its required ones.
  for (const ApiInfo& a : all_apis()) {
    const std::string sig = api_signature(a);
    EXPECT_EQ(static_cast<std::size_t>(std::count(sig.begin(), sig.end(), '[')),
              a.params.size() - a.min_args)
        << sig;
  }
}

}  // namespace
}  // namespace cc
