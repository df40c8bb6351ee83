// The inline CSS and JavaScript of the HTML reports: pages are self-contained (no network).
#pragma once

#include <string_view>

namespace cc::reports {

/// The style sheet of every page (trace pages and the index), including the narrow layout.
std::string_view html_css();

/// The trace page's script: step selection (keys, clicks, #step-N, #LN), the state panel with
/// the Z3 model's values, the source view's links both ways, and the `?` help.
std::string_view html_trace_script();

/// The index page's script: search and verdict filter over the spec rows.
std::string_view html_index_script();

}  // namespace cc::reports
