"""The bash completion and the manual page generated at build time from the CLI definition.

Sources the completion script in bash and asks it for completions the way bash does (COMP_WORDS,
COMP_CWORD, then the registered function); renders the manual page with groff and all warnings
on; and checks that every option `cancelcheck SUBCOMMAND --help` lists is in both.
"""
import argparse
import re
import subprocess
import sys


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def complete(script, words):
    """The completions bash offers for the command line `words` (the last word is being typed)."""
    quoted = " ".join("'%s'" % w for w in words)
    program = ('source "%s"\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_cancelcheck\n'
               'printf "%%s\\n" "${COMPREPLY[@]}"\n' % (script, quoted, len(words) - 1))
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=args.source_dir)
    if proc.returncode != 0:
        fail("completion of %r failed: %s" % (words, proc.stderr))
    return [line for line in proc.stdout.splitlines() if line]


def expect(words, wanted, exactly=False):
    got = complete(args.completion, words)
    if exactly and sorted(got) != sorted(wanted):
        fail("completing %r gave %r, expected exactly %r" % (words, got, wanted))
    missing = [w for w in wanted if w not in got]
    if missing:
        fail("completing %r gave %r, missing %r" % (words, got, missing))


parser = argparse.ArgumentParser()
parser.add_argument("--cancelcheck", required=True)
parser.add_argument("--completion", required=True)
parser.add_argument("--man", required=True)
parser.add_argument("--source-dir", required=True)
args = parser.parse_args()

# Subcommands, options, fixed values, rule ids, API names, file names.
expect(["cancelcheck", "ch"], ["check"], exactly=True)
expect(["cancelcheck", ""], ["check", "parse", "replay", "rules", "apis"])
expect(["cancelcheck", "check", "--sa"], ["--sarif"], exactly=True)
expect(["cancelcheck", "check", "--so"], ["--source-root"], exactly=True)
expect(["cancelcheck", "check", "--search", ""], ["bfs", "dfs"], exactly=True)
expect(["cancelcheck", "check", "--por", "o"], ["on", "off"], exactly=True)
expect(["cancelcheck", "parse", "--"], ["--color", "--no-color", "--define"])
expect(["cancelcheck", "rules", "CR00"], ["CR001", "CR009"])
expect(["cancelcheck", "apis", "WdfRequestCancel"], ["WdfRequestCancelSentRequest"], exactly=True)
expect(["cancelcheck", "check", "specs/kmdf/cr001_double_completion_f"],
       ["specs/kmdf/cr001_double_completion_fixed.spec"], exactly=True)

# The manual page renders without a single groff warning.
proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", args.man], stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True)
if proc.returncode != 0 or proc.stderr.strip():
    fail("groff warns about the manual page:\n" + proc.stderr)
rendered = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", args.man], stdout=subprocess.PIPE,
                          text=True).stdout
for section in ("NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "NO_COLOR"):
    if section not in rendered:
        fail("the manual page lacks %s" % section)

# Every option of every subcommand's --help is in the page and in the completion.
with open(args.completion, encoding="utf-8") as f:
    completion_text = f.read()
options_seen = 0
for sub in ("check", "parse", "replay", "rules", "apis"):
    help_text = subprocess.run([args.cancelcheck, sub, "--help"], stdout=subprocess.PIPE, text=True).stdout
    if ("\n" + sub) not in rendered and ("   " + sub) not in rendered:
        fail("the manual page does not describe '%s'" % sub)
    for option in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text))):
        if option == "--help":
            continue
        options_seen += 1
        if option not in rendered:
            fail("the manual page lacks %s %s" % (sub, option))
        if option not in completion_text:
            fail("the completion lacks %s %s" % (sub, option))
if options_seen < 30:
    fail("only %d options found in the --help texts; the check is not reading them" % options_seen)
print("completion and manual page: %d options of 5 subcommands covered" % options_seen)
