from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.importers import import_movielens
from catalog.importers.movielens import parse_title
from catalog.models import Genre, Item, ItemTag, Rating, Tag

pytestmark = pytest.mark.django_db

MOVIES = """movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
2,"American President, The (1995)",Comedy|Drama|Romance
3,Nameless (no year),(no genres listed)
"""
LINKS = "movieId,imdbId,tmdbId\n1,0114709,862\n2,0112346,9087\n3,0000001,\n"
TAGS = "userId,movieId,tag,timestamp\n1,1,pixar,1\n2,1,Pixar ,2\n1,2,politics,3\n1,99,orphan,4\n"


def write_mlcsv(folder: Path, ratings: bytes) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "movies.csv").write_text(MOVIES)
    (folder / "links.csv").write_text(LINKS)
    (folder / "tags.csv").write_text(TAGS)
    (folder / "ratings.csv").write_bytes(ratings)
    return folder


GOOD_AND_BAD = (
    b"userId,movieId,rating,timestamp\n"
    b"1,1,4.0,964982703\n"  # line 2: good
    b"1,2,7.0,964982703\n"  # line 3: out of range
    b"1,42,3.0,964982703\n"  # line 4: unknown item
    b"2,1,3.5\n"  # line 5: broken line
    b"2,2,4.5,96498\xff\n"  # line 6: not UTF-8
    b"2,2,four,964982703\n"  # line 7: not a number
    b"2,3,0.5,964982703\n"  # line 8: good
    b"3,2,5.0,964982703\n"  # line 9: good
)


def test_it_imports_good_rows_and_reports_bad_ones_with_file_and_line(tmp_path):
    report = import_movielens(write_mlcsv(tmp_path / "ml", GOOD_AND_BAD))

    assert Rating.objects.count() == 3
    assert report.created["ratings"] == 3
    problems = {(e.file, e.line): e.message for e in report.errors}
    assert "outside 0.5-5.0" in problems["ratings.csv", 3]
    assert "unknown item '42'" in problems["ratings.csv", 4]
    assert "expected 4 fields" in problems["ratings.csv", 5]
    assert "not valid utf-8" in problems["ratings.csv", 6]
    assert "must be numbers" in problems["ratings.csv", 7]
    assert "unknown movieId '99'" in problems["tags.csv", 5]
    assert len(report.errors) == 6


def test_a_user_id_of_other_digits_is_reported_and_the_rest_kept(tmp_path):
    ratings = "userId,movieId,rating,timestamp\n2,1,4.0,1\n\u00b2,1,4.0,1\n\u0663,2,3.0,1\n1,2,3.0,1\n"
    report = import_movielens(write_mlcsv(tmp_path / "ml", ratings.encode()))

    assert sorted(get_user_model().objects.values_list("username", flat=True)) == ["demo1", "demo2"]
    problems = {(e.file, e.line): e.message for e in report.errors if e.file == "ratings.csv"}
    assert set(problems) == {("ratings.csv", 3), ("ratings.csv", 4)}
    assert "user id must be a whole number" in problems["ratings.csv", 3]


def test_it_builds_items_with_genres_tags_links_and_clean_titles(tmp_path):
    import_movielens(write_mlcsv(tmp_path / "ml", GOOD_AND_BAD))

    toy = Item.objects.get(source="movielens", source_id="1")
    assert (toy.title, toy.year) == ("Toy Story", 1995)
    assert sorted(toy.genres.values_list("name", flat=True)) == [
        "Adventure", "Animation", "Children", "Comedy", "Fantasy",
    ]  # fmt: skip
    assert toy.external_ids == {"imdb": "tt0114709", "tmdb": "862"}
    assert ItemTag.objects.get(item=toy, tag__name="pixar").count == 2
    assert Item.objects.get(source_id="2").title == "The American President"
    assert Item.objects.get(source_id="3").genres.count() == 0
    assert toy.rating_count == 1 and toy.rating_avg == 4.0


