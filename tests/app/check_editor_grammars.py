"""Runs the editor grammars of editors/ over the bundled specs.

TextMate (VS Code): a small tokenizer that applies the grammar the way TextMate does (at each
position the earliest match of the patterns wins, ties go to the first pattern; begin/end
regions carry over lines) with Python's re, which reads the grammar's regular expressions.
Vim: vim itself, with editors/vim on its runtimepath, asked for the syntax group at each place.

Checks: every call of `cancelcheck apis` is a function in both; declaration keywords, fn names,
comments, strings, constants and numbers get their scopes; every line of every bundled spec
tokenizes.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


class TextMate:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.grammar = json.load(f)

    def flatten(self, patterns):
        out = []
        for p in patterns:
            if "include" in p:
                out += self.flatten(self.expand(self.grammar["repository"][p["include"][1:]]))
            else:
                out.append(p)
        return out

    @staticmethod
    def expand(rule):
        return rule["patterns"] if "patterns" in rule and "begin" not in rule else [rule]

    def tokenize(self, text):
        """[(line number, column, text, scope)] for every scoped token of `text`."""
        patterns = self.flatten(self.grammar["patterns"])
        tokens, region = [], None
        for n, line in enumerate(text.split("\n"), 1):
            pos = 0
            while pos <= len(line):
                if region is not None:
                    end = re.compile(region["end"]).search(line, pos)
                    stop = end.end() if end else len(line)
                    tokens.append((n, pos, line[pos:stop], region["name"]))
                    pos = stop
                    if end:
                        region = None
                    if pos >= len(line):
                        break
                    continue
                best = None
                for p in patterns:
                    m = re.compile(p.get("match") or p["begin"]).search(line, pos)
                    if m and (best is None or m.start() < best[1].start()):
                        best = (p, m)
                if best is None or best[1].end() == best[1].start():
                    break
                p, m = best
                if "begin" in p:
                    region = p
                    pos = m.start()
                    end = re.compile(p["end"]).search(line, m.end())
                    stop = end.end() if end else len(line)
                    tokens.append((n, pos, line[pos:stop], p["name"]))
                    pos = stop
                    if end:
                        region = None
                    continue
                if "captures" in p:
                    for group, capture in p["captures"].items():
                        tokens.append((n, m.start(int(group)), m.group(int(group)), capture["name"]))
                else:
                    tokens.append((n, m.start(), m.group(0), p["name"]))
                pos = m.end()
        return tokens


def vim_groups(source_dir, text, probes):
    """The vim syntax group at each (line, column) of `probes` (1-based) in `text`."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "probe.spec")
        out = os.path.join(tmp, "groups.txt")
        with open(spec, "w", encoding="utf-8") as f:
            f.write(text)
        script = os.path.join(tmp, "probe.vim")
        with open(script, "w", encoding="utf-8") as f:
            f.write("let r = []\n")
            for line, col in probes:
                f.write("call add(r, synIDattr(synID(%d, %d, 1), 'name'))\n" % (line, col))
            f.write("call writefile(r, '%s')\nqa!\n" % out)
        rtp = os.path.join(source_dir, "editors", "vim")
        subprocess.run(["vim", "-Nu", "NONE", "-i", "NONE", "-es", "--cmd", "set rtp^=" + rtp, "-c", "filetype on",
                        "-c", "syntax on", "-c", "edit " + spec, "-c", "source " + script],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        if not os.path.exists(out):
            fail("vim did not run the probe")
        with open(out, encoding="utf-8") as f:
            return f.read().split("\n")[:len(probes)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cancelcheck", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    apis_text = subprocess.run([args.cancelcheck, "apis", "--no-color"], stdout=subprocess.PIPE, text=True).stdout
    apis = re.findall(r"^  (?! ).*? ([A-Za-z_][A-Za-z0-9_]*)\(", apis_text, re.M)  # "  type Name(...)"
    if len(apis) < 50:
        fail("only %d APIs read from 'cancelcheck apis'" % len(apis))

    tm = TextMate(os.path.join(args.source_dir, "editors", "vscode", "syntaxes", "cancelcheck.tmLanguage.json"))
    calls = "\n".join("  %s(x);" % name for name in apis) + '\nspec "calls";'
    scopes = {(n, c): s for n, c, _, s in tm.tokenize(calls)}
    for i, name in enumerate(apis, 1):
        if not scopes.get((i, 2), "").startswith("support.function."):
            fail("TextMate: %s( is %r, not a function" % (name, scopes.get((i, 2))))
    groups = vim_groups(args.source_dir, calls, [(i, 3) for i in range(1, len(apis) + 1)])
    for name, group in zip(apis, groups):
        if group not in ("ccApi", "ccBuiltin"):
            fail("vim: %s( is %r, not ccApi" % (name, group))

    sample = ('spec "a \\"title\\"";  // comment\n'
              "fn OnRead(request req) { WdfRequestComplete(req, STATUS_CANCELLED); }\n"
              "/* block\n   comment */ const N = 0x10;\n"
              "environment { arrive reads x 2; cancel any; }\n")
    expected = [(1, 0, "keyword.declaration"), (1, 5, "string.quoted"), (1, 21, "comment.line"),
                (2, 0, "storage.type.function"), (2, 3, "entity.name.function"), (2, 25, "support.function"),
                (2, 49, "constant.other.named"), (3, 0, "comment.block"), (4, 0, "comment.block"),
                (4, 14, "keyword.declaration"), (4, 24, "constant.numeric"), (5, 14, "keyword.other.environment")]
    scopes = {(n, c): s for n, c, _, s in tm.tokenize(sample)}
    for line, col, scope in expected:
        if not scopes.get((line, col), "").startswith(scope):
            fail("TextMate: %d:%d is %r, expected %s" % (line, col, scopes.get((line, col)), scope))
    vim_expected = ["ccDeclaration", "ccString", "ccComment", "ccDeclaration", "ccApi", "ccConstant", "ccComment",
                    "ccComment", "ccDeclaration", "ccNumber", "ccEnvironment"]
    probes = [(1, 1), (1, 6), (1, 22), (2, 1), (2, 26), (2, 50), (3, 1), (4, 1), (4, 16), (4, 26), (5, 15)]
    got = vim_groups(args.source_dir, sample, probes)
    if got != vim_expected:
        fail("vim groups %r, expected %r" % (got, vim_expected))

    specs = sorted(glob.glob(os.path.join(args.source_dir, "specs", "**", "*.spec"), recursive=True))
    functions = 0
    for path in specs:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        tokens = tm.tokenize(text)
        functions += sum(1 for t in tokens if t[3].startswith("entity.name.function"))
        lines = text.split("\n")
        for n, line in enumerate(lines, 1):
            if line.strip().startswith("//") and not any(t[0] == n and t[3].startswith("comment") for t in tokens):
                fail("TextMate: %s:%d is a comment line without a comment scope" % (path, n))
    if functions < len(specs):
        fail("TextMate: only %d function names in %d specs" % (functions, len(specs)))
    print("editor grammars: %d APIs are functions in TextMate and vim; %d specs tokenized" % (len(apis), len(specs)))


if __name__ == "__main__":
    main()
