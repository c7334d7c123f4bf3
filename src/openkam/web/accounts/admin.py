from django.contrib import admin

from openkam.web.accounts.models import Account, Contact, Product


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "account_id", "industry", "region", "kam", "key_status"]
    list_filter = ["key_status", "region", "industry", "kam"]
    search_fields = ["name", "account_id"]
    raw_id_fields = ["parent"]
    # Who holds an account changes only through people.assignments (the rules, the
    # history, the audit trail): the admin shows KAM, sponsor and key status, it does not
    # edit them.
    readonly_fields = ["kam", "sponsor", "key_status"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "account"]
    search_fields = ["name", "contact_id"]
    raw_id_fields = ["account", "reports_to"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["product_id", "name", "product_line"]
    search_fields = ["name", "product_id"]
