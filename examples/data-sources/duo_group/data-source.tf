resource "duo_group" "ops" {
  name = "Operations"
}

# Look a group up by its exact, case-sensitive name...
data "duo_group" "ops" {
  name = duo_group.ops.name
}

# ...or by its ID.
data "duo_group" "ops_by_id" {
  group_id = duo_group.ops.id
}

output "ops_status" {
  value = data.duo_group.ops.status
}
