"""The original's models: district, place and place image (``seed-api.md``, the contract)."""

from django.db import models


class District(models.Model):
    title = models.CharField(max_length=100)
    abbreviation = models.CharField(max_length=10, blank=True)
    image = models.ImageField(upload_to="districts/", blank=True, null=True)


PLACE_TYPES = [
    ("unique_place", "unique_place"),
    ("park", "park"),
    ("museum", "museum"),
    ("temple", "temple"),
    ("monument", "monument"),
]


class Place(models.Model):
    title = models.CharField(max_length=200)
    short_description = models.CharField(max_length=300, blank=True)
    full_description = models.TextField(blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    type = models.CharField(max_length=20, choices=PLACE_TYPES, default="unique_place")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="places")


class PlaceImage(models.Model):
    image = models.ImageField(upload_to="places/")
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="images")
