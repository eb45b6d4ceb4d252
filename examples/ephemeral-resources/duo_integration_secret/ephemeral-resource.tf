# An Admin API application for a reporting job. Its secret key is never stored in state.
resource "duo_integration" "reports" {
  name                   = "Reporting job"
  type                   = "adminapi"
  adminapi_read_resource = true
  store_secret_key       = false
}

# Read from Duo each time Terraform runs; never in a plan or state (Terraform 1.10 and later).
ephemeral "duo_integration_secret" "reports" {
  integration_key = duo_integration.reports.integration_key
}

# A provider block that signs as the reporting job, with only its permissions.
provider "duo" {
  alias    = "reports"
  api_host = ephemeral.duo_integration_secret.reports.api_hostname
  ikey     = duo_integration.reports.integration_key
  skey     = ephemeral.duo_integration_secret.reports.secret_key
}

# Read during apply, once the application exists: a data source read through a provider block
# whose values are not known yet at plan time needs `depends_on` on where they come from.
data "duo_groups" "seen_by_reports" {
  provider   = duo.reports
  depends_on = [duo_integration.reports]
}

output "groups_the_reporting_job_sees" {
  value = length(data.duo_groups.seen_by_reports.groups)
}
