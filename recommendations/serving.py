"""Serving: a workspace's active artifact + a user's current history -> ranked, explained items.

Each web process keeps the workspaces' active models in memory (`loading.active_models`).
Every list is of one workspace (`workspace`: its id): its model scores, and only its
visible items are served, even from a model that holds other items (one trained
before workspaces existed). A user's history is read fresh on every request, so a
new rating changes the very next page.
"""

import dataclasses
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.db.models import Count, Q

from catalog.models import Interaction, Item, ItemTag, Rating
from recommendations import rules
from recommendations.diversity import diversify
from recommendations.engine.diversity import POOL_PER_SLOT
from recommendations.engine.weighting import EVENT_WEIGHTS, event_weights, rating_weights
from recommendations.loading import LoadedModel, active_models
from recommendations.models import Rule

__all__ = [
    "LoadedModel", "Placed", "Recommendation", "active_models", "feed_for_user", "popular_items", "similar_items_for",
    "with_rules",
]  # fmt: skip

log = logging.getLogger(__name__)
NEW_ITEMS_SCANNED = 500  # newest items not yet in the model that content matching considers
LIKED_RATING = 4.0
LIKED_EVENT_WEIGHT = 2.0  # play and stronger
RULE_CANDIDATES = 3  # with rules in force, a list reads this many times its length, so blocks still leave enough


def candidates_wanted(*, workspace: int, placement: str, limit: int, diversity: float | None = None) -> int:
    """How many candidates a list of `limit` reads: more when rules may block, bury or boost some of them,
    and the pool diversity re-ranks from when the placement's setting or `diversity` asks for it."""
    wanted = limit * POOL_PER_SLOT if _diversity(workspace, placement, diversity).shapes_lists else limit
    if rules.in_force(workspace=workspace, placement=placement):
        wanted = max(wanted, limit * RULE_CANDIDATES + 10)
    return wanted


@dataclass
class Recommendation:
    item: Item
    score: float
    reason: str
    because: list[Item] = field(default_factory=list)
    rule: int | None = None  # the rule that placed (pin) or moved (boost, bury) it


@dataclass
class Placed:
    """An entry of a list after its rules: `source` is its index among the candidates, None for a pinned
    item brought in."""

    item: Item
    score: float
    rule: int | None
    featured: bool
    source: int | None


def with_rules(
    items: list[Item],
    scores,
    *,
    workspace: int,
    placement: str,
    user,
    limit: int,
    queryset=None,
    seen=None,
    diversity: float | None = None,
) -> list[Placed] | None:
    """`items` (candidates, best first, scored `scores`) after the workspace's rules for `placement`, then
    re-ranked by the placement's diversity setting (pinned items keep their positions), at most `limit` of
    them; None when no rule applies and the placement's lists are not re-ranked, so the list stays as it is.

    diversity: the re-ranking weight for this list, instead of the setting's (the setting's caps still
    hold); None: the setting's.

    queryset: where pinned items brought in are read from (default: the workspace's visible items), so a
    filtered list (a kind, a genre) stays filtered. seen: the pks the person rated or acted on (default:
    read when a pin needs them); a pin never brings one back.
    """
    shaped = rules.shape(
        workspace=workspace, placement=placement, user=user, pks=[item.pk for item in items], scores=scores,
        seen=seen or rules.seen_by(user),
    )  # fmt: skip
    spread = _diversity(workspace, placement, diversity)
    if shaped is None and not spread.shapes_lists:
        return None
    if shaped is None:
        shaped = rules.unshaped([item.pk for item in items], scores)
    if spread.shapes_lists:
        shaped = _diversified(shaped, workspace=workspace, spread=spread, limit=limit)
    index = {item.pk: n for n, item in enumerate(items)}
    brought = [pk for pk in shaped.pks.tolist() if pk not in index]
    extra = (Item.objects.active() if queryset is None else queryset).of(workspace).in_bulk(brought) if brought else {}
    placed = []
    entries = zip(
        shaped.pks.tolist(), shaped.scores.tolist(), shaped.rules.tolist(), shaped.featured.tolist(), strict=True
    )
    for pk, score, rule, featured in entries:
        source = index.get(pk)
        item = items[source] if source is not None else extra.get(pk)
        if item is None:
            continue  # a pinned item that is hidden, of another kind or genre than the list, or gone
        placed.append(Placed(item, score, rule or None, featured, source))
        if len(placed) == limit:
            break
    return placed


