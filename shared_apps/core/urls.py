from django.urls import path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views
from .api_scopes import READ, api_key_scopes


@api_key_scopes(GET=READ)
class SchemaView(SpectacularAPIView):
    """The OpenAPI document (also readable with a signed reseller request holding ``read``).

    Of this domain's own URL conf (django-tenants sets ``request.urlconf``): the head office's schema lists
    the head-office operations, not the tenant API that it does not serve."""

    @extend_schema(exclude=True)  # SERVE_INCLUDE_SCHEMA=False: the document does not describe itself
    def get(self, request, *args, **kwargs):
        self.urlconf = getattr(request, "urlconf", None) or self.urlconf
        return super().get(request, *args, **kwargs)


@api_key_scopes(GET=READ)
class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from this platform's own static files (drf-spectacular-sidecar), its start-up script
    served as a separate file (``?script``) and its one inline style with the CSP nonce: no CDN, no
    inline script."""

    template_name = "core/swagger_ui.html"


urlpatterns = [
    path("health", views.health, name="health"),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
