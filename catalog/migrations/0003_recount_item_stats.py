"""Counters kept by earlier versions could drift (website ratings and deleted accounts did not
update them); from now on every write keeps them true, so they are recounted once here."""

from django.db import migrations
from django.db.models import Avg, Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def recount(apps, schema_editor):
    Item = apps.get_model("catalog", "Item")
    Rating = apps.get_model("catalog", "Rating")
    ratings = Rating.objects.filter(item=OuterRef("pk")).order_by().values("item")
    Item.objects.update(
        rating_count=Coalesce(Subquery(ratings.annotate(n=Count("pk")).values("n")), 0),
        rating_avg=Subquery(ratings.annotate(a=Avg("value")).values("a")),
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_rating_drop_redundant_indexes")]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop, elidable=True)]
