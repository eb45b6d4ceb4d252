resource "duo_group" "on_call" {
  name = "On call"
}

resource "duo_user" "ops" {
  for_each = toset(["ann", "bob"])
  username = each.key
}

# Exactly these users are in the group; anyone added by hand is removed on the next apply.
resource "duo_group_members" "on_call" {
  group_id = duo_group.on_call.id
  user_ids = [for u in duo_user.ops : u.id]
}
