"""The original's auth routes (djoser + simplejwt), as its project mounted them."""

from django.urls import include, re_path

urlpatterns = [
    re_path(r"^auth/", include("djoser.urls")),
    re_path(r"^auth/", include("djoser.urls.jwt")),
]
