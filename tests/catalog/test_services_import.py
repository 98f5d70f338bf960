"""The importer writes ratings through catalog.services: every batch it commits leaves true counters."""

import pytest
from django.db.models import Avg, Count

from catalog.importers import import_movielens, movielens
from catalog.models import Item, Rating
from tests.catalog.test_importers import write_mlcsv

pytestmark = pytest.mark.django_db

RATINGS = (
    b"userId,movieId,rating,timestamp\n"
    b"1,1,4.0,964982703\n"
    b"2,1,2.5,964982704\n"
    b"1,2,5.0,964982705\n"
    b"3,2,1.0,964982706\n"
    b"3,1,3.0,964982707\n"
)


def counters_and_truth():
    items = Item.objects.order_by("pk")
    stored = list(items.values_list("source_id", "rating_count", "rating_avg"))
    ratings = Rating.objects.values("item__source_id").annotate(n=Count("pk"), a=Avg("value"))
    real = {row["item__source_id"]: (row["n"], row["a"]) for row in ratings}
    return stored, [(source_id, *real.get(source_id, (0, None))) for source_id, _, _ in stored]


def test_an_import_that_stops_half_way_leaves_true_counters_for_what_it_wrote(tmp_path, monkeypatch):
    batches, resolve = [], movielens._UserDirectory.resolve

    def resolve_until_the_disk_fills(self, dataset_ids, report):
        batches.append(dataset_ids)
        if len(batches) == 2:
            raise OSError("No space left on device")
        return resolve(self, dataset_ids, report)

    monkeypatch.setattr(movielens._UserDirectory, "resolve", resolve_until_the_disk_fills)
    with pytest.raises(OSError, match="No space left"):
        import_movielens(write_mlcsv(tmp_path / "ml", RATINGS), batch_size=3)

    assert Rating.objects.count() == 3  # the first batch is kept
    stored, real = counters_and_truth()
    assert stored == real
    assert ("1", 2, 3.25) in stored


def test_importing_again_with_changed_ratings_moves_the_counters(tmp_path):
    folder = write_mlcsv(tmp_path / "ml", RATINGS)
    import_movielens(folder, batch_size=2)
    (folder / "ratings.csv").write_bytes(RATINGS.replace(b"3,1,3.0", b"3,1,0.5") + b"4,3,4.5,964982708\n")

    report = import_movielens(folder, batch_size=2)

    assert (report.created["ratings"], report.updated["ratings"], report.unchanged["ratings"]) == (1, 1, 4)
    stored, real = counters_and_truth()
    assert stored == real
    assert [row[1:] for row in stored] == [(3, 7 / 3), (2, 3.0), (1, 4.5)]
