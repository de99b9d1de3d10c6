from django.urls import path

from . import views

urlpatterns = [
    path("api/countries", views.CountryListView.as_view(), name="countries-list"),
    path("api/countries/<str:code>", views.CountryDetailView.as_view(), name="countries-detail"),
]
