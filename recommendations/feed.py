"""The home feed in rows, built on serving.py's public functions.

The website is the front end of the `default` workspace: every row is made of its
items, scored by its model. Every row leaves out what the member already rated or
acted on (so a dislike or "not interested" never comes back) and what an earlier
row already shows, so scrolling down always brings something new.
"""

from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max, Q, Sum, prefetch_related_objects

from catalog.models import Genre, Interaction, Item, Rating
from core.workspaces import default_workspace_id
from experiments.serving import NO_EXPERIMENT, Choice
from recommendations.feed_cache import Person, feed_cached
from recommendations.models import Rule
from recommendations.rules import FEATURED, diversity_for
from recommendations.serving import feed_for_user, popular_items, similar_items_for, with_rules
from recommendations.trending import trending_items

PER_ROW = 12
MIN_ROW = 4
BECAUSE_ROWS = 3
GENRE_ROWS = 2
POSITIVE_RATING = 4.0
POSITIVE_KINDS = (Interaction.Kind.LIKE, Interaction.Kind.FAVORITE, Interaction.Kind.PURCHASE)
TOP_GENRES_CACHE_SECONDS = 600
SHARED_CACHE_SECONDS = 120  # how long the rows everyone shares follow other people's activity
SHARED_CANDIDATES = 200  # candidates kept for the rows everyone shares (trending, new, genres)
SPARE = 4  # extra candidates read for a shared row, in case some were hidden since the list was made
DIVERSE_POOL = 4  # a row whose placement has a diversity setting re-ranks this many times its length


@dataclass
class Card:
    item: Item
    reason: str


@dataclass
class FeedRow:
    key: str  # stable and unique per page: the row's HTML id
    title: str
    cards: list[Card]
    note: str = ""
    placement: str = ""  # whose rules and diversity shaped it; what its impressions are recorded under
    recommendation_id: str | None = None  # set when the row is shown (recommendations.views)


@dataclass
class History:
    user: object = None
    seen: set[int] = field(default_factory=set)  # rated or acted on: never recommended again
    anchors: list[int] = field(default_factory=list)  # liked items, most recent first

    @property
    def empty(self) -> bool:
        return not self.seen

    def unseen(self, queryset):
        """`queryset` without what the member rated or acted on.

        Subqueries, not a list of ids: a demo member has thousands of ratings,
        and binding that many parameters costs more than the queries themselves.
        """
        if self.empty:
            return queryset
        return queryset.exclude(pk__in=Rating.objects.filter(user=self.user).values("item_id")).exclude(
            pk__in=Interaction.objects.filter(user=self.user).values("item_id")
        )

    def seen_subquery(self):
        # For serving functions that take `exclude_pks`: one subquery covering both tables.
        if self.empty:
            return []
        return Item.objects.filter(
            Q(pk__in=Rating.objects.filter(user=self.user).values("item_id"))
            | Q(pk__in=Interaction.objects.filter(user=self.user).values("item_id"))
        ).values("pk")


def history_for(*, user) -> History:
    if not user.is_authenticated:
        return History()
    ratings = list(Rating.objects.filter(user=user).values_list("item_id", "value", "updated_at"))
    events = list(Interaction.objects.filter(user=user).values_list("item_id", "kind", "created_at"))
    negative = {pk for pk, kind, _ in events if kind in Interaction.NEGATIVE_KINDS}
    negative |= {pk for pk, value, _ in ratings if value < 2.5}
    liked = [(at, value, pk) for pk, value, at in ratings if value >= POSITIVE_RATING]
    liked += [(at, 5.0, pk) for pk, kind, at in events if kind in POSITIVE_KINDS]
    # Recent first; among equally recent (an import, an onboarding), the highest rated.
    liked.sort(key=lambda row: (row[0], row[1]), reverse=True)
    anchors = list(dict.fromkeys(pk for _, _, pk in liked if pk not in negative))
    seen = {pk for pk, _, _ in ratings} | {pk for pk, _, _ in events}
    return History(user=user, seen=seen, anchors=anchors)


