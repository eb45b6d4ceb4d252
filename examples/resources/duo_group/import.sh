# By Duo group ID:
terraform import duo_group.engineering DGXXXXXXXXXXXXXXXXXX
# Or by name, when no other group has it (Duo does not require unique group names):
terraform import duo_group.engineering 'name:Engineering'
