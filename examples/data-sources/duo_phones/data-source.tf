resource "duo_phone" "desk" {
  number = "+15555550123"
  type   = "landline"
}

# Numbers are compared as Duo normalises them.
data "duo_phones" "desk" {
  number     = "555-555-0123"
  depends_on = [duo_phone.desk]
}

output "desk_phone_id" {
  value = data.duo_phones.desk.phones[0].id
}
