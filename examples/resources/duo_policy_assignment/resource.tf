resource "duo_integration" "vpn" {
  name = "Corporate VPN"
  type = "authapi"
}

resource "duo_group" "contractors" {
  name = "Contractors"
}

resource "duo_policy" "contractors" {
  policy_name = "Contractors"
  sections    = jsonencode({ new_user = { new_user_behavior = "deny" } })
}

# Contractors signing in to the VPN get the stricter policy; everyone else keeps the global one.
resource "duo_policy_assignment" "vpn_contractors" {
  policy_key      = duo_policy.contractors.id
  integration_key = duo_integration.vpn.integration_key
  group_ids       = [duo_group.contractors.id]
}
