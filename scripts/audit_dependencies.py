"""Audit the installed dependencies with pip-audit; fail only on a vulnerability with a fix.

``make audit`` (and so ``make test-all``) runs this. pip-audit alone fails on any known
vulnerability, even one nobody can fix yet; here a finding fails the build only when
pip-audit names a version that fixes it, so the answer is always "upgrade to X".
Findings without a fix are printed as notices.

pip-audit needs a vulnerability service on the network (PyPI's JSON API, or OSV). When
neither can be reached, or it answers for no dependency, nothing was audited: this prints
a loud WARNING and exits 0, so an offline machine can still run the tests. Set
``AUDIT_STRICT=1`` to make that a failure instead (for a CI that must audit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SERVICES = ("pypi", "osv")


def run_pip_audit(service: str) -> tuple[dict | None, str]:
    """Return pip-audit's JSON report with ``service`` (None if it gave none) and stderr."""
    command = [
        sys.executable, "-m", "pip_audit",
        "--progress-spinner", "off", "--skip-editable",
        "--vulnerability-service", service, "--format", "json",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        return json.loads(done.stdout), done.stderr
    except json.JSONDecodeError:
        return None, done.stderr


def warn(message: str) -> int:
    print(f"WARNING: dependency audit NOT done: {message}", file=sys.stderr)
    return 1 if os.environ.get("AUDIT_STRICT") == "1" else 0


def main() -> int:
    problems = []
    for service in SERVICES:
        report, stderr = run_pip_audit(service)
        if report is None:
            last = stderr.strip().splitlines()[-1:] or ["no output"]
            problems.append(f"{service}: pip-audit gave no report ({last[0][:300]})")
            continue
        dependencies = report.get("dependencies", [])
        audited = [d for d in dependencies if "skip_reason" not in d]
        if not audited:
            problems.append(
                f"{service}: none of {len(dependencies)} dependencies could be looked up "
                "(the vulnerability service did not answer for them)"
            )
            continue
        return verdict(service, dependencies, audited)
    return warn("; ".join(problems))


def verdict(service: str, dependencies: list[dict], audited: list[dict]) -> int:
    skipped = [d for d in dependencies if "skip_reason" in d]
    fixable, unfixable = [], []
    for dependency in audited:
        for vuln in dependency.get("vulns", []):
            entry = (dependency["name"], dependency["version"], vuln)
            (fixable if vuln.get("fix_versions") else unfixable).append(entry)
    for name, version, vuln in unfixable:
        print(f"notice: {name} {version}: {vuln['id']} has no fixed version yet")
    for dependency in skipped:
        print(f"notice: not audited: {dependency['name']}: {dependency['skip_reason']}")
    for name, version, vuln in fixable:
        fixes = ", ".join(vuln["fix_versions"])
        print(f"VULNERABLE: {name} {version}: {vuln['id']}: upgrade to {fixes}")
    print(
        f"pip-audit ({service}): {len(audited)} audited, {len(skipped)} not audited, "
        f"{len(fixable)} fixable and {len(unfixable)} unfixable known vulnerabilities"
    )
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main())
