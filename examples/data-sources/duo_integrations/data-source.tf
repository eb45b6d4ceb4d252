data "duo_integrations" "all" {}

# Which Admin API applications can write?
output "writers" {
  value = [for i in data.duo_integrations.all.integrations : i.name if i.adminapi_write_resource]
}
