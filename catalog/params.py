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


# A query parameter's number is written as in JSON, which is what the API's schema means by one: int()
# and float() (so Django's and DRF's fields) also take "1999.0" for an integer, and " 7", "+7", "7_0",
# "\x0c7", "007" and "٧" for numbers.
INTEGER = r"-?(?:0|[1-9][0-9]*)"
NUMBER = INTEGER + r"(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"


def whole_number(value) -> int | None:
    """The integer `value` is, or writes as JSON does, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and re.fullmatch(INTEGER, value) else None


def written_number(value) -> float | None:
    """The number `value` is, or writes as JSON does, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, str) and re.fullmatch(NUMBER, value) else None


class WholeNumberField(forms.IntegerField):
    """Digits only (see whole_number)."""

    def to_python(self, value):
        if value not in self.empty_values and whole_number(value) is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
