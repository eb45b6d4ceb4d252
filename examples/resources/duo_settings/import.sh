# The settings have the fixed ID "settings":
terraform import duo_settings.this settings
