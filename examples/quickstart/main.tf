# The quickstart: a few groups on the local Duo emulator. Run it with
#   examples/quickstart/run.sh
# which builds the provider and the emulator, starts the emulator, and points this
# configuration at it through DUO_API_HOST, DUO_IKEY and DUO_SKEY.

terraform {
  required_providers {
    duo = {
      source  = "duo-rs/duo"
      version = "0.1.0"
    }
  }
}

provider "duo" {}

resource "duo_group" "engineering" {
  name = "Engineering"
  desc = "Everyone who ships code"
}

resource "duo_group" "contractors" {
  name   = "Contractors"
  desc   = "External staff; factors restricted by policy"
  status = "active"
}

resource "duo_group" "break_glass" {
  name   = "Break glass"
  desc   = "Emergency accounts that skip two-factor authentication"
  status = "bypass"
}

data "duo_group" "engineering" {
  name = duo_group.engineering.name
}

output "engineering_group_id" {
  value = data.duo_group.engineering.id
}
