resource "duo_group" "teams" {
  for_each = toset(["Engineering", "VPN users"])
  name     = each.key
}

resource "duo_user" "ann" {
  username = "ann"
}

# Exactly these groups for ann; groups added by hand are left on the next apply.
resource "duo_user_groups" "ann" {
  user_id   = duo_user.ann.id
  group_ids = [for g in duo_group.teams : g.id]
}
