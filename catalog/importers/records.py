"""Idempotent bulk upserts of catalog items, their genres and tags."""

from typing import NamedTuple

from django.db import transaction
from django.utils.text import slugify

from catalog.importers.reader import ImportReport
from catalog.models import Genre, Item, ItemTag, Tag


class ItemRecord(NamedTuple):
    source_id: str
    title: str
    year: int | None
    genres: list[str]
    external_ids: dict


def genre_ids(workspace_id: int, names: set[str]) -> dict[str, int]:
    """The workspace's genre ids by name, creating missing genres in name order.

    Every creation here and below goes in a fixed order (never a set's), so importing the same
    files into two fresh databases numbers everything alike, and trains the same model.
    """
    genres = Genre.objects.filter(workspace_id=workspace_id)
    existing = dict(genres.filter(name__in=names).values_list("name", "pk"))
    missing = [
        Genre(workspace_id=workspace_id, name=n, slug=slugify(n) or f"genre-{len(existing) + i}")
        for i, n in enumerate(sorted(names - set(existing)))
    ]
    if missing:
        Genre.objects.bulk_create(missing, ignore_conflicts=True)
        existing = dict(genres.filter(name__in=names).values_list("name", "pk"))
    return existing


@transaction.atomic
def upsert_items(workspace_id: int, source: str, records: list[ItemRecord], report: ImportReport) -> dict[str, int]:
    """Create or update the workspace's items keyed by (source, source_id); returns source_id -> pk."""
    stored = Item.objects.filter(workspace_id=workspace_id, source=source)
    current = {item.source_id: item for item in stored}
    new, changed = [], []
    for record in records:
        item = current.get(record.source_id)
        if item is None:
            new.append(
                Item(
                    workspace_id=workspace_id,
                    source=source,
                    source_id=record.source_id,
                    title=record.title[:300],
                    year=record.year,
                    external_ids=record.external_ids,
                )
            )
        elif (item.title, item.year, item.external_ids) != (record.title[:300], record.year, record.external_ids):
            item.title, item.year, item.external_ids = record.title[:300], record.year, record.external_ids
            changed.append(item)
    Item.objects.bulk_create(new, batch_size=2000)
    Item.objects.bulk_update(changed, ["title", "year", "external_ids"], batch_size=2000)
    report.count("created", "items", len(new))
    report.count("updated", "items", len(changed))
    report.count("unchanged", "items", len(records) - len(new) - len(changed))

    ids = dict(stored.values_list("source_id", "pk"))
    _link_genres(workspace_id, records, ids, report)
    return ids


def _link_genres(workspace_id: int, records: list[ItemRecord], ids: dict[str, int], report: ImportReport) -> None:
    genres = genre_ids(workspace_id, {name for record in records for name in record.genres})
    wanted = {(ids[r.source_id], genres[name]) for r in records for name in r.genres}
    Through = Item.genres.through
    existing = set(Through.objects.filter(item_id__in=ids.values()).values_list("item_id", "genre_id"))
    missing = wanted - existing
    Through.objects.bulk_create([Through(item_id=i, genre_id=g) for i, g in sorted(missing)], batch_size=5000)
    report.count("created", "item genres", len(missing))
    report.count("unchanged", "item genres", len(wanted) - len(missing))


@transaction.atomic
def upsert_item_tags(workspace_id: int, counts: dict[tuple[int, str], int], report: ImportReport) -> None:
    """Set each (item, tag name) pair's count to the one given; tags are the workspace's."""
    names = {name for _, name in counts}
    new_tags = [Tag(workspace_id=workspace_id, name=n) for n in sorted(names)]
    Tag.objects.bulk_create(new_tags, ignore_conflicts=True, batch_size=5000)
    tag_ids = dict(Tag.objects.filter(workspace_id=workspace_id, name__in=names).values_list("name", "pk"))
    items = {item for item, _ in counts}
    existing = {(t.item_id, t.tag_id): t for t in ItemTag.objects.filter(item_id__in=items)}
    new, changed = [], []
    for (item_id, name), count in counts.items():
        current = existing.get((item_id, tag_ids[name]))
        if current is None:
            new.append(ItemTag(item_id=item_id, tag_id=tag_ids[name], count=count))
        elif current.count != count:
            current.count = count
            changed.append(current)
    ItemTag.objects.bulk_create(new, batch_size=5000)
    ItemTag.objects.bulk_update(changed, ["count"], batch_size=5000)
    report.count("created", "item tags", len(new))
    report.count("updated", "item tags", len(changed))
    report.count("unchanged", "item tags", len(counts) - len(new) - len(changed))
