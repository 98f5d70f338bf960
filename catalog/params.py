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


class WholeNumberField(forms.IntegerField):
    """Digits only: Django's IntegerField also takes "1999.0", which the API's schema calls a number."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"-?[0-9]+", str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
