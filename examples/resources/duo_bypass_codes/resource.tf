resource "duo_user" "traveller" {
  username = "traveller"
}

# Ten single-use codes that expire in a week. They are generated once and kept (sensitive) in
# state; change an argument to generate new ones.
resource "duo_bypass_codes" "traveller" {
  user_id     = duo_user.traveller.id
  code_count  = 10
  reuse_count = 1
  valid_secs  = 604800
}

output "traveller_codes" {
  value     = duo_bypass_codes.traveller.codes
  sensitive = true
}
