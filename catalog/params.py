"""The rules of the query parameters the website and the API share.

The website's forms, the API's query serializers and its item filters take their
bounds, choices and form fields from here (Django and DRF fields accept the same
keywords), so a value one front end accepts the other accepts too, and the API's
schema says so.
"""

import re

from django import forms

from catalog.models import Item

KIND = {"choices": Item.Kind.choices}
GENRE = {"max_length": 64}  # a genre's name or slug
SEARCH = {"max_length": 200}  # words in a title
YEAR = {"min_value": 0, "max_value": 9999}
LIMIT = {"min_value": 1, "max_value": 100}  # items in one list
EXCLUDE_MAX = 500  # item ids a client may leave out of one list


def whole_number(value) -> int | None:
    """The integer `value` is or writes in plain ASCII digits (a minus sign first allowed), else None.

    int() and Django's and DRF's integer fields also take "1999.0", " 7", "+7", "7_0", "\x0c7" and "٧",
    none of which the API's schema calls an integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value) else None


class WholeNumberField(forms.IntegerField):
    """Digits only (see whole_number)."""

    def to_python(self, value):
        if value not in self.empty_values and whole_number(value) is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
