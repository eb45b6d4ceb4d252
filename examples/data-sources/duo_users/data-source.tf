# Who skips two-factor authentication?
data "duo_users" "bypass" {
  status = "bypass"
}

# Who never enrolled a device?
data "duo_users" "unenrolled" {
  is_enrolled = false
}

# Who has not logged in since a date (or ever)? For a rolling window use
# timeadd(timestamp(), "-2160h") (90 days); it changes on every run.
data "duo_users" "stale" {
  last_login_before = "2026-01-01T00:00:00Z"
}

output "stale_usernames" {
  value = data.duo_users.stale.users[*].username
}
