# The configuration under test: it builds on a group that already exists in the account (the
# emulator is seeded with it, as production already has it) and adds a user to it.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

# Credentials come from DUO_API_HOST, DUO_IKEY and DUO_SKEY: the emulator's in CI, the real
# account's in production.
provider "duo" {}

data "duo_group" "engineering" {
  name = "Engineering"
}

resource "duo_user" "bob" {
  username = "bob"
  realname = "Bob Example"
  email    = "bob@example.com"
}

resource "duo_group_member" "bob_engineering" {
  user_id  = duo_user.bob.id
  group_id = data.duo_group.engineering.group_id
}
