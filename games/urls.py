from django.urls import path

from games import views

urlpatterns = [
    path("games/", views.games_index, name="games"),
    path("games/<slug:slug>/", views.game_page, name="game"),
    path("games/<slug:slug>/new/", views.game_new, name="game-new"),
    path("games/<slug:slug>/move/", views.game_move, name="game-move"),
]
