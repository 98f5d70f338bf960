"""An experiment's figures per variant and each candidate's difference against control.

What each figure counts, per variant:

- people: the people assigned to it (`Assignment`, one row per person and experiment, kept for the
  experiment's whole life) together with anyone its raw impressions were shown to;
- lists: lists served (impression rows); impressions: items shown, over every list;
- clicked_lists: lists with at least one engagement; clicks: engagements (every action credited to a list);
- ctr_lists = clicked_lists / lists, ctr_items = clicks / impressions;
- conversions: engagements of the kinds in `Engagement.CONVERSIONS` (play, like, favourite, purchase,
  rating of 4 or more); conversion_rate = conversions / impressions;
- coverage: distinct items shown / the workspace's visible items now.

Lists, impressions, clicked lists, clicks and conversions add the raw rows (impressions of the experiment
and their engagements) to the `DailyStats` of the experiment's days whose raw rows were rolled up and
pruned (experiments.rollup). People and coverage cannot be summed over days: they count the raw rows'
period (plus, for people, the assignments of the whole experiment).

A rate whose denominator is 0 is None. Each candidate is compared with control on clicked lists out of
lists by a two-proportion z-test (experiments.stats): the difference of ctr_lists with its 95% confidence
interval and p-value.
"""

from dataclasses import asdict
from datetime import UTC

from django.db.models import Count, Q, Sum

from catalog.models import Item
from experiments.attribution import attribute_pending
from experiments.models import CONTROL, Assignment, DailyStats, Engagement, Experiment, Impression
from experiments.stats import two_proportion_ztest

TEST = "two-proportion z-test on clicked lists / lists"
COUNTS = ("lists", "impressions", "clicked_lists", "clicks", "conversions")


def experiment_report(experiment: Experiment) -> dict:
    """The experiment's report (see the module's docstring for what each figure counts).

    Actions not credited yet are credited first (experiments.attribution), so the report is up to date.
    Top level: the experiment, its workspace, status and dates, `test` (the statistical test used),
    `variants` (control first) and `p_value`: the smallest p-value of the candidates against control,
    not corrected for comparing several candidates (None when no candidate has one).
    """
    attribute_pending()
    variants = list(experiment.variants.order_by("pk").select_related("model_version"))
    names = [v.name for v in variants]
    figures = {name: dict.fromkeys(COUNTS, 0) for name in names}
    people = {name: set() for name in names}
    shown = {name: set() for name in names}
    raw_days = set()

    rows = Impression.objects.filter(experiment=experiment).values_list("variant", "user_id", "items", "shown_at")
    for variant, user_id, items, shown_at in rows.iterator(chunk_size=5000):
        if variant not in figures:
            continue
        figures[variant]["lists"] += 1
        figures[variant]["impressions"] += len(items)
        shown[variant].update(items)
        if user_id is not None:
            people[variant].add(user_id)
        raw_days.add(shown_at.astimezone(UTC).date())  # DailyStats days are UTC days

    engaged = (
        Engagement.objects.filter(impression__experiment=experiment)
        .values("impression__variant")
        .annotate(
            clicked_lists=Count("impression_id", distinct=True),
            clicks=Count("pk"),
            conversions=Count("pk", filter=Q(kind__in=Engagement.CONVERSIONS)),
        )
    )
    for row in engaged:
        for key in ("clicked_lists", "clicks", "conversions"):
            figures.get(row["impression__variant"], {})[key] = row[key]

    rolled = (
        DailyStats.objects.filter(experiment=experiment)
        .exclude(day__in=raw_days)  # a day is rolled up and pruned in one transaction: never both, but be sure
        .values("variant")
        .annotate(**{key: Sum(key) for key in COUNTS})
    )
    for row in rolled:
        if row["variant"] in figures:
            for key in COUNTS:
                figures[row["variant"]][key] += row[key] or 0

    for user_id, variant in Assignment.objects.filter(experiment=experiment).values_list("user_id", "variant"):
        if variant in people:
            people[variant].add(user_id)

    visible = Item.objects.of(experiment.workspace_id).active().count()
    report_variants = []
    for variant in variants:
        counts = figures[variant.name]
        report_variants.append({
            "name": variant.name,
            "model_version": variant.model_version_id,
            "algorithm": variant.algorithm or (variant.model_version.algorithm if variant.model_version else ""),
            "people": len(people[variant.name]),
            **counts,
            "ctr_lists": _ratio(counts["clicked_lists"], counts["lists"]),
            "ctr_items": _ratio(counts["clicks"], counts["impressions"]),
            "conversion_rate": _ratio(counts["conversions"], counts["impressions"]),
            "coverage": _ratio(len(shown[variant.name]), visible),
            "vs_control": None,
        })  # fmt: skip

    control = next((v for v in report_variants if v["name"] == CONTROL), None)
    p_values = []
    for row in report_variants:
        if row is control or control is None:
            continue
        test = two_proportion_ztest(control["clicked_lists"], control["lists"], row["clicked_lists"], row["lists"])
        row["vs_control"] = asdict(test)
        p_values.append(test.p_value)

    return {
        "experiment": experiment.name,
        "workspace": experiment.workspace.slug,
        "status": experiment.status,
        "traffic": experiment.traffic,
        "started_at": experiment.started_at.isoformat() if experiment.started_at else None,
        "stopped_at": experiment.stopped_at.isoformat() if experiment.stopped_at else None,
        "test": TEST,
        "visible_items": visible,
        "variants": report_variants,
        "p_value": min(p_values) if p_values else None,
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def variants_display(report: dict) -> list[dict]:
    """Each variant's figures as text for a table: counts with thousands separators, rates in percent,
    the difference against control in percentage points with its 95% interval, "—" for no value."""
    rows = []
    for v in report["variants"]:
        test = v["vs_control"]
        rows.append({
            "name": v["name"],
            "model": f"v{v['model_version']}" if v["model_version"] else "serving",
            **{key: f"{v[key]:,}" for key in ("people", *COUNTS)},
            **{key: _percent(v[key]) for key in ("ctr_lists", "ctr_items", "conversion_rate", "coverage")},
            "difference": "" if test is None else (
                f"{_points(test['difference'])} [{_points(test['ci_low'])}, {_points(test['ci_high'])}]"
            ),
            "p_value": "" if test is None else f"{test['p_value']:.4g}",
            "is_candidate": test is not None,
        })  # fmt: skip
    return rows


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _points(value: float) -> str:
    return f"{100 * value:+.2f}"
