// Escaping helpers shared by the renderers: HTML, XML, JSON inside <script>, URIs.
#pragma once

#include <string>
#include <string_view>

namespace cc::reports {

/// Replaces invalid UTF-8 sequences with U+FFFD so every format receives valid text.
std::string sanitize_utf8(std::string_view text);

/// Escapes text for HTML element content and quoted attribute values (& < > " ').
std::string html_escape(std::string_view text);

/// Escapes text for XML 1.0 content and attributes; control characters that XML 1.0 cannot
/// carry become visible "\uXXXX" text, and tab/newline/CR are kept as character references.
std::string xml_escape(std::string_view text);

/// Makes serialized JSON safe inside an HTML <script> element: '<', '>', '&', U+2028 and
/// U+2029 become \uXXXX escapes, so "</script>" in a string cannot end the element.
std::string json_for_script(std::string_view json_text);

/// Percent-encodes a file path as a URI reference (RFC 3986); '\' becomes '/', absolute
/// paths become file:// URIs.
std::string path_to_uri(std::string_view path);

}  // namespace cc::reports
