// `cancelcheck lsp`: a language server for .spec files over stdio (LSP base protocol:
// Content-Length framed JSON-RPC). Diagnostics as you type, hover with the API and rule
// catalogues, go to definition of callbacks and objects, document symbols.
#pragma once

#include <istream>
#include <ostream>

namespace cc {

/// Serves one client on `in`/`out` until the `exit` notification or the end of `in`. Returns
/// the process exit code: 0 when `shutdown` came before `exit`, else 1 (as the protocol asks).
int run_language_server(std::istream& in, std::ostream& out);

}  // namespace cc
