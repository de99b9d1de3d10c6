from django.urls import path

from . import views

urlpatterns = [
    path("api/kyc", views.KycStatusView.as_view(), name="kyc-status"),
    path("api/kyc/submissions", views.KycSubmissionsView.as_view(), name="kyc-submissions"),
    path("api/kyc/submissions/<uuid:public_id>/approve", views.KycDecisionView.as_view(), name="kyc-approve"),
    path("api/kyc/submissions/<uuid:public_id>/reject", views.KycRejectView.as_view(), name="kyc-reject"),
]
