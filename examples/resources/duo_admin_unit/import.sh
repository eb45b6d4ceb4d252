# By administrative unit ID:
terraform import duo_admin_unit.emea AUXXXXXXXXXXXXXXXXXX
