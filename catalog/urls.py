from django.urls import path

from catalog import views

urlpatterns = [
    path("browse/", views.browse, name="browse"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/rate/", views.item_rate, name="item-rate"),
    path("items/<int:pk>/unrate/", views.item_unrate, name="item-unrate"),
    path("items/<int:pk>/feedback/", views.item_feedback, name="item-feedback"),
]
