"""Django settings of a stand-in for the original service: Django + DRF + djoser + simplejwt.

Read only by ``build.py`` (a subprocess of the tests: Django's settings are process-global).
``ORIGINAL_DATABASE`` is a SQLite path or a ``postgresql://`` URL, ``ORIGINAL_MEDIA_ROOT`` the
media folder, ``ORIGINAL_SECRET_KEY`` the key citygraph will share.
"""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlsplit

SECRET_KEY = os.environ["ORIGINAL_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.importer.original.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "djoser",
    "tests.importer.original.guide",
]
MIDDLEWARE: list[str] = []

_database = os.environ["ORIGINAL_DATABASE"]
if _database.startswith("postgresql://"):
    _url = urlsplit(_database)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username or "postgres",
            "HOST": _url.hostname or "127.0.0.1",
            "PORT": str(_url.port or 5432),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _database}}

MEDIA_ROOT = os.environ["ORIGINAL_MEDIA_ROOT"]
MEDIA_URL = "/media/"

# Django 5.2's default list, plus the formats the import must keep working (make_password
# picks them by name).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ),
}
SIMPLE_JWT = {"AUTH_HEADER_TYPES": ("JWT",), "ACCESS_TOKEN_LIFETIME": timedelta(hours=1)}
DJOSER = {"SEND_ACTIVATION_EMAIL": True, "ACTIVATION_URL": "#/activate/{uid}/{token}"}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True},
]
