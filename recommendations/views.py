from django.shortcuts import render

from recommendations.serving import feed_for_user


def home(request):
    # Anonymous visitors get what is popular; members get their own feed, with reasons.
    recommendations = feed_for_user(user=request.user, limit=24)
    return render(request, "recommendations/home.html", {"recommendations": recommendations})
