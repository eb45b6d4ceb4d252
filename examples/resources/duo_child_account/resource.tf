# A customer's account under an MSP parent. The provider's ikey and skey are the parent's
# Accounts API application's.
resource "duo_child_account" "acme" {
  name              = "Acme Corp"
  edition           = "PLATFORM"
  telephony_credits = 500
}

# What belongs in the child names it with account_id, so it is made in the same apply.
resource "duo_group" "acme_helpdesk" {
  account_id = duo_child_account.acme.account_id
  name       = "Help desk"
}
