"""Bulk upsert of a client's items, keyed by the client's own external_id."""

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from rest_framework.exceptions import ValidationError

from api.models import ApiClient
from api.serializers import ItemUpsertSerializer
from catalog.models import Genre, Item, ItemTag, Tag

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
    source, now = client.item_source, timezone.now()
    with transaction.atomic():
        keys = [data["external_id"] for _, data in valid]
        stored = Item.objects.select_for_update().filter(source=source, source_id__in=keys)
        existing = {item.source_id: item for item in stored}
        created, updated = [], []
        for _, data in valid:
            item = existing.get(data["external_id"])
            if item is None:
                item = Item(source=source, source_id=data["external_id"], created_at=now)
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
        _genres_set(items)
        _tags_set(items)
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


def _genres_set(items: list[tuple[Item, dict]]) -> None:
    genres = genres_ensure({name for _, data in items for name in data["genres"]})
    through = Item.genres.through
    through.objects.filter(item_id__in=[item.pk for item, _ in items]).delete()
    links = {(item.pk, genres[name.casefold()]) for item, data in items for name in data["genres"]}
    through.objects.bulk_create([through(item_id=i, genre_id=g) for i, g in links], batch_size=1000)


def genres_ensure(names: set[str]) -> dict[str, int]:
    """Genre ids by case-folded name, creating missing genres; "sci-fi" finds the catalog's "Sci-Fi"."""
    known = {name.casefold(): pk for pk, name in Genre.objects.values_list("pk", "name")}
    missing = {name.casefold(): name for name in names if name.casefold() not in known}
    if missing:
        slugs = set(Genre.objects.values_list("slug", flat=True))
        new = []
        for name in missing.values():
            slug = slugify(name)[:50]
            if not slug or slug in slugs:
                # Another name already has this slug ("Sci Fi" vs "Sci-Fi"), or the name has no letters.
                slug = f"{slug or 'genre'}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
            slugs.add(slug)
            new.append(Genre(name=name, slug=slug))
        Genre.objects.bulk_create(new, ignore_conflicts=True)
        known = {name.casefold(): pk for pk, name in Genre.objects.values_list("pk", "name")}
    return known


def _tags_set(items: list[tuple[Item, dict]]) -> None:
    names = {name for _, data in items for name in data["tags"]}
    if names:
        Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True, batch_size=1000)
    tags = dict(Tag.objects.filter(name__in=names).values_list("name", "pk")) if names else {}
    ItemTag.objects.filter(item_id__in=[item.pk for item, _ in items]).delete()
    links = {(item.pk, tags[name]) for item, data in items for name in data["tags"]}
    ItemTag.objects.bulk_create([ItemTag(item_id=i, tag_id=t) for i, t in links], batch_size=1000)
