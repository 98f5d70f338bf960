from django.db.models import Q
from django_filters import rest_framework as filters

from catalog import params
from catalog.models import API_ITEM_SOURCE, Item


class YearFilter(filters.NumberFilter):
    field_class = params.WholeNumberField


class ItemFilter(filters.FilterSet):
    # The same rules as the website's browse form (catalog.params).
    kind = filters.ChoiceFilter(**params.KIND)
    genre = filters.CharFilter(method="filter_genre", **params.GENRE, help_text="Genre name or slug.")
    year_min = YearFilter(field_name="year", lookup_expr="gte", **params.YEAR)
    year_max = YearFilter(field_name="year", lookup_expr="lte", **params.YEAR)
    search = filters.CharFilter(method="filter_search", **params.SEARCH, help_text="Words in the title.")
    external_id = filters.CharFilter(method="filter_external_id", max_length=100, help_text="Your id for an item.")
    ordering = filters.OrderingFilter(
        fields=(("title", "title"), ("year", "year"), ("rating_count", "popularity"), ("rating_avg", "rating"),
                ("created_at", "created"), ("id", "id")),
    )  # fmt: skip

    class Meta:
        model = Item
        fields = ["kind"]

    def filter_genre(self, queryset, name, value):
        return queryset.filter(Q(genres__name__iexact=value) | Q(genres__slug=value)).distinct()

    def filter_search(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(title__icontains=word)
        return queryset

    def filter_external_id(self, queryset, name, value):
        return queryset.filter(source=API_ITEM_SOURCE, source_id=value)
