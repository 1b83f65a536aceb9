"""Access products (one course or a combo) and their offers, with a preview of an offer's schedule."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.platform import bp
from app.blueprints.platform.catalog_forms import OfferForm, PreviewForm, ProductForm
from app.models import Offer, Product
from app.services import DomainError
from app.services.access import today
from app.services.catalog import products as svc
from app.web import apply_refusal, paginate, refuse, render

PAGE_SIZE = 50


def _product_or_404(product_id: int) -> Product:
    product = svc.find_product(product_id)
    if product is None:
        abort(404)
    return product


def _offer_or_404(product: Product, offer_id: int) -> Offer:
    offer = svc.find_offer(product, offer_id)
    if offer is None:
        abort(404)
    return offer


@bp.route("/products")
def products_list():
    q = (request.args.get("q") or "").strip()[:100]
    page = paginate(svc.products_query(q), per_page=PAGE_SIZE)
    return render("platform/products/list.html", "platform/products/_rows.html", page=page, q=q)


def _product_form(product: Product | None):
    form = ProductForm(svc.course_choices(), obj=product)
    if product is not None and not form.is_submitted():
        form.course_ids.data = [course.id for course in product.courses]
    return form


def _save_product(form: ProductForm, product: Product | None):
    """Create or update from a valid form; the refusal onto the form (None) otherwise."""
    try:
        if product is None:
            return svc.create_product(current_user, form.name.data, form.course_ids.data)
        return svc.update_product(current_user, product, form.name.data, form.course_ids.data)
    except DomainError as error:
        apply_refusal(form, error)
        return None


@bp.route("/products/new", methods=["GET", "POST"], defaults={"product_id": None})
@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_form(product_id):
    product = _product_or_404(product_id) if product_id is not None else None
    form = _product_form(product)
    if form.validate_on_submit():
        saved = _save_product(form, product)
        if saved is not None:
            flash(_("Product %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("platform.product_detail", product_id=saved.id))
    if form.is_submitted():
        return refuse("platform/products/form.html", form=form, product=product)
    return render("platform/products/form.html", form=form, product=product)


@bp.route("/products/<int:product_id>")
def product_detail(product_id):
    return render("platform/products/detail.html", product=_product_or_404(product_id))


def _save_offer(form: OfferForm, product: Product, offer: Offer | None):
    try:
        if offer is None:
            return svc.create_offer(current_user, product, form.values())
        return svc.update_offer(current_user, offer, form.values())
    except DomainError as error:
        apply_refusal(form, error)
        return None


@bp.route("/products/<int:product_id>/offers/new", methods=["GET", "POST"], defaults={"offer_id": None})
@bp.route("/products/<int:product_id>/offers/<int:offer_id>/edit", methods=["GET", "POST"])
def offer_form(product_id, offer_id):
    product = _product_or_404(product_id)
    offer = _offer_or_404(product, offer_id) if offer_id is not None else None
    form = OfferForm() if request.method == "POST" or offer is None else OfferForm.of(svc.offer_values(offer))
    if form.validate_on_submit():
        saved = _save_offer(form, product, offer)
        if saved is not None:
            flash(_("Offer %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("platform.offer_detail", product_id=product.id, offer_id=saved.id))
    if form.is_submitted():
        return refuse("platform/products/offer_form.html", form=form, product=product, offer=offer)
    return render("platform/products/offer_form.html", form=form, product=product, offer=offer)


@bp.route("/products/<int:product_id>/offers/<int:offer_id>")
def offer_detail(product_id, offer_id):
    product = _product_or_404(product_id)
    offer = _offer_or_404(product, offer_id)
    form = PreviewForm(formdata=request.args)
    valid = form.validate()
    start = (form.start.data if valid else None) or today()
    context = dict(product=product, offer=offer, preview_form=form, start=start,
                   preview=svc.schedule_preview(offer, start) if valid else None)
    if not valid:
        return refuse("platform/products/offer.html", "platform/products/_preview.html", **context)
    return render("platform/products/offer.html", "platform/products/_preview.html", **context)
