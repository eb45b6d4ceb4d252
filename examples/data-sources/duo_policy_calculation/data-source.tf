resource "duo_user" "contractor" {
  username = "contractor"
}

resource "duo_integration" "vpn" {
  name = "Corporate VPN"
  type = "authapi"
}

# What Duo enforces for this user on this application; assert it in CI with a check block or
# a precondition.
data "duo_policy_calculation" "contractor_on_vpn" {
  integration_key = duo_integration.vpn.integration_key
  user_id         = duo_user.contractor.id
}

output "contractor_auth_behavior" {
  value = jsondecode(data.duo_policy_calculation.contractor_on_vpn.sections).authentication_policy.user_auth_behavior
}
