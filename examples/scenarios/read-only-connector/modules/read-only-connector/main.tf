# An Admin API application that can read users, groups, devices and logs and change nothing,
# with its secret key given out as an ephemeral value only.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

variable "name" {
  description = "The application's name in the Admin Panel."
  type        = string
}

variable "networks" {
  description = "The networks it may be used from; empty for anywhere."
  type        = set(string)
  default     = []
}

resource "duo_integration" "this" {
  name                    = var.name
  type                    = "adminapi"
  notes                   = "Read-only connector; managed by Terraform"
  adminapi_read_log       = true
  adminapi_read_resource  = true
  networks_for_api_access = var.networks
  store_secret_key        = false
}

ephemeral "duo_integration_secret" "this" {
  integration_key = duo_integration.this.integration_key
}

output "integration_key" {
  value = duo_integration.this.integration_key
}

output "api_hostname" {
  value = ephemeral.duo_integration_secret.this.api_hostname
  # From an ephemeral resource, so ephemeral too, although it is no secret.
  ephemeral = true
}

output "secret_key" {
  value     = ephemeral.duo_integration_secret.this.secret_key
  sensitive = true
  ephemeral = true
}
