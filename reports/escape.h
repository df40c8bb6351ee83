// Escaping helpers shared by the renderers: HTML, XML, JSON inside <script>, URIs.
#pragma once

#include <string>
#include <string_view>

namespace cc::reports {

/// Replaces invalid UTF-8 sequences with U+FFFD (nlohmann::json's error_handler_t::replace) so
/// every format receives valid text.
std::string sanitize_utf8(std::string_view text);

/// Length of the invisible bidirectional-text control at text[i] (U+061C, U+200E, U+200F,
/// U+202A-U+202E, U+2066-U+2069: they can make a line read in another order than it runs),
/// or 0; sets `code_point`. Every HTML, XML and terminal renderer shows them as "\uXXXX".
std::size_t bidi_control_at(std::string_view text, std::size_t i, unsigned& code_point);

/// "\uXXXX" for a code point up to U+FFFF: how the renderers show an invisible character.
std::string visible_code_point(unsigned code_point);

/// At most `max_bytes` of `text`, cut at a UTF-8 character boundary, then
/// "... (N more bytes)": no cell or line of a report shows an unbounded spec string.
std::string clip_text(std::string_view text, std::size_t max_bytes);

/// Escapes text for HTML element content and quoted attribute values (& < > " '); bidi
/// controls become visible "\uXXXX" text.
std::string html_escape(std::string_view text);

/// Escapes text for XML 1.0 content and attributes; control characters that XML 1.0 cannot
/// carry, and bidi controls, become visible "\uXXXX" text; tab/newline/CR are kept as character
/// references.
std::string xml_escape(std::string_view text);

/// Makes serialized JSON safe inside an HTML <script> element: '<', '>', '&', U+2028 and
/// U+2029 become \uXXXX escapes, so "</script>" in a string cannot end the element.
std::string json_for_script(std::string_view json_text);

/// Percent-encodes a file path as a URI reference (RFC 3986); '\' becomes '/', absolute
/// paths become file:// URIs.
std::string path_to_uri(std::string_view path);

}  // namespace cc::reports
