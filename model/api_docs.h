// What the model does for each API call (model/api_docs.def), next to the API table
// (model/api.def): `cancelcheck apis` and the language server's hover read both.
#pragma once

#include <string>
#include <string_view>

#include "model/api.h"

namespace cc {

/// One or two sentences on what the model does for `id`.
std::string_view api_summary(ApiId id);

/// "KMDF", "NDIS", "APPC" or "builtin".
std::string_view api_domain_name(ApiDomain domain);

/// The call's signature as a spec writes it: "bool WdfRequestSend(request, target)", optional
/// parameters in brackets.
std::string api_signature(const ApiInfo& api);

/// The docs/semantics/ page that holds the whole reading of the call and its sources.
std::string_view api_semantics_page(ApiDomain domain);

}  // namespace cc
