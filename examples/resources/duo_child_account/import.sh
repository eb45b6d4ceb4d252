# By the child's account ID (the parent's Accounts API key pair in the provider block):
terraform import duo_child_account.acme DAXXXXXXXXXXXXXXXXXX
# Any object inside a child: its import ID, then @ and the child's account ID.
terraform import duo_group.acme_helpdesk DGXXXXXXXXXXXXXXXXXX@DAXXXXXXXXXXXXXXXXXX
