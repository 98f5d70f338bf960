from rest_framework.renderers import JSONRenderer


class SafeJSONRenderer(JSONRenderer):
    """UTF-8 JSON; falls back to \\u escapes when a payload echoes a lone surrogate from the request."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            ascii_renderer = JSONRenderer()
            ascii_renderer.ensure_ascii = True
            return ascii_renderer.render(data, accepted_media_type, renderer_context)
