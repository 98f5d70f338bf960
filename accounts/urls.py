from django.urls import path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    # Replaces django.contrib.auth's view of the same path and name (config/urls.py includes this first).
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("welcome/", views.onboarding, name="onboarding"),
    path("me/", views.profile, name="profile"),
    path("me/history/", views.history, name="history"),
    path("me/history/<int:pk>/remove/", views.history_remove, name="history-remove"),
    path("me/hidden/", views.hidden, name="hidden"),
    path("me/hidden/<int:item_pk>/undo/", views.hidden_undo, name="hidden-undo"),
    path("me/account/", views.account, name="account"),
    path("me/export.json", views.export, name="export"),
    path("me/delete/", views.delete_account, name="delete-account"),
]
