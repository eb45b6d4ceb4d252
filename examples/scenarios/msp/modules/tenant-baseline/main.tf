# What a managed-service provider sets up in every customer's account: a group and users for
# its own staff, a help-desk group and administrator, a baseline policy, and the account
# settings it standardises. Every resource names the customer's child account with
# `account_id`, so one provider configuration (the parent's Accounts API key pair) reaches
# them all.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

variable "account_id" {
  description = "The customer's child account ID."
  type        = string
}

variable "customer" {
  description = "The customer's name, used in descriptions."
  type        = string
}

variable "helpdesk_email" {
  description = "The e-mail address of the customer's help-desk administrator."
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
  account_id = var.account_id
  name       = "MSP support"
  desc       = "Support engineers for ${var.customer}; managed by the MSP"
}

resource "duo_group" "helpdesk" {
  account_id = var.account_id
  name       = "Help desk"
  desc       = "${var.customer}'s help desk"
}

resource "duo_user" "staff" {
  for_each   = var.staff
  account_id = var.account_id
  username   = each.key
  email      = each.value
  notes      = "MSP support engineer for ${var.customer}"
}

resource "duo_group_members" "msp" {
  account_id = var.account_id
  group_id   = duo_group.msp.id
  user_ids   = [for u in duo_user.staff : u.id]
}

resource "duo_admin" "helpdesk" {
  account_id            = var.account_id
  email                 = var.helpdesk_email
  name                  = "${var.customer} help desk"
  role                  = "Help Desk"
  send_activation_email = false
}

# New users must enroll, and SMS and phone calls are not accepted.
resource "duo_policy" "baseline" {
  account_id  = var.account_id
  policy_name = "MSP baseline"

  authentication_methods {
    blocked_auth_list = ["sms", "phonecall"]
  }

  new_user {
    new_user_behavior = "enroll"
  }
}

# Only these settings are managed; the customer keeps control of the rest.
resource "duo_settings" "standard" {
  account_id               = var.account_id
  lockout_threshold        = var.lockout_threshold
  inactive_user_expiration = 90
}

output "group_id" {
  value = duo_group.msp.id
}
