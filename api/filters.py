import re

from django import forms
from django.db.models import Q
from django_filters import rest_framework as filters

from catalog.models import Item


class StrictIntegerField(forms.IntegerField):
    """Digits only: Django's IntegerField also takes "1999.0", which the schema calls a number."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"-?[0-9]+", str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class YearFilter(filters.NumberFilter):
    field_class = StrictIntegerField


class ItemFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Item.Kind.choices)
    genre = filters.CharFilter(method="filter_genre", max_length=64, help_text="Genre name or slug.")
    year_min = YearFilter(field_name="year", lookup_expr="gte", min_value=0, max_value=9999)
    year_max = YearFilter(field_name="year", lookup_expr="lte", min_value=0, max_value=9999)
    search = filters.CharFilter(method="filter_search", max_length=200, help_text="Words in the title.")
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
        client = self.request.auth if self.request else None
        return queryset.filter(source=getattr(client, "item_source", None), source_id=value)
