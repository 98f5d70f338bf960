"""Account mails, sent by a worker so a page does the same work whoever the address belongs to."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse


def _mail(*, to: str, template: str, context: dict) -> None:
    subject = render_to_string(f"registration/{template}_subject.txt", context).strip()
    body = render_to_string(f"registration/{template}_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


@shared_task(name="accounts.send_signup_mail", ignore_result=True)
def send_signup_mail(user_id: int, email: str, domain: str, use_https: bool) -> None:
    """Welcome a new member, or tell the owner of an address already in use that someone tried it."""
    base = f"{'https' if use_https else 'http'}://{domain}"
    User = get_user_model()
    owner = User.objects.filter(email__iexact=email).exclude(pk=user_id).order_by("pk").first()
    if owner is not None:
        context = {"user": owner, "reset_url": base + reverse("password_reset"), "login_url": base + reverse("login")}
        _mail(to=owner.email, template="signup_taken", context=context)
        return
    user = User.objects.filter(pk=user_id).first()
    if user is not None and user.email:
        _mail(to=user.email, template="signup_welcome", context={"user": user, "home_url": base + "/"})


@shared_task(name="accounts.send_password_reset", ignore_result=True)
def send_password_reset(email: str, domain: str, use_https: bool) -> None:
    """Django's reset mail to every active account using the address; nothing when none does."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
