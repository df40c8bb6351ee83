"""Validates the machine-readable reports of real cancelcheck runs.

Runs the built checker over the repository's specs/ with --sarif, --junit, --json and --html,
then: SARIF against the OASIS SARIF 2.1.0 schema (python3-jsonschema), JUnit with a real XML
parser (a suite per spec, a test case per rule, each failure holding its trace), the JSON
result against what the other two say. Then the same for a spec whose title, folder and file
name are markup, and for a run with a baseline (suppressed results stay valid SARIF).
JUnit is validated against the Jenkins xunit schema (tests/data/junit/junit-10.xsd, xmllint).
SARIF is checked against GitHub code scanning's ingestion rules too, and its fingerprints are
compared across runs from three working directories. Fails loudly on any mismatch.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import xml.dom.minidom

HOSTILE_TITLE = "<script>alert(1)</script> & \"quoted\" 'single' </title><b>bold</b>"
HOSTILE_FOLDER = "<img src=x onerror=alert(2)>&'\""
HOSTILE_FILE = "a<b>&'\"z.spec"


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def run(cancelcheck, cwd, args, expect):
    proc = subprocess.run([cancelcheck, "check", "--no-color"] + args, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=600)
    if proc.returncode != expect:
        fail("cancelcheck %s exited with %d, expected %d:\n%s%s" % (" ".join(args), proc.returncode, expect,
             proc.stdout.decode(errors="replace")[-3000:], proc.stderr.decode(errors="replace")[-2000:]))
    return proc.stdout.decode("utf-8", errors="replace")


def validate_sarif(validator, path, what):
    with open(path, encoding="utf-8") as f:
        sarif = json.load(f)
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.absolute_path))
    for error in errors[:20]:
        print("%s: schema error at /%s: %s" % (what, "/".join(str(p) for p in error.absolute_path),
                                                error.message[:300]), file=sys.stderr)
    if errors:
        fail("%s: %d SARIF schema violation(s)" % (what, len(errors)))
    return sarif


def validate_junit(xsd, path, what):
    proc = subprocess.run(["xmllint", "--noout", "--schema", xsd, path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if proc.returncode != 0:
        fail("%s: JUnit does not validate against %s:\n%s" % (what, xsd, proc.stderr.decode()[-3000:]))


# GitHub code scanning's SARIF upload rules and limits (docs: "SARIF support for code scanning").
GITHUB_LIMITS = {"runs": 20, "results": 25000, "rules": 25000, "thread_flow_locations": 10000,
                 "locations": 1000, "related": 1000, "tags": 20}


def check_github_rules(sarif, what, root_uri):
    if len(sarif["runs"]) > GITHUB_LIMITS["runs"]:
        fail("%s: more runs than code scanning takes" % what)
    run0 = sarif["runs"][0]
    driver = run0["tool"]["driver"]
    if not driver.get("informationUri", "").startswith("https://"):
        fail("%s: tool.driver.informationUri missing" % what)
    if not run0.get("automationDetails", {}).get("id", "").endswith("/"):
        fail("%s: automationDetails.id must be '<category>/'" % what)
    base = run0.get("originalUriBaseIds", {}).get("SRCROOT", {}).get("uri", "")
    if base != root_uri:
        fail("%s: originalUriBaseIds.SRCROOT is %r, expected %r" % (what, base, root_uri))
    if len(driver["rules"]) > GITHUB_LIMITS["rules"]:
        fail("%s: too many rules" % what)
    for rule in driver["rules"]:
        if not rule.get("helpUri", "").startswith("https://") or not rule.get("help", {}).get("text"):
            fail("%s: rule %s lacks helpUri or help" % (what, rule["id"]))
        if len(rule["properties"]["tags"]) > GITHUB_LIMITS["tags"]:
            fail("%s: rule %s has too many tags" % (what, rule["id"]))
    if len(run0["results"]) > GITHUB_LIMITS["results"]:
        fail("%s: too many results" % what)
    for r in run0["results"]:
        if not r.get("message", {}).get("text") or not r.get("ruleId"):
            fail("%s: a result without ruleId or message.text" % what)
        if r.get("baselineState") not in ("new", "unchanged", "updated", "absent"):
            fail("%s: result without baselineState" % what)
        if not r.get("partialFingerprints"):
            fail("%s: result without partialFingerprints" % what)
        if len(r["locations"]) > GITHUB_LIMITS["locations"] or len(r.get("relatedLocations", [])) > GITHUB_LIMITS["related"]:
            fail("%s: too many locations" % what)
        for loc in r["locations"] + r.get("relatedLocations", []):
            art = loc["physicalLocation"]["artifactLocation"]
            # Code scanning maps a URI to a repository file: relative under SRCROOT, no "..".
            if art.get("uriBaseId") != "SRCROOT" or art["uri"].startswith(("/", "file:")) or ".." in art["uri"].split("/"):
                fail("%s: artifact location %r is not relative to SRCROOT" % (what, art))
            region = loc["physicalLocation"].get("region")
            if region is not None and region.get("startLine", 0) < 1:
                fail("%s: a region without a startLine" % what)
        for flow in r.get("codeFlows", []):
            for tf in flow["threadFlows"]:
                if len(tf["locations"]) > GITHUB_LIMITS["thread_flow_locations"]:
                    fail("%s: thread flow too long" % what)


def fingerprints(path):
    with open(path, encoding="utf-8") as f:
        sarif = json.load(f)
    return [(r["ruleId"], r["partialFingerprints"]["cancelcheck/v2"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for r in sarif["runs"][0]["results"]]


def reports(out, name):
    d = os.path.join(out, name)
    return d, ["--sarif", os.path.join(d, "r.sarif"), "--junit", os.path.join(d, "r.xml"),
               "--json", os.path.join(d, "r.json"), "--html", os.path.join(d, "html")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cancelcheck", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--junit-schema", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    try:
        import jsonschema
    except ImportError:
        fail("python3-jsonschema is not installed (apt-get install python3-jsonschema)")

    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    source = os.path.abspath(args.source_dir)
    cancelcheck = os.path.abspath(args.cancelcheck)

    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=jsonschema.FormatChecker())

    # 1. The whole corpus: violations, so exit 1.
    d, outputs = reports(out, "corpus")
    run(cancelcheck, source, ["specs/"] + outputs, 1)
    for name in ("r.sarif", "r.xml", "r.json", "html/index.html"):
        if not os.path.isfile(os.path.join(d, name)):
            fail("corpus: %s was not written" % name)
    with open(os.path.join(d, "r.json"), encoding="utf-8") as f:
        result = json.load(f)
    if result.get("schema") != "cancelcheck-result" or result.get("version") != 2:
        fail("corpus: JSON result has the wrong schema header")
    specs = result["specs"]
    violations = [(s["path"], v) for s in specs for v in s["violations"]]
    if not violations:
        fail("corpus: no violations in the JSON result")

    sarif = validate_sarif(validator, os.path.join(d, "r.sarif"), "corpus")
    # The validator must be able to reject: a log with a bad level and no version is invalid.
    broken = json.loads(json.dumps(sarif))
    del broken["version"]
    broken["runs"][0]["results"][0]["level"] = "catastrophic"
    if validator.is_valid(broken):
        fail("the schema accepted a deliberately broken SARIF log; the check is not working")
    run0 = sarif["runs"][0]
    rules = run0["tool"]["driver"]["rules"]
    results = run0["results"]
    if len(results) != len(violations):
        fail("corpus: %d SARIF results for %d violations" % (len(results), len(violations)))
    for (path, v), r in zip(violations, results):
        if r["ruleId"] != v["rule"] or r["properties"]["spec"] != path:
            fail("corpus: SARIF result %s/%s does not match %s/%s" % (r["ruleId"], r["properties"]["spec"],
                                                                   v["rule"], path))
        flow = r["codeFlows"][0]["threadFlows"][0]["locations"]
        if len(flow) != len(v["trace"]):
            fail("corpus: %s: code flow of %d locations for a %d-step trace" % (path, len(flow), len(v["trace"])))
        essential = [l["executionOrder"] for l in flow if l["importance"] == "essential"]
        expected = sorted(set([i + 1 for i in v["racing_steps"]] +
                              ([v["violating_step"] + 1] if v["violating_step"] is not None else [])))
        if essential != expected:
            fail("corpus: %s: essential steps %r, expected %r" % (path, essential, expected))
        if rules[r["ruleIndex"]]["id"] != r["ruleId"]:
            fail("corpus: ruleIndex does not point at the rule")

    check_github_rules(sarif, "corpus", "file://" + os.path.realpath(source) + "/")
    validate_junit(args.junit_schema, os.path.join(d, "r.xml"), "corpus")
    # The schema must be able to reject: "skipped" on <testsuites> is what Jenkins refused.
    with open(os.path.join(d, "r.xml"), encoding="utf-8") as f:
        junit_text = f.read()
    broken_xml = os.path.join(out, "broken-junit.xml")
    with open(broken_xml, "w", encoding="utf-8") as f:
        f.write(junit_text.replace('<testsuites name="cancelcheck"', '<testsuites name="cancelcheck" skipped="1"', 1))
    if subprocess.run(["xmllint", "--noout", "--schema", args.junit_schema, broken_xml],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
        fail("the xunit schema accepted <testsuites skipped=...>; the check is not working")

    # Fingerprints do not depend on the working directory: the same specs from the source
    # folder, from specs/ and, with --source-root, from an unrelated folder by absolute path.
    fp_root = fingerprints(os.path.join(d, "r.sarif"))
    from_specs = os.path.join(out, "from-specs.sarif")
    run(cancelcheck, os.path.join(source, "specs"), [".", "--sarif", from_specs], 1)
    elsewhere = os.path.join(out, "elsewhere")
    os.makedirs(elsewhere)
    run(cancelcheck, elsewhere, [os.path.join(source, "specs"), "--source-root", source, "--sarif", "r.sarif"], 1)
    for other in (from_specs, os.path.join(elsewhere, "r.sarif")):
        if sorted(fingerprints(other)) != sorted(fp_root):
            fail("fingerprints or URIs of %s differ from the run in the source folder" % other)

    with open(os.path.join(d, "r.xml"), "rb") as f:
        doc = xml.dom.minidom.parseString(f.read())
    suites = doc.getElementsByTagName("testsuite")
    if [s.getAttribute("name") for s in suites] != [s["path"] for s in specs]:
        fail("corpus: JUnit suites do not match the specs one to one")
    for suite, spec in zip(suites, specs):
        cases = suite.getElementsByTagName("testcase")
        if len(cases) != len(rules):
            fail("corpus: %s: %d test cases, expected one per rule (%d)" % (spec["path"], len(cases), len(rules)))
        failures = suite.getElementsByTagName("failure")
        if len(failures) != len(spec["violations"]):
            fail("corpus: %s: %d failures for %d violations" % (spec["path"], len(failures), len(spec["violations"])))
        for failure, v in zip(failures, spec["violations"]):
            text = "".join(n.data for n in failure.childNodes if n.nodeType == n.TEXT_NODE)
            if failure.getAttribute("type") != v["rule"] or "trace (%d step" % len(v["trace"]) not in text:
                fail("corpus: %s: the failure does not hold the %s trace:\n%s" % (spec["path"], v["rule"], text[:800]))
            last = v["trace"][-1]["action"]
            if last not in text:
                fail("corpus: %s: the failure text lacks the last step %r" % (spec["path"], last))
        if spec["verdict"] == "incomplete":
            skipped = suite.getElementsByTagName("skipped")
            if len(skipped) != len(rules) or spec["incomplete_reason"] not in skipped[0].getAttribute("message"):
                fail("corpus: %s: incomplete spec without skipped cases and the reason" % spec["path"])

    # 2. A spec whose title, folder and file name are markup.
    evil = os.path.join(out, "evil")
    folder = os.path.join(evil, HOSTILE_FOLDER)
    os.makedirs(folder)
    with open(os.path.join(source, "specs/kmdf/cr001_double_completion.spec"), encoding="utf-8") as f:
        text = f.read()
    old = 'spec "cancel routine and timer DPC both complete the read";'
    if old not in text:
        fail("cr001 spec title changed; update this test")
    with open(os.path.join(folder, HOSTILE_FILE), "w", encoding="utf-8") as f:
        f.write(text.replace(old, 'spec "%s";' % HOSTILE_TITLE.replace('"', '\\"')))
    run(cancelcheck, evil, [HOSTILE_FOLDER, "--source-root", ".", "--sarif", "r.sarif", "--junit", "r.xml", "--json",
                            "r.json"], 1)
    sarif = validate_sarif(validator, os.path.join(evil, "r.sarif"), "hostile")
    validate_junit(args.junit_schema, os.path.join(evil, "r.xml"), "hostile")
    hostile_path = os.path.join(HOSTILE_FOLDER, HOSTILE_FILE)
    if sarif["runs"][0]["results"][0]["properties"]["spec"] != hostile_path:
        fail("hostile: SARIF spec path changed")
    with open(os.path.join(evil, "r.xml"), "rb") as f:
        doc = xml.dom.minidom.parseString(f.read())
    suite = doc.getElementsByTagName("testsuite")[0]
    if suite.getAttribute("name") != hostile_path:
        fail("hostile: JUnit suite name %r" % suite.getAttribute("name"))
    titles = [p.getAttribute("value") for p in suite.getElementsByTagName("property") if p.getAttribute("name") == "title"]
    if titles != [HOSTILE_TITLE]:
        fail("hostile: JUnit title property %r" % titles)
    for tag in ("script", "img", "b", "title"):
        if doc.getElementsByTagName(tag):
            fail("hostile: JUnit contains a <%s> element" % tag)
    with open(os.path.join(evil, "r.json"), encoding="utf-8") as f:
        result = json.load(f)
    if result["specs"][0]["title"] != HOSTILE_TITLE or result["specs"][0]["path"] != hostile_path:
        fail("hostile: the JSON result does not keep the title and path exactly")

    # 3. A baseline from the KMDF specs accepts all of them: writing it exits 0, checking with it
    # exits 0 with suppressed results (valid SARIF) and passed JUnit cases with a note.
    baseline = os.path.join(out, "baseline.json")
    run(cancelcheck, source, ["specs/kmdf", "--write-baseline", baseline], 0)
    junit_baseline = os.path.join(out, "baseline.xml")
    run(cancelcheck, source, ["specs/kmdf", "--baseline", baseline, "--sarif", os.path.join(out, "baseline.sarif"),
                              "--junit", junit_baseline], 0)
    sarif = validate_sarif(validator, os.path.join(out, "baseline.sarif"), "baseline")
    states = set(r.get("baselineState") for r in sarif["runs"][0]["results"])
    if states != {"unchanged"}:
        fail("baseline: result baseline states %r" % states)
    validate_junit(args.junit_schema, junit_baseline, "baseline")
    with open(junit_baseline, "rb") as f:
        doc = xml.dom.minidom.parseString(f.read())
    if doc.getElementsByTagName("failure") or doc.documentElement.getAttribute("failures") != "0":
        fail("baseline: accepted violations are still JUnit failures")
    notes = [n for n in doc.getElementsByTagName("system-out") if "accepted in the baseline" in n.firstChild.data]
    if len(notes) == 0:
        fail("baseline: no note on the accepted violations")

    print("real run: %d specs, %d violations; SARIF valid against %s (corpus, hostile names, baseline); "
          "JUnit %d suites x %d rules; JSON consistent" % (len(specs), len(violations), os.path.basename(args.schema),
                                                         len(specs), len(rules)))


if __name__ == "__main__":
    main()
