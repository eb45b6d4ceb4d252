# A group is imported by its Duo group ID.
terraform import duo_group.engineering DGXXXXXXXXXXXXXXXXXX
