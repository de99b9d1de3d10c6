"""Date and number formats per language (settings.FORMAT_MODULE_PATH), where Django's own do not fit West Africa."""
