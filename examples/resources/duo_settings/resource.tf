# Only these fields are managed; every other setting keeps its value.
resource "duo_settings" "this" {
  timezone                 = "Europe/Berlin"
  lockout_threshold        = 5
  inactive_user_expiration = 90
  helpdesk_bypass          = "limit"
}
