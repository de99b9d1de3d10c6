from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "shared_apps.providers"
    label = "providers"

    def ready(self) -> None:
        # Every connection to a provider (plugins' sessions, the dispatcher's transport) goes only to addresses the
        # rule of user-supplied URLs allows (shared_apps.core.outbound); until this runs the plugins refuse all.
        from provider_plugins.interfaces.egress import set_destination_policy
        from shared_apps.core.outbound import destination_refusal

        set_destination_policy(lambda addresses, tls: destination_refusal(addresses, tls=tls))
