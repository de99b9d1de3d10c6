from django.urls import path

from . import views

urlpatterns = [
    path("api/subscriptions", views.SubscriptionListView.as_view(), name="subscriptions"),
    path("api/subscriptions/<uuid:public_id>", views.SubscriptionDetailView.as_view(), name="subscription-detail"),
    path("api/subscriptions/<uuid:public_id>/pause", views.SubscriptionActionView.as_view(action="pause"),
         name="subscription-pause"),
    path("api/subscriptions/<uuid:public_id>/resume", views.SubscriptionActionView.as_view(action="resume"),
         name="subscription-resume"),
    path("api/subscriptions/<uuid:public_id>/cancel", views.SubscriptionActionView.as_view(action="cancel"),
         name="subscription-cancel"),
]
