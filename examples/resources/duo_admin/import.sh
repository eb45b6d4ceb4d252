# By administrator ID:
terraform import duo_admin.help_desk DEXXXXXXXXXXXXXXXXXX
# Or by email address:
terraform import duo_admin.help_desk email:helpdesk@example.com
