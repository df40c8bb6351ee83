#include "model/api_docs.h"

namespace cc {
namespace {

struct ApiDoc {
  ApiId id;
  std::string_view summary;
};

constexpr ApiDoc kDocs[] = {
#define CC_API_DOC(name, summary) {ApiId::name, summary},
#include "model/api_docs.def"
#undef CC_API_DOC
};

}  // namespace

std::string_view api_summary(ApiId id) {
  for (const ApiDoc& d : kDocs) {
    if (d.id == id) return d.summary;
  }
  return {};
}

std::string_view api_domain_name(ApiDomain domain) {
  switch (domain) {
    case ApiDomain::Kmdf:
      return "KMDF";
    case ApiDomain::Ndis:
      return "NDIS";
    case ApiDomain::Appc:
      return "APPC";
    case ApiDomain::Builtin:
      return "builtin";
  }
  return "builtin";
}

std::string api_signature(const ApiInfo& api) {
  std::string out = std::string(type_name(api.result)) + " " + std::string(api.name) + "(";
  for (std::size_t i = 0; i < api.params.size(); ++i) {
    if (i > 0) out += ", ";
    const bool optional = i >= api.min_args;
    if (optional) out += "[";
    out += type_name(api.params[i]);
    if (optional) out += "]";
  }
  return out + ")";
}

std::string_view api_semantics_page(ApiDomain domain) {
  switch (domain) {
    case ApiDomain::Kmdf:
      return "docs/semantics/kmdf.md";
    case ApiDomain::Ndis:
      return "docs/semantics/ndis.md";
    case ApiDomain::Appc:
      return "docs/semantics/appc.md";
    case ApiDomain::Builtin:
      return "docs/spec-language.md";
  }
  return "docs/spec-language.md";
}

}  // namespace cc
