"""Merchandising rules: what staff and partners do to a workspace's lists after the model scored them.

Every list the website and the API serve passes its candidates (item pks and
scores, best first, before truncation) through `shape()` with its placement:

- block: the item is never shown;
- pin: the item is put at `position` (1 is the top), brought in when it was not a
  candidate; it says "Featured";
- boost / bury: scores are first shifted to be positive (the lowest candidate
  sits at 5% of the candidates' spread above zero), then multiplied (boost) or
  divided (bury) by `weight`; several rules on one item multiply.

Precedence: block beats pin beats boost/bury. No rule brings back an item the
person rated or acted on (disliked, hid, consumed): pins skip them, and each list
still drops them after the rules.

A workspace's rules are compiled once into numpy arrays (one row per rule, a
sparse rule x item membership matrix over the items any rule targets) and kept
per process (core.process_caches), checked against the database at most every
CHECK_SECONDS (count and newest change of its rules: `stamp`) and recompiled at
least every COMPILE_SECONDS, so membership that depends on the catalog ("new",
a genre's items) follows it. Time windows, placements and segments are decided
per request over those arrays, so a window opening needs no recompiling.

The workspace's diversity settings per placement (recommendations.models.DiversitySetting)
travel with its rules, in the same cache and under the same stamp: `diversity_for`
says how spread a placement's lists are (recommendations.diversity re-ranks them).
"""

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from catalog.models import Interaction, Item, ItemTag, Rating
from core import process_caches
from recommendations.models import DiversitySetting, Rule

RULE_SETS = 1_000  # workspaces whose compiled rules a process keeps (LRU)
CHECK_SECONDS = 5.0
COMPILE_SECONDS = 60.0
FEATURED = "Featured"
SHIFT_FLOOR = 0.05

BOOST, BURY, PIN, BLOCK = 0, 1, 2, 3
_ACTION_CODES = {"boost": BOOST, "bury": BURY, "pin": PIN, "block": BLOCK}


@dataclass(frozen=True)
class ListDiversity:
    """A placement's diversity (recommendations.models.DiversitySetting): the re-ranking weight and the caps."""

    diversity: float = 0.0
    cap_per_genre: int | None = None
    cap_per_creator: int | None = None

    @property
    def shapes_lists(self) -> bool:
        return self.diversity > 0 or self.cap_per_genre is not None or self.cap_per_creator is not None


NO_DIVERSITY = ListDiversity()


@dataclass
class RuleSet:
    """A workspace's rules as arrays, one entry per rule (r rules, u targeted items)."""

    stamp: tuple
    ids: np.ndarray  # int64 (r,)
    action: np.ndarray  # int8 (r,)
    log_weight: np.ndarray  # float64 (r,): +log(weight) boost, -log(weight) bury, 0 otherwise
    position: np.ndarray  # int64 (r,): pin position, 0 otherwise
    pinned: np.ndarray  # int64 (r,): the pinned item's pk, 0 otherwise
    placement: np.ndarray  # str (r,): "" for every list
    max_interactions: np.ndarray  # float64 (r,): inf without a segment
    starts: np.ndarray  # float64 (r,) epoch seconds, -inf when open
    ends: np.ndarray  # float64 (r,) epoch seconds, inf when open
    universe: np.ndarray  # int64 (u,) sorted pks of every targeted item
    members: sp.csr_matrix  # bool (r, u)
    diversity: dict[str, ListDiversity] = field(default_factory=dict)  # by placement, "" for every list

    @classmethod
    def empty(cls, stamp=(), diversity=None) -> "RuleSet":
        z = np.zeros(0)
        return cls(stamp, z.astype(np.int64), z.astype(np.int8), z, z.astype(np.int64), z.astype(np.int64),
                   z.astype("<U20"), z, z, z, z.astype(np.int64), sp.csr_matrix((0, 0), dtype=bool),
                   diversity or {})  # fmt: skip

    def live(self, *, placement: str, now: float, interactions: float | None = None) -> np.ndarray:
        """Which rules apply to a list of `placement` at `now` for a person with `interactions`
        (None: not counted yet, segments are taken as matching)."""
        mask = ((self.placement == "") | (self.placement == placement)) & (self.starts <= now) & (now < self.ends)
        if interactions is not None:
            mask &= interactions < self.max_interactions
        return mask

    @property
    def has_segments(self) -> bool:
        return bool(np.isfinite(self.max_interactions).any())


