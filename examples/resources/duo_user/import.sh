# By user ID:
terraform import duo_user.ann DUXXXXXXXXXXXXXXXXXX
# Or by username (or alias):
terraform import duo_user.ann username:ann
