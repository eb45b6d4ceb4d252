# Duo-D100 tokens are created by Duo; find them to link them to users.
data "duo_hardware_tokens" "d100" {
  type = "d1"
}

output "d100_serials" {
  value = data.duo_hardware_tokens.d100.tokens[*].serial
}
