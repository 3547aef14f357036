"""``sls-neutral cost``: read the profile, price the app on every cloud, print and plot it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sls_neutral.core.cost.estimate import PROVIDERS, REPLACEABLE, BILLERS
from sls_neutral.core.cost.profile import build_profile, load_profile_file
from sls_neutral.core.cost.report import build_report, count, money
from sls_neutral.core.errors import SlsnError


def run_cost(project, profile_path: Path | None, plot_path: Path | None, free_tier: bool, output: str) -> dict:
    app = project.app
    raw = load_profile_file(Path(profile_path)) if profile_path else {}
    profile = build_profile(app, raw)
    report = build_report(app, profile, free_tier)
    if plot_path:
        write_plot(app, profile, report, free_tier, Path(plot_path))
        report["plot"] = Path(plot_path).as_posix()
    if output == "json":
        sys.stdout.write(json.dumps(report, indent=2, sort_keys=True) + "\n")
    else:
        render_text(report, profile_path is None)
    return report


def write_plot(app, profile, report: dict, free_tier: bool, path: Path) -> None:
    from sls_neutral.core.cost.plot import render_svg

    if path.suffix.lower() != ".svg":
        raise SlsnError(f"--plot writes SVG, not {path.suffix or 'a file without extension'}",
                        hint="name the chart FILE.svg (convert it to PNG with rsvg-convert or cairosvg if needed)")
    total = profile.total_requests

    def series_for(name: str):
        def cost_at(requests: float) -> float:
            scaled = profile.scaled(requests / total) if total else profile
            return BILLERS[name](app, scaled, free_tier).total(REPLACEABLE)
        return cost_at

    providers = report["providers"]
    svg = render_svg({n: series_for(n) for n in PROVIDERS},
                     {n: providers[n]["container"]["monthly"] for n in PROVIDERS},
                     {n: providers[n]["crossover"]["service"] for n in PROVIDERS}, total,
                     f"{app.service}: serverless vs always-on container"
                     f" ({'free tiers on' if free_tier else 'no free tiers'})")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise SlsnError(f"cannot write the chart to {path}: {exc.strerror}", hint="choose a writable path") from None


def render_text(report: dict[str, Any], default_profile: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    providers = report["providers"]
    table = Table(title=f"Monthly cost (USD, {'free tiers on' if report['free_tier'] else 'no free tiers'})")
    table.add_column("category")
    for name in PROVIDERS:
        table.add_column(name, justify="right")
    categories = sorted({line["category"] for p in providers.values() for line in p["lines"]},
                        key=lambda c: ("compute", "requests", "gateway", "queues", "topics", "schedulers",
                                       "workflows", "always-on").index(c))
    for category in categories:
        cells = []
        for name in PROVIDERS:
            lines = [line for line in providers[name]["lines"] if line["category"] == category]
            flag = " *" if any(line["low_confidence"] for line in lines) else ""
            cells.append(money(sum(line["cost"] for line in lines)) + flag if lines else "-")
        table.add_row(category, *cells)
    table.add_row("total", *(money(providers[n]["total"]) for n in PROVIDERS), style="bold")
    table.add_row("always-on container", *(
        money(providers[n]["container"]["monthly"])
        + (" *" if any(line["low_confidence"] for line in providers[n]["container"]["lines"]) else "")
        for n in PROVIDERS))
    table.add_row("crossover (requests/month)", *(
        count(providers[n]["crossover"]["service"]) if providers[n]["crossover"]["service"] is not None else "never"
        for n in PROVIDERS))
    console.print(table)
    fn_table = Table(title="Crossover per function (requests/month at which a container is cheaper)")
    fn_table.add_column("function")
    for name in PROVIDERS:
        fn_table.add_column(name, justify="right")
    for fn, load in report["profile"]["functions"].items():
        fn_table.add_row(f"{fn} ({count(load['requests'])} req, {load['duration_s'] * 1000:g} ms, "
                         f"{load['memory_mb']} MB)",
                         *(_cross(providers[n]["crossover"]["functions"].get(fn)) for n in PROVIDERS))
    console.print(fn_table)
    for sentence in report["function_summary"]:
        console.print(sentence)
    for sentence in report["summary"]:
        console.print(sentence)
    low = {item for p in providers.values() for item in p["low_confidence"]}
    if low:
        console.print(f"* low-confidence prices (verify before relying on them): {', '.join(sorted(low))}")
    for name in PROVIDERS:
        for item in providers[name]["unpriced"]:
            console.print(f"{name}: not priced: {item}")
        for note in providers[name]["notes"]:
            console.print(f"{name}: note: {note}")
    if default_profile:
        console.print("no --profile given: every function assumed at 1M requests/month, 100 ms "
                      "(write a profile YAML: see docs/cost.md)")
    if "plot" in report:
        console.print(f"chart written to {report['plot']}")


def _cross(value: float | None) -> str:
    return "never" if value is None else count(value) if value else "already"
