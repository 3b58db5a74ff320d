from django.urls import URLPattern, path

from tickets.portal import orders

urlpatterns: list[URLPattern] = [
    path("", orders.order_list, name="order-list"),
    path("<int:pk>/", orders.order_detail, name="order-detail"),
]
