#include "app/lsp.h"

#include <array>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/api.h"
#include "model/api_docs.h"
#include "model/frontend.h"
#include "model/rules.h"

namespace cc {
namespace {

using nlohmann::json;

// LSP constants (the specification's numeric values).
constexpr int kSeverityError = 1, kSeverityWarning = 2, kSeverityInformation = 3;
constexpr int kMethodNotFound = -32601;
constexpr int kSymbolModule = 2, kSymbolFunction = 12, kSymbolVariable = 13, kSymbolConstant = 14,
              kSymbolObject = 19, kSymbolEvent = 24;

/// One declared name of a spec: what go-to-definition, hover and document symbols list.
struct Declared {
  std::string name;
  std::string what;  ///< "fn", "queue", "target", ...
  int symbol_kind = kSymbolObject;
  SourceRange range;
};

/// A parsed and checked document.
struct Analysis {
  SourceManager sm;
  Diagnostics diags;
  std::unique_ptr<ast::Spec> spec;
  FileId file;
};

std::optional<json> read_message(std::istream& in) {
  std::size_t length = 0;
  bool have_length = false;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    constexpr std::string_view kLength = "Content-Length:";
    if (line.compare(0, kLength.size(), kLength) == 0) {
      length = std::stoul(line.substr(kLength.size()));
      have_length = true;
    }
  }
  if (!in || !have_length) return std::nullopt;
  std::string body(length, '\0');
  in.read(body.data(), static_cast<std::streamsize>(length));
  if (!in) return std::nullopt;
  json message = json::parse(body, nullptr, false);
  if (message.is_discarded()) return json::object();  // answered as an invalid request
  return message;
}

void write_message(std::ostream& out, const json& message) {
  const std::string body = message.dump(-1, ' ', false, json::error_handler_t::replace);
  out << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out.flush();
}

/// A file:// URI's path, percent-decoded; other URIs stay as they are (a display name).
std::string uri_to_path(const std::string& uri) {
  std::string path = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() &&
        std::isxdigit(static_cast<unsigned char>(path[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      out += static_cast<char>(std::stoi(path.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

json lsp_range(const SourceRange& r) {
  const uint32_t line = r.begin.line == 0 ? 0 : r.begin.line - 1;
  const uint32_t col = r.begin.col == 0 ? 0 : r.begin.col - 1;
  return json{{"start", {{"line", line}, {"character", col}}},
              {"end", {{"line", line}, {"character", col + r.length}}}};
}

std::unique_ptr<Analysis> analyze(const std::string& uri, const std::string& text) {
  auto a = std::make_unique<Analysis>();
  a->file = a->sm.add(uri_to_path(uri), text);
  a->spec = parse_spec(a->sm, a->file, a->diags);
  if (a->spec) check_spec(*a->spec, a->sm, {}, a->diags);
  return a;
}

json diagnostics_of(const Analysis& a) {
  json out = json::array();
  for (const Diagnostic& d : a.diags.all()) {
    if (d.range.begin.file != a.file) continue;
    const int severity = d.severity == Severity::Error     ? kSeverityError
                         : d.severity == Severity::Warning ? kSeverityWarning
                                                           : kSeverityInformation;
    std::string message = d.message;
    if (!d.hint.empty()) message += "; " + d.hint;
    out.push_back(json{{"range", lsp_range(d.range)},
                       {"severity", severity},
                       {"source", "cancelcheck"},
                       {"message", message}});
  }
  return out;
}

std::vector<Declared> declarations(const ast::Spec& s) {
  std::vector<Declared> out;
  auto add = [&](const auto& decls, const char* what, int kind) {
    for (const auto& d : decls) out.push_back(Declared{d.name, what, kind, d.range});
  };
  add(s.consts, "const", kSymbolConstant);
  for (const ast::DeviceDecl& d : s.devices) {
    if (!d.implicit) out.push_back(Declared{d.name, "device", kSymbolModule, d.range});
  }
  add(s.queues, "queue", kSymbolObject);
  add(s.targets, "target", kSymbolObject);
  add(s.requests, "request", kSymbolVariable);
  for (const ast::SimpleDecl& l : s.locks) {
    out.push_back(Declared{l.name, l.wait ? "waitlock" : "lock", kSymbolObject, l.range});
  }
  add(s.events, "event", kSymbolEvent);
  for (const ast::TimerDecl& t : s.timers) {
    constexpr std::array<const char*, 3> kWords = {"timer", "dpc", "workitem"};
    out.push_back(
        Declared{t.name, kWords.at(static_cast<std::size_t>(t.kind)), kSymbolObject, t.range});
  }
  add(s.interrupts, "interrupt", kSymbolObject);
  add(s.globals, "global", kSymbolVariable);
  add(s.context, "context field", kSymbolVariable);
  add(s.fns, "fn", kSymbolFunction);
  add(s.threads, "thread", kSymbolFunction);
  add(s.filters, "filter", kSymbolModule);
  add(s.miniports, "miniport", kSymbolObject);
  add(s.conversations, "conversation", kSymbolObject);
  return out;
}

/// The identifier under a 0-based (line, character) position, or empty.
std::string word_at(const std::string& text, uint32_t line, uint32_t character) {
  std::size_t start = 0;
  for (uint32_t l = 0; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string::npos) return {};
    ++start;
  }
  const std::size_t end_of_line = std::min(text.find('\n', start), text.size());
  std::size_t at = start + character;
  if (at > end_of_line) return {};
  auto ident = [&](std::size_t i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    return std::isalnum(c) || c == '_';
  };
  std::size_t b = at;
  while (b > start && ident(b - 1)) --b;
  std::size_t e = at;
  while (e < end_of_line && ident(e)) ++e;
  return text.substr(b, e - b);
}

std::string hover_markdown(const std::string& word, const ast::Spec* spec) {
  if (auto api = find_api(word)) {
    const ApiInfo& a = api_info(*api);
    return fmt::format("```\n{}\n```\n{} ({}; {})", api_signature(a), api_summary(a.id),
                       api_domain_name(a.domain), api_semantics_page(a.domain));
  }
  if (word.size() == 5 && word.rfind("CR", 0) == 0) {
    if (auto rule = find_rule(word)) {
      const RuleInfo& r = rule_info(*rule);
      return fmt::format("**{} {}**: {}\n\n{}", r.id, r.name, r.brief, r.full);
    }
  }
  if (const ConstantInfo* c = find_constant(word)) {
    return fmt::format("`{}` = {} ({})", c->name, c->value, type_name(c->type));
  }
  if (spec != nullptr) {
    for (const Declared& d : declarations(*spec)) {
      if (d.name == word)
        return fmt::format("{} `{}`, declared on line {}", d.what, d.name, d.range.begin.line);
    }
  }
  return {};
}

/// The server: open documents and the dispatch of one message.
class Server {
 public:
  explicit Server(std::ostream& out) : out_(out) {}

  /// Handles one message; false once `exit` arrived.
  bool handle(const json& m) {
    const std::string method = m.value("method", "");
    const json params = m.value("params", json::object());
    const bool is_request = m.contains("id");
    if (method == "exit") return false;
    json result;
    if (method == "initialize") {
      result = json{{"capabilities",
                     {{"textDocumentSync", 1},
                      {"hoverProvider", true},
                      {"definitionProvider", true},
                      {"documentSymbolProvider", true}}},
                    {"serverInfo", {{"name", "cancelcheck"}}}};
    } else if (method == "shutdown") {
      shutdown_ = true;
    } else if (method == "textDocument/didOpen") {
      update(params["textDocument"]["uri"], params["textDocument"]["text"]);
    } else if (method == "textDocument/didChange") {
      const json& changes = params["contentChanges"];
      if (!changes.empty()) update(params["textDocument"]["uri"], changes.back()["text"]);
    } else if (method == "textDocument/didClose") {
      const std::string uri = params["textDocument"]["uri"];
      docs_.erase(uri);
      publish(uri, json::array());
    } else if (method == "textDocument/hover") {
      result = hover(params);
    } else if (method == "textDocument/definition") {
      result = definition(params);
    } else if (method == "textDocument/documentSymbol") {
      result = symbols(params);
    } else if (is_request && method != "initialized") {
      write_message(
          out_,
          json{{"jsonrpc", "2.0"},
               {"id", m["id"]},
               {"error", {{"code", kMethodNotFound}, {"message", "unsupported: " + method}}}});
      return true;
    }
    if (is_request)
      write_message(out_, json{{"jsonrpc", "2.0"}, {"id", m["id"]}, {"result", result}});
    return true;
  }

  /// Whether `shutdown` was requested.
  bool shut_down() const { return shutdown_; }

 private:
  struct Document {
    std::string text;
    std::unique_ptr<Analysis> analysis;
  };

  void update(const std::string& uri, const std::string& text) {
    Document& d = docs_[uri];
    d.text = text;
    d.analysis = analyze(uri, text);
    publish(uri, diagnostics_of(*d.analysis));
  }

  void publish(const std::string& uri, const json& diagnostics) {
    write_message(out_, json{{"jsonrpc", "2.0"},
                             {"method", "textDocument/publishDiagnostics"},
                             {"params", {{"uri", uri}, {"diagnostics", diagnostics}}}});
  }

  const Document* doc(const json& params) const {
    auto it = docs_.find(params["textDocument"]["uri"].get<std::string>());
    return it == docs_.end() ? nullptr : &it->second;
  }

  std::string word(const json& params, const Document& d) const {
    return word_at(d.text, params["position"]["line"], params["position"]["character"]);
  }

  json hover(const json& params) const {
    const Document* d = doc(params);
    if (d == nullptr) return nullptr;
    const std::string text = hover_markdown(word(params, *d), d->analysis->spec.get());
    if (text.empty()) return nullptr;
    return json{{"contents", {{"kind", "markdown"}, {"value", text}}}};
  }

  json definition(const json& params) const {
    const Document* d = doc(params);
    if (d == nullptr || !d->analysis->spec) return nullptr;
    const std::string name = word(params, *d);
    for (const Declared& decl : declarations(*d->analysis->spec)) {
      if (decl.name == name) {
        return json{{"uri", params["textDocument"]["uri"]}, {"range", lsp_range(decl.range)}};
      }
    }
    return nullptr;
  }

  json symbols(const json& params) const {
    json out = json::array();
    const Document* d = doc(params);
    if (d == nullptr || !d->analysis->spec) return out;
    for (const Declared& decl : declarations(*d->analysis->spec)) {
      out.push_back(json{{"name", decl.name},
                         {"detail", decl.what},
                         {"kind", decl.symbol_kind},
                         {"range", lsp_range(decl.range)},
                         {"selectionRange", lsp_range(decl.range)}});
    }
    return out;
  }

  std::ostream& out_;
  std::map<std::string, Document> docs_;
  bool shutdown_ = false;
};

}  // namespace

int run_language_server(std::istream& in, std::ostream& out) {
  Server server(out);
  while (std::optional<json> message = read_message(in)) {
    if (!message->is_object()) continue;
    if (!server.handle(*message)) break;
  }
  return server.shut_down() ? 0 : 1;
}

}  // namespace cc
