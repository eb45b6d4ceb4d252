# A read-only connector: the Admin API application that SaaS-management, identity-governance
# and unified-API products ask for ("Grant read log" and "Grant read resource"), made by
# Terraform, with its credentials handed on without the secret key ever reaching state or a
# saved plan (Terraform 1.10 and later; OpenTofu 1.11 and later).
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

# Credentials from DUO_API_HOST, DUO_IKEY and DUO_SKEY: an application allowed to manage
# applications ("Grant applications").
provider "duo" {}

variable "connector" {
  description = "The product the application is for, as it shows in the Admin Panel."
  type        = string
  default     = "Access review connector"
}

variable "connector_networks" {
  description = "Where the product calls from; empty for anywhere."
  type        = set(string)
  default     = []
}

module "connector" {
  source   = "./modules/read-only-connector"
  name     = var.connector
  networks = var.connector_networks
}

# Hand the three values to the product. Its provider would take the secret in a write-only
# argument (for example `client_secret_wo = module.connector.secret_key`); here a second `duo`
# provider block signs as the connector and shows what it can read.
provider "duo" {
  alias    = "connector"
  api_host = module.connector.api_hostname
  ikey     = module.connector.integration_key
  skey     = module.connector.secret_key
}

# Read during apply, once the application exists (`depends_on`: the provider block's values
# are not known while planning the first apply).
data "duo_users" "seen_by_the_connector" {
  provider   = duo.connector
  depends_on = [module.connector]
}

output "connector_integration_key" {
  value = module.connector.integration_key
}

output "users_the_connector_sees" {
  value = length(data.duo_users.seen_by_the_connector.users)
}
