# Applying the security baseline to a new account, plus the one break-glass administrator
# every account should have: a named Owner for when single sign-on or the directory fails.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

# Credentials from DUO_API_HOST, DUO_IKEY and DUO_SKEY.
provider "duo" {}

module "baseline" {
  source      = "./modules/security-baseline"
  timezone    = "Europe/Berlin"
  fraud_email = "security@example.com"
}

# One Owner outside the directory, used only in emergencies; keep its credentials in a safe.
resource "duo_admin" "break_glass" {
  email                 = "break-glass@example.com"
  name                  = "Break glass"
  role                  = "Owner"
  send_activation_email = false
}