class _Rows:
    """Collects rows, skipping items already shown higher up or already seen."""

    def __init__(self, history: History, per_row: int):
        self.rows: list[FeedRow] = []
        self.shown: set[int] = set()
        self.history, self.per_row = history, per_row

    def add(self, key: str, title: str, cards, note: str = "", placement: str = "", shaped: str = "") -> None:
        """Add a row of `cards` (best first), shaped by the rules of `placement` (or already shaped by those
        of `shaped`)."""
        if placement:
            cards = self._ruled(list(cards), placement)
        cards = [c for c in cards if c.item.pk not in self.history.seen and c.item.is_active]
        kept = [c for c in cards if c.item.pk not in self.shown][: self.per_row]
        if len(kept) < MIN_ROW:
            # A small catalog: repeating a title from a row above beats a near-empty row.
            kept += [c for c in cards if c.item.pk in self.shown][: MIN_ROW - len(kept)]
        self.shown.update(c.item.pk for c in kept)
        if kept:
            self.rows.append(FeedRow(key, title, kept, note, placement or shaped))

    def depth(self, placement: str, wanted: int) -> int:
        """How many candidates a row reads when it wants `wanted`: more when its placement's lists are
        re-ranked for diversity, which picks from a deeper pool."""
        if diversity_for(workspace=default_workspace_id(), placement=placement).shapes_lists:
            return max(wanted, self.per_row * DIVERSE_POOL)
        return wanted

    def _ruled(self, cards: list[Card], placement: str) -> list[Card]:
        placed = with_rules(
            [c.item for c in cards], -np.arange(len(cards), dtype=np.float64), workspace=default_workspace_id(),
            placement=placement, user=self.history.user, limit=len(cards) + self.per_row, queryset=_card_items(),
            seen=lambda: self.history.seen,
        )  # fmt: skip
        if placed is None:
            return cards
        return [Card(p.item, FEATURED) if p.featured or p.source is None else cards[p.source] for p in placed]


def home_feed(*, user, per_row: int = PER_ROW, choice: Choice = NO_EXPERIMENT) -> list[FeedRow]:
    """The rows of the home page, from the feed cache while provably current (see recommendations.feed_cache).

    Scoring and explaining a long history costs far more than the rest of the
    page, so the rows are cached as item ids and reasons, under the same rules
    as the API's recommendations: a rating, an event, a hidden or edited item or
    a newly activated model makes the next page a new one. Items are re-read on
    every request, so their cards show them as they are now.

    choice: the member's variant in the website's running experiment (experiments.serving); a
    candidate's model ranks their top picks.
    """
    built: list[FeedRow] = []

    def build(*, user_id: int | None, version: int | None):
        built.extend(_build(user, per_row, choice.version_id))
        frozen = [(r.key, r.title, r.note, r.placement, [(c.item.pk, c.reason) for c in r.cards]) for r in built]
        return frozen, [c.item.pk for r in built for c in r.cards]

    person = Person(user_id=user.pk if user.is_authenticated else None)
    params = {"per_row": per_row, "experiment": choice.experiment_id, "variant": choice.variant}
    frozen = feed_cached(person=person, workspace=default_workspace_id(), scope="home", params=params, build=build)
    rows = built or _thaw(frozen)
    prefetch_related_objects([card.item for row in rows for card in row.cards], "genres")
    return rows


def _thaw(frozen) -> list[FeedRow]:
    pks = {pk for *_, cards in frozen for pk, _ in cards}
    items = _card_items().in_bulk(pks)
    rows = []
    for key, title, note, placement, cards in frozen:
        kept = [Card(items[pk], reason) for pk, reason in cards if pk in items]
        if kept:
            rows.append(FeedRow(key, title, kept, note, placement))
    return rows


def _build(user, per_row: int, version: int | None) -> list[FeedRow]:
    history = history_for(user=user)
    rows = _Rows(history, per_row)
    if history.empty:
        _add_popular(rows)
    else:
        _add_top_picks(rows, user, version)
        _add_because_you_liked(rows, history)
    website = default_workspace_id()
    trending = _row_items(
        rows,
        Rule.Placement.TRENDING,
        _shared_ids(
            "feed:trending",
            lambda: [
                item.pk for item in trending_items(workspace=website, limit=SHARED_CANDIDATES, items=_card_items())
            ],
        ),
        lambda: trending_items(
            workspace=website, limit=_want(rows), exclude_pks=history.seen_subquery(), items=_card_items()
        ),
    )
    rows.add("trending", "Trending now", _cards(trending, "Trending now"), placement=Rule.Placement.TRENDING)
    _add_new_arrivals(rows)
    _add_genres(rows, _favourite_genres(history) if not history.empty else _top_genres())
    return rows.rows


def _want(rows: _Rows) -> int:
    # Enough that dropping already-shown items still fills the row.
    return rows.per_row + len(rows.shown)


def _shared_ids(key: str, candidates) -> list[int]:
    """A row's candidates for everyone (ids, best first), cached: only the member's exclusions differ.

    candidates: a function returning them, called on a cache miss only.
    """
    ids = cache.get(key)
    if ids is None:
        ids = list(candidates())
        cache.set(key, ids, SHARED_CACHE_SECONDS)
    return ids


def _row_items(rows: _Rows, placement: str, ids: list[int], own) -> list[Item]:
    """The row's items: the shared candidates minus what the member saw, in one query by primary key.

    A member who saw most of the candidates gets `own()`, which asks the
    database for exactly what they have not seen. Hidden items drop out here.
    """
    unseen = [pk for pk in ids if pk not in rows.history.seen]
    if len(unseen) < _want(rows) and len(ids) >= SHARED_CANDIDATES:
        return list(own())
    # Read only what the row can show: new titles (a few spare in case some were hidden since),
    # or, in a small catalog, enough titles from the rows above to fill it (see _Rows.add).
    pks = [pk for pk in unseen if pk not in rows.shown][: rows.depth(placement, rows.per_row + SPARE)]
    if len(pks) < MIN_ROW:
        pks += [pk for pk in unseen if pk in rows.shown][:MIN_ROW]
    found = _card_items().in_bulk(pks)
    return [found[pk] for pk in pks if pk in found]


