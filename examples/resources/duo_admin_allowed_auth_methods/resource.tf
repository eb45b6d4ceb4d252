# Administrators may not use SMS or phone calls; Duo Push must be verified with a code.
resource "duo_admin_allowed_auth_methods" "this" {
  sms_enabled           = false
  voice_enabled         = false
  verified_push_enabled = true
  verified_push_length  = 6
}