def history_row(*, user, loaded: LoadedModel) -> tuple[sp.csr_matrix, dict[int, float], dict[int, str]]:
    """The user's current history as one (1, n_items) row, plus their ratings and events by item pk."""
    ratings = dict(Rating.objects.filter(user=user).values_list("item_id", "value"))
    events = list(Interaction.objects.filter(user=user).values_list("item_id", "kind", "value"))
    pks = list(ratings) + [e[0] for e in events]
    weights = np.concatenate(
        [
            rating_weights(np.array(list(ratings.values()), dtype=np.float64)),
            event_weights(
                np.array([e[1] for e in events], dtype=object),
                np.array([np.nan if e[2] is None else e[2] for e in events], dtype=np.float64),
            ),
        ]
    )
    cols = loaded.columns(pks)
    keep = cols >= 0
    n = len(loaded.item_ids)
    row = sp.csr_matrix((weights[keep], (np.zeros(int(keep.sum()), dtype=np.int64), cols[keep])), shape=(1, n))
    row.sum_duplicates()
    last_event = {}
    for pk, kind, _ in events:
        last_event[pk] = kind
    return row.astype(np.float32), ratings, last_event


def hidden_mask(loaded: LoadedModel) -> np.ndarray:
    """True for columns that must not be served: items hidden now, whatever the model saw at training,
    and items of another workspace."""
    # Hidden items are few: fetch them all rather than bind every column's id.
    # "is_active IN (false)" and no ordering: SQLite can search the (workspace, is_active, kind) index for
    # that, while "NOT is_active" (what is_active=False becomes) or an ORDER BY title make it scan the table.
    hidden = Item.objects.filter(workspace_id=loaded.workspace_id, is_active__in=[False]).order_by()
    mask = np.zeros(len(loaded.item_ids), dtype=bool) if loaded.foreign is None else loaded.foreign.copy()
    cols = loaded.columns(hidden.values_list("pk", flat=True))
    mask[cols[cols >= 0]] = True
    return mask


def _diversity(workspace: int, placement: str, diversity: float | None) -> rules.ListDiversity:
    """The placement's diversity setting, its weight replaced by `diversity` when one is given."""
    setting = rules.diversity_for(workspace=workspace, placement=placement)
    return setting if diversity is None else dataclasses.replace(setting, diversity=diversity)


def _diversified(shaped: rules.Shaped, *, workspace: int, spread: rules.ListDiversity, limit: int) -> rules.Shaped:
    """The list re-ranked by recommendations.diversity, its pinned items where the rules put them."""
    fixed = {n: pk for n, (pk, pinned) in enumerate(zip(shaped.pks.tolist(), shaped.featured.tolist(), strict=True))
             if pinned}  # fmt: skip
    chosen = diversify(
        workspace, shaped.pks, shaped.scores, diversity=spread.diversity, limit=limit, fixed=fixed,
        cap_per_genre=spread.cap_per_genre, cap_per_creator=spread.cap_per_creator,
    )  # fmt: skip
    at = {pk: n for n, pk in enumerate(shaped.pks.tolist())}
    pick = np.array([at[pk] for pk in chosen.tolist()], dtype=np.int64)
    return rules.Shaped(shaped.pks[pick], shaped.scores[pick], shaped.rules[pick], shaped.featured[pick])


def feed_for_user(
    *,
    user,
    workspace: int,
    limit: int = 20,
    item_filter: Q | None = None,
    placement: str = Rule.Placement.TOP_PICKS,
    diversity: float | None = None,
    version: int | None = None,
) -> list[Recommendation]:
    """Personal recommendations from the workspace's items, with reasons, shaped by the rules of `placement`;
    popular items when there is no model or no history.

    version: the model version that scores (an experiment's candidate); default the workspace's active one.

    Never fails because of the model: a scoring error is logged and popular items serve.
    """
    wanted = candidates_wanted(workspace=workspace, placement=placement, limit=limit, diversity=diversity)
    found = _feed(user=user, workspace=workspace, limit=wanted, item_filter=item_filter, version=version)
    placed = with_rules(
        [r.item for r in found], [r.score for r in found], workspace=workspace, placement=placement, user=user,
        limit=limit, queryset=None if item_filter is None else Item.objects.filter(item_filter), diversity=diversity,
    )  # fmt: skip
    if placed is None:
        return found[:limit]
    return [
        Recommendation(p.item, p.score, rules.FEATURED, [], p.rule)
        if p.featured or p.source is None
        else Recommendation(p.item, p.score, found[p.source].reason, found[p.source].because, p.rule)
        for p in placed
    ]


def _feed(*, user, workspace: int, limit: int, item_filter: Q | None, version: int | None) -> list[Recommendation]:
    loaded = active_models.get(workspace) if version is None else active_models.version(workspace, version)
    if loaded is None or not user.is_authenticated:
        return popular_for_user(user=user, workspace=workspace, limit=limit, item_filter=item_filter)
    try:
        results = _personal_feed(user, loaded, limit, item_filter)
    except Exception:
        log.exception("scoring user %s with model version %s failed; serving popular items", user.pk, loaded.version_id)
        results = []
    return results or popular_for_user(user=user, workspace=workspace, limit=limit, item_filter=item_filter)


