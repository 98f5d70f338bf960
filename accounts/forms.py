from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    # Required: it is the only way back into an account whose password is forgotten.
    email = forms.EmailField(
        required=True,
        help_text="Used only to reset your password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    def clean_email(self):
        # No "already in use" error: it would tell anyone which addresses have an account here.
        return self.cleaned_data["email"].strip()

    def save(self, commit=True):
        """The new account, holding the address only when no other account does.

        Sign-up goes on either way, so the page looks the same for a taken address;
        the address keeps leading to its first account (password resets included),
        and its owner is told by mail that someone tried it (accounts.tasks).
        """
        user = super().save(commit=False)
        email = self.cleaned_data["email"]
        user.email = "" if get_user_model().objects.filter(email__iexact=email).exists() else email
        if commit:
            user.save()
        return user


class OnboardingForm(forms.Form):
    MINIMUM = 5

    items = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(item.pk, item.title) for item in candidates]

    def clean_items(self):
        items = self.cleaned_data["items"]
        if len(items) < self.MINIMUM:
            raise forms.ValidationError(
                f"Pick at least {self.MINIMUM} titles you like ({len(items)} chosen so far), or skip for now."
            )
        return items


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="We ask for it so nobody at an unattended screen can delete your account.",
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
