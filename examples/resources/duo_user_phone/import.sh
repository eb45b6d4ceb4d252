# <user_id>/<phone_id>
terraform import duo_user_phone.ann_mobile DUXXXXXXXXXXXXXXXXXX/DPXXXXXXXXXXXXXXXXXX
