"""Head-office console: the shared catalog (browse, translate, take off sale) and platform-wide analytics.

Readers ``IsHeadOffice``, writers ``IsSuperAdmin`` (as the other console pages).
Analytics read every tenant schema through ``tenants.runner.for_each_tenant``
(``headoffice.analytics``); provider credentials stay on the providers page
(write-only).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shared_apps.catalog.models import Product, ProductType
from shared_apps.core.charts import bar_chart, rate_bars
from shared_apps.providers.models import Provider
from tenant_apps.accounts.permissions import IsHeadOffice, IsSuperAdmin
from tenant_apps.portal.forms import choice_field

from .access import allowed, console_requires
from .analytics import platform_sales
from .services import console_product_update
from .views import page


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    country = forms.CharField(label=gettext_lazy("Country"), required=False, max_length=2)
    product_type = forms.ChoiceField(label=gettext_lazy("Product type"), required=False,
                                     choices=[("", gettext_lazy("All types")), *ProductType.choices])
    provider = forms.TypedChoiceField(label=gettext_lazy("Provider"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "provider").choices = [("", gettext_lazy("All providers")),
                                           *Provider.objects.order_by("name").values_list("pk", "name")]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")


class ProductForm(forms.Form):
    name_fr = forms.CharField(label=gettext_lazy("Name in French"), max_length=200, required=False)
    name_pt = forms.CharField(label=gettext_lazy("Name in Portuguese"), max_length=200, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("On sale"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name_fr", "name_pt"):
            self.fields[name].widget.attrs["class"] = "input"
        self.fields["is_active"].widget.attrs["class"] = "h-5 w-5"


@console_requires(IsHeadOffice)
def catalog(request):
    form = CatalogFilterForm(request.GET or None)
    rows = Product.objects.select_related("provider").order_by("country", "product_type", "provider__name", "id")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            rows = rows.filter(name__icontains=data["q"]) | rows.filter(operator__icontains=data["q"])
        if data["country"]:
            rows = rows.filter(country=data["country"].upper())
        if data["product_type"]:
            rows = rows.filter(product_type=data["product_type"])
        if data["provider"]:
            rows = rows.filter(provider_id=data["provider"])
    page_obj = Paginator(rows, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return page(request, "headoffice/catalog.html", {"form": form, "rows": page_obj})


@console_requires(IsHeadOffice)
@require_http_methods(["GET", "POST"])
def product_edit(request, pk: int):
    product = get_object_or_404(Product.objects.select_related("provider"), pk=pk)
    form = ProductForm(request.POST or None, initial={"name_fr": product.name_fr, "name_pt": product.name_pt,
                                                      "is_active": product.is_active})
    if request.method == "POST":
        if not allowed(request, IsSuperAdmin):
            return render(request, "headoffice/forbidden.html", status=403)
        if form.is_valid():
            console_product_update(actor=request.user, product=product, request=request, **form.cleaned_data)
            messages.success(request, _("Product saved."))
            return redirect("headoffice:catalog")
    return page(request, "headoffice/product_edit.html", {"product": product, "form": form},
                status=400 if form.errors else 200)


@console_requires(IsHeadOffice)
def analytics(request):
    rows, by_type = platform_sales(days=30)
    charts = {
        "orders": bar_chart([row.sales for row in rows], value="orders", title=_("Orders per tenant")),
        "tenant_rate": rate_bars([row.sales for row in rows], title=_("Success rate by tenant")),
        "type_rate": rate_bars(by_type, title=_("Success rate by product type")),
    }
    return page(request, "headoffice/analytics.html", {"rows": rows, "by_type": by_type, "charts": charts})
