"""Runs the CI recipes of docs/ci.md.

Reads the page's YAML blocks (GitHub Actions, Azure Pipelines, GitLab CI) and its `sh` block
that writes the baseline. For each recipe, in a scratch folder holding a copy of specs/kmdf:
writes the baseline with the page's command, then runs every command of every step but the one
that builds cancelcheck (the built binary is first on PATH instead), with the recipe's
variables, as the CI service would (bash, stop at the first failing command). Each step must
exit 0; the files the publishing steps name must exist; the SARIF must validate against the
SARIF 2.1.0 schema and the JUnit against the Jenkins xunit schema. Then a baseline without one
of its entries must make the check step fail (exit 1).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

BUILD_STEP = "Build cancelcheck"


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def blocks(markdown, language):
    return re.findall(r"```%s\n(.*?)```" % language, markdown, re.S)


def github_recipe(doc):
    (job,) = doc["jobs"].values()
    commands = [s["run"] for s in job["steps"] if "run" in s and s.get("name") != BUILD_STEP]
    published = []
    for s in job["steps"]:
        uses = s.get("uses", "")
        if uses.startswith("github/codeql-action/upload-sarif"):
            published.append(("sarif", s["with"]["sarif_file"]))
        elif uses.startswith("actions/upload-artifact"):
            published.append(("any", s["with"]["path"]))
    if not any(s.get("name") == BUILD_STEP for s in job["steps"]):
        fail("GitHub recipe: no '%s' step" % BUILD_STEP)
    return job.get("env", {}), commands, published


def azure_recipe(doc):
    commands = [s["script"] for s in doc["steps"] if "script" in s and s.get("displayName") != BUILD_STEP]
    published = []
    for s in doc["steps"]:
        task = s.get("task", "")
        if task.startswith("PublishTestResults@"):
            if s["inputs"]["testResultsFormat"] != "JUnit":
                fail("Azure recipe: test results are not published as JUnit")
            published.append(("junit", s["inputs"]["testResultsFiles"]))
        elif task.startswith("PublishBuildArtifacts@"):
            path = s["inputs"]["PathtoPublish"]
            published.append(("sarif" if path.endswith(".sarif") else "any", path))
            if path.endswith(".sarif") and s["inputs"]["ArtifactName"] != "CodeAnalysisLogs":
                fail("Azure recipe: the Scans tab reads the CodeAnalysisLogs artefact")
    return doc.get("variables", {}), commands, published


def gitlab_recipe(doc):
    (job,) = [v for k, v in doc.items() if isinstance(v, dict) and "script" in v]
    commands = ["\n".join(job["script"])]
    published = [("junit", job["artifacts"]["reports"]["junit"])] + [("any", p) for p in job["artifacts"]["paths"]]
    if job["artifacts"].get("when") != "always":
        fail("GitLab recipe: artefacts must be kept when the check fails")
    return job.get("variables", {}), commands, published


def run_commands(name, commands, env, cwd, expect=0):
    for command in commands:
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
        if proc.returncode != expect:
            fail("%s: %r exited %d, expected %d:\n%s%s" % (name, command, proc.returncode, expect,
                                                           proc.stdout[-3000:], proc.stderr[-2000:]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cancelcheck", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--sarif-schema", required=True)
    parser.add_argument("--junit-schema", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import jsonschema

    with open(os.path.join(args.source_dir, "docs", "ci.md"), encoding="utf-8") as f:
        page = f.read()
    (accept,) = [b for b in blocks(page, "sh") if "--write-baseline" in b]
    docs = [yaml.safe_load(b) for b in blocks(page, "yaml")]
    recipes = {"GitHub Actions": github_recipe, "Azure Pipelines": azure_recipe, "GitLab CI": gitlab_recipe}
    if len(docs) != len(recipes):
        fail("docs/ci.md has %d YAML blocks, expected %d" % (len(docs), len(recipes)))
    with open(args.sarif_schema, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.validators.validator_for(schema)(schema)

    env = dict(os.environ)
    env["PATH"] = os.path.dirname(os.path.abspath(args.cancelcheck)) + os.pathsep + env.get("PATH", "")
    env.pop("NO_COLOR", None)
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    for (name, reader), doc in zip(recipes.items(), docs):
        variables, commands, published = reader(doc)
        if not commands or not any("cancelcheck check" in c for c in commands):
            fail("%s: no step runs 'cancelcheck check'" % name)
        work = os.path.join(out, name.split()[0].lower())
        shutil.copytree(os.path.join(args.source_dir, "specs", "kmdf"), os.path.join(work, "specs", "kmdf"))
        # A checkout: the scratch folder is a repository root (the default --source-root).
        subprocess.run(["git", "init", "-q", work], check=True)
        run_env = dict(env, **{k: str(v) for k, v in variables.items()})
        run_commands(name + " (accept)", [accept], run_env, work)
        run_commands(name, commands, run_env, work)
        for kind, path in published:
            full = os.path.join(work, path)
            if not os.path.exists(full):
                fail("%s: the recipe publishes %s, which was not written" % (name, path))
            if kind == "sarif":
                with open(full, encoding="utf-8") as f:
                    errors = list(validator.iter_errors(json.load(f)))
                if errors:
                    fail("%s: %s is not valid SARIF: %s" % (name, path, errors[0].message[:300]))
                with open(full, encoding="utf-8") as f:
                    results = json.load(f)["runs"][0]["results"]
                uris = set(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
                if not results or not all(u.startswith("specs/kmdf/") for u in uris):
                    fail("%s: SARIF URIs are not relative to the checkout: %r" % (name, sorted(uris)[:3]))
        junit = [p for k, p in published if k == "junit"] or ["out/cancelcheck.xml"]
        for path in junit:
            proc = subprocess.run(["xmllint", "--noout", "--schema", args.junit_schema, os.path.join(work, path)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if proc.returncode != 0:
                fail("%s: %s does not validate against the xunit schema:\n%s" % (name, path, proc.stderr[-2000:]))
        # A violation the baseline does not know fails the check step.
        baseline_path = os.path.join(work, "cancelcheck-baseline.json")
        with open(baseline_path, encoding="utf-8") as f:
            baseline = json.load(f)
        if len(baseline["accepted"]) < 10:
            fail("%s: the baseline holds only %d entries" % (name, len(baseline["accepted"])))
        baseline["accepted"].pop(0)
        with open(baseline_path, "w", encoding="utf-8") as f:
            json.dump(baseline, f)
        run_commands(name + " (new violation)", [c for c in commands if "cancelcheck check" in c], run_env, work,
                     expect=1)
        print("%s: %d step(s) ran, %d published file(s) checked" % (name, len(commands), len(published)))


if __name__ == "__main__":
    main()
