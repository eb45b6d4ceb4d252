# By user ID:
terraform import duo_user_groups.ann DUXXXXXXXXXXXXXXXXXX
