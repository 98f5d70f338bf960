"""Reads for the catalog pages: browse, typo-tolerant search, item details."""

import difflib
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from catalog.models import Interaction, Item, ItemTag, Rating
from core import process_caches

SORTS = {
    "popular": ("-rating_count", "-rating_avg", "pk"),
    "rating": ("-rating_avg", "-rating_count", "pk"),
    "newest": ("-year", "-rating_count", "pk"),
    "title": ("title", "pk"),
}
# Below this many votes an average says little: a single 5-star rating would top the list.
MIN_VOTES_FOR_RATING_SORT = 10
FEW_HITS = 5
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class _TitleIndex:
    """Titles and their words per process, for spelling-tolerant search.

    Rebuilt when the catalog changes (count or newest edit differs), checked at
    most every few seconds, so a search never scans the table in Python twice in a row.
    """

    CHECK_SECONDS = 10.0

    def __init__(self):
        self._lock = threading.Lock()
        self._stamp = None
        self._checked_at = 0.0
        self.words: dict[str, set[int]] = {}
        self.vocabulary: list[str] = []

    def get(self) -> "_TitleIndex":
        if time.monotonic() - self._checked_at < self.CHECK_SECONDS and self._stamp is not None:
            return self
        with self._lock:
            self._checked_at = time.monotonic()
            stamp = Item.objects.website().aggregate(n=Count("pk"), latest=Max("updated_at"))
            stamp = (stamp["n"], stamp["latest"])
            if stamp != self._stamp:
                words = defaultdict(set)
                titles = Item.objects.active().website().values_list("pk", "title")
                for pk, title in titles.iterator(chunk_size=5000):
                    for word in _words(title):
                        words[word].add(pk)
                self.words, self.vocabulary, self._stamp = dict(words), sorted(words), stamp
        return self

    def clear(self) -> None:
        with self._lock:
            self._stamp, self._checked_at, self.words, self.vocabulary = None, 0.0, {}, []


title_index = _TitleIndex()
process_caches.register("title words for search", clear=title_index.clear)


@dataclass
class SearchResult:
    items: object  # a queryset, ready to sort and paginate
    corrected: str = ""  # the spelling we searched for instead, when we did


def _close_words(word: str, index: _TitleIndex) -> set[str]:
    if word in index.words:
        return {word}
    cutoff = 0.8 if len(word) <= 5 else 0.75
    return set(difflib.get_close_matches(word, index.vocabulary, n=4, cutoff=cutoff))


def spelling_matches(query: str) -> tuple[set[int], str]:
    """Items whose titles contain every query word or a close spelling of it; and that spelling."""
    words = [w for w in _words(query) if len(w) >= 2]
    if not words:
        return set(), ""
    index = title_index.get()
    matched, spelled = None, []
    for word in words:
        candidates = _close_words(word, index)
        if not candidates:
            return set(), ""
        pks = set().union(*(index.words[c] for c in candidates))
        matched = pks if matched is None else matched & pks
        # The most common spelling is the likeliest intended one.
        spelled.append(max(candidates, key=lambda c: (c == word, len(index.words[c]))))
    corrected = " ".join(spelled)
    return matched or set(), corrected if corrected != " ".join(words) else ""


def item_search(
    *, query: str = "", kind: str = "", genre: str = "", year_min=None, year_max=None, sort: str = "popular"
) -> SearchResult:
    """The website's browse: the shared catalog, never an API client's own items."""
    items = Item.objects.active().website()
    if kind:
        items = items.filter(kind=kind)
    if genre:
        items = items.filter(genres__slug=genre)
    if year_min:
        items = items.filter(year__gte=year_min)
    if year_max:
        items = items.filter(year__lte=year_max)
    if sort == "rating":
        items = items.filter(rating_count__gte=MIN_VOTES_FOR_RATING_SORT)
    items = items.order_by(*SORTS.get(sort, SORTS["popular"]))
    corrected = ""
    query = query.strip()
    if query:
        exact = items.filter(title__icontains=query)
        if len(query) >= 3 and exact[:FEW_HITS].count() < FEW_HITS:
            # Few literal hits: add titles matching a close spelling of each word ("godfater" -> "godfather").
            pks, corrected = spelling_matches(query)
            items = items.filter(Q(title__icontains=query) | Q(pk__in=pks)) if pks else exact
            if not exact.exists() and not pks:
                corrected = ""
        else:
            items = exact
    return SearchResult(items=items.prefetch_related("genres"), corrected=corrected)


def item_top_tags(*, item: Item, limit: int = 12) -> list[str]:
    rows = ItemTag.objects.filter(item=item).order_by("-count", "tag__name").values_list("tag__name", flat=True)
    return list(rows[:limit])


def also_liked(*, item: Item, limit: int = 12, exclude_pks=()) -> list[Item]:
    """Items that people who liked `item` (4 stars or more) also liked, most shared first; one aggregate query."""
    fans = Rating.objects.filter(item=item, value__gte=4).values("user_id")
    rows = (
        Rating.objects.filter(
            user_id__in=fans, value__gte=4, item__is_active=True, item__workspace_id=item.workspace_id
        )
        .exclude(item=item)
        .exclude(item_id__in=list(exclude_pks))
        .values("item_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "item_id")[:limit]
    )
    counts = {row["item_id"]: row["n"] for row in rows}
    found = Item.objects.in_bulk(list(counts))
    return [found[pk] for pk in counts if pk in found]


def negative_item_pks(*, user) -> set[int]:
    """Items the member asked never to see again."""
    if not user.is_authenticated:
        return set()
    kinds = [Interaction.Kind.DISLIKE, Interaction.Kind.NOT_INTERESTED]
    return set(Interaction.objects.filter(user=user, kind__in=kinds).values_list("item_id", flat=True))


@dataclass
class MyState:
    rating: float | None
    liked: bool
    disliked: bool
    not_interested: bool


def my_state(*, user, item: Item) -> MyState | None:
    """The member's own rating and feedback on one item."""
    if not user.is_authenticated:
        return None
    rating = Rating.objects.filter(user=user, item=item).values_list("value", flat=True).first()
    kinds = set(Interaction.objects.filter(user=user, item=item).values_list("kind", flat=True))
    return MyState(
        rating=rating,
        liked=Interaction.Kind.LIKE in kinds,
        disliked=Interaction.Kind.DISLIKE in kinds,
        not_interested=Interaction.Kind.NOT_INTERESTED in kinds,
    )
