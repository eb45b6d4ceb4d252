resource "duo_integration" "web" {
  name = "Intranet"
  type = "websdk"
}

data "duo_integration" "web" {
  name = duo_integration.web.name
}

output "intranet_integration_key" {
  value = data.duo_integration.web.integration_key
}
