# By group ID:
terraform import duo_group_members.on_call DGXXXXXXXXXXXXXXXXXX
