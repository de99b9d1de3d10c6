"""Provider plugins: one package per external provider, each with a simulator.

A plugin imports only ``provider_plugins.interfaces`` and its own package.
"""
