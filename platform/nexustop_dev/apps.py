from django.apps import AppConfig


class NexustopDevConfig(AppConfig):
    name = "nexustop_dev"
    verbose_name = "NexusTop development tooling"
