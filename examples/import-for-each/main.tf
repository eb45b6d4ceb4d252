# Adopt every existing user and group without writing them out by hand (Terraform 1.7 or
# later). `terraform plan` shows only imports; after `terraform apply`, plans are empty.
#
# The configuration reads its values from the same data sources the imports come from, so it
# always matches Duo: good for taking ownership fast (lifecycle rules, references, destroy
# protection), but a change made in the Duo Admin Panel then shows as no drift. To pin the
# values, move on to `terraform-provider-duo export` or `-generate-config-out`.

terraform {
  required_version = ">= 1.7.0"
  required_providers {
    duo = {
      source = "duo-rs/duo"
    }
  }
}

# Credentials from DUO_API_HOST, DUO_IKEY and DUO_SKEY.
provider "duo" {}

data "duo_users" "existing" {}

data "duo_groups" "existing" {}

locals {
  # Usernames are unique in Duo; group names need not be, so groups are keyed by ID.
  users  = { for u in data.duo_users.existing.users : u.username => u }
  groups = { for g in data.duo_groups.existing.groups : g.id => g }
}

import {
  for_each = local.users
  to       = duo_user.this[each.key]
  id       = each.value.user_id
}

resource "duo_user" "this" {
  for_each = local.users

  username  = each.value.username
  realname  = each.value.realname
  firstname = each.value.firstname
  lastname  = each.value.lastname
  email     = each.value.email
  notes     = each.value.notes
  alias1    = each.value.alias1
  alias2    = each.value.alias2
  alias3    = each.value.alias3
  alias4    = each.value.alias4
  status    = each.value.status

  lifecycle {
    prevent_destroy = true
  }
}

import {
  for_each = local.groups
  to       = duo_group.this[each.key]
  id       = each.key
}

resource "duo_group" "this" {
  for_each = local.groups

  name   = each.value.name
  desc   = each.value.desc
  status = each.value.status
}

output "imported" {
  value = {
    users  = length(duo_user.this)
    groups = length(duo_group.this)
  }
}
