resource "duo_group" "vpn_users" {
  name = "VPN users"
}

# A RADIUS/Auth API application only members of one group may use.
resource "duo_integration" "vpn" {
  name           = "Corporate VPN"
  type           = "authapi"
  notes          = "Managed by Terraform"
  user_access    = "PERMITTED_GROUPS"
  groups_allowed = [duo_group.vpn_users.id]
}

# An Admin API application for a reporting job, usable only from one network. Change
# secret_key_rotation to rotate its secret key.
resource "duo_integration" "reports" {
  name                    = "Reporting job"
  type                    = "adminapi"
  adminapi_read_resource  = true
  adminapi_read_log       = true
  networks_for_api_access = ["192.0.2.0/24"]
  secret_key_rotation     = "2026-11"
}

output "reports_secret_key" {
  value     = duo_integration.reports.secret_key
  sensitive = true
}

# A generic SAML application. Only the SSO keys given are managed.
resource "duo_integration" "wiki" {
  name = "Wiki"
  type = "sso-generic"
  sso = jsonencode({
    entity_id = "https://wiki.example.com"
    acs_urls  = [{ url = "https://wiki.example.com/saml/acs", binding = "HTTP-POST" }]
  })
}
