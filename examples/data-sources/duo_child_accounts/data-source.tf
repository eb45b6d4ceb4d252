# Every child account of the MSP parent whose Accounts API key pair the provider uses.
data "duo_child_accounts" "all" {}

# One user listing per child: each data source acts in the child its account_id names.
data "duo_users" "bypassed" {
  for_each   = { for a in data.duo_child_accounts.all.accounts : a.name => a.account_id }
  account_id = each.value
  status     = "bypass"
}

output "bypass_users_by_customer" {
  value = { for name, d in data.duo_users.bypassed : name => [for u in d.users : u.username] }
}
