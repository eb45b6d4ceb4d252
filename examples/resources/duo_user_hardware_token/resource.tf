resource "duo_user" "ann" {
  username = "ann"
}

resource "duo_hardware_token" "ann" {
  type   = "h6"
  serial = "OTP-000124"
  secret = "3132333435363738393031323334353637383930"
}

resource "duo_user_hardware_token" "ann" {
  user_id  = duo_user.ann.id
  token_id = duo_hardware_token.ann.id
}