def _personal_feed(user, loaded: LoadedModel, limit: int, item_filter: Q | None) -> list[Recommendation]:
    row, ratings, events = history_row(user=user, loaded=loaded)
    results = _model_feed(user, loaded, row, ratings, events, limit, item_filter) if row.nnz else []
    fresh = new_item_matches(user=user, loaded=loaded, ratings=ratings, events=events, item_filter=item_filter)
    if not fresh:
        return results
    # New items compete on a common scale: a perfect content match ties with the best model pick.
    # They take at most a quarter of the list so the model's picks still lead the feed.
    top = max((r.score for r in results), default=1.0)
    fresh = [Recommendation(r.item, r.score * top, r.reason, r.because) for r in fresh[: max(1, limit // 4)]]
    merged = sorted(results[: limit - len(fresh)] + fresh, key=lambda r: -r.score)
    return merged[:limit]


def _model_feed(user, loaded, row, ratings, events, limit, item_filter) -> list[Recommendation]:
    exclude = hidden_mask(loaded)
    # Ask for more than needed so filters applied on the database side still leave `limit`.
    want = limit if item_filter is None else limit * 5
    cols, scores, reasons = loaded.model.recommend_explained(row, want, exclude=exclude)
    valid = cols >= 0
    cols, scores = cols[valid], scores[valid]
    reasons = [why for why, ok in zip(reasons, valid.tolist(), strict=True) if ok]
    items = Item.objects.active().of(loaded.workspace_id).in_bulk(loaded.item_ids[cols].tolist())
    if item_filter is not None:
        allowed = set(Item.objects.filter(item_filter, pk__in=items).values_list("pk", flat=True))
        items = {pk: item for pk, item in items.items() if pk in allowed}
    history_pks = {loaded.item_ids[r.item] for rs in reasons for r in rs if r.item >= 0}
    history_items = Item.objects.in_bulk(list(history_pks))
    results = []
    for col, score, why in zip(cols.tolist(), scores.tolist(), reasons, strict=True):
        item = items.get(int(loaded.item_ids[col]))
        if item is None:
            continue
        text, because = describe_reason(why, loaded, history_items, ratings, events)
        results.append(Recommendation(item, float(score), text, because))
        if len(results) == limit:
            break
    return results


def new_item_matches(*, user, loaded: LoadedModel, ratings, events, item_filter=None) -> list[Recommendation]:
    """The model's workspace's items added since it was trained, by genre and tag overlap with what the user liked.

    They have no column in the artifact yet, so the model cannot score them; this
    keeps them reaching feeds until the next version learns them. Scores are
    cosine similarities in [0, 1], best first.
    """
    new = Item.objects.active().of(loaded.workspace_id).filter(pk__gt=loaded.max_pk)
    if item_filter is not None:
        new = new.filter(item_filter)
    seen = set(ratings) | set(events)
    new_pks = [pk for pk in new.order_by("-pk").values_list("pk", flat=True)[:NEW_ITEMS_SCANNED] if pk not in seen]
    if not new_pks:
        return []
    liked = {pk for pk, value in ratings.items() if value >= LIKED_RATING}
    liked |= {pk for pk, kind in events.items() if EVENT_WEIGHTS.get(kind, 0) >= LIKED_EVENT_WEIGHT}
    if not liked:
        return []
    features = item_features(set(new_pks) | liked)
    profile: dict[str, float] = {}
    for pk in liked:
        for feature in features.get(pk, ()):
            profile[feature] = profile.get(feature, 0.0) + 1.0
    norm = math.sqrt(sum(v * v for v in profile.values()))
    scored = []
    for pk in new_pks:
        mine = features.get(pk)
        if not mine or not norm:
            continue
        similarity = sum(profile.get(f, 0.0) for f in mine) / (norm * math.sqrt(len(mine)))
        if similarity > 0:
            nearest = max(liked, key=lambda other: (len(mine & features.get(other, set())), other))
            scored.append((similarity, pk, nearest))
    scored.sort(key=lambda s: (-s[0], -s[1]))
    items = Item.objects.in_bulk([pk for _, pk, _ in scored] + [n for _, _, n in scored])
    return [
        Recommendation(items[pk], float(sim), f"New: similar to {items[near].title}, which you liked", [items[near]])
        for sim, pk, near in scored
        if pk in items and near in items
    ]


def item_features(pks) -> dict[int, set[str]]:
    """Genres and tags of `pks` as feature sets ("g<id>", "t<id>")."""
    features: dict[int, set[str]] = {}
    for pk, genre in Item.genres.through.objects.filter(item_id__in=pks).values_list("item_id", "genre_id"):
        features.setdefault(pk, set()).add(f"g{genre}")
    for pk, tag in ItemTag.objects.filter(item_id__in=pks).values_list("item_id", "tag_id"):
        features.setdefault(pk, set()).add(f"t{tag}")
    return features


def describe_reason(reasons, loaded, history_items, ratings, events) -> tuple[str, list[Item]]:
    """Turn engine reasons into a sentence a person understands."""
    because = [
        history_items[int(loaded.item_ids[r.item])]
        for r in reasons
        if r.kind == "item" and r.item >= 0 and int(loaded.item_ids[r.item]) in history_items
    ]
    if because:
        top = because[0]
        if top.pk in ratings:
            stars = ratings[top.pk]
            return f"Because you rated {top.title} {'★' * int(stars)}{'½' if stars % 1 else ''}", because
        verb = {"like": "liked", "favorite": "loved", "purchase": "bought", "play": "played"}.get(
            events.get(top.pk), "watched"
        )
        return f"Because you {verb} {top.title}", because
    kinds = {r.kind for r in reasons}
    if "content" in kinds:
        similar = [
            history_items.get(int(loaded.item_ids[r.item])) for r in reasons if r.kind == "content" and r.item >= 0
        ]
        similar = [s for s in similar if s is not None]
        if similar:
            return f"Similar to {similar[0].title}, which you liked", similar
        return "Matches the genres and tags you like", []
    if "trending" in kinds:
        return "Trending now", []
    return "Popular with everyone", []


def popular_items(*, workspace: int, limit: int = 20, item_filter: Q | None = None, exclude_pks=()) -> list[Item]:
    """The workspace's most rated visible items, then (for workspaces whose people play, buy or
    like rather than rate) those with the most positive events."""
    queryset = Item.objects.active().of(workspace).exclude(pk__in=exclude_pks)
    if item_filter is not None:
        queryset = queryset.filter(item_filter)
    found = list(queryset.filter(rating_count__gt=0).order_by("-rating_count", "-rating_avg", "pk")[:limit])
    if len(found) < limit:
        positive = Q(interactions__kind__in=set(Interaction.Kind.values) - Interaction.NEGATIVE_KINDS)
        unrated = queryset.filter(rating_count=0).annotate(events=Count("interactions", filter=positive))
        found += unrated.filter(events__gt=0).order_by("-events", "pk")[: limit - len(found)]
    return found


def popular_for_user(*, user, workspace: int, limit: int = 20, item_filter: Q | None = None) -> list[Recommendation]:
    seen = set(rules.seen_by(user)())
    items = popular_items(workspace=workspace, limit=limit, item_filter=item_filter, exclude_pks=seen)
    return [
        Recommendation(item, float(item.rating_count or getattr(item, "events", 0)), "Popular with everyone")
        for item in items
    ]


def similar_items_for(
    *,
    item: Item,
    limit: int = 12,
    items=None,
    placement: str = Rule.Placement.SIMILAR,
    user=None,
    diversity: float | None = None,
) -> list[Item]:
    """Items of `item`'s workspace most like it under that workspace's active model (same-genre
    favourites without one), shaped by the rules of `placement` for `user` (None: anyone).

    items: the queryset they are read from (default: every visible item, all fields), always
    narrowed to the item's workspace.
    """
    wanted = candidates_wanted(workspace=item.workspace_id, placement=placement, limit=limit, diversity=diversity)
    similar = _similar(item=item, limit=wanted, items=items)
    placed = with_rules(
        similar, -np.arange(len(similar), dtype=np.float64), workspace=item.workspace_id, placement=placement,
        user=user, limit=limit, queryset=items, diversity=diversity,
    )  # fmt: skip
    if placed is None:
        return similar[:limit]
    return [p.item for p in placed if p.item.pk != item.pk]


def _similar(*, item: Item, limit: int, items) -> list[Item]:
    items = (Item.objects.active() if items is None else items).of(item.workspace_id)
    loaded = active_models.get(item.workspace_id)
    col = loaded.column(item.pk) if loaded else -1
    if col >= 0:
        pks = loaded.similar_pks(col, limit * 2)
        found = items.in_bulk(pks)
        similar = [found[pk] for pk in pks if pk in found][:limit]
        if similar:
            return similar
    genres = item.genres.values_list("pk", flat=True)
    queryset = items.filter(genres__in=genres).exclude(pk=item.pk).distinct()
    return list(queryset.order_by("-rating_count", "pk")[:limit])
