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


def genre_ids(names: set[str]) -> dict[str, int]:
    existing = dict(Genre.objects.filter(name__in=names).values_list("name", "pk"))
    missing = [
        Genre(name=n, slug=slugify(n) or f"genre-{len(existing) + i}") for i, n in enumerate(names - set(existing))
    ]
    if missing:
        Genre.objects.bulk_create(missing, ignore_conflicts=True)
        existing = dict(Genre.objects.filter(name__in=names).values_list("name", "pk"))
    return existing


@transaction.atomic
def upsert_items(source: str, records: list[ItemRecord], report: ImportReport) -> dict[str, int]:
    """Create or update items keyed by (source, source_id); returns source_id -> pk."""
    current = {item.source_id: item for item in Item.objects.filter(source=source)}
    new, changed = [], []
    for record in records:
        item = current.get(record.source_id)
        if item is None:
            new.append(
                Item(
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

    ids = dict(Item.objects.filter(source=source).values_list("source_id", "pk"))
    _link_genres(records, ids, report)
    return ids


def _link_genres(records: list[ItemRecord], ids: dict[str, int], report: ImportReport) -> None:
    genres = genre_ids({name for record in records for name in record.genres})
    wanted = {(ids[r.source_id], genres[name]) for r in records for name in r.genres}
    Through = Item.genres.through
    existing = set(Through.objects.filter(item_id__in=ids.values()).values_list("item_id", "genre_id"))
    missing = wanted - existing
    Through.objects.bulk_create([Through(item_id=i, genre_id=g) for i, g in missing], batch_size=5000)
    report.count("created", "item genres", len(missing))
    report.count("unchanged", "item genres", len(wanted) - len(missing))


@transaction.atomic
def upsert_item_tags(counts: dict[tuple[int, str], int], report: ImportReport) -> None:
    """Set each (item, tag name) pair's count to the one given."""
    names = {name for _, name in counts}
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True, batch_size=5000)
    tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
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
