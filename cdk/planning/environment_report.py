"""One environment's cost report: the fixed monthly cost of its synthesized resources, grouped by type, and the
usage-based cost per 1,000 requests; as plain text or Markdown.

    report = environment_report("prod", "eu-west-1", templates, allowed_models, endpoint=row)
    print(render(report, markdown=False))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cdk.planning.resource_costs import Charge, Kind, PricingContext, ResourceCost, price_resources
from cdk.planning.service_prices import ServicePrices, load_service_prices
from cdk.planning.usage_costs import TYPICAL_INPUT_CHARS, UsageRow, platform_of, usage_rows

__all__ = ["CUSTOM_METRICS", "EnvironmentReport", "TypeLine", "environment_report", "render"]

# Not a resource type: the orchestrator's embedded-metric-format series, each billed as a custom metric for every
# month it is published in (CloudWatch pricing: per metric-month, prorated by the hour).
CUSTOM_METRICS = "CloudWatch custom metrics (EMF)"


@dataclass(frozen=True)
class TypeLine:
    resource_type: str
    kind: Kind
    count: int
    monthly: float | None
    note: str
    unverified: bool


@dataclass(frozen=True)
class EnvironmentReport:
    name: str
    region: str
    lines: tuple[TypeLine, ...]
    usage: tuple[UsageRow, ...]
    prices_as_of: str

    @property
    def fixed_total(self) -> float:
        return sum(line.monthly for line in self.lines if line.monthly is not None)

    @property
    def missing(self) -> tuple[TypeLine, ...]:
        """Billable lines without a number: unpriced types and priced types whose price is missing here."""
        return tuple(line for line in self.lines if line.kind is not Kind.FREE and line.monthly is None)

    @property
    def fixed(self) -> tuple[TypeLine, ...]:
        """The fixed-cost table's lines: priced and unpriced types, and usage types with a fixed part (SnapStart)."""
        return tuple(line for line in self.lines
                     if line.kind in (Kind.PRICED, Kind.UNPRICED) or (line.kind is Kind.USAGE and line.monthly != 0))


def _group(costs: Iterable[ResourceCost]) -> tuple[TypeLine, ...]:
    by_type: dict[str, list[ResourceCost]] = {}
    for cost in costs:
        by_type.setdefault(cost.resource_type, []).append(cost)
    lines = []
    for resource_type, group in by_type.items():
        kind = group[0].kind
        values = [cost.monthly for cost in group]
        monthly = None if any(value is None for value in values) else sum(values, 0.0)
        if kind is Kind.FREE or (kind is Kind.USAGE and not any(cost.charges for cost in group)):
            monthly = 0.0
        details = sorted({charge.note for cost in group for charge in cost.charges if charge.note})
        note = group[0].note + (f" ({'; '.join(details[:3])}{'; ...' if len(details) > 3 else ''})" if details else "")
        missing = sorted({charge.price.source for cost in group for charge in cost.charges if charge.price.usd is None})
        if missing:
            note += f"; missing price: {', '.join(missing)}"
        unverified = any(not charge.price.verified for cost in group for charge in cost.charges)
        lines.append(TypeLine(resource_type, kind, len(group), monthly, note, unverified))
    order = {Kind.PRICED: 0, Kind.UNPRICED: 1, Kind.USAGE: 2, Kind.FREE: 3}
    return tuple(sorted(lines, key=lambda line: (order[line.kind], -(line.monthly or 0), line.resource_type)))


def environment_report(name: str, region: str, templates: Mapping[str, Mapping[str, Any]],
                       allowed_models: Iterable[str], *, endpoint: Mapping[str, Any] | None = None,
                       prices: ServicePrices | None = None, trail_first_copy: bool = False) -> EnvironmentReport:
    """``templates`` maps stack names to synthesized templates; ``endpoint`` is the SageMaker endpoint's
    ``monthly_fixed_cost`` row when the environment runs one; ``trail_first_copy``: its trail (if any) is the
    account's first copy of management events (free)."""
    prices = prices or load_service_prices()
    context = PricingContext(region=region, prices=prices, endpoint=endpoint, trail_first_copy=trail_first_copy)
    costs = [cost for stack, template in templates.items() for cost in price_resources(stack, template, context)]
    usage = usage_rows(list(allowed_models), platform_of(templates.values()), prices, region)
    if usage:
        costs += _custom_metrics(len(usage), context)
    return EnvironmentReport(name, region, _group(costs), tuple(usage), prices.as_of.isoformat())


