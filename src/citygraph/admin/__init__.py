"""The admin web UI at ``/admin`` (the Django-admin replacement), built on sqladmin.

Staff accounts log in with the same credentials check as the APIs; every change is made by the
domain functions that GraphQL and REST call, with the logged-in staff user as the actor.

Layout: ``site`` (the sqladmin ``Admin`` and :func:`mount_admin`), ``auth`` (login, session),
``middleware`` (CSRF guard, response headers), ``forms`` (domain errors on form fields, image
inputs), ``views/`` (one module per model), ``templates/`` (small overrides of sqladmin's).
"""

from citygraph.admin.site import mount_admin, refusal

__all__ = ["mount_admin", "refusal"]
