#include "reports/escape.h"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace cc::reports {
namespace {

const char* hex_digits() {
  return "0123456789ABCDEF";
}

std::string u_escape(unsigned value) {
  std::string out = "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex_digits()[(value >> shift) & 0xF];
  return out;
}

}  // namespace

std::size_t bidi_control_at(std::string_view text, std::size_t i, unsigned& code_point) {
  const auto at = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0U;
  };
  if (at(0) == 0xD8 && at(1) == 0x9C) {
    code_point = 0x061C;
    return 2;
  }
  if (at(0) != 0xE2) return 0;
  const unsigned cp = 0x2000 | ((at(1) & 0x3FU) << 6) | (at(2) & 0x3FU);
  if ((at(1) & 0xC0) != 0x80 || (at(2) & 0xC0) != 0x80) return 0;
  if (cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
      (cp >= 0x2066 && cp <= 0x2069)) {
    code_point = cp;
    return 3;
  }
  return 0;
}

std::string visible_code_point(unsigned code_point) {
  return u_escape(code_point);
}

std::string clip_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "\u2026 (" + std::to_string(text.size() - cut) +
         " more bytes)";
}

std::string sanitize_utf8(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; })) {
    return std::string(text);
  }
  // nlohmann's serializer replaces every invalid UTF-8 sequence by U+FFFD; reading the JSON
  // string back gives the cleaned text.
  const std::string quoted = nlohmann::json(std::string(text))
                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

namespace {

/// The escaping HTML text and XML attributes share. XML also writes newlines, returns and
/// tabs as character references (attribute values keep them) and escapes DEL.
std::string markup_escape(std::string_view text, bool xml) {
  std::string clean = sanitize_utf8(text);
  std::string out;
  out.reserve(clean.size() + 16);
  for (std::size_t i = 0; i < clean.size(); ++i) {
    unsigned cp = 0;
    if (const std::size_t len = bidi_control_at(clean, i, cp); len != 0) {
      out += u_escape(cp);
      i += len - 1;
      continue;
    }
    const char c = clean[i];
    const char* entity = nullptr;
    switch (c) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = xml ? "&apos;" : "&#39;";
        break;
      case '\n':
        entity = xml ? "&#10;" : nullptr;
        break;
      case '\r':
        entity = xml ? "&#13;" : nullptr;
        break;
      case '\t':
        entity = xml ? "&#9;" : nullptr;
        break;
      default:
        break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (entity != nullptr) {
      out += entity;
    } else if (xml ? (u < 0x20 || u == 0x7F) : (u < 0x20 && c != '\n' && c != '\t')) {
      out += u_escape(u);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string html_escape(std::string_view text) {
  return markup_escape(text, false);
}

std::string xml_escape(std::string_view text) {
  return markup_escape(text, true);
}

std::string json_for_script(std::string_view json_text) {
  std::string out;
  out.reserve(json_text.size() + 16);
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    char c = json_text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (json_text.substr(i, 3) == "\xE2\x80\xA8") {
      out += "\\u2028";
      i += 2;
    } else if (json_text.substr(i, 3) == "\xE2\x80\xA9") {
      out += "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string path_to_uri(std::string_view path) {
  std::string p = sanitize_utf8(path);
  for (char& c : p) {
    if (c == '\\') c = '/';
  }
  std::string out;
  bool windows_drive = p.size() >= 2 && p[1] == ':' &&
                       ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z'));
  if (!p.empty() && p[0] == '/') {
    out = "file://";
  } else if (windows_drive) {
    out = "file:///";
  }
  for (char c : p) {
    unsigned char u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '/' ||
                      (windows_drive && c == ':');
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex_digits()[u >> 4];
      out += hex_digits()[u & 0xF];
    }
  }
  return out;
}

}  // namespace cc::reports
