"""The admin's dashboard: one workspace's activity, lists, CTR, coverage and models, charted.

Staff choose among the workspaces they look after (`workspaces_allowed`) and a period of UTC days;
another workspace is not found. The figures come from `experiments.dashboard`; the page passes
them to `static/js/dashboard.js` (Chart.js, vendored) as JSON, and shows each chart's numbers in
a table beside it for those who read rather than look.
"""

import datetime
from dataclasses import asdict, dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse

from core.admin.scoping import workspace_id_suggested, workspaces_allowed
from core.models import Workspace
from experiments import dashboard
from experiments.dashboard import Period

# --- What the page charts ------------------------------------------------------------------------


@dataclass
class Series:
    """One line or set of bars: its label, a value per label of the chart (None: no value)."""

    label: str
    data: list[float | int | None]
    kind: str = ""  # "bar" or "line" in a chart of the other kind
    axis: str = "y"  # "y" (left) or "y2" (right)


@dataclass
class Table:
    """A chart's numbers: column headings and rows of already formatted cells."""

    headers: list[str]
    rows: list[list[str]]


@dataclass
class Chart:
    """What static/js/dashboard.js draws on the canvas `chart-<key>`, and the numbers beside it."""

    key: str
    title: str
    kind: str
    labels: list[str]
    series: list[Series]
    x_title: str
    y_title: str
    y2_title: str = ""
    percent: bool = False  # the left axis is a percentage
    note: str = ""
    table: Table = field(default_factory=lambda: Table([], []))

    def spec(self) -> dict:
        """What the page's script needs, as plain JSON."""
        return {
            "key": self.key,
            "kind": self.kind,
            "labels": self.labels,
            "series": [asdict(s) for s in self.series],
            "x_title": self.x_title,
            "y_title": self.y_title,
            "y2_title": self.y2_title,
            "percent": self.percent,
        }


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 2)


def _percent_text(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.1f}%"


def _day_label(day: datetime.date) -> str:
    return f"{day:%b} {day.day}"


def _days_text(days: list[datetime.date]) -> str:
    if len(days) == 1:
        return days[0].isoformat()
    return f"{len(days)} days, {days[0].isoformat()} to {days[-1].isoformat()}"


def dashboard_charts(workspace_id: int, period: Period) -> list[Chart]:
    """The page's charts for one workspace and period."""
    days = period.days
    labels = [_day_label(d) for d in days]
    iso = [d.isoformat() for d in days]

    activity = dashboard.activity(workspace_id, period)
    charts = [
        Chart(
            key="activity",
            title="Events and active people per day",
            kind="line",
            labels=labels,
            series=[
                Series("Events (interactions and ratings)", activity.events),
                Series("Active people", activity.people),
            ],
            x_title="Day (UTC)",
            y_title="Count",
            note="A rating counts on the day it was last set.",
            table=Table(
                ["Day", "Interactions", "Ratings", "Events", "Active people"],
                [
                    [day, _count(a), _count(b), _count(c), _count(d)]
                    for day, a, b, c, d in zip(
                        iso, activity.interactions, activity.ratings, activity.events, activity.people, strict=True
                    )
                ],
            ),
        )
    ]

    served = dashboard.lists_served(workspace_id, period)
    rolled_note = (
        f"Rolled-up days (raw impressions pruned, daily totals kept): {_days_text(served.rolled_up)}."
        if served.rolled_up
        else ""
    )
    variants = served.variants
    ctr = {v: served.ctr(v) for v in variants}
    charts.append(
        Chart(
            key="lists",
            title="Lists served per day per variant",
            kind="line",
            labels=labels,
            series=[Series(v, served.lists[v]) for v in variants],
            x_title="Day (UTC)",
            y_title="Lists served",
            note=rolled_note or ("" if variants else "No list was recorded in this period."),
            table=Table(
                ["Day", *(f"{v}: lists" for v in variants), *(f"{v}: clicked" for v in variants)],
                [
                    [day, *(_count(served.lists[v][i]) for v in variants)]
                    + [_count(served.clicked[v][i]) for v in variants]
                    for i, day in enumerate(iso)
                ],
            ),
        )
    )
    charts.append(
        Chart(
            key="ctr",
            title="Click-through rate per day per variant",
            kind="line",
            labels=labels,
            series=[Series(v, [_percent(x) for x in ctr[v]]) for v in variants],
            x_title="Day (UTC)",
            y_title="Clicked lists / lists (%)",
            percent=True,
            note="A list counts as clicked when anything on it was clicked, played, liked, rated or bought."
            + (f" {rolled_note}" if rolled_note else ""),
            table=Table(
                ["Day", *variants],
                [[day, *(_percent_text(ctr[v][i]) for v in variants)] for i, day in enumerate(iso)],
            ),
        )
    )

    coverage = dashboard.catalog_coverage(workspace_id, period, rolled_up=served.rolled_up)
    coverage_note = f"Share of the {coverage.visible:,} items visible today that some list showed that day."
    if coverage.rolled_up:
        coverage_note += (
            f" Not available for rolled-up days, left out: {_days_text(coverage.rolled_up)}"
            " (only their totals are kept)."
        )
    charts.append(
        Chart(
            key="coverage",
            title="Catalog coverage per day",
            kind="line",
            labels=labels,
            series=[Series("Catalog coverage", [_percent(x) for x in coverage.share])],
            x_title="Day (UTC)",
            y_title="Distinct items shown / visible items (%)",
            percent=True,
            note=coverage_note,
            table=Table(
                ["Day", "Distinct items shown", "Coverage"],
                [
                    [day, _count(n), _percent_text(share)]
                    for day, n, share in zip(iso, coverage.shown, coverage.share, strict=True)
                ],
            ),
        )
    )

    versions = dashboard.model_versions(workspace_id, period)
    charts.append(
        Chart(
            key="models",
            title="Model versions: offline nDCG@10 and training time",
            kind="bar",
            labels=[f"v{v.pk} {_day_label(v.created_at.date())}" for v in versions],
            series=[
                Series("nDCG@10 (holdout)", [v.ndcg for v in versions], kind="line"),
                Series("Training time (s)", [v.seconds for v in versions], axis="y2"),
            ],
            x_title="Model version, by creation (UTC)",
            y_title="nDCG@10",
            y2_title="Training time (s)",
            note="" if versions else "No model version was trained in this period.",
            table=Table(
                ["Version", "Created (UTC)", "Algorithm", "Status", "nDCG@10", "Training time (s)"],
                [
                    [
                        f"v{v.pk}",
                        f"{v.created_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M}",
                        v.algorithm,
                        v.status,
                        "—" if v.ndcg is None else f"{v.ndcg:.4f}",
                        f"{v.seconds:,.1f}",
                    ]
                    for v in versions
                ],
            ),
        )
    )
    return charts


