from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # a POST to a wrong path deserves this 404, not a CSRF page
def not_found(request, *args, **kwargs):
    message = f"No API endpoint at {request.path}."
    if not request.path.endswith("/"):
        # Django would redirect a GET, but a redirected POST loses its body: name the right path instead.
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            message += f" Did you mean {request.path}/ (with the trailing slash)?"
    return JsonResponse({"error": {"code": "not_found", "message": message, "details": None}}, status=404)
