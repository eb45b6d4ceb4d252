# <user_id>/<group_id>
terraform import duo_group_member.ann_engineering DUXXXXXXXXXXXXXXXXXX/DGXXXXXXXXXXXXXXXXXX
