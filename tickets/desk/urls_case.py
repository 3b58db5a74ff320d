from django.urls import path

from tickets.desk import case_views as views

urlpatterns = [
    path("<int:pk>/", views.case, name="case"),
    path("<int:pk>/reply/", views.case_reply, name="case-reply"),
    path("<int:pk>/assign/", views.case_assign, name="case-assign"),
    path("<int:pk>/status/", views.case_status, name="case-status"),
    path("<int:pk>/priority/", views.case_priority, name="case-priority"),
    path("<int:pk>/request-evidence/", views.case_request_evidence, name="case-request-evidence"),
    path("<int:pk>/macro/preview/", views.case_macro_preview, name="case-macro-preview"),
    path("<int:pk>/macro/", views.case_macro_apply, name="case-macro-apply"),
    path("<int:pk>/merge/", views.case_merge, name="case-merge"),
    path("<int:pk>/parcels/", views.case_parcels_panel, name="case-parcels"),
    path("<int:pk>/parcels/<int:parcel_pk>/tracking-number/", views.case_tracking_number, name="case-tracking-number"),
    path("<int:pk>/presence/", views.case_presence, name="case-presence"),
]
