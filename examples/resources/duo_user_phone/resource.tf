resource "duo_user" "ann" {
  username = "ann"
}

resource "duo_phone" "ann_mobile" {
  number = "+15555550100"
  type   = "mobile"
}

resource "duo_user_phone" "ann_mobile" {
  user_id  = duo_user.ann.id
  phone_id = duo_phone.ann_mobile.id
}
