"""A city's contributors draft, preview, revise, publish and unpublish case studies."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from cityexchange.auth import is_staff
from cityexchange.extensions import db
from cityexchange.models import CaseStudy

bp = Blueprint("contribute", __name__, url_prefix="/contribute")


@bp.get("/")
@login_required
def dashboard():
    """The case studies this user may edit: their city's, or all for staff."""
    query = select(CaseStudy).order_by(CaseStudy.updated_at.desc())
    if not is_staff(current_user):
        query = query.where(CaseStudy.city_id == current_user.city_id)
    case_studies = db.session.scalars(query).all()
    return render_template("contribute/dashboard.html", case_studies=case_studies)
