"""Bulk upsert of a workspace's items over the API, keyed by the partner's own external_id.

Items, genres and tags are the client's workspace's; the workspace's quotas on
items and genres keep the rows that fit, in order, and reject the others by position.
"""

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from rest_framework.exceptions import ValidationError

from api.models import ApiClient
from api.serializers import ItemUpsertSerializer
from catalog.models import API_ITEM_SOURCE, Genre, Item, ItemTag, Tag
from core.models import Workspace
from core.quotas import quota_message, refuse_if_only_quotas, room_for
from core.workspaces import workspace_data_changed

UPDATED_FIELDS = ["kind", "title", "description", "year", "creators", "image_url", "is_active", "updated_at"]


@dataclass
class ItemReport:
    created: int = 0
    updated: int = 0
    items: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated


def items_upsert(*, client: ApiClient, rows: list) -> ItemReport:
    """Create or update each valid row; an upserted item is visible again even if it was hidden."""
    report = ItemReport()
    valid = _validated(rows, report)
    if not valid:
        return report
    source, now = API_ITEM_SOURCE, timezone.now()
    with transaction.atomic():
        # One upsert at a time per workspace, so two batches cannot both take the last room of a quota.
        workspace = Workspace.objects.select_for_update().get(pk=client.workspace_id)
        keys = [data["external_id"] for _, data in valid]
        stored = Item.objects.select_for_update().filter(workspace=workspace, source=source, source_id__in=keys)
        existing = {item.source_id: item for item in stored}
        valid = _within_quotas(workspace, valid, existing, report)
        if not valid:
            return _refused(report)
        created, updated = [], []
        for _, data in valid:
            item = existing.get(data["external_id"])
            if item is None:
                item = Item(workspace=workspace, source=source, source_id=data["external_id"], created_at=now)
                created.append(item)
            else:
                updated.append(item)
            for name in ("kind", "title", "description", "year", "creators", "image_url"):
                setattr(item, name, data[name])
            item.is_active, item.updated_at = True, now
            existing[data["external_id"]] = item
        Item.objects.bulk_create(created, batch_size=500)
        Item.objects.bulk_update(updated, UPDATED_FIELDS, batch_size=500)
        items = [(existing[data["external_id"]], data) for _, data in valid]
        _genres_set(workspace, items)
        _tags_set(workspace, items)
        workspace_data_changed(workspace.pk)
    report.errors.sort(key=lambda e: e["index"])
    created_ids = {id(item) for item in created}
    report.created, report.updated = len(created), len(updated)
    report.items = [
        {"index": index, "external_id": data["external_id"], "id": item.pk, "created": id(item) in created_ids}
        for (index, data), (item, _) in zip(valid, items, strict=True)
    ]
    return report


def _validated(rows: list, report: ItemReport) -> list[tuple[int, dict]]:
    serializer, valid, first_seen = ItemUpsertSerializer(), [], {}
    for index, raw in enumerate(rows):
        try:
            data = serializer.run_validation(raw)
        except ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            report.errors.append({"index": index, "errors": detail})
            continue
        if data["external_id"] in first_seen:
            message = f"Duplicate external_id: row {first_seen[data['external_id']]} has it already."
            report.errors.append({"index": index, "errors": {"external_id": [message]}})
            continue
        first_seen[data["external_id"]] = index
        valid.append((index, data))
    return valid


def _within_quotas(workspace, valid, existing, report: ItemReport) -> list[tuple[int, dict]]:
    """The rows that fit the workspace's item and genre quotas, in order; the others are rejected."""
    known = {name.casefold() for name in Genre.objects.filter(workspace=workspace).values_list("name", flat=True)}
    genre_room = room_for(workspace, "genres", len(known))
    item_room = room_for(workspace, "items", Item.objects.filter(workspace=workspace).count())
    kept = []
    for index, data in valid:
        new_genres = {name.casefold() for name in data["genres"]} - known
        if len(new_genres) > genre_room:
            report.errors.append({"index": index, "errors": {"genres": [quota_message(workspace, "genres")]}})
            continue
        if data["external_id"] not in existing:
            if item_room == 0:
                report.errors.append(
                    {"index": index, "errors": {"non_field_errors": [quota_message(workspace, "items")]}}
                )
                continue
            item_room -= 1
        genre_room -= len(new_genres)
        known |= new_genres
        kept.append((index, data))
    return kept


def _refused(report: ItemReport) -> ItemReport:
    """Nothing fitted: a request refused by quota alone is a 403 naming the limit, else the per-row report."""
    report.errors.sort(key=lambda e: e["index"])
    refuse_if_only_quotas(report.errors)
    return report


def _genres_set(workspace, items: list[tuple[Item, dict]]) -> None:
    genres = genres_ensure(workspace, {name for _, data in items for name in data["genres"]})
    through = Item.genres.through
    through.objects.filter(item_id__in=[item.pk for item, _ in items]).delete()
    links = {(item.pk, genres[name.casefold()]) for item, data in items for name in data["genres"]}
    through.objects.bulk_create([through(item_id=i, genre_id=g) for i, g in links], batch_size=1000)


def genres_ensure(workspace, names: set[str]) -> dict[str, int]:
    """The workspace's genre ids by case-folded name, creating missing genres; "sci-fi" finds its "Sci-Fi"."""
    genres = Genre.objects.filter(workspace=workspace)
    known = {name.casefold(): pk for pk, name in genres.values_list("pk", "name")}
    missing = {name.casefold(): name for name in names if name.casefold() not in known}
    if missing:
        slugs = set(genres.values_list("slug", flat=True))
        new = []
        for name in missing.values():
            slug = slugify(name)[:50]
            if not slug or slug in slugs:
                # Another name already has this slug ("Sci Fi" vs "Sci-Fi"), or the name has no letters.
                slug = f"{slug or 'genre'}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
            slugs.add(slug)
            new.append(Genre(workspace=workspace, name=name, slug=slug))
        Genre.objects.bulk_create(new, ignore_conflicts=True)
        known = {name.casefold(): pk for pk, name in genres.values_list("pk", "name")}
    return known


def _tags_set(workspace, items: list[tuple[Item, dict]]) -> None:
    names = {name for _, data in items for name in data["tags"]}
    if names:
        new = [Tag(workspace=workspace, name=name) for name in names]
        Tag.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    tags = dict(Tag.objects.filter(workspace=workspace, name__in=names).values_list("name", "pk")) if names else {}
    ItemTag.objects.filter(item_id__in=[item.pk for item, _ in items]).delete()
    links = {(item.pk, tags[name]) for item, data in items for name in data["tags"]}
    ItemTag.objects.bulk_create([ItemTag(item_id=i, tag_id=t) for i, t in links], batch_size=1000)
