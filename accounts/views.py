"""Account pages: sign up, onboarding, my ratings and history, export and deletion.

Every page works on request.user only: no URL carries a user id, so nobody
can reach another member's data by changing a number.
"""

import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import emails, ratelimits, selectors, services
from accounts.forms import DeleteAccountForm, OnboardingForm, SignUpForm
from catalog.models import Interaction, Item
from catalog.services import interactions_undo

PAGE_SIZE = 30


def too_many_attempts(request):
    return render(request, "registration/too_many_attempts.html", status=429)


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    if ratelimits.signup_limited(request):
        return too_many_attempts(request)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        services.profile_for(user=user)
        # One mail whether the address was free (a welcome) or taken (a note to its owner).
        emails.signup_mail_enqueue(request=request, user=user, email=form.cleaned_data["email"])
        # Several authentication backends are configured (lockout first): name the one that applies.
        login(request, user, backend="accounts.backends.WebsiteBackend")
        messages.success(request, f"Welcome to Encore, {user.username}!")
        return redirect("onboarding")
    return render(request, "registration/signup.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, rate limited, with the account lookup and the mail left to a task.

    Django's own view looks the address up and sends the mail while the visitor
    waits, so an unknown address answers sooner than a known one.
    """

    def post(self, request, *args, **kwargs):
        if ratelimits.password_reset_limited(request):
            return too_many_attempts(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        emails.password_reset_mail_enqueue(request=self.request, email=form.cleaned_data["email"])
        return redirect(self.get_success_url())


@login_required
def onboarding(request):
    candidates = selectors.onboarding_candidates()
    prefetch_related_objects(candidates, "genres")
    if request.method == "POST" and "skip" in request.POST:
        services.onboarding_skip(user=request.user)
        messages.info(request, "No problem: here is what is popular and trending. Rate anything to make it yours.")
        return redirect("home")
    form = OnboardingForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        count = len(form.cleaned_data["items"])
        services.onboarding_complete(user=request.user, item_ids=form.cleaned_data["items"])
        messages.success(request, f"Thanks! Your feed is built from the {count} titles you like.")
        return redirect("home")
    # Keep the ticks of a submission that had too few, so nobody has to start over.
    chosen = {int(v) for v in request.POST.getlist("items") if v.isdigit()} if form.is_bound else set()
    context = {"form": form, "candidates": candidates, "chosen": chosen, "minimum": OnboardingForm.MINIMUM}
    return render(request, "accounts/onboarding.html", context)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def profile(request):
    page = _page(request, selectors.ratings_of(user=request.user).prefetch_related("item__genres"))
    return render(request, "accounts/ratings.html", {"page": page, "tab": "ratings"})


@login_required
def history(request):
    page = _page(request, selectors.history_of(user=request.user))
    return render(request, "accounts/history.html", {"page": page, "tab": "history"})


@login_required
def hidden(request):
    events = selectors.not_interested_of(user=request.user)
    return render(request, "accounts/hidden.html", {"events": events, "tab": "hidden"})


@require_POST
@login_required
def history_remove(request, pk):
    # Only the member's own events: another member's id is simply not found.
    event = get_object_or_404(Interaction, pk=pk, user=request.user)
    removed = interactions_undo(user=request.user, item=event.item, kinds=[event.kind])
    what = event.get_kind_display().lower()
    messages.success(request, f"Removed {removed} “{what}” event{'s' if removed != 1 else ''} on {event.item.title}.")
    return redirect("history")


@require_POST
@login_required
def hidden_undo(request, item_pk):
    item = get_object_or_404(Item.objects.website(), pk=item_pk)
    interactions_undo(user=request.user, item=item, kinds=[Interaction.Kind.DISLIKE, Interaction.Kind.NOT_INTERESTED])
    messages.success(request, f"{item.title} may be suggested to you again.")
    return redirect("hidden")


@login_required
def account(request):
    return render(
        request, "accounts/account.html", {"tab": "account", "delete_form": DeleteAccountForm(user=request.user)}
    )


@login_required
def export(request):
    data = services.account_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="encore-{request.user.username}-{stamp}.json"'
    # Personal data: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def delete_account(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.account_delete(user=user)
        messages.success(request, "Your account, ratings and history are deleted. Thank you for trying Encore.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form, "tab": "account"})
