# What a managed-service provider sets up in every customer's Duo account: an administrator
# group for its own staff, its staff as users in that group, and the account settings it
# standardises. Called once per customer, each with its own provider configuration.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

variable "customer" {
  description = "The customer's name, used in descriptions."
  type        = string
}

variable "staff" {
  description = "The MSP's engineers who support this customer, by username."
  type        = map(string)
}

variable "lockout_threshold" {
  description = "Failed attempts before a user is locked out."
  type        = number
  default     = 5
}

resource "duo_group" "msp" {
  name = "MSP support"
  desc = "Support engineers for ${var.customer}; managed by the MSP"
}

resource "duo_user" "staff" {
  for_each = var.staff
  username = each.key
  email    = each.value
  notes    = "MSP support engineer for ${var.customer}"
}

resource "duo_group_members" "msp" {
  group_id = duo_group.msp.id
  user_ids = [for u in duo_user.staff : u.id]
}

# Only these settings are managed; the customer keeps control of the rest.
resource "duo_settings" "standard" {
  lockout_threshold        = var.lockout_threshold
  inactive_user_expiration = 90
}

output "group_id" {
  value = duo_group.msp.id
}
