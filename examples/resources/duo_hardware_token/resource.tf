variable "token_secret" {
  type      = string
  sensitive = true
  default   = "3132333435363738393031323334353637383930" # example only: load real secrets from a vault
}

resource "duo_hardware_token" "ann" {
  type      = "t6"
  serial    = "OTP-000123"
  secret    = var.token_secret
  totp_step = 30
}
