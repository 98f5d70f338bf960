import os

from django.core.wsgi import get_wsgi_application

from config.wsgi_guard import refuse_undecodable_charsets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = refuse_undecodable_charsets(get_wsgi_application())