def test_it_creates_demo_users_who_can_log_in(tmp_path, client, settings):
    import_movielens(write_mlcsv(tmp_path / "ml", GOOD_AND_BAD))

    assert set(get_user_model().objects.values_list("username", flat=True)) == {"demo1", "demo2", "demo3"}
    response = client.post("/accounts/login/", {"username": "demo1", "password": settings.ENCORE_DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.wsgi_request.user.username == "demo1"


def test_everything_is_created_in_a_fixed_order_so_two_imports_number_it_alike(tmp_path):
    # Users first appear out of order; a set's order (which changes from run to run) would number
    # the accounts differently in each fresh database, and so train a different first model.
    people = [17, 3, 25, 1, 30, 8, 12, 2, 21, 5, 28, 14, 9, 19, 4, 26, 11, 6, 23, 15]
    lines = [b"userId,movieId,rating,timestamp"] + [f"{u},1,4.0,1".encode() for u in people]
    import_movielens(write_mlcsv(tmp_path / "ml", b"\n".join(lines) + b"\n"))

    accounts = list(get_user_model().objects.order_by("pk").values_list("username", flat=True))
    assert accounts == [f"demo{u}" for u in sorted(people)]
    genres = list(Genre.objects.order_by("pk").values_list("name", flat=True))
    assert genres == sorted(genres) and len(genres) == 7
    assert list(Tag.objects.order_by("pk").values_list("name", flat=True)) == ["pixar", "politics"]


def test_a_second_run_changes_nothing(tmp_path):
    folder = write_mlcsv(tmp_path / "ml", GOOD_AND_BAD)
    import_movielens(folder)
    before = list(Rating.objects.order_by("pk").values_list("pk", "value", "updated_at"))

    report = import_movielens(folder)

    assert report.created.get("ratings", 0) == 0 and report.updated.get("ratings", 0) == 0
    assert report.unchanged["ratings"] == 3
    assert report.created.get("items", 0) == 0 and report.created.get("users", 0) == 0
    assert list(Rating.objects.order_by("pk").values_list("pk", "value", "updated_at")) == before


def test_a_changed_rating_is_updated_in_place(tmp_path):
    folder = write_mlcsv(tmp_path / "ml", b"userId,movieId,rating,timestamp\n1,1,4.0,1\n")
    import_movielens(folder)
    (folder / "ratings.csv").write_bytes(b"userId,movieId,rating,timestamp\n1,1,2.5,2\n")

    report = import_movielens(folder)

    assert report.updated["ratings"] == 1
    assert list(Rating.objects.values_list("value", flat=True)) == [2.5]


def test_small_batches_keep_every_good_row(tmp_path):
    lines = [b"userId,movieId,rating,timestamp"] + [f"{u},{m},3.0,1".encode() for u in range(1, 8) for m in (1, 2, 3)]
    report = import_movielens(write_mlcsv(tmp_path / "ml", b"\n".join(lines) + b"\n"), batch_size=4)
    assert report.created["ratings"] == Rating.objects.count() == 21


def test_it_reads_the_classic_ml100k_layout(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    flags = "|".join(["0"] * 19)
    comedy = "|".join("1" if i == 5 else "0" for i in range(19))
    (folder / "u.item").write_bytes(
        f"1|Toy Story (1995)|01-Jan-1995||http://x|{comedy}\n".encode("latin-1")
        + "2|Café Society (1995)|01-Jan-1995||http://x|{flags}\n".replace("{flags}", flags).encode("latin-1")
    )
    (folder / "u.data").write_text("1\t1\t5\t874965758\n1\t2\t3\t874965758\n2\t1\t9\t874965758\n")

    report = import_movielens(folder)

    assert report.created["ratings"] == 2
    assert [(e.file, e.line) for e in report.errors] == [("u.data", 3)]
    assert Item.objects.get(source="ml100k", source_id="2").title == "Café Society"
    assert list(Item.objects.get(source_id="1", source="ml100k").genres.values_list("name", flat=True)) == ["Comedy"]
    assert get_user_model().objects.filter(username="ml100k_1").exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Toy Story (1995)", ("Toy Story", 1995)),
        ("Usual Suspects, The (1995)", ("The Usual Suspects", 1995)),
        ("Babylon 5", ("Babylon 5", None)),
        ("Fawlty Towers (1975-1979)", ("Fawlty Towers", 1975)),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            ("The City of Lost Children (Cité des enfants perdus, La)", 1995),
        ),
    ],
)
def test_parse_title(raw, expected):
    assert parse_title(raw) == expected


def test_the_command_prints_a_summary_and_the_rejected_rows(tmp_path):
    out, err = StringIO(), StringIO()
    call_command("import_movielens", str(write_mlcsv(tmp_path / "ml", GOOD_AND_BAD)), stdout=out, stderr=err)
    assert "ratings: 3 new, 0 updated, 0 unchanged" in out.getvalue()
    assert "rejected rows: 6" in out.getvalue()
    assert "skipped ratings.csv:3: rating 7.0 is outside 0.5-5.0" in err.getvalue()


def test_the_command_refuses_a_folder_without_movielens_files(tmp_path):
    with pytest.raises(CommandError, match="neither movies.csv"):
        call_command("import_movielens", str(tmp_path))