def _custom_metrics(pairs: int, context: PricingContext) -> list[ResourceCost]:
    """The series the orchestrator's metrics contract (service_metrics.APP_DIMENSION_SETS, which the dashboard and
    alarms read) yields once every (use case, model) pair has run: the per-call metrics once per pair, every other
    metric at least once (more as PII entity types, block reasons, filter checks and status classes occur)."""
    from cdk.components.service_metrics.metrics import APP_DIMENSION_SETS  # imports aws_cdk: only when reporting

    per_call = [name for name, dimensions in APP_DIMENSION_SETS.items() if {"model", "use_case"} <= set(dimensions)]
    others = len(APP_DIMENSION_SETS) - len(per_call)
    count = len(per_call) * pairs + others
    note = (f"{len(per_call)} per (use case, model) pair x {pairs} + at least 1 each of {others} more; more as PII "
            "entity types, block reasons and filter checks occur")
    charge = Charge(1, context.price("cloudwatch.custom_metric_month"), note)
    return [ResourceCost("", f"series {index}", CUSTOM_METRICS, Kind.PRICED, (charge,),
                         "the orchestrator's EMF series, each a custom metric-month once published")
            for index in range(count)]


def _money(value: float | None, unverified: bool = False, markdown: bool = False) -> str:
    mark = ("\\*" if markdown else "*") if unverified else ""
    return "n/a" if value is None else f"{value:,.2f}{mark}"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], numeric: set[int], markdown: bool) -> list[str]:
    if markdown:
        align = ["---:" if i in numeric else "---" for i in range(len(header))]
        return ["| " + " | ".join(line) + " |" for line in [header, tuple(align), *rows]]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]

    def fmt(line: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(line)).rstrip()

    return [fmt(header), fmt(tuple("-" * w for w in widths)), *(fmt(line) for line in rows)]


def render(report: EnvironmentReport, *, markdown: bool = False) -> str:
    title = f"{report.name} ({report.region})"
    star = "\\*" if markdown else "*"
    out = [f"### {title}" if markdown else f"== {title} ==", "",
           f"Fixed monthly cost (USD, 730 h/month; {star} = price not verified):", ""]
    rows = [(line.resource_type, line.kind.value, str(line.count), _money(line.monthly, line.unverified, markdown), line.note)
            for line in report.fixed]
    out += _table(("type", "class", "count", "monthly", "what bills"), rows, {2, 3}, markdown)
    out += ["", f"Fixed total: {report.fixed_total:,.2f} USD per month"
                + (f" ({len(report.missing)} billable type(s) without a price left out: "
                   f"{', '.join(line.resource_type for line in report.missing)})" if report.missing else "")]
    usage_types = sorted(line.resource_type for line in report.lines if line.kind is Kind.USAGE
                         and line not in report.fixed)
    free_types = sorted(line.resource_type for line in report.lines if line.kind is Kind.FREE)
    out += ["", f"No fixed cost, billed by usage: {', '.join(usage_types) or 'none'}.",
            f"No charge of their own: {', '.join(free_types) or 'none'}."]
    if report.usage:
        out += ["", f"Usage cost per 1,000 requests (USD; {TYPICAL_INPUT_CHARS:,} characters of input, the use case's default "
                "max_new_tokens as output; model + safety filters + Lambda/API/WAF/logs/DynamoDB):", ""]
        usage = [(row.use_case, row.model, f"{row.input_tokens:,}", f"{row.output_tokens:,}",
                  *(_money(value, True, markdown) for value in (row.model_usd, row.safety_usd, row.platform_usd,
                                                                row.total_usd)))
                 for row in report.usage]
        out += _table(("use case", "model", "in tok", "out tok", "model", "safety", "platform", "total"), usage,
                      {2, 3, 4, 5, 6, 7}, markdown)
        unpriced_models = sorted({row.model for row in report.usage if row.model_usd is None})
        if unpriced_models:
            out += ["", f"No token price for {', '.join(unpriced_models)} with this routing in cdk/config/bedrock_models.json "
                        "(only the in-Region us-east-1 price is known): totals left n/a."]
    out += ["", f"Service prices as of {report.prices_as_of} (cdk/planning/service_prices.json), model prices from "
                "cdk/config/bedrock_models.json; none verified against the AWS Price List API."]
    return "\n".join(out)
