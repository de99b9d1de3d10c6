from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views
from .api_scopes import READ, api_key_scopes


@api_key_scopes(GET=READ)
class SchemaView(SpectacularAPIView):
    """The OpenAPI document (also readable with a signed reseller request holding ``read``)."""


@api_key_scopes(GET=READ)
class SwaggerView(SpectacularSwaggerView):
    """Swagger UI."""


urlpatterns = [
    path("health", views.health, name="health"),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
