data "duo_groups" "all" {}

output "group_names" {
  value = data.duo_groups.all.groups[*].name
}
