import os

from django.core.asgi import get_asgi_application

from config.wsgi_guard import refuse_undecodable_charsets_asgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = refuse_undecodable_charsets_asgi(get_asgi_application())
