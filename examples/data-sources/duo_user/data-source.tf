resource "duo_user" "ann" {
  username = "ann"
  email    = "ann@example.com"
  alias1   = "ann.example"
}

# By username (Duo also matches aliases), alias, email or user_id: give exactly one.
data "duo_user" "by_email" {
  email = duo_user.ann.email
}

data "duo_user" "by_alias" {
  alias = duo_user.ann.alias1
}

output "ann_is_enrolled" {
  value = data.duo_user.by_email.is_enrolled
}
