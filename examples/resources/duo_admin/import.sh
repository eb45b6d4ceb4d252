# By administrator ID:
terraform import duo_admin.help_desk DEXXXXXXXXXXXXXXXXXX
