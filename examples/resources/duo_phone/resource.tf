resource "duo_phone" "ann_mobile" {
  number   = "+15555550100"
  name     = "Ann's phone"
  type     = "mobile"
  platform = "apple ios"
}
