from django.urls import URLPattern, path

from tickets.portal import cases

urlpatterns: list[URLPattern] = [
    path("", cases.case_list, name="case-list"),
    path("new/", cases.case_create, name="case-create"),
    path("<int:pk>/", cases.case_detail, name="case-detail"),
    path("<int:pk>/reply/", cases.case_reply, name="case-reply"),
    path("<int:pk>/reopen/", cases.case_reopen, name="case-reopen"),
    path("<int:pk>/rate/", cases.case_rate, name="case-rate"),
]
