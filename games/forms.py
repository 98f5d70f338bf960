"""What the game page posts: a new game's options, and a move."""

from django import forms

from games.engine import ENGINES
from games.registry import CONTROLLER_CLASSES

AUTO = "auto"


class NewGameForm(forms.Form):
    engine = forms.ChoiceField(choices=[(AUTO, "Auto")] + [(e, CONTROLLER_CLASSES[e].label) for e in ENGINES])
    level = forms.TypedChoiceField(choices=[(n, n) for n in range(1, 6)], coerce=int, required=False, empty_value=None)
    side = forms.TypedChoiceField(choices=[(1, "First"), (2, "Second")], coerce=int, initial=1)

    def clean(self):
        data = super().clean()
        engine, level = data.get("engine"), data.get("level")
        if engine in CONTROLLER_CLASSES:
            controller = CONTROLLER_CLASSES[engine]
            if level is None:
                data["level"] = controller.default_level
            elif level > len(controller.levels):
                raise forms.ValidationError(f"{engine} levels are 1 to {len(controller.levels)}")
        return data


class MoveForm(forms.Form):
    column = forms.IntegerField(min_value=0, max_value=6)
