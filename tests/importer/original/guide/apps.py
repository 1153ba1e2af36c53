from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "tests.importer.original.guide"
    label = "guide"
