resource "duo_group" "engineering" {
  name = "Engineering"
}

resource "duo_user" "ann" {
  username = "ann"
}

resource "duo_group_member" "ann_engineering" {
  user_id  = duo_user.ann.id
  group_id = duo_group.engineering.id
}