def _card_items():
    # The website shows the `default` workspace's items, never another workspace's. Only what a card shows:
    # long descriptions and JSON columns cost time to load and are never used.
    fields = ("pk", "kind", "title", "year", "is_active", "rating_count", "rating_avg")
    return Item.objects.active().website().only(*fields)


def _cards(items, reason: str) -> list[Card]:
    return [Card(item, reason) for item in items]


def _add_popular(rows: _Rows) -> None:
    wanted = rows.depth(Rule.Placement.HOME, _want(rows))
    items = popular_items(workspace=default_workspace_id(), limit=wanted, exclude_pks=rows.history.seen_subquery())
    rows.add("popular", "Popular on Encore", _cards(items, "Popular with everyone"), placement=Rule.Placement.HOME)


def _add_top_picks(rows: _Rows, user, version: int | None) -> None:
    recommendations = feed_for_user(user=user, workspace=default_workspace_id(), limit=rows.per_row, version=version)
    rows.add("top-picks", "Top picks for you", [Card(rec.item, rec.reason) for rec in recommendations],
             shaped=Rule.Placement.TOP_PICKS)  # fmt: skip


def _add_because_you_liked(rows: _Rows, history: History) -> None:
    anchors = Item.objects.active().website().in_bulk(history.anchors[: BECAUSE_ROWS * 2])
    added = 0
    for pk in history.anchors[: BECAUSE_ROWS * 2]:
        anchor = anchors.get(pk)
        if anchor is None:
            continue
        before = len(rows.rows)
        # Unshaped here: the row applies its own placement's rules (see _Rows.add).
        wanted = rows.depth(Rule.Placement.BECAUSE_YOU_LIKED, rows.per_row * 3)
        similar = similar_items_for(item=anchor, limit=wanted, items=_card_items(), placement="")
        rows.add(
            f"because-{anchor.pk}", f"Because you liked {anchor.title}", _cards(similar, f"Similar to {anchor.title}"),
            placement=Rule.Placement.BECAUSE_YOU_LIKED,
        )  # fmt: skip
        added += len(rows.rows) > before
        if added == BECAUSE_ROWS:
            return


def _add_new_arrivals(rows: _Rows) -> None:
    # Newest in the catalog; among titles added together (an import), the newest films first.
    newest = _card_items().order_by("-created_at", "-year", "-pk")
    latest = Item.objects.website().aggregate(latest=Max("pk"))["latest"]  # a new item makes a new list at once
    items = _row_items(
        rows,
        Rule.Placement.NEW,
        _shared_ids(f"feed:new:{latest}", lambda: newest[:SHARED_CANDIDATES].values_list("pk", flat=True)),
        lambda: rows.history.unseen(newest)[: _want(rows)],
    )
    rows.add(
        "new",
        "New arrivals",
        [Card(item, f"New in the catalog{f' · {item.year}' if item.year else ''}") for item in items],
        placement=Rule.Placement.NEW,
    )


def _favourite_genres(history: History) -> list[Genre]:
    """The genres most present among the items the member liked."""
    if not history.anchors:
        return []
    counts = (
        Item.genres.through.objects.filter(item_id__in=history.anchors)
        .values("genre_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "genre_id")[:GENRE_ROWS]
    )
    ids = [row["genre_id"] for row in counts]
    found = Genre.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _top_genres() -> list[Genre]:
    """The genres with the most ratings overall, for visitors without a history; cached, it changes slowly."""
    ids = cache.get("feed:top-genres")
    if ids is None:
        genres = Genre.objects.filter(workspace_id=default_workspace_id())
        ranked = genres.annotate(votes=Sum("items__rating_count")).filter(votes__gt=0).order_by("-votes", "pk")
        ids = list(ranked.values_list("pk", flat=True)[: GENRE_ROWS + 1])
        cache.set("feed:top-genres", ids, TOP_GENRES_CACHE_SECONDS)
    found = Genre.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _add_genres(rows: _Rows, genres: list[Genre]) -> None:
    for genre in genres:
        _add_genre(rows, genre)


def _add_genre(rows: _Rows, genre: Genre) -> None:
    favourites = _card_items().filter(genres=genre, rating_count__gt=0).order_by("-rating_count", "-rating_avg", "pk")
    items = _row_items(
        rows,
        Rule.Placement.HOME,
        _shared_ids(f"feed:genre:{genre.pk}", lambda: favourites[:SHARED_CANDIDATES].values_list("pk", flat=True)),
        lambda: rows.history.unseen(favourites)[: _want(rows)],
    )
    rows.add(
        f"genre-{genre.slug}", f"Popular in {genre.name}", _cards(items, f"Popular in {genre.name}"),
        placement=Rule.Placement.HOME,
    )  # fmt: skip
