from urllib.parse import quote

import pytest

from catalog.models import Genre, Item
from tests.api.conftest import own_item
from tests.factories import GenreFactory, ItemFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/items/"


def test_it_lists_items_with_filters_and_ordering(partner):
    drama = GenreFactory(name="Drama")
    ItemFactory(title="Old drama", year=1950, genres=[drama])
    ItemFactory(title="New drama", year=2020, genres=[drama])
    ItemFactory(title="New game", year=2021, kind="game")
    ItemFactory(title="Hidden drama", year=2000, genres=[drama], is_active=False)

    def titles(**params):
        return [i["title"] for i in partner.get(URL, params).json()["results"]]

    assert titles() == ["New drama", "New game", "Old drama"]
    assert titles(genre="drama", ordering="-year") == ["New drama", "Old drama"]
    assert titles(kind="game") == ["New game"]
    assert titles(year_min=2000, year_max=2020) == ["New drama"]
    assert titles(search="new dram") == ["New drama"]
    item = partner.get(URL, {"search": "game"}).json()["results"][0]
    assert set(item) >= {"id", "external_id", "kind", "title", "year", "genres", "tags", "rating_count"}


def test_pages_have_a_maximum_size(partner):
    for i in range(3):
        ItemFactory(title=f"Film {i}")
    page = partner.get(URL, {"page_size": 2}).json()
    assert (page["count"], len(page["results"])) == (3, 2)
    assert page["next"]
    assert partner.get(URL, {"page_size": 501}).status_code == 400
    assert partner.get(URL, {"page": 99}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [{"kind": "opera"}, {"year_min": "soon"}, {"ordering": "password"}, {"page_size": "x"}, {"search": "a\x00"}],
)
def test_bad_filters_are_400_with_the_field_named(partner, params):
    response = partner.get(URL, params)
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == set(params)


@pytest.mark.parametrize("written", ["\x0c2", " 2", "2 ", "+2", "2_0", "٢", "02"])
def test_numbers_are_written_as_in_json_in_every_query_parameter_and_item_id(partner, written):
    item = own_item(partner, "e-1", year=2002)
    for name, plain in (("page_size", "2"), ("year_min", "2002"), ("limit", "2"), ("diversity", "0.2")):
        path = "/api/v1/trending/" if name in ("limit", "diversity") else URL
        assert partner.get(path, {name: plain}).status_code == 200
        response = partner.get(path, {name: written.replace("2", plain)})
        assert response.status_code == 400 and set(response.json()["error"]["details"]) == {name}
    assert partner.get(URL, {"page": written.replace("2", "1")}).status_code == 404
    assert partner.get(URL, {"page": "1"}).status_code == 200
    pk = written.replace("2", str(item.pk))
    assert partner.get(f"{URL}{quote(pk)}/").status_code == 404


def test_an_integer_parameter_refuses_a_fraction_and_a_number_parameter_takes_json_numbers(partner):
    assert partner.get(URL, {"page_size": "2.0"}).status_code == 400
    assert partner.get("/api/v1/trending/", {"limit": "2.0"}).status_code == 400
    for number in ("0", "1", "0.25", "2.5e-1", "25E-2"):
        assert partner.get("/api/v1/trending/", {"diversity": number}).status_code == 200, number


def test_it_shows_one_item_and_404s_hidden_or_unknown_ones(partner):
    item = own_item(partner, "e-1")
    body = partner.get(f"{URL}{item.pk}/").json()
    assert (body["id"], body["external_id"]) == (item.pk, "e-1")
    item.is_active = False
    item.save()
    assert partner.get(f"{URL}{item.pk}/").status_code == 404
    assert partner.get(f"{URL}{2**70}/").status_code == 404
    assert partner.get(f"{URL}abc/").json()["error"]["code"] == "not_found"


def test_bulk_upsert_creates_then_updates_by_external_id(partner):
    GenreFactory(name="Sci-Fi")
    rows = [
        {"external_id": "m1", "title": "Arrival", "kind": "movie", "year": 2016, "genres": ["sci-fi", "Drama"],
         "tags": ["aliens"], "creators": ["Denis Villeneuve"]},
        {"external_id": "m2", "title": "Dune", "genres": ["Sci-Fi"]},
    ]  # fmt: skip
    created = partner.post(URL, rows)
    assert created.status_code == 200, created.json()
    body = created.json()
    assert (body["accepted"], body["created"], body["updated"], body["errors"]) == (2, 2, 0, [])
    ids = {row["external_id"]: row["id"] for row in body["items"]}
    arrival = Item.objects.get(pk=ids["m1"])
    assert sorted(g.name for g in arrival.genres.all()) == ["Drama", "Sci-Fi"]
    assert Genre.objects.filter(name__iexact="sci-fi").count() == 1
    assert [t.name for t in arrival.tags.all()] == ["aliens"]

    updated = partner.post(URL, {"external_id": "m1", "title": "Arrival (2016)", "genres": []}).json()
    assert (updated["created"], updated["updated"], updated["items"][0]["id"]) == (0, 1, arrival.pk)
    arrival.refresh_from_db()
    assert arrival.title == "Arrival (2016)" and not arrival.genres.exists()


def test_bulk_upsert_keeps_valid_rows_and_reports_bad_ones(partner):
    rows = [{"external_id": "ok", "title": "Fine"}, {"external_id": "bad"}, {"external_id": "ok", "title": "Again"},
            {"external_id": "k", "title": "T", "kind": "opera", "year": -1}]  # fmt: skip
    response = partner.post(URL, rows)
    assert response.status_code == 207
    errors = {e["index"]: set(e["errors"]) for e in response.json()["errors"]}
    assert errors == {1: {"title"}, 2: {"external_id"}, 3: {"kind", "year"}}
    assert Item.objects.filter(workspace=partner.client.workspace, source="api").count() == 1


def test_delete_hides_only_the_clients_own_items(partner):
    mine, shared = own_item(partner, "mine"), ItemFactory()
    assert partner.delete(f"{URL}{mine.pk}/").status_code == 204
    mine.refresh_from_db()
    assert not mine.is_active
    assert mine.pk not in {i["id"] for i in partner.get(URL).json()["results"]}
    response = partner.delete(f"{URL}{shared.pk}/")
    assert response.status_code == 403
    assert Item.objects.get(pk=shared.pk).is_active


def test_similar_and_trending_answer_lists(partner):
    drama = GenreFactory(name="Drama")
    first, second = ItemFactory(genres=[drama], rating_count=3), ItemFactory(genres=[drama], rating_count=2)
    similar = partner.get(f"{URL}{first.pk}/similar/", {"limit": 5}).json()["results"]
    assert [i["id"] for i in similar] == [second.pk]
    trending = partner.get("/api/v1/trending/", {"limit": 1}).json()["results"]
    assert [i["id"] for i in trending] == [first.pk]
    assert partner.get("/api/v1/trending/", {"limit": 0}).status_code == 400


def test_a_full_batch_larger_than_django_form_limit_is_accepted(partner):
    rows = [{"external_id": f"x{i}", "title": f"Item {i}", "description": "d" * 300} for i in range(10_000)]
    response = partner.post(URL, rows)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == 10_000


def test_a_body_over_the_api_limit_is_a_413(partner, monkeypatch):
    monkeypatch.setattr("api.parsers.MAX_BODY_BYTES", 1000)
    response = partner.post(URL, [{"external_id": "x", "title": "t" * 2000}])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