# --- The page ------------------------------------------------------------------------------------


class DashboardForm(forms.Form):
    """Which workspace and which days: the last 30 UTC days unless chosen."""

    workspace = forms.ModelChoiceField(queryset=Workspace.objects.none(), empty_label=None)
    first = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, workspaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = workspaces
        self.fields["workspace"].label_from_instance = lambda w: f"{w.name} ({w.slug})"

    def clean(self):
        cleaned = super().clean()
        last = cleaned.get("last") or datetime.datetime.now(datetime.UTC).date()
        first = cleaned.get("first") or last - datetime.timedelta(days=dashboard.DEFAULT_DAYS - 1)
        try:
            cleaned["period"] = Period(first, last)
        except ValueError as exc:
            raise forms.ValidationError(f"Choose other days: {exc}.") from exc
        return cleaned


def dashboard_view(request, *, admin_site):
    """The dashboard of one workspace the staff member looks after (404 for any other)."""
    if not request.user.has_perm("core.view_workspace"):
        raise PermissionDenied("Seeing workspaces is not among your permissions.")
    workspaces = workspaces_allowed(request).order_by("name", "pk")
    asked = request.GET.get("workspace", "")
    if asked and not (asked.isdigit() and workspaces.filter(pk=int(asked)).exists()):
        raise Http404("No workspace of yours has this id.")
    data = request.GET.copy()
    if not asked:
        suggested = workspace_id_suggested(request)
        if suggested is None or not workspaces.filter(pk=suggested).exists():
            suggested = workspaces.values_list("pk", flat=True).first()
        if suggested is None:
            raise PermissionDenied("You look after no workspace.")
        data["workspace"] = str(suggested)
    if not data.get("first") and not data.get("last"):
        default = Period.ending()
        data["first"], data["last"] = default.first.isoformat(), default.last.isoformat()

    form = DashboardForm(data, workspaces=workspaces)
    if form.is_valid():
        workspace, period = form.cleaned_data["workspace"], form.cleaned_data["period"]
    else:
        workspace, period = workspaces.get(pk=int(data["workspace"])), Period.ending()
    charts = dashboard_charts(workspace.pk, period)
    context = {
        **admin_site.each_context(request),
        "title": f"Dashboard: {workspace.name}",
        "subtitle": None,
        "form": form,
        "workspace": workspace,
        "period": period,
        "charts": charts,
        "chart_specs": [chart.spec() for chart in charts],
    }
    request.current_app = admin_site.name
    return TemplateResponse(request, "admin/experiments/dashboard.html", context)
