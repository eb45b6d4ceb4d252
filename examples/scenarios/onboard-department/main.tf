# Onboarding a department: its people, a group holding exactly them, and an SSO application
# only that group may use, with a stricter policy for it. Add a person to `people` and apply;
# remove one and apply, and they leave the group and Duo.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

# Credentials from DUO_API_HOST, DUO_IKEY and DUO_SKEY.
provider "duo" {}

variable "department" {
  type    = string
  default = "Finance"
}

variable "people" {
  description = "Usernames and their details."
  type        = map(object({ name = string, email = string }))
  default = {
    "avery.chen" = { name = "Avery Chen", email = "avery.chen@example.com" }
    "blake.osei" = { name = "Blake Osei", email = "blake.osei@example.com" }
    "casey.ruiz" = { name = "Casey Ruiz", email = "casey.ruiz@example.com" }
  }
}

resource "duo_group" "department" {
  name = var.department
  desc = "Everyone in ${var.department}; managed by Terraform"
}

resource "duo_user" "person" {
  for_each = var.people
  username = each.key
  realname = each.value.name
  email    = each.value.email
}

# Authoritative: someone added to the group by hand is removed on the next apply.
resource "duo_group_members" "department" {
  group_id = duo_group.department.id
  user_ids = [for u in duo_user.person : u.id]
}

# The department's ledger, behind Duo SSO, for the department only.
resource "duo_integration" "ledger" {
  name           = "${var.department} ledger"
  type           = "sso-generic"
  user_access    = "PERMITTED_GROUPS"
  groups_allowed = [duo_group.department.id]
  sso = jsonencode({
    entity_id = "https://ledger.example.com"
    acs_urls  = [{ url = "https://ledger.example.com/saml/acs", binding = "HTTP-POST" }]
  })
}

# Money moves here: no SMS or phone calls, Verified Push, and no one Duo does not know.
resource "duo_policy" "ledger" {
  policy_name = "${var.department} ledger"

  authentication_methods {
    blocked_auth_list     = ["sms", "phonecall"]
    require_verified_push = true
  }

  new_user {
    new_user_behavior = "deny"
  }
}

resource "duo_policy_assignment" "ledger" {
  policy_key      = duo_policy.ledger.id
  integration_key = duo_integration.ledger.integration_key
}

output "members" {
  value = sort(keys(duo_user.person))
}