@dataclass
class Shaped:
    """A list after its rules: pks in order, scores, the rule behind each (0: none), pinned ones."""

    pks: np.ndarray
    scores: np.ndarray
    rules: np.ndarray
    featured: np.ndarray


def unshaped(pks, scores) -> Shaped:
    """A list as it is, in the shape rules give it (no rule, nothing pinned)."""
    pks = np.asarray(pks, dtype=np.int64)
    return Shaped(pks, np.asarray(scores, dtype=np.float64), np.zeros(len(pks), dtype=np.int64),
                  np.zeros(len(pks), dtype=bool))  # fmt: skip


def apply(
    rules: RuleSet, pks: np.ndarray, scores: np.ndarray, *, live: np.ndarray, excluded: np.ndarray | None = None
) -> Shaped:
    """The candidates `pks` (scored `scores`, any order) reshaped by the rules `live` selects.

    Pure numpy, no database: excluded holds the pks no pin may bring (what the person saw).
    """
    pks = np.asarray(pks, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    rows = np.flatnonzero(live)
    member = _membership(rules, rows, pks)
    action = rules.action[rows]
    blocked = member[action == BLOCK].any(axis=0)
    weighted = member * rules.log_weight[rows][:, None]
    strength = np.abs(weighted)
    strongest = strength.argmax(axis=0) if len(rows) else np.zeros(len(pks), dtype=np.int64)
    touched = strength.max(axis=0) > 0 if len(rows) else np.zeros(len(pks), dtype=bool)
    rule_of = np.where(touched, rules.ids[rows][strongest] if len(rows) else 0, 0)
    spread = float(scores.max() - scores.min()) if len(scores) else 0.0
    positive = scores - (scores.min() if len(scores) else 0.0) + (SHIFT_FLOOR * spread if spread > 0 else 1.0)
    reweighted = positive * np.exp(weighted.sum(axis=0))
    keep = np.flatnonzero(~blocked)
    order = keep[np.argsort(-reweighted[keep], kind="stable")]
    out_pks, out_scores, out_rules = pks[order], reweighted[order], rule_of[order]
    out_featured = np.zeros(len(out_pks), dtype=bool)
    pins = rows[action == PIN]
    if len(pins):
        out_pks, out_scores, out_rules, out_featured = _pin(
            rules, pins, rows[action == BLOCK], excluded, out_pks, out_scores, out_rules, out_featured
        )
    return Shaped(out_pks, out_scores, out_rules, out_featured)


def _membership(rules: RuleSet, rows: np.ndarray, pks: np.ndarray) -> np.ndarray:
    """bool (len(rows), len(pks)): whether each selected rule targets each pk."""
    member = np.zeros((len(rows), len(pks)), dtype=bool)
    if not len(rows) or not len(pks) or not len(rules.universe):
        return member
    at = np.minimum(np.searchsorted(rules.universe, pks), len(rules.universe) - 1)
    found = rules.universe[at] == pks
    if found.any():
        member[:, found] = rules.members[rows][:, at[found]].toarray()
    return member


def _pin(rules, pins, blocks, excluded, pks, scores, rule_of, featured):
    """Put each pin's item at its position (lowest positions first, then oldest rule), unless blocked or excluded."""
    order = np.lexsort((rules.ids[pins], rules.position[pins]))
    pins = pins[order]
    items = rules.pinned[pins]
    blocked = _membership(rules, blocks, items).any(axis=0)
    allowed = ~blocked & (~np.isin(items, excluded) if excluded is not None and len(excluded) else True)
    first = np.unique(items, return_index=True)[1]  # an item pinned twice keeps its first (lowest) position
    allowed &= np.isin(np.arange(len(items)), first)
    pks, scores, rule_of, featured = list(pks), list(scores), list(rule_of), list(featured)
    for pin, item, ok in zip(
        pins.tolist(), items.tolist(), np.broadcast_to(allowed, items.shape).tolist(), strict=True
    ):
        if not ok:
            continue
        if item in pks:
            at = pks.index(item)
            for column in (pks, scores, rule_of, featured):
                del column[at]
        at = min(int(rules.position[pin]) - 1, len(pks))
        score = scores[at] if at < len(scores) else (scores[-1] if scores else 1.0)
        pks.insert(at, item)
        scores.insert(at, score)
        rule_of.insert(at, int(rules.ids[pin]))
        featured.insert(at, True)
    return (np.array(pks, dtype=np.int64), np.array(scores, dtype=np.float64),
            np.array(rule_of, dtype=np.int64), np.array(featured, dtype=bool))  # fmt: skip


# --- Compiling and caching a workspace's rules ------------------------------------------------------


def compile_rules(workspace_id: int, *, stamp: tuple = ()) -> RuleSet:
    """The workspace's active rules (whatever their window) and diversity settings as a RuleSet: a few
    queries, whatever their number."""
    diversity = {
        s.placement: ListDiversity(s.diversity, s.cap_per_genre, s.cap_per_creator)
        for s in DiversitySetting.objects.filter(workspace_id=workspace_id)
    }
    found = list(Rule.objects.filter(workspace_id=workspace_id, is_active=True).order_by("pk"))
    if not found:
        return RuleSet.empty(stamp, diversity)
    lists = _targets(found, workspace_id)
    universe = np.unique(np.concatenate(lists)) if lists else np.zeros(0, dtype=np.int64)
    row = np.repeat(np.arange(len(lists)), [len(t) for t in lists])
    col = np.searchsorted(universe, np.concatenate(lists))
    members = sp.csr_matrix((np.ones(len(col), dtype=bool), (row, col)), shape=(len(found), len(universe)))
    action = np.array([_ACTION_CODES[r.action] for r in found], dtype=np.int8)
    weight = np.array([max(r.weight or 1.0, 1e-9) for r in found])
    return RuleSet(
        stamp=stamp,
        ids=np.array([r.pk for r in found], dtype=np.int64),
        action=action,
        log_weight=np.where(action == BOOST, np.log(weight), np.where(action == BURY, -np.log(weight), 0.0)),
        position=np.array([r.position or 0 for r in found], dtype=np.int64),
        pinned=np.array([r.item_id if r.action == "pin" and r.item_id else 0 for r in found], dtype=np.int64),
        placement=np.array([r.placement for r in found], dtype="<U20"),
        max_interactions=np.array([math.inf if r.max_interactions is None else r.max_interactions for r in found]),
        starts=np.array([r.starts_at.timestamp() if r.starts_at else -math.inf for r in found]),
        ends=np.array([r.ends_at.timestamp() if r.ends_at else math.inf for r in found]),
        universe=universe,
        members=members,
        diversity=diversity,
    )


def _targets(found: list[Rule], workspace_id: int) -> list[np.ndarray]:
    """Each rule's target item pks: one query for all genre targets, one for all tags, one reading the
    workspace's items' kind and year when a rule targets those, one per creator or "new" rule."""
    kinds = {r.target for r in found}
    genres = _grouped(Item.genres.through.objects.filter(
        genre_id__in=[r.genre_id for r in found if r.target == Rule.Target.GENRE]).values_list("genre_id", "item_id"),
    ) if Rule.Target.GENRE in kinds else {}  # fmt: skip
    tags = _grouped(ItemTag.objects.filter(
        tag_id__in=[r.tag_id for r in found if r.target == Rule.Target.TAG]).values_list("tag_id", "item_id"),
    ) if Rule.Target.TAG in kinds else {}  # fmt: skip
    items = Item.objects.filter(workspace_id=workspace_id)
    if kinds & {Rule.Target.KIND, Rule.Target.YEAR_RANGE}:
        rows = list(items.values_list("pk", "kind", "year"))
        pks = np.array([row[0] for row in rows], dtype=np.int64)
        kind = np.array([row[1] for row in rows], dtype=object)
        year = np.array([np.nan if row[2] is None else row[2] for row in rows], dtype=np.float64)
    empty = np.zeros(0, dtype=np.int64)
    lists = []
    for rule in found:
        match rule.target:
            case Rule.Target.ITEM:
                lists.append(np.array([rule.item_id], dtype=np.int64))
            case Rule.Target.GENRE:
                lists.append(genres.get(rule.genre_id, empty))
            case Rule.Target.TAG:
                lists.append(tags.get(rule.tag_id, empty))
            case Rule.Target.KIND:
                lists.append(pks[kind == rule.kind])
            case Rule.Target.CREATOR:
                lists.append(np.fromiter(
                    items.filter(creators__contains=[rule.creator]).values_list("pk", flat=True)
                    if _json_contains() else _creator_pks(items, rule.creator), dtype=np.int64,
                ))  # fmt: skip
            case Rule.Target.YEAR_RANGE:
                low = -np.inf if rule.year_min is None else rule.year_min
                high = np.inf if rule.year_max is None else rule.year_max
                lists.append(pks[(year >= low) & (year <= high)])
            case _:  # new: the few items added lately, through the created_at index
                since = timezone.now() - timezone.timedelta(days=rule.new_days or 0)
                lists.append(
                    np.fromiter(items.filter(created_at__gte=since).values_list("pk", flat=True), dtype=np.int64)
                )
    return lists


def _grouped(pairs) -> dict[int, np.ndarray]:
    """(key, item pk) rows -> {key: item pks}."""
    rows = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    keys, starts = np.unique(rows[:, 0], return_index=True)
    return dict(zip(keys.tolist(), np.split(rows[:, 1], starts[1:]), strict=True))


def _json_contains() -> bool:
    return connection.features.supports_json_field_contains


def _creator_pks(items, creator: str) -> list[int]:
    # SQLite cannot search inside a JSON list: read the items whose stored JSON text (non-ASCII escaped)
    # holds the name, then check the list itself.
    rows = items.filter(creators__icontains=json.dumps(creator)[1:-1]).values_list("pk", "creators")
    return [pk for pk, creators in rows if creator in (creators or [])]


class _RuleSets:
    """Per process: each workspace's compiled rules, LRU-bounded, checked against its stamp every few seconds."""

    def __init__(self):
        self._entries: OrderedDict[int, tuple[RuleSet, float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, workspace_id: int) -> RuleSet:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(workspace_id)
            if entry is not None:
                self._entries.move_to_end(workspace_id)
        if entry is not None and now - entry[1] < CHECK_SECONDS:
            return entry[0]
        stamp = rules_stamp(workspace_id)
        if entry is not None and entry[0].stamp == stamp and now - entry[2] < COMPILE_SECONDS:
            ruleset, compiled = entry[0], entry[2]
        else:
            ruleset, compiled = compile_rules(workspace_id, stamp=stamp), now
        with self._lock:
            self._entries[workspace_id] = (ruleset, now, compiled)
            self._entries.move_to_end(workspace_id)
            while len(self._entries) > RULE_SETS:
                self._entries.popitem(last=False)
        return ruleset

    def forget(self, workspace_id: int) -> None:
        with self._lock:
            self._entries.pop(workspace_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


rule_sets = _RuleSets()
process_caches.register("rules", clear=rule_sets.clear)


def rules_stamp(workspace_id: int) -> tuple:
    """What changes whenever a rule or a diversity setting of the workspace is created, edited or deleted:
    their counts and newest changes."""
    stamp = ()
    for model in (Rule, DiversitySetting):
        row = model.objects.filter(workspace_id=workspace_id).aggregate(n=Count("pk"), last=Max("updated_at"))
        stamp += (row["n"], row["last"].isoformat() if row["last"] else "")
    return stamp


# --- Serving: the one entry point of every list -------------------------------------------------------


def shape(
    *, workspace: int, placement: str, user, pks, scores, seen: Callable[[], Iterable[int]] | None = None
) -> Shaped | None:
    """The list `pks` (best first, with `scores`) after the workspace's rules in force for `placement`;
    None when no rule applies (the list stays as it is), or for no placement (a list shaped later).

    seen: returns the pks the person rated or acted on; asked only when a pin could bring one back.
    """
    if not placement:
        return None
    rules = rule_sets.get(workspace)
    if not len(rules.ids):
        return None
    now = time.time()
    live = rules.live(placement=placement, now=now)
    if not live.any():
        return None
    if rules.has_segments:
        live = rules.live(placement=placement, now=now, interactions=interactions_of(user))
        if not live.any():
            return None
    excluded = None
    if (rules.action[live] == PIN).any() and seen is not None:
        excluded = np.fromiter(seen(), dtype=np.int64)
    return apply(rules, np.asarray(pks, dtype=np.int64), np.asarray(scores, dtype=np.float64), live=live,
                 excluded=excluded)  # fmt: skip


def in_force(*, workspace: int, placement: str) -> bool:
    """Whether any rule may apply to the placement now (callers then read more candidates)."""
    if not placement:
        return False
    rules = rule_sets.get(workspace)
    return bool(len(rules.ids)) and bool(rules.live(placement=placement, now=time.time()).any())


def diversity_for(*, workspace: int, placement: str) -> ListDiversity:
    """The diversity of the workspace's lists of `placement`: its own setting, else the workspace's setting
    for every list, else none. A list without a placement (shaped later by its caller) has none."""
    if not placement:
        return NO_DIVERSITY
    settings = rule_sets.get(workspace).diversity
    return settings.get(placement) or settings.get("") or NO_DIVERSITY


def interactions_of(user) -> int:
    """Ratings plus events: what a segment ("fewer than N interactions") counts. Anonymous visitors have none."""
    if user is None or not user.is_authenticated:
        return 0
    return Rating.objects.filter(user=user).count() + Interaction.objects.filter(user=user).count()


def seen_by(user) -> Callable[[], list[int]]:
    """The pks `user` rated or acted on, read when first needed."""

    def read() -> list[int]:
        if user is None or not user.is_authenticated:
            return []
        rated = Rating.objects.filter(user=user).values_list("item_id", flat=True)
        return [*rated, *Interaction.objects.filter(user=user).values_list("item_id", flat=True)]

    return read


# --- Writes -------------------------------------------------------------------------------------------


def rule_save(rule) -> None:
    """Validate (per-field errors) and store a rule; this process serves it at once, others within CHECK_SECONDS."""
    rule.full_clean()
    rule.save()
    _forget(rule.workspace_id)


def rule_delete(rule) -> None:
    workspace_id = rule.workspace_id
    rule.delete()
    _forget(workspace_id)


def diversity_setting_save(setting: DiversitySetting) -> None:
    """Validate (per-field errors, one setting per placement) and store; lists follow as they do rules."""
    setting.full_clean()
    setting.save()
    _forget(setting.workspace_id)


def diversity_setting_delete(setting: DiversitySetting) -> None:
    workspace_id = setting.workspace_id
    setting.delete()
    _forget(workspace_id)


def _forget(workspace_id: int) -> None:
    # Now, for what this transaction reads next, and at commit, for what other requests of this process read.
    rule_sets.forget(workspace_id)
    transaction.on_commit(lambda: rule_sets.forget(workspace_id))
