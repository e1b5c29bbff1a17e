"""Routes of trade: the API of imports, sales, transfers and the trace, and their pages."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("imports/drones", api.ImportedDroneViewSet, basename="imported-drone")
router.register("imports/shipments", api.ShipmentViewSet, basename="shipment")
router.register("awaiting-registration", api.AwaitingRegistrationViewSet, basename="awaiting-registration")
router.register("transfers", api.TransferViewSet, basename="transfer")

api_urls = [*router.urls, path("trace/", api.TraceView.as_view(), name="trace-api")]

page_urls = [
    path("dealer/", views.stock_page, name="dealer-stock"),
    path("dealer/drones/<int:pk>/sell/", views.sell_page, name="dealer-sell"),
    path("dealer/import/", views.import_page, name="dealer-import"),
    path("aircraft/awaiting/", views.awaiting_page, name="awaiting-registration"),
    path("aircraft/awaiting/<int:pk>/confirm/", views.confirm_page, name="awaiting-confirm"),
    path("transfers/", views.transfers_page, name="transfers"),
    path("transfers/<int:pk>/<slug:act>/", views.transfer_act, name="transfer-act"),
    path("trace/", views.trace_page, name="trace"),
]
