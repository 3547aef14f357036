"""Helpers of the AWS functional tests: generated services, cfn-lint, free ports, feature probes."""

from __future__ import annotations

import socket
from pathlib import Path


def generated_service(root: Path, count: int, *, requirements: str = "# no dependencies\n") -> Path:
    """A service with ``count`` functions over every trigger kind (no workflows), written to ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "src").mkdir(exist_ok=True)
    (root / "requirements.txt").write_text(requirements)
    lines = ["service: big-svc", "runtime: python3.12", "provider: aws", "stage: dev",
             "providers:", "  aws: {region: us-east-1, architecture: x86_64}",
             "buckets:", "  files: {}",
             "topics:", "  news: {}",
             "queues:"]
    for q in range(5):
        lines.append(f"  jobs-{q}: {{visibility_timeout: 60s, dead_letter: {{max_receives: 3}}}}")
    lines.append("functions:")
    for i in range(count):
        (root / "src" / f"f{i}.py").write_text(f"def handle(event, ctx):\n    return {{'n': {i}}}\n")
        kind = i % 5
        if kind == 0:
            trigger = f"http: {{method: GET, path: \"/items{i}/{{id}}\"}}"
        elif kind == 1:
            trigger = f"queue: {{name: jobs-{i % 5}, batch_size: 5}}"
        elif kind == 2:
            trigger = "topic: {name: news}"
        elif kind == 3:
            trigger = f"schedule: {{rate: {i % 50 + 1}m}}"
        else:
            trigger = f"http: {{method: POST, path: /items{i}}}"
        lines += [f"  f{i}:", f"    handler: src/f{i}.py:handle", "    requirements: requirements.txt",
                  f"    permissions: [bucket:files:read, queue:jobs-{i % 5}:send]",
                  f"    triggers: [{{{trigger}}}]"]
    lines += ["  on-file:", "    handler: src/f0.py:handle",
              "    triggers: [{bucket: {name: files, events: [created], prefix: in/}}]"]
    (root / "sls-neutral.yaml").write_text("\n".join(lines) + "\n")
    return root


def cfn_lint_errors(template_text: str) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    matches = lint(template_text, config=ManualArgs(regions=["us-east-1"]))
    return [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




def asl_available() -> bool:
    try:
        from sls_neutral.core.workflows.asl import compile_asl  # noqa: F401
    except ImportError:
        return False
    return True
