"""factory_boy factories shared by the whole suite."""

import factory
from django.contrib.auth import get_user_model

from catalog.models import Genre, Interaction, Item, Rating, Tag
from core.models import Workspace
from core.workspaces import default_workspace


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda w: w.slug.title())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("a-long-Secret-42")


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ["workspace", "name"]

    workspace = factory.LazyFunction(default_workspace)
    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda g: g.name.lower().replace(" ", "-"))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["workspace", "name"]

    workspace = factory.LazyFunction(default_workspace)
    name = factory.Sequence(lambda n: f"tag {n}")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item
        skip_postgeneration_save = True  # genres.add() writes the relation itself

    workspace = factory.LazyFunction(default_workspace)
    title = factory.Sequence(lambda n: f"Film {n}")
    year = 1999
    kind = Item.Kind.MOVIE

    @factory.post_generation
    def genres(self, create, extracted, **kwargs):
        if create and extracted:
            self.genres.add(*extracted)


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    user = factory.SubFactory(UserFactory)
    item = factory.SubFactory(ItemFactory)
    value = 4.0


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    user = factory.SubFactory(UserFactory)
    item = factory.SubFactory(ItemFactory)
    kind = Interaction.Kind.LIKE


class ExperimentFactory(factory.django.DjangoModelFactory):
    """A draft experiment with its control variant (add candidates with VariantFactory)."""

    class Meta:
        model = "experiments.Experiment"
        skip_postgeneration_save = True  # the control variant is a row of its own

    workspace = factory.LazyFunction(default_workspace)
    name = factory.Sequence(lambda n: f"experiment-{n}")
    traffic = 50

    @factory.post_generation
    def control(self, create, extracted, **kwargs):
        if create:
            VariantFactory(experiment=self, name="control")


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "experiments.Variant"

    experiment = factory.SubFactory(ExperimentFactory)
    name = factory.Sequence(lambda n: f"candidate-{n}")
    model_version = None
    algorithm = ""
