"""Drives `cancelcheck lsp` with a real JSON-RPC client: python-lsp-jsonrpc (Debian's
python3-pylsp-jsonrpc, the protocol layer of the Python language server), over the process's
stdin and stdout with LSP's Content-Length framing.

Opens a spec with errors and checks the published diagnostics (range, severity, message, the
'fn' hint), fixes it with didChange and checks that they are cleared, then hover on an API call,
a rule id and a callback, go to the definition of a callback and of a queue, document symbols,
an unknown request, and shutdown/exit (exit code 0).
"""
import argparse
import queue
import subprocess
import sys
import threading

from pylsp_jsonrpc.endpoint import Endpoint
from pylsp_jsonrpc.exceptions import JsonRpcException
from pylsp_jsonrpc.streams import JsonRpcStreamReader, JsonRpcStreamWriter

TIMEOUT = 20
URI = "file:///work/drv/read%20path.spec"
BROKEN = """spec "read path";
device d { queue reads : parallel { EvtIoRead = OnRead; } }
target pipe : cancelable;
void OnRead(request req) { }
environment { arrive reads x 1; cancel all; }
"""
FIXED = """spec "read path";
device d { queue reads : parallel { EvtIoRead = OnRead; } }
target pipe : cancelable;
fn OnRead(request req) {
  WdfRequestSetCompletionRoutine(req, OnDone);
  if (!WdfRequestSend(req, pipe)) { WdfRequestComplete(req, STATUS_SUCCESS); }  // CR001?
}
fn OnDone(request req, status st) { WdfRequestComplete(req, st); }
environment { arrive reads x 1; cancel any; }
"""


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cancelcheck", required=True)
    args = parser.parse_args()

    proc = subprocess.Popen([args.cancelcheck, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    published = queue.Queue()
    dispatcher = {"textDocument/publishDiagnostics": lambda params: published.put(params)}
    endpoint = Endpoint(dispatcher, JsonRpcStreamWriter(proc.stdin).write)
    reader = JsonRpcStreamReader(proc.stdout)
    threading.Thread(target=reader.listen, args=(endpoint.consume,), daemon=True).start()

    def request(method, params):
        return endpoint.request(method, params).result(timeout=TIMEOUT)

    init = request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    caps = init["capabilities"]
    for cap in ("hoverProvider", "definitionProvider", "documentSymbolProvider"):
        if not caps.get(cap):
            fail("initialize: no %s in %r" % (cap, caps))
    if caps.get("textDocumentSync") != 1:
        fail("initialize: expected full text sync")
    endpoint.notify("initialized", {})

    # Diagnostics as you type: the broken text, then the fixed one.
    endpoint.notify("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "cancelcheck", "version": 1,
                                                               "text": BROKEN}})
    diags = published.get(timeout=TIMEOUT)
    if diags["uri"] != URI:
        fail("diagnostics for %r" % diags["uri"])
    by_line = {d["range"]["start"]["line"]: d for d in diags["diagnostics"]}
    fn_hint = by_line.get(3)
    if not fn_hint or "write 'fn OnRead(...)'" not in fn_hint["message"] or fn_hint["severity"] != 1:
        fail("no 'fn' hint on line 4: %r" % diags["diagnostics"])
    if fn_hint["range"]["start"]["character"] != 0 or fn_hint["range"]["end"]["character"] != 4:
        fail("the 'void' diagnostic's range is %r" % fn_hint["range"])
    if not any("write 'cancel any;'" in d["message"] for d in diags["diagnostics"]):
        fail("no 'cancel any' hint: %r" % diags["diagnostics"])
    endpoint.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": 2},
                                               "contentChanges": [{"text": FIXED}]})
    diags = published.get(timeout=TIMEOUT)
    if diags["diagnostics"]:
        fail("the fixed spec still has diagnostics: %r" % diags["diagnostics"])

    def at(line, char):
        return {"textDocument": {"uri": URI}, "position": {"line": line, "character": char}}

    # Hover: an API (signature and what the model does), a rule id in a comment, a callback.
    hover = request("textDocument/hover", at(5, 10))
    value = hover["contents"]["value"]
    if "bool WdfRequestSend(request, target, [int])" not in value or "KMDF" not in value:
        fail("hover on WdfRequestSend: %r" % value)
    hover = request("textDocument/hover", at(5, 84))
    if "CR001 double-completion" not in hover["contents"]["value"]:
        fail("hover on CR001: %r" % hover["contents"]["value"])
    hover = request("textDocument/hover", at(4, 40))
    if "fn `OnDone`, declared on line 8" not in hover["contents"]["value"]:
        fail("hover on OnDone: %r" % hover["contents"]["value"])
    if request("textDocument/hover", at(0, 0)) is not None:
        fail("hover on the keyword 'spec' should be empty")

    # Go to definition: a callback bound in the queue, the queue in the environment.
    loc = request("textDocument/definition", at(1, 50))
    if loc["uri"] != URI or loc["range"]["start"] != {"line": 3, "character": 3}:
        fail("definition of OnRead: %r" % loc)
    loc = request("textDocument/definition", at(8, 23))
    if loc["range"]["start"]["line"] != 1:
        fail("definition of reads: %r" % loc)

    symbols = request("textDocument/documentSymbol", {"textDocument": {"uri": URI}})
    names = sorted((s["name"], s["detail"]) for s in symbols)
    if names != [("OnDone", "fn"), ("OnRead", "fn"), ("d", "device"), ("pipe", "target"), ("reads", "queue")]:
        fail("document symbols: %r" % names)

    try:
        request("textDocument/formatting", {"textDocument": {"uri": URI}, "options": {}})
        fail("an unsupported request got a result")
    except JsonRpcException as e:
        if e.code != -32601:
            fail("unsupported request: error %r" % e.code)

    if request("shutdown", None) is not None:
        fail("shutdown returned a result")
    endpoint.notify("exit", None)
    if proc.wait(timeout=TIMEOUT) != 0:
        fail("cancelcheck lsp exited with %d after shutdown and exit" % proc.returncode)
    endpoint.shutdown()
    print("language server: diagnostics, hover, definition, symbols, shutdown ok")


if __name__ == "__main__":
    main()
