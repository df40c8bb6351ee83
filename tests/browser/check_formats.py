"""Validates the machine-readable reports of the fixture run.

SARIF against the OASIS SARIF 2.1.0 JSON schema (python3-jsonschema), JUnit with a real XML
parser, JSON against its own schema header. Fails loudly on any mismatch.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import xml.dom.minidom


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--generator", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--junit-schema", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    try:
        import jsonschema
    except ImportError:
        fail("python3-jsonschema is not installed (apt-get install python3-jsonschema)")

    os.makedirs(args.out, exist_ok=True)
    subprocess.run([args.generator, args.out], check=True, stdout=subprocess.DEVNULL)

    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    with open(os.path.join(args.out, "result.sarif"), encoding="utf-8") as f:
        sarif = json.load(f)

    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.absolute_path))
    for error in errors[:20]:
        print("schema error at /%s: %s" % ("/".join(str(p) for p in error.absolute_path), error.message[:300]),
              file=sys.stderr)
    if errors:
        fail("%d SARIF schema violation(s)" % len(errors))

    # The validator must be able to reject: a log with a bad level and no version is invalid.
    broken = copy.deepcopy(sarif)
    del broken["version"]
    broken["runs"][0]["results"][0]["level"] = "catastrophic"
    if validator.is_valid(broken):
        fail("the schema accepted a deliberately broken SARIF log; the check is not working")

    results = sarif["runs"][0]["results"]
    if len(results) != 2 or results[0]["ruleId"] != "CR001":
        fail("unexpected SARIF results: %r" % [r.get("ruleId") for r in results])
    flow = results[0]["codeFlows"][0]["threadFlows"][0]["locations"]
    if len(flow) != 9:
        fail("the CR001 code flow has %d locations, expected 9" % len(flow))

    # JUnit: a real XML parser must accept it, hostile names included.
    # The Jenkins xunit schema (tests/data/junit/junit-10.xsd) takes the hostile fixture too.
    proc = subprocess.run(["xmllint", "--noout", "--schema", args.junit_schema,
                           os.path.join(args.out, "result.xml")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        print("FAIL: result.xml does not validate against the xunit schema:\n" + proc.stderr.decode()[-3000:],
              file=sys.stderr)
        sys.exit(1)
    with open(os.path.join(args.out, "result.xml"), "rb") as f:
        doc = xml.dom.minidom.parseString(f.read())
    suites = doc.getElementsByTagName("testsuite")
    if len(suites) != 5:
        fail("JUnit has %d test suites, expected 5" % len(suites))
    names = [s.getAttribute("name") for s in suites]
    if "specs/evil/<script>alert(1)</script>\"&'.spec" not in names:
        fail("hostile spec path did not survive XML escaping: %r" % names)
    if len(doc.getElementsByTagName("script")) != 0:
        fail("JUnit contains a <script> element")

    with open(os.path.join(args.out, "result.json"), encoding="utf-8") as f:
        result = json.load(f)
    if result.get("schema") != "cancelcheck-result" or result.get("version") != 2:
        fail("JSON result has the wrong schema header")

    print("SARIF valid against %s; JUnit well-formed; JSON header ok" % os.path.basename(args.schema))


if __name__ == "__main__":
    main()
