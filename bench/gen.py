"""Generate the same service in two formats: an sls-neutral manifest and a Serverless Framework v3 serverless.yml.

Shape (the issue's realistic mix): 60 % http, 20 % queue consumers on N/20 queues,
10 % schedules, 10 % topic subscribers; handlers spread over modules of 10.

    python bench/gen.py 200 /tmp/svc200
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PER_MODULE = 10


def plan(n: int) -> list[dict]:
    """One entry per function: name, kind, module, resource."""
    queues = max(1, n // 20)
    topics = max(1, n // 50)
    out = []
    for i in range(n):
        bucket = i % 10
        kind = "http" if bucket < 6 else "queue" if bucket < 8 else "schedule" if bucket == 8 else "topic"
        entry = {"name": f"fn{i:04d}", "kind": kind, "module": f"handlers/mod{i // PER_MODULE:03d}",
                 "func": f"handle_{i:04d}"}
        if kind == "queue":
            entry["resource"] = f"queue{i % queues:03d}"
        elif kind == "topic":
            entry["resource"] = f"topic{i % topics:03d}"
        out.append(entry)
    return out


def write_handlers(root: Path, functions: list[dict]) -> None:
    modules: dict[str, list[dict]] = {}
    for f in functions:
        modules.setdefault(f["module"], []).append(f)
    (root / "handlers").mkdir(parents=True, exist_ok=True)
    (root / "handlers" / "__init__.py").write_text("")
    for module, fns in modules.items():
        lines = ['"""Generated handlers."""', "", "import json", ""]
        for f in fns:
            lines += [f"def {f['func']}(event, context):", f"    return {{\"fn\": {json.dumps(f['name'])}}}", "", ""]
        (root / f"{module}.py").write_text("\n".join(lines).rstrip() + "\n")


def neutral_manifest(n: int, functions: list[dict]) -> str:
    queues = sorted({f["resource"] for f in functions if f["kind"] == "queue"})
    topics = sorted({f["resource"] for f in functions if f["kind"] == "topic"})
    lines = [f"service: bench{n}", "runtime: python3.12", "provider: aws",
             "providers:", "  aws: {region: us-east-1}",
             "  gcp: {project: bench-project, region: us-central1}",
             "  azure: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: bench-rg, "
             "location: eastus}",
             "defaults:", "  memory: 256MB", "  timeout: 10s", "queues:"]
    lines += [f"  {q}:\n    visibility_timeout: 1m\n    dead_letter: {{max_receives: 5}}" for q in queues] or ["  {}"]
    lines += ["topics:"] + [f"  {t}: {{}}" for t in topics]
    lines += ["functions:"]
    for f in functions:
        lines += [f"  {f['name']}:", f"    handler: {f['module']}.py:{f['func']}"]
        if f["kind"] == "http":
            lines += ["    triggers:", f"      - http: {{method: GET, path: /{f['name']}}}"]
        elif f["kind"] == "queue":
            lines += ["    idempotent: true", "    triggers:", f"      - queue: {{name: {f['resource']}, batch_size: 10}}"]
        elif f["kind"] == "schedule":
            lines += ["    triggers:", "      - schedule: {rate: 1h}"]
        else:
            lines += ["    idempotent: true", "    triggers:", f"      - topic: {{name: {f['resource']}}}"]
    return "\n".join(lines) + "\n"


def serverless_yml(n: int, functions: list[dict], individually: bool = False) -> str:
    """``individually``: one zip per function, as sls-neutral always packages (the peer's default is one zip
    of the whole service)."""
    queues = sorted({f["resource"] for f in functions if f["kind"] == "queue"})
    lines = [f"service: bench{n}", "frameworkVersion: '3'", "provider:", "  name: aws", "  runtime: python3.12",
             "  region: us-east-1", "  memorySize: 256", "  timeout: 10", "package:",
             f"  individually: {str(individually).lower()}", "functions:"]
    for f in functions:
        lines += [f"  {f['name']}:", f"    handler: {f['module']}.{f['func']}", "    events:"]
        if f["kind"] == "http":
            lines += [f"      - httpApi: {{method: GET, path: /{f['name']}}}"]
        elif f["kind"] == "queue":
            logical = "Q" + f["resource"].replace("-", "")
            lines += ["      - sqs:", f"          arn: !GetAtt {logical}.Arn", "          batchSize: 10"]
        elif f["kind"] == "schedule":
            lines += ["      - schedule: rate(1 hour)"]
        else:
            lines += [f"      - sns: {f['resource']}"]
    lines += ["resources:", "  Resources:"]
    for q in queues:
        logical = "Q" + q.replace("-", "")
        lines += [f"    {logical}:", "      Type: AWS::SQS::Queue", "      Properties:", f"        QueueName: {q}",
                  "        VisibilityTimeout: 60", "        RedrivePolicy:",
                  f"          deadLetterTargetArn: !GetAtt {logical}Dlq.Arn", "          maxReceiveCount: 5",
                  f"    {logical}Dlq:", "      Type: AWS::SQS::Queue", "      Properties:",
                  f"        QueueName: {q}-dlq"]
    return "\n".join(lines) + "\n"


def generate(n: int, root: Path, individually: bool = False) -> Path:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    functions = plan(n)
    write_handlers(root, functions)
    (root / "sls-neutral.yaml").write_text(neutral_manifest(n, functions))
    (root / "serverless.yml").write_text(serverless_yml(n, functions, individually))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--individually", action="store_true",
                        help="serverless.yml packages each function on its own (package.individually: true)")
    args = parser.parse_args()
    print(generate(args.n, args.out, args.individually))


if __name__ == "__main__":
    main()
