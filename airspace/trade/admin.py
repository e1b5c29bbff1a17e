"""Admin of trade: dealers (their licence numbers), shipments, sales and transfers."""

from django.contrib import admin

from .models import Dealer, DealerMembership, ImportedDrone, Sale, Shipment, Transfer


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = ["name", "licence_number", "created_at"]
    search_fields = ["name", "licence_number"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["customs_reference", "dealer", "imported_on", "recorded_at"]
    search_fields = ["customs_reference"]


@admin.register(ImportedDrone)
class ImportedDroneAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "remote_id", "manufacturer", "model", "shipment", "aircraft"]
    search_fields = ["serial_number", "remote_id"]
    raw_id_fields = ["shipment", "aircraft"]


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = ["drone", "dealer", "buyer_name", "buyer_operator", "sold_on"]
    raw_id_fields = ["drone"]


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["aircraft", "from_operator", "to_operator", "state", "requested_at"]
    list_filter = ["state"]
    # The state changes only through the transfer's transitions (a protected field).
    readonly_fields = ["state", "decided_by", "decided_at"]


admin.site.register(DealerMembership)
