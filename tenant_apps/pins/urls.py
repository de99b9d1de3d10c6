from django.urls import path

from . import pages, views

urlpatterns = [
    path("api/pin", views.PinView.as_view(), name="pin"),
    path("api/pin/change", views.PinChangeView.as_view(), name="pin-change"),
    path("api/pin/reset", views.PinResetView.as_view(), name="pin-reset"),
    path("api/pin/policy", views.PinPolicyView.as_view(), name="pin-policy"),
    path("security/pin", pages.pin_page, name="pins-page"),
    path("security/pin/reset", pages.pin_reset_page, name="pins-reset-page"),
]
