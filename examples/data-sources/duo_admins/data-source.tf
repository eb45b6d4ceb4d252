data "duo_admins" "all" {}

# Everyone with full control of the account.
output "owners" {
  value = [for a in data.duo_admins.all.admins : a.email if a.role == "Owner"]
}
