data "duo_account" "this" {}

output "edition" {
  value = data.duo_account.this.edition
}

output "user_count" {
  value = data.duo_account.this.user_count
}
