from django.urls import path

from . import views

urlpatterns = [
    # The gateway's callbacks (form-encoded; the token is the secret part of the URL: docs/ussd.md).
    path("ussd/africastalking/<str:token>", views.africastalking_callback, name="ussd-africastalking"),
    path("ussd/africastalking/<str:token>/events", views.africastalking_events, name="ussd-africastalking-events"),
    path("api/ussd/channel", views.UssdChannelView.as_view(), name="ussd-channel"),
    path("api/ussd/channel/token", views.UssdTokenView.as_view(), name="ussd-channel-token"),
    path("back-office/ussd", views.backoffice, name="ussd-backoffice"),
]
