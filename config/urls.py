from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Encore administration"
admin.site.site_title = "Encore admin"

# Errors no view handled: JSON under /api/, the website's pages elsewhere.
handler400 = "api.exceptions.bad_request"
handler500 = "api.exceptions.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before django.contrib.auth.urls: accounts.urls replaces its password-reset view.
    path("", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("api.urls")),
    path("", include("catalog.urls")),
    path("", include("recommendations.urls")),
    path("", include("games.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
