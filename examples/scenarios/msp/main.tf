# Every customer of a managed-service provider from one configuration: each customer is a
# child account of the MSP's parent account, made here with its edition, and given the same
# baseline through `account_id`. A new customer is one more entry in `customers`: its account
# is created and configured in the same apply.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

# The parent's Accounts API application: DUO_API_HOST, DUO_IKEY and DUO_SKEY.
provider "duo" {}

variable "customers" {
  description = "Each customer by a short key: its account's name, its Duo edition (ENTERPRISE, PLATFORM or BEYOND) and its lockout threshold."
  type = map(object({
    name              = string
    edition           = string
    lockout_threshold = number
  }))
  default = {
    acme   = { name = "Acme Corp", edition = "PLATFORM", lockout_threshold = 5 }
    globex = { name = "Globex", edition = "ENTERPRISE", lockout_threshold = 3 }
  }
}

locals {
  # The MSP's engineers, in every customer's account.
  staff = {
    "msp.dana" = "dana@msp.example.com"
    "msp.eli"  = "eli@msp.example.com"
  }
}

resource "duo_child_account" "customer" {
  for_each = var.customers
  name     = each.value.name
  edition  = each.value.edition
  # Destroying a child deletes everything in it; deletion_protection (on by default) stops it.
}

module "baseline" {
  source   = "./modules/tenant-baseline"
  for_each = var.customers

  account_id        = duo_child_account.customer[each.key].account_id
  customer          = each.value.name
  helpdesk_email    = "helpdesk+${each.key}@msp.example.com"
  staff             = local.staff
  lockout_threshold = each.value.lockout_threshold
}

# The question asked across every customer: who is in bypass?
data "duo_users" "bypass" {
  for_each   = duo_child_account.customer
  account_id = each.value.account_id
  status     = "bypass"
  depends_on = [module.baseline]
}

output "bypass_users" {
  description = "Every user in bypass, across all customers, as customer/username."
  value       = sort(flatten([for k, d in data.duo_users.bypass : [for u in d.users : "${k}/${u.username}"]]))
}

output "account_ids" {
  description = "Each customer's child account ID."
  value       = { for k, a in duo_child_account.customer : k => a.account_id }
}
