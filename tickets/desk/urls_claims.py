from django.urls import URLPattern, URLResolver, path

from tickets.desk import claims

urlpatterns: list[URLPattern | URLResolver] = [
    path("", claims.claim_list, name="claims"),
    path("new/<int:ticket_id>/", claims.claim_new, name="claim-new"),
    path("<int:pk>/", claims.claim_detail, name="claim"),
    path("<int:pk>/move/", claims.claim_move, name="claim-move"),
    path("<int:pk>/dossier.zip", claims.claim_dossier, name="claim-dossier"),
]
