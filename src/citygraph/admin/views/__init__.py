"""One module per model; ``VIEWS`` is the menu order."""

from citygraph.admin.views.base import DomainModelView
from citygraph.admin.views.changes import ChangeLogAdmin
from citygraph.admin.views.districts import DistrictAdmin
from citygraph.admin.views.places import PlaceAdmin, PlaceImageAdmin
from citygraph.admin.views.users import UserAdmin

VIEWS: tuple[type[DomainModelView], ...] = (
    DistrictAdmin,
    PlaceAdmin,
    PlaceImageAdmin,
    UserAdmin,
    ChangeLogAdmin,
)

__all__ = [
    "VIEWS",
    "ChangeLogAdmin",
    "DistrictAdmin",
    "DomainModelView",
    "PlaceAdmin",
    "PlaceImageAdmin",
    "UserAdmin",
]
