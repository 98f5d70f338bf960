from django import forms

from catalog import params
from catalog.models import RATING_VALUES, Genre
from catalog.selectors import SORTS
from core.workspaces import default_workspace_id


class BrowseForm(forms.Form):
    # The same rules as the API's item filters and query serializers (catalog.params).
    q = forms.CharField(
        label="Title", required=False, **params.SEARCH, widget=forms.SearchInput(attrs={"placeholder": "Search titles"})
    )
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *params.KIND["choices"]])
    genre = forms.ChoiceField(label="Genre", required=False)
    year_min = params.WholeNumberField(label="From year", required=False, **params.YEAR)
    year_max = params.WholeNumberField(label="To year", required=False, **params.YEAR)
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[("popular", "Most popular"), ("rating", "Highest rated"), ("newest", "Newest"), ("title", "Title")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["genre"].choices = [
            ("", "Any genre"),
            *Genre.objects.filter(workspace_id=default_workspace_id()).values_list("slug", "name"),
        ]

    def clean(self):
        data = super().clean()
        low, high = data.get("year_min"), data.get("year_max")
        if low and high and low > high:
            # Swap rather than scold: the intent is clear.
            data["year_min"], data["year_max"] = high, low
        if data.get("sort") not in SORTS:
            data["sort"] = "popular"
        return data


class RatingForm(forms.Form):
    value = forms.TypedChoiceField(coerce=float, choices=[(f"{v:g}", v) for v in RATING_VALUES])


FEEDBACK_KINDS = ("like", "dislike", "not_interested")


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in FEEDBACK_KINDS])
    undo = forms.BooleanField(required=False)
